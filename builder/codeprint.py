"""The builder's own fingerprints: per stage, the builder modules that stage can run and the versions
of the libraries that shape an output (Markdown, Jinja2, feedgen, nh3, pypinyin, PyYAML, lxml…).

``code_digest(entry, …)`` digests the transitive closure of the ``builder`` modules the entry
modules import (every ``import`` / ``from … import`` line anywhere in a module, function-level
imports included, plus each module's parent packages, whose ``__init__`` runs on import), so
each stage's cache fingerprint covers exactly the code that stage can run: a changed speech rule
(``builder/broadcast/speech.py``) re-composes the broadcast scripts but re-renders no HTML page,
because no module the pages import imports it.  Each stage names its own entry module
(``code_digest(__name__)``; the pipeline names ``builder.render``, ``builder.feeds``,
``builder.broadcast.outputs`` and ``builder.search`` for the output stages).  Without entries
the digest covers every file of the package.  Files of the package that are not Python modules
count for every stage.

Code that reaches an output only as a value the stage is handed (e.g. the broadcast links the
pipeline passes to the pages) is covered by the stage's keys on those values, not here.

The import lines are found by a regular expression over the source (a few ms for the whole
package; parsing every module with :mod:`ast` took ~130 ms per build).  A false match (an import
line inside a string) can only add a module to a closure, never leave one out.  The package is
read once per process, which is also the code that process runs.  The versions come from the
``*.dist-info`` folder names on ``sys.path`` (importlib.metadata would take ~70 ms).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# Distributions whose code decides output bytes (Markdown and HTML rendering, escaping, feeds,
# YAML reading, pinyin slugs and readings, the search index).
LIBRARIES = ("Markdown", "Jinja2", "MarkupSafe", "feedgen", "nh3", "pypinyin", "PyYAML", "lxml", "numpy")

_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)|import[ \t]+([^\n#;]+))",
                     re.MULTILINE)


class _Package:
    """The builder package as this process read it: module name -> source bytes, and the import graph."""

    def __init__(self, root: Path) -> None:
        self.sources: dict[str, bytes] = {}  # module name -> bytes
        self.paths: dict[str, str] = {}  # module name -> path relative to the package
        self.other: list[tuple[str, bytes]] = []  # files that are not modules
        base = root.name
        for path in sorted(root.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
                continue
            rel = path.relative_to(root).as_posix()
            if path.suffix == ".py":
                parts = [base, *path.relative_to(root).with_suffix("").parts]
                if parts[-1] == "__init__":
                    parts.pop()
                name = ".".join(parts)
                self.sources[name] = path.read_bytes()
                self.paths[name] = rel
            else:
                self.other.append((rel, path.read_bytes()))
        self.imports = {name: self._imports_of(name) for name in self.sources}

    def _imports_of(self, name: str) -> set[str]:
        text = self.sources[name].decode("utf-8", "replace")
        is_package = self.paths[name].endswith("__init__.py")
        here = name.split(".") if is_package else name.split(".")[:-1]
        found: set[str] = set()
        for match in _IMPORT.finditer(text):
            source, names, plain = match.groups()
            if plain is not None:
                for item in plain.split(","):
                    module = item.split(" as ")[0].strip()
                    if module in self.sources:
                        found.add(module)
                continue
            dots = len(source) - len(source.lstrip("."))
            module = source[dots:]
            if dots:
                if dots - 1 > len(here):
                    continue
                prefix = here[:len(here) - (dots - 1)]
                module = ".".join(prefix + ([module] if module else []))
            if module in self.sources:
                found.add(module)
            for item in names.strip("()").replace("\n", " ").split(","):
                sub = item.split(" as ")[0].strip()
                if sub and f"{module}.{sub}" in self.sources:
                    found.add(f"{module}.{sub}")
        return found

    def closure(self, entries: tuple[str, ...]) -> list[str]:
        """The entry modules and every builder module they can import, with their parent packages."""
        seen: set[str] = set()
        todo = list(entries)
        while todo:
            name = todo.pop()
            if name in seen or name not in self.sources:
                continue
            seen.add(name)
            todo.extend(self.imports[name])
            parts = name.split(".")
            todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        return sorted(seen)


_package: list[_Package] = []
_digests: dict[tuple[str, ...], str] = {}


def _read() -> _Package:
    if not _package:
        _package.append(_Package(PACKAGE))
    return _package[0]


def modules(*entries: str) -> list[str]:
    """The builder modules ``entries`` can run (every module without entries)."""
    package = _read()
    return package.closure(entries) if entries else sorted(package.sources)


def code_digest(*entries: str) -> str:
    """Digest of the builder modules the ``entries`` can run (every file of the package without
    entries), the Python version and the libraries' versions."""
    key = tuple(sorted(entries))
    if key not in _digests:
        package = _read()
        h = hashlib.blake2b(digest_size=16)
        h.update(f"python {sys.version_info[0]}.{sys.version_info[1]}\0".encode())
        for name, version in library_versions():
            h.update(f"{name} {version}\0".encode())
        for name in modules(*entries):
            h.update(package.paths[name].encode() + b"\0")
            h.update(package.sources[name])
        for rel, data in package.other:
            h.update(rel.encode() + b"\0")
            h.update(data)
        _digests[key] = h.hexdigest()
    return _digests[key]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


_versions: list[list[tuple[str, str]]] = []


def library_versions() -> list[tuple[str, str]]:
    """(distribution, version) of each of LIBRARIES as the import system would find it ("-": absent)."""
    if _versions:
        return _versions[0]
    wanted = {_normal(n) for n in LIBRARIES}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in names:
            if folder.endswith((".dist-info", ".egg-info")):
                name, _, version = folder.rsplit(".", 1)[0].partition("-")
                key = _normal(name)
                if key in wanted and key not in found:  # the first on sys.path is the one imported
                    found[key] = version.partition("-")[0]
    _versions.append([(n, found.get(_normal(n), "-")) for n in LIBRARIES])
    return _versions[0]
