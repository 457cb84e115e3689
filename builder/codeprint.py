"""The builder's own fingerprint: every file of the ``builder`` package and the versions of the
libraries that shape an output (Markdown, Jinja2, feedgen, nh3, pypinyin, PyYAML, lxml…).

It is part of every cache fingerprint (parsing, editorial checks, broadcast scripts, rendering,
the body store), so a ``git pull`` of a fix or an upgraded library rebuilds what they produce
without anyone bumping ``__version__``.  Computed once per process (a few ms: the versions
come from the ``*.dist-info`` folder names on ``sys.path``, which importlib.metadata would take
~70 ms to look up), which is also the code that process runs.
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
LIBRARIES = ("Markdown", "Jinja2", "MarkupSafe", "feedgen", "nh3", "pypinyin", "PyYAML", "lxml", "pagefind")

_digest: list[str] = []


def code_digest() -> str:
    """Digest of the builder's source files, the Python version and the libraries' versions."""
    if not _digest:
        h = hashlib.blake2b(digest_size=16)
        h.update(f"python {sys.version_info[0]}.{sys.version_info[1]}\0".encode())
        for name, version in library_versions():
            h.update(f"{name} {version}\0".encode())
        for path in sorted(PACKAGE.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                h.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
                h.update(path.read_bytes())
        _digest.append(h.hexdigest())
    return _digest[0]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def library_versions() -> list[tuple[str, str]]:
    """(distribution, version) of each of LIBRARIES as the import system would find it ("-": absent)."""
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
    return [(n, found.get(_normal(n), "-")) for n in LIBRARIES]
