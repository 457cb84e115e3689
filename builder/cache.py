"""Incremental build state, kept in ``<site>/.cache/notice-pipeline/``.

Two things are remembered between builds:

* the parsed notices (front matter, summary, links: everything but the body
  HTML) keyed by each file's (size, mtime, inode), valid for one *parse
  fingerprint* (builder version + the site.yaml values that parsing reads);
* per output folder, a manifest: the key of every page written (a digest of
  everything the page shows), the files of the input tree as last seen, the
  render fingerprint (site.yaml, templates, builder version) and the next
  moment at which time alone changes the site (a ``publish_at`` or
  ``expires`` falling due).

A page whose key is unchanged is not rendered again and its file is not
rewritten.  Anything unreadable or from another builder version is ignored:
the cache can only make a build faster, never different.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import __version__, slugs
from .diagnostics import Diagnostic
from .notice import Notice

FORMAT = 6  # bump whenever what is pickled changes shape


def stamp(path: str | os.PathLike) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


@dataclass
class CachedNotice:
    stamp: tuple[int, int, int]
    notice: Notice  # body_html stripped
    warnings: list[Diagnostic]
    deps: tuple[tuple[str, int | None], ...]  # other files looked up while parsing, with their sizes


@dataclass
class Manifest:
    render_fp: str = ""
    output_id: tuple = ()
    inputs: dict = field(default_factory=dict)  # site-relative path -> stamp, every file under content/
    now_boundary: datetime | None = None  # the site changes by itself at this moment
    include_drafts: bool = False
    pages: dict = field(default_factory=dict)  # output path -> key (HTML pages)
    files: dict = field(default_factory=dict)  # output path -> digest (every other file written)
    summary: object = None  # pipeline.Summary of that build
    warnings: list = field(default_factory=list)  # Diagnostics of that build
    search_key: str = ""  # digest of the notice pages the search index was built from


def digest(*parts) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(repr(part).encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def file_digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def output_id(output: Path) -> tuple:
    """Identity of the published output folder (changes with every swap)."""
    try:
        st = os.stat(output)
    except OSError:
        return ()
    return (st.st_ino, st.st_dev, st.st_ctime_ns)


class BodyStore:
    """Rendered body HTML by notice digest, one file each, written by the parsing workers.

    Keeping bodies on disk instead of in the main process keeps a 10,000-notice build
    within a few hundred MB, and lets an incremental build re-render a neighbour's page
    without parsing its Markdown again.
    """

    def __init__(self, directory: Path):
        self.dir = directory

    def _path(self, digest_: str) -> str:
        return os.path.join(self.dir, digest_[:2], digest_ + ".html")

    def write(self, digest_: str, html: str) -> bool:
        path = self._path(digest_)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(html)
            os.replace(tmp, path)
            return True
        except OSError:
            return False

    def read(self, digest_: str) -> str | None:
        try:
            with open(self._path(digest_), encoding="utf-8") as fh:
                return fh.read()
        except OSError:
            return None

    def prune(self, keep: set[str]) -> None:
        """Delete bodies of notice versions that no longer exist."""
        try:
            buckets = os.listdir(self.dir)
        except OSError:
            return
        for bucket in buckets:
            folder = os.path.join(self.dir, bucket)
            try:
                names = os.listdir(folder)
            except OSError:
                continue
            for name in names:
                if name.endswith(".html") and name[:-5] not in keep:
                    try:
                        os.unlink(os.path.join(folder, name))
                    except OSError:
                        pass


class BuildCache:
    def __init__(self, site_root: Path, output: Path, enabled: bool = True):
        self.dir = site_root / ".cache" / "notice-pipeline"
        self.enabled = enabled
        out_key = hashlib.blake2b(str(output.absolute()).encode(), digest_size=8).hexdigest()
        self.notices_file = self.dir / "notices.pickle"
        self.bodies = BodyStore(self.dir / f"bodies-{__version__}")
        self.scripts_file = self.dir / "scripts.pickle"
        self.checks_file = self.dir / "checks.pickle"
        self.manifest_file = self.dir / f"manifest-{out_key}.pickle"

    def _load(self, path: Path):
        if not self.enabled:
            return None
        try:
            with open(path, "rb") as fh:
                fmt, version, payload = pickle.load(fh)
        except Exception:  # noqa: BLE001 - a broken cache is just a cold build
            return None
        if fmt != FORMAT or version != __version__:
            return None
        return payload

    def _save(self, path: Path, payload) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                pickle.dump((FORMAT, __version__, payload), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only site folder still builds, just never incrementally

    def load_notices(self, parse_fp: str) -> dict[str, CachedNotice]:
        payload = self._load(self.notices_file)
        try:
            fingerprint, notices, memo = payload
        except (TypeError, ValueError):
            return {}
        if fingerprint != parse_fp:
            return {}
        slugs.memo.update(memo)
        return notices

    def save_notices(self, parse_fp: str, notices: dict[str, CachedNotice]) -> None:
        self._save(self.notices_file, (parse_fp, notices, dict(slugs.memo)))

    def _load_keyed(self, path: Path, fingerprint: str) -> dict:
        """A per-notice table saved with the fingerprint of the settings it was computed under."""
        payload = self._load(path)
        try:
            stored, table = payload
        except (TypeError, ValueError):
            return {}
        return table if stored == fingerprint else {}

    def load_scripts(self, settings_fp: str) -> dict:
        """Broadcast scripts by notice file: (key, Script | None, diagnostics)."""
        return self._load_keyed(self.scripts_file, settings_fp)

    def save_scripts(self, settings_fp: str, scripts: dict) -> None:
        self._save(self.scripts_file, (settings_fp, scripts))

    def load_checks(self, fingerprint: str) -> dict:
        """Editorial check results by notice file: (key, diagnostics)."""
        return self._load_keyed(self.checks_file, fingerprint)

    def save_checks(self, fingerprint: str, checks: dict) -> None:
        self._save(self.checks_file, (fingerprint, checks))

    def load_manifest(self) -> Manifest | None:
        return self._load(self.manifest_file)

    def save_manifest(self, manifest: Manifest) -> None:
        self._save(self.manifest_file, manifest)

    def forget_manifest(self) -> None:
        try:
            self.manifest_file.unlink()
        except OSError:
            pass
