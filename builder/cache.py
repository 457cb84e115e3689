"""Incremental build state, kept in ``<site>/.cache/notice-pipeline/``.

Two things are remembered between builds:

* the parsed notices (front matter, summary, links: everything but the body
  HTML) keyed by each file's (size, mtime, inode), valid for one *parse
  fingerprint* (the builder's code digest + the site.yaml values that parsing reads);
* per output folder, a manifest: the key of every page written and what its
  rendering read (see builder.pagedeps), the files of the input tree as last
  seen, the render fingerprint (site.yaml, templates, the builder's code and
  libraries: nothing to do when unchanged), each output stage's own fingerprint
  (the code that stage can run, see builder.codeprint, and the config parts it
  reads) and the next
  moment at which time alone changes the site (a ``publish_at`` or
  ``expires`` falling due).

A page whose key is unchanged is not rendered again and its file is not
rewritten.  Anything unreadable or from another builder version is ignored:
the cache can only make a build faster, never different.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import sys
import time
from itertools import chain, compress, repeat
from operator import is_not, ne
from typing import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from . import __version__, plaindata, slugs
from .codeprint import code_digest
from .diagnostics import FIELDS as DIAGNOSTIC_FIELDS, Diagnostic
from .notice import Notice

FORMAT = 14  # bump whenever what is stored changes shape


def stamp(path: str | os.PathLike) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


@dataclass(slots=True)
class CachedNotice:
    stamp: tuple[int, int, int]
    notice: Notice  # body_html stripped
    warnings: list[Diagnostic]
    deps: tuple[tuple[str, int | None], ...]  # other files looked up while parsing, with their sizes
    version: str = ""  # notice.version_of(notice), "" when not computed


@dataclass
class Manifest:
    render_fp: str = ""  # pipeline.render_fingerprint: everything outside content/ (nothing to do when equal)
    stages: dict = field(default_factory=dict)  # stage -> its fingerprint (pipeline.StageFingerprints)
    output_id: tuple = ()
    inputs: dict = field(default_factory=dict)  # site-relative path -> stamp, every file under content/
    now_boundary: datetime | None = None  # the site changes by itself at this moment
    built_now: datetime | None = None  # that build's "now": an earlier clock (an older SOURCE_DATE_EPOCH) builds again
    include_drafts: bool = False
    pages: dict = field(default_factory=dict)  # output path -> key (HTML pages)
    files: dict = field(default_factory=dict)  # output path -> digest (every other file written)
    summary: object = None  # pipeline.Summary of that build
    warnings: list = field(default_factory=list)  # Diagnostics of that build
    search_key: str = ""  # digest of the notice pages the search index was built from
    search_stale: bool = False  # a preview kept an index older than the notice pages
    page_reads: dict = field(default_factory=dict)  # output path -> what the page read (pagedeps.Reads.frozen())
    # output path -> digest of the values it read, and every owner's version in that build
    # (see pagedeps.SiteValues)
    page_values: dict = field(default_factory=dict)
    owner_versions: dict = field(default_factory=dict)
    # output path -> (size, mtime seconds) as this build left it: what the next build verifies, and how it
    # recognises the same output restored elsewhere (a CI cache: tar and zip keep paths, sizes and mtimes)
    written: dict = field(default_factory=dict)


def written_files(output: Path, intern: bool = False) -> dict:
    """(size, mtime in whole seconds) of every file under ``output``: what the next build verifies.

    Whole seconds: a CI cache (tar, zip) restores output/ with the mtimes it had, but not
    always to the nanosecond (Python's tarfile and zip keep seconds).  ``intern``: paths as
    interned strings, the very objects the pages' paths are (for the manifest, in memory and on disk)."""
    found: dict = {}
    pending = [(str(output), "")]
    while pending:
        directory, prefix = pending.pop()
        try:
            with os.scandir(directory) as it:
                entries = list(it)
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, prefix + entry.name + "/"))
                    continue
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            rel = prefix + entry.name
            found[sys.intern(rel) if intern else rel] = (st.st_size, st.st_mtime_ns // 1_000_000_000)
    return found


def written_after(output: Path, before: dict, kept: set[str], listed) -> dict:
    """:func:`written_files` of an output folder just published by an incremental build, without
    walking it: the ``kept`` files were carried over as hard links (or copies keeping their times)
    of the previous output, whose listing ``before`` the build is still true of them; every other
    ``listed`` file (all the build published) is looked up.  A file changed behind the build's back
    meanwhile is recorded as it was, so the next build finds it changed and writes it again."""
    found: dict = {}
    root = str(output)
    for rel in listed:
        stat = before.get(rel) if rel in kept else None
        if stat is None:
            try:
                st = os.lstat(os.path.join(root, rel))
            except OSError:
                continue
            stat = (st.st_size, st.st_mtime_ns // 1_000_000_000)
        found[rel] = stat
    return found


def damaged_files(output: Path, manifest: "Manifest", found: dict | None = None) -> list[str] | None:
    """Files of the manifest that were changed or removed in ``output`` since that build wrote
    them (output/ is verified, not trusted); None when the manifest has no record to compare.
    ``found``: :func:`written_files` of ``output`` when already made."""
    if not manifest.written:
        return None
    now = found if found is not None else written_files(output)
    written = manifest.written
    return sorted(rel for rel in chain(manifest.pages, manifest.files) if now.get(rel) != written.get(rel))


def digest(*parts) -> str:
    """A stable 128-bit key of plain values (str, numbers, tuples, lists, dicts of those)."""
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()


def _body_mac(digest_: str, raw: bytes) -> str:
    """Authenticates a stored body: HTML planted in a pack file is never published."""
    return plaindata.mac(digest_.encode("ascii", "replace"), raw)[:16].hex()


def file_digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def output_id(output: Path) -> tuple:
    """Identity of the published output folder (changes with every swap)."""
    try:
        st = os.stat(output)
    except OSError:
        return ()
    return (st.st_ino, st.st_dev, st.st_ctime_ns)


def restored(manifest: "Manifest", output: Path, listing: Callable[[], dict] | None = None) -> bool:
    """Whether ``output``, under another folder identity than :func:`output_id` recorded, is the output
    that build left, restored elsewhere (a CI cache: tar and zip give new files with the paths, sizes
    and mtimes they had): its listing (``listing()``, or a walk) is the recorded one."""
    return bool(manifest.written) and (listing() if listing is not None else written_files(output)) == manifest.written


class BodyStore:
    """Rendered body HTML by notice digest, appended to pack files by the parsing workers.

    Keeping bodies on disk instead of in the main process keeps a 10,000-notice build
    within a few hundred MB, and lets an incremental build re-render a neighbour's page
    without parsing its Markdown again.

    Each process appends to its own ``pack-*.bin`` and lists what it wrote in the
    matching ``pack-*.idx`` (``digest offset length`` lines, written after the data),
    so writers never share a file and a killed writer leaves at worst bytes that no
    index line points to.  One file per body cost ~0.3 ms per notice to create on
    ext4; appending costs next to nothing.  :meth:`prune` deletes packs nothing
    refers to and rewrites the live part of mostly dead ones.
    """

    MAX_PACKS = 12  # more packs than this are merged by prune()

    def __init__(self, directory: Path, read_only: bool = False):
        self.dir = directory
        self.read_only = read_only  # ``check``: reads bodies a build stored, never writes
        self._index: dict[str, str] | None = None  # digest -> "pack offset length mac"
        self._fds: dict[str, int] = {}
        self._fds_pid = os.getpid()
        self._pack: tuple[int, str, object, object] | None = None  # (pid, name, bin, idx)

    # -- writing ----------------------------------------------------------------------------------

    def _writer(self):
        pid = os.getpid()
        if self._pack is None or self._pack[0] != pid:  # a forked worker opens a pack of its own
            os.makedirs(self.dir, exist_ok=True)
            name = f"pack-{pid}-{time.time_ns():x}-{os.urandom(3).hex()}"
            data = open(os.path.join(self.dir, name + ".bin"), "ab")
            index = open(os.path.join(self.dir, name + ".idx"), "a", encoding="ascii")
            self._pack = (pid, name, data, index)
        return self._pack

    def write(self, digest_: str, html: str) -> bool:
        if self.read_only:
            return False  # the caller keeps the body in memory
        try:
            _pid, name, data, index = self._writer()
            raw = html.encode("utf-8")
            mac = _body_mac(digest_, raw)
            offset = data.tell()
            data.write(raw)
            data.flush()
            index.write(f"{digest_} {offset} {len(raw)} {mac}\n")
            index.flush()
        except OSError:
            return False
        if self._index is not None:
            self._index[digest_] = f"{name} {offset} {len(raw)} {mac}"
        return True

    def close(self) -> None:
        """Close this process's pack (the next write opens a new one)."""
        if self._pack is not None and self._pack[0] == os.getpid():
            self._pack[2].close()
            self._pack[3].close()
        self._pack = None

    # -- reading ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Forget the index, e.g. after worker processes appended to packs of their own."""
        self._index = None

    def _packs(self) -> list[str]:
        try:
            return sorted(n[:-4] for n in os.listdir(self.dir) if n.startswith("pack-") and n.endswith(".idx"))
        except OSError:
            return []

    def _load_index(self) -> dict[str, str]:
        """digest -> "pack offset length mac": one short string per body (as a tuple of four
        values the index of a 100,000-notice site took ~20 MB more)."""
        index: dict[str, str] = {}
        for name in self._packs():
            try:
                with open(os.path.join(self.dir, name + ".idx"), encoding="ascii", errors="replace") as fh:
                    lines = fh.read().split("\n")[:-1]  # a last line without "\n" was cut short
                for line in lines:
                    digest_, offset, length, mac = line.split(" ")
                    int(offset), int(length)  # a damaged line: the rest of this pack is ignored
                    index[digest_] = f"{name} {offset} {length} {mac}"
            except (OSError, ValueError):
                continue
        return index

    @staticmethod
    def _where(ref: str) -> tuple[str, int, int, str]:
        """(pack, offset, length, mac) of an index value."""
        name, offset, length, mac = ref.split(" ")
        return name, int(offset), int(length), mac

    def index(self) -> dict[str, str]:
        if self._index is None:
            self._index = self._load_index()
        return self._index

    def read(self, digest_: str) -> str | None:
        ref = self.index().get(digest_)
        if ref is None:
            return None
        name, offset, length, mac = self._where(ref)
        if self._fds_pid != os.getpid():
            self._fds, self._fds_pid = {}, os.getpid()
        try:
            fd = self._fds.get(name)
            if fd is None:
                if self._pack is not None and self._pack[1] == name:
                    self._pack[2].flush()
                fd = self._fds[name] = os.open(os.path.join(self.dir, name + ".bin"), os.O_RDONLY)
            raw = os.pread(fd, length, offset)
            if len(raw) != length or not hmac.compare_digest(mac, _body_mac(digest_, raw)):
                return None  # cut short, or not written by this user's builder: render again
            return raw.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    # -- housekeeping -----------------------------------------------------------------------------

    def prune(self, keep: set[str]) -> None:
        """Delete packs holding only bodies of notice versions that no longer exist, and copy
        the live bodies of mostly dead packs (or of the smallest, when there are many) into one."""
        if self.read_only:
            return
        self.close()
        index = self._load_index()
        self._index = index
        live: dict[str, int] = {}
        for digest_, ref in index.items():
            if digest_ in keep:
                name, _offset, length, _mac = ref.split(" ")
                live[name] = live.get(name, 0) + int(length)
        sizes = {}
        for name in self._packs():
            try:
                sizes[name] = os.path.getsize(os.path.join(self.dir, name + ".bin"))
            except OSError:
                sizes[name] = 0
        gone = [n for n in sizes if n not in live]
        rewrite = [n for n in sorted(live) if sizes.get(n, 0) - live[n] > max(live[n], 1 << 20)]
        extra = len(live) - len(rewrite) - self.MAX_PACKS
        if extra > 0:
            smallest = sorted((size, n) for n, size in live.items() if n not in rewrite)
            rewrite += [n for _size, n in smallest[:extra + 1]]
        if rewrite:
            moving = set(rewrite)
            bodies = {d: self.read(d) for d in sorted(keep) if index.get(d, "").partition(" ")[0] in moving}
            if all(html is not None for html in bodies.values()):
                for digest_, html in bodies.items():
                    self.write(digest_, html)
                self.close()
                gone += rewrite
        self._close_readers()
        for name in gone:
            for suffix in (".idx", ".bin"):
                try:
                    os.unlink(os.path.join(self.dir, name + suffix))
                except OSError:
                    pass
        if gone:  # the index just read stays right without their bodies (none is kept): not read again
            dropped = set(gone)
            for digest_ in index.keys() - keep:
                if index[digest_].partition(" ")[0] in dropped:
                    del index[digest_]
        for stale in _legacy_buckets(self.dir):  # one-file-per-body layout of older versions
            shutil.rmtree(stale, ignore_errors=True)
        for other in self.dir.parent.glob("bodies-*"):  # bodies an older builder rendered
            if other != self.dir and other.is_dir():
                shutil.rmtree(other, ignore_errors=True)

    def __getstate__(self) -> dict:  # sent to spawned workers: no open files
        return {"dir": self.dir, "read_only": self.read_only}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["dir"], state.get("read_only", False))

    def _close_readers(self) -> None:
        if self._fds_pid == os.getpid():
            for fd in self._fds.values():
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._fds, self._fds_pid = {}, os.getpid()


# Cache payloads this process saved or loaded, by file, with the identity of the file then
# (inode, size, mtime): a second build in the same process (serve) skips unpickling them.
# Only a process that builds again keeps them (serve sets REMEMBER): a one-off build would hold
# tables such as the checks' (~30 MB at 100,000 notices) until it exits.
REMEMBER = False
_remembered: dict[str, tuple[tuple, object]] = {}


def _identity(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _remember(path: Path, payload) -> None:
    if not REMEMBER:
        return
    identity = _identity(path)
    if identity is None:
        return
    _remembered[str(path)] = (identity, payload)
    while len(_remembered) > 8:  # e.g. a test session building many sites
        del _remembered[next(iter(_remembered))]


def _legacy_buckets(directory: Path) -> list[str]:
    try:
        return [os.path.join(directory, n) for n in os.listdir(directory)
                if len(n) == 2 and os.path.isdir(os.path.join(directory, n))]
    except OSError:
        return []


def _apply_delta(table: dict, delta: tuple) -> None:
    """Patch a loaded table with its delta: (changed entries, removed keys); see :func:`_delta_since`."""
    changed, removed = delta
    for key in removed:
        table.pop(key, None)
    table.update(changed)


NO_DELTA = ({}, [])
_ABSENT = object()


def _delta_since(before: dict, delta: tuple, now: dict, differs: Callable = ne) -> tuple | None:
    """What turns a saved base table into ``now``: ``delta`` (what turned it into ``before``, as
    (changed entries, removed keys)) followed by the difference between ``before`` and ``now``; None
    when that is no longer small and the whole table should be written again.  ``differs``: how an
    entry is told apart from the loaded one, compared in C (a Python loop took ~45 ms a table of
    115,000): by value, or (``operator.is_not``) for tables whose unchanged entries are the very
    objects loaded."""
    changed, removed = dict(delta[0]), set(delta[1])
    added = 0  # keys of ``now`` that ``before`` lacks
    if differs is not ne or now != before:  # equal tables: one comparison in C
        keys = now.keys()
        for key in compress(keys, map(differs, now.values(), map(before.get, keys, repeat(_ABSENT)))):
            changed[key] = now[key]
            removed.discard(key)
            added += key not in before
    if len(now) - added != len(before):  # else every key of ``before`` is still there (~13 ms a table saved)
        for key in before.keys() - now.keys():
            changed.pop(key, None)
            removed.add(key)
    if len(changed) + len(removed) > max(64, len(now) // 20):
        return None
    return changed, sorted(removed)


# The manifest's tables that grow with the site; saved apart from the rest (see BuildCache.save_manifest).
MANIFEST_TABLES = ("inputs", "pages", "files", "page_reads", "page_values", "owner_versions", "written")
WARNINGS_TABLE = "warnings"  # the warnings by file, as a table like the others (in file order)


def _manifest_tables(manifest: Manifest) -> dict[str, dict]:
    """The manifest's big tables, the warnings as {file: their fields} (they come back in file order,
    the order a build sorts them in)."""
    by_file: dict[str, list] = {}
    for d in manifest.warnings:
        by_file.setdefault(d.path, []).append(DIAGNOSTIC_FIELDS(d))
    tables = {name: getattr(manifest, name) for name in MANIFEST_TABLES}
    tables[WARNINGS_TABLE] = {path: tuple(found) for path, found in by_file.items()}
    return tables


def _warnings_from(table: dict) -> list[Diagnostic]:
    return [Diagnostic(*fields) for path in sorted(table) for fields in table[path]]


class BuildCache:
    def __init__(self, site_root: Path, output: Path, enabled: bool = True, read_only: bool = False):
        """``read_only`` (``check``): use what the last build saved, write nothing under the site."""
        self.dir = site_root / ".cache" / "notice-pipeline"
        self.enabled = enabled
        self.read_only = read_only
        out_key = hashlib.blake2b(str(output.absolute()).encode(), digest_size=8).hexdigest()
        self.notices_file = self.dir / "notices.cache"
        self.delta_file = self.dir / "notices-delta.cache"
        self._notices_seen: tuple | None = None  # what load_notices returned, to save a delta against
        # Body HTML is stored by the notice file's digest: one store per builder code (Markdown
        # rendering fixes, library upgrades), so a changed renderer never serves an old body.
        # Bodies are made by the parsing code (builder.site and what it imports: markup, reader, notice…).
        self.bodies = BodyStore(self.dir / f"bodies-{code_digest('builder.site')[:16]}", read_only)
        self.scripts_file = self.dir / "scripts.cache"
        self.scripts_delta_file = self.dir / "scripts-delta.cache"
        self._tables_seen: dict[str, tuple] = {}  # table name -> what _load_table returned, to save a delta against
        self.checks_file = self.dir / "checks.cache"
        self.checks_delta_file = self.dir / "checks-delta.cache"
        self.related_file = self.dir / "related.cache"
        self.manifest_file = self.dir / f"manifest-{out_key}.cache"
        self.manifest_base_file = self.dir / f"manifest-{out_key}-tables.cache"
        self._manifest_seen: tuple | None = None  # (token, tables as loaded, their deltas): see save_manifest
        self.problems: list[str] = []  # cache files ignored because they failed validation

    def _load(self, path: Path, remember: bool = False):
        """The payload of a cache file; with ``remember``, the object this process last saved
        there or loaded from there, when the file is still that one (serve's next build)."""
        if not self.enabled:
            return None
        if remember:
            kept = _remembered.get(str(path))
            if kept is not None and kept[0] == _identity(path):
                return kept[1]
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:  # no cache yet (or unreadable): a cold build
            return None
        try:
            payload = plaindata.loads(data, f"{FORMAT}|{__version__}")
        except plaindata.OtherVersion:
            return None  # another version of the builder wrote it: a cold build, nothing to report
        except plaindata.CacheFormatError:
            self.problems.append(path.name)  # why (exc) is not an editor's concern
            return None
        if remember:
            _remember(path, payload)
        return payload

    def _save(self, path: Path, payload, remember: bool = False) -> None:
        """Write atomically; with ``remember``, the caller must not change ``payload`` afterwards."""
        if self.read_only:
            return
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            head, body = plaindata.dump_parts(payload, f"{FORMAT}|{__version__}")
            with open(tmp, "wb") as fh:
                fh.write(head)
                fh.write(body)
            del body
            os.replace(tmp, path)
        except OSError:
            return  # a read-only site folder still builds, just never incrementally
        except TypeError:  # something that is not plain data: no cache rather than an unsafe one
            try:
                os.unlink(tmp)
            except OSError:
                pass
            return
        if remember:
            _remember(path, payload)

    def load_notices(self, parse_fp: str) -> dict[str, CachedNotice]:
        """The parsed notices of the last build: the base table plus the small delta file
        that builds changing only a few notices write instead of the whole table."""
        self._notices_seen = None
        payload = self._load(self.notices_file, remember=True)
        try:
            fingerprint, notices, memo, token = payload
        except (TypeError, ValueError):
            return {}
        if fingerprint != parse_fp:
            return {}
        notices = dict(notices)  # the loaded table may be remembered: patch a copy
        extra = self._load(self.delta_file, remember=True)
        try:
            delta_token, delta_fp, delta, delta_memo = extra
            if (delta_token, delta_fp) != (token, parse_fp):
                raise ValueError
            _apply_delta(notices, delta)
        except (TypeError, ValueError):
            delta, delta_memo = NO_DELTA, {}
        slugs.memo.update(memo)
        slugs.memo.update(delta_memo)
        self._notices_seen = (parse_fp, token, notices, delta)  # notices: a copy of its own, see above
        return notices

    def save_notices(self, parse_fp: str, notices: dict[str, CachedNotice]) -> None:
        """Write only what changed since the loaded table when that is little; else the whole table."""
        seen, self._notices_seen = self._notices_seen, None
        if seen is not None and seen[0] == parse_fp:
            _fp, token, before, delta = seen
            delta = _delta_since(before, delta, notices, is_not)
            if delta is not None:
                self._save(self.delta_file, (token, parse_fp, delta, dict(slugs.memo)), remember=True)
                return
        token = os.urandom(8).hex()
        self._save(self.notices_file, (parse_fp, dict(notices), dict(slugs.memo), token), remember=True)
        try:
            os.unlink(self.delta_file)
        except OSError:
            pass

    def _load_keyed(self, path: Path, fingerprint: str, remember: bool = False) -> dict:
        """A per-notice table saved with the fingerprint of the settings it was computed under."""
        payload = self._load(path, remember)
        try:
            stored, table = payload
        except (TypeError, ValueError):
            return {}
        return table if stored == fingerprint else {}

    def load_scripts(self, settings_fp: str) -> dict:
        """Broadcast scripts by notice file: (key, Script | None, diagnostics, when it holds).
        The caller must not change the table (it is what the next save compares against)."""
        return self._load_table("scripts", self.scripts_file, self.scripts_delta_file, settings_fp)

    def save_scripts(self, settings_fp: str, scripts: dict) -> None:
        """Write only the entries that are not the very objects loaded, when they are few."""
        self._save_table("scripts", self.scripts_file, self.scripts_delta_file, settings_fp, scripts)

    def _load_table(self, name: str, base: Path, delta_file: Path, fingerprint: str) -> dict:
        """A per-notice table saved under ``fingerprint``: the base file plus its small delta file."""
        self._tables_seen.pop(name, None)
        payload = self._load(base, remember=True)
        try:
            stored, table, token = payload
        except (TypeError, ValueError):
            return {}
        if stored != fingerprint:
            return {}
        table = dict(table)  # the loaded table may be remembered: patch a copy
        extra = self._load(delta_file, remember=True)
        try:
            delta_token, delta_fp, delta = extra
            if (delta_token, delta_fp) != (token, fingerprint):
                raise ValueError
            _apply_delta(table, delta)
        except (TypeError, ValueError):
            delta = NO_DELTA
        self._tables_seen[name] = (fingerprint, token, table, delta)
        return table

    def _save_table(self, name: str, base: Path, delta_file: Path, fingerprint: str, table: dict) -> None:
        seen = self._tables_seen.pop(name, None)
        if seen is not None and seen[0] == fingerprint:
            _fp, token, before, delta = seen
            delta = _delta_since(before, delta, table, is_not)
            if delta is not None:
                self._save(delta_file, (token, fingerprint, delta), remember=True)
                return
        token = os.urandom(8).hex()
        self._save(base, (fingerprint, dict(table), token), remember=True)
        try:
            os.unlink(delta_file)
        except OSError:
            pass

    def load_checks(self, fingerprint: str) -> dict:
        """Editorial check results by notice file: (key, diagnostics).  The caller must not change
        the table (it is what the next save compares against)."""
        return self._load_table("checks", self.checks_file, self.checks_delta_file, fingerprint)

    def save_checks(self, fingerprint: str, checks: dict) -> None:
        """Write only the entries that are not the very objects loaded, when they are few."""
        self._save_table("checks", self.checks_file, self.checks_delta_file, fingerprint, checks)

    def load_related(self, fingerprint: str) -> dict:
        """The last build's related-notice rankings by column key (see site._relate)."""
        return self._load_keyed(self.related_file, fingerprint, remember=True)

    def save_related(self, fingerprint: str, rankings: dict) -> None:
        self._save(self.related_file, (fingerprint, rankings), remember=True)

    def load_manifest(self) -> Manifest | None:
        """The last build's record of this output: the small head file (fingerprints, summary, warnings
        and, per big table, what changed since the base) applied to the base file holding the big
        tables (see :meth:`save_manifest`).  None when there is none, or the two do not belong together."""
        self._manifest_seen = None
        head = self._load(self.manifest_file)
        try:
            token, manifest, deltas = head
        except (TypeError, ValueError):
            return None
        base = self._load(self.manifest_base_file, remember=True)
        names = (*MANIFEST_TABLES, WARNINGS_TABLE)
        try:
            base_token, tables = base
            if (not isinstance(manifest, Manifest) or base_token != token or not isinstance(tables, dict)
                    or set(tables) != set(names) or set(deltas) != set(names)):
                raise ValueError
            loaded = {}
            for name in names:
                table = dict(tables[name]) if REMEMBER else tables[name]  # a remembered one stays as loaded
                _apply_delta(table, deltas[name])
                loaded[name] = table
            for name in MANIFEST_TABLES:
                setattr(manifest, name, loaded[name])
            manifest.warnings = _warnings_from(loaded[WARNINGS_TABLE])
        except (TypeError, ValueError, AttributeError):
            return None
        self._manifest_seen = (token, loaded, deltas)
        return manifest

    def save_manifest(self, manifest: Manifest) -> None:
        """The big tables (115,000 entries each at 100,000 notices; the warnings by file) go to the
        base file only when much of them changed; otherwise the head file holds what changed since the
        base, compared with the manifest that was loaded, so an edit writes a small file instead of
        ~0.6 s of encoding (and 10 MB of warnings)."""
        seen, self._manifest_seen = self._manifest_seen, None
        tables = _manifest_tables(manifest)
        deltas = None
        if seen is not None and self.manifest_base_file.exists():
            token, before, old_deltas = seen
            deltas = {}
            for name in tables:
                delta = _delta_since(before[name], old_deltas[name], tables[name])
                if delta is None:
                    deltas = None
                    break
                deltas[name] = delta
        if deltas is None:
            token = os.urandom(8).hex()
            self._save(self.manifest_base_file, (token, tables), remember=True)
            deltas = {name: NO_DELTA for name in tables}
        head = replace(manifest, warnings=[], **{name: {} for name in MANIFEST_TABLES})
        self._save(self.manifest_file, (token, head, deltas))

    def forget_manifest(self) -> None:
        try:
            self.manifest_file.unlink()
        except OSError:
            pass
