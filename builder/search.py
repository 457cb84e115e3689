"""Search stage: a sharded Pagefind full-text index of the notice pages (Chinese word segmentation).

Runs after every page is written into the staging folder and before the swap.
Only notice pages are indexed: they mark their article with ``data-pagefind-body``,
and once one page carries that attribute Pagefind skips pages without it.
The extended Pagefind binary (``pagefind[extended]``) segments Chinese text, so
a search for 疫情防控 or 停水 finds the words inside running text.

Pagefind has no incremental mode, and with Chinese segmentation one process holds
about 0.6 MB per page (5.9 GB for 10,000 notices in one index).  So the notices are
indexed in shards: the months of one year, packed in date order into groups of at
most 500 pages, more while there would be over ``MAX_SHARDS`` of them, never more than one
Pagefind process can hold within the memory budget (see :func:`plan_shards`; a month bigger
than that is split into parts by a hash of the file names, ``pagefind/<month>-p1/`` …).  Each
shard is its own Pagefind bundle in ``pagefind/<first month>/`` and is keyed by the
page keys of its notices and the search stage's fingerprint: a build re-indexes only the shards
whose pages (or the search code and settings) changed, and
since every shard is a pure function of its pages, an incremental build writes the
same bytes as a cold one.  Shards run as separate Pagefind processes, as many at once
as the cores and the memory budget allow.  ``pagefind/shards.json`` lists the shards,
newest first; the search page loads the first and merges the others into it
(Pagefind's ``mergeIndex``), so one query searches every year.

Pagefind names a bundle's index files by their content and skips writing (and
compressing, half of its time) one that already exists.  An incremental build
therefore seeds a shard's new bundle with the published bundle's content-named files,
deletes those the new index no longer names, and checks every reused file against its
name; if anything does not match, the shard is indexed again from nothing.

Without the ``pagefind`` package (or its binary) the build still succeeds; the
search page then tells readers to use the site map, and the build warns.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
import zlib
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

INDEX_FOLDER = "pagefind"
LISTING = "pagefind/shards.json"
# Pagefind also writes its ready-made search UIs; templates/static/js/search.js uses the
# plain JavaScript API instead, so these (about 420 KB per shard) are not published.
UNUSED_UI_FILES = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
                   "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")

SHARD_PAGES = 500  # smallest shard: one edit re-indexes at most this many pages (~2 CPU seconds)
MAX_SHARDS = 64  # the browser merges every shard for a query; beyond this shards grow instead
# Measured peak RSS of one extended Pagefind process (1.5.2, Chinese notices of ~3,000 characters):
# 104 MB for 84 pages, 480 MB for 709, 935 MB for 1,452 -> about 60 MB + 0.62 MB per page.
PAGEFIND_BASE_MB = 60
PAGEFIND_PAGE_MB = 0.65
MEMORY_BUDGET_MB = 1024  # all Pagefind processes of one build together (site.yaml search.memory_mb)
# A month with more pages than one process can hold is split into parts named in the glob; the
# glob of one part stays within what one command-line argument may be on Windows (32,767).
GLOB_LIMIT = 30_000
_GLOB_SAFE = re.compile(r"[A-Za-z0-9._-]+\Z")


@dataclass(frozen=True)
class Shard:
    """One Pagefind bundle: the notice pages of some consecutive months of one year, or one part
    of a month too big for one Pagefind process (see :func:`plan_shards`)."""

    name: str  # "2022-01": the first month; the bundle is pagefind/<name>/ ("2022-09-p1" for a part)
    months: tuple[str, ...]  # ("2022/01", "2022/02")
    pages: int
    key: str  # digest of the shard's pages (path and page key) and the Pagefind version
    part: tuple[int, int] = (0, 1)  # (i, k): of its one month, the files whose name falls in part i of k
    names: tuple[str, ...] = ()  # a part's notice pages (file names in its month), for Pagefind's glob

    def holds(self, path: str) -> bool:
        """Whether the page ``path`` (``YYYY/MM/name.html``) belongs to this shard."""
        month, _, name = path.rpartition("/")
        return month in self.months and (self.part[1] == 1 or part_of(name, self.part[1]) == self.part[0])

    def glob(self) -> str:
        """Pagefind's ``--glob`` for this shard's pages, relative to the site folder."""
        if self.part[1] > 1:
            return self.months[0] + "/{" + ",".join(self.names) + "}"
        return "{" + ",".join(self.months) + "}/*.html" if len(self.months) > 1 else self.months[0] + "/*.html"


def part_of(name: str, parts: int) -> int:
    """The part (0 … parts-1) of a split month that the file ``name`` belongs to: a hash of the name,
    so adding or removing a notice changes only the part it is in."""
    return zlib.crc32(name.encode("utf-8")) % parts


@dataclass
class SearchIndex:
    """What the search stage produced: files and bytes written, pages indexed, or why not."""

    files: int = 0
    bytes: int = 0
    pages: int = 0
    warning: str = ""
    written: dict[str, str] = field(default_factory=dict)  # path -> shard key of every file written
    processes: int = 0  # Pagefind processes run at once


UNAVAILABLE = ("未安装 Pagefind，本次没有生成站内搜索索引（搜索页会提示读者使用网站地图）。"
               "安装方法：python3 -m pip install 'pagefind[extended]'")


def pagefind_available() -> bool:
    try:
        from pagefind.service import get_executable
    except ImportError:
        return False
    executable = get_executable()
    return executable is not None and Path(executable).exists()


def _pagefind_version() -> str:
    try:
        from importlib.metadata import version

        return version("pagefind")
    except Exception:  # noqa: BLE001 - only part of a cache key
        return "?"


def shard_size(pages: int) -> int:
    """The starting shard size for a site of ``pages`` notices (500, doubled past MAX_SHARDS)."""
    size = SHARD_PAGES
    while -(-pages // size) > MAX_SHARDS:
        size *= 2
    return size


def largest_shard(budget_mb: int = MEMORY_BUDGET_MB) -> int:
    """Pages one Pagefind process can index within the memory budget (never below SHARD_PAGES)."""
    return max(SHARD_PAGES, int((budget_mb - PAGEFIND_BASE_MB) / PAGEFIND_PAGE_MB))


def _group(months: dict[str, list], size: int, alone: frozenset = frozenset()) -> list[list[str]]:
    """Consecutive months of one year, packed in date order into groups of at most ``size`` pages;
    a month in ``alone`` (one to be split into parts) is a group of its own."""
    groups: list[list[str]] = []
    count = 0
    for month in sorted(months):
        n = len(months[month])
        if (not groups or groups[-1][0][:4] != month[:4] or count + n > size or month in alone
                or groups[-1][0] in alone):
            groups.append([])
            count = 0
        groups[-1].append(month)
        count += n
    return groups


def _split(pages: list[tuple[str, str]], cap: int) -> list[list[tuple[str, str]]] | None:
    """A month of more than ``cap`` pages in as few parts (by :func:`part_of`) as keep each part
    within ``cap`` pages and its glob within GLOB_LIMIT; None when a file name is not safe to
    name in a glob (the month is then indexed whole, as it always was)."""
    names = [path.rpartition("/")[2] for path, _key in pages]
    if not all(_GLOB_SAFE.match(name) for name in names):
        return None
    for parts in range(-(-len(pages) // cap), 2 * len(pages) + 1):
        split: list[list[tuple[str, str]]] = [[] for _ in range(parts)]
        for name, page in zip(names, pages):
            split[part_of(name, parts)].append(page)
        if all(len(p) <= cap and sum(len(path) - 7 for path, _ in p) <= GLOB_LIMIT for p in split):
            return split
    return None  # never for names a build makes (slugs are short); bounded all the same


def plan_shards(notice_pages: list[tuple[str, str]], size: int | None = None,
                budget_mb: int = MEMORY_BUDGET_MB, salt: str = "") -> list[Shard]:
    """Group notice pages (``YYYY/MM/slug.html``, page key) into shards, oldest first.

    Shards never cross a year, so a new notice changes at most the shards of its own year,
    and an edit changes exactly one shard.  Without a fixed ``size``, shards start at
    :func:`shard_size` pages and grow (doubling) while the months, packed, would still make
    more than MAX_SHARDS shards (a site with ~300 notices a month packs one month per 500-page
    shard) -- but never past what one Pagefind process can index within ``budget_mb``: memory
    is a hard limit, the number of shards the browser merges a soft one.  Months are not split
    between shards, except a month with more pages than one process may hold: it becomes as many
    shards of its own as it needs (its pages by a hash of their file names).  ``salt`` (the search
    stage's fingerprint: its code and its config) is part of every shard's key, so a changed
    search stage re-indexes every shard.
    """
    months: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for path, key in notice_pages:
        months[path.rpartition("/")[0]].append((path, key))
    cap = largest_shard(budget_mb)
    splits = {m: parts for m, pages in months.items() if len(pages) > cap
              for parts in [_split(pages, cap)] if parts is not None}
    alone = frozenset(splits)
    if size is not None:
        groups = _group(months, size, alone)
    else:
        size = min(shard_size(len(notice_pages)), cap)
        groups = _group(months, size, alone)
        while len(groups) > MAX_SHARDS and size < cap:
            size = min(size * 2, cap)
            groups = _group(months, size, alone)
    version = _pagefind_version()
    from .cache import digest

    shards = []
    for group in groups:
        name = group[0].replace("/", "-")
        parts = splits.get(group[0])
        if parts is None:
            shards.append(Shard(name=name, months=tuple(group), pages=sum(len(months[m]) for m in group),
                                key=digest("pagefind", version, salt, [sorted(months[m]) for m in group])))
            continue
        for i, pages in enumerate(parts):
            if not pages:
                continue  # a part no file name fell into (only in a tiny month)
            shards.append(Shard(name=f"{name}-p{i + 1}", months=tuple(group), pages=len(pages),
                                key=digest("pagefind", version, salt, (i, len(parts)), sorted(pages)),
                                part=(i, len(parts)),
                                names=tuple(sorted(path.rpartition("/")[2] for path, _key in pages))))
    return shards


def listing(shards: list[Shard]) -> bytes:
    """pagefind/shards.json: the shard folders, newest first (the search page loads the first)."""
    return (json.dumps({"shards": [s.name for s in reversed(shards)]}, ensure_ascii=False) + "\n").encode()


def shard_of(path: str) -> str:
    """The shard folder name of a file under pagefind/ ("" for the listing)."""
    parts = path.split("/")
    return parts[1] if len(parts) > 2 else ""


def concurrent_processes(shards: list[Shard], jobs: int | None, budget_mb: int = MEMORY_BUDGET_MB) -> int:
    """As many Pagefind processes at once as cores allow and the biggest shards fit in the budget."""
    if not shards:
        return 0
    cores = jobs if jobs is not None else (os.cpu_count() or 1)
    biggest = max(s.pages for s in shards)
    each = PAGEFIND_BASE_MB + PAGEFIND_PAGE_MB * biggest
    return max(1, min(cores, len(shards), int(budget_mb // each)))


def _index_shard(site_dir: Path, shard: Shard, launch=None, previous: Path | None = None) -> int:
    """Run the Pagefind binary shipped in the ``pagefind`` package over one shard's months.

    ``previous``: the shard's bundle as published, whose content-named files seed the new
    bundle (:func:`_seed`); what the new index does not name is deleted afterwards and what
    it reuses is checked against its name (:func:`_settle`), else the shard is indexed again
    into an empty folder.

    The package's service API answers before the binary has finished writing and
    then terminates it, which under load left truncated index files; the command
    exits only when every file is on disk.  (The service also costs more: feeding the
    same 709 pages as HTML or as text records took 5.1-5.5 CPU seconds and ~74 s of
    request round trips, against 2.5-3.5 CPU seconds for the command.)
    ``launch`` starts the process instead of :class:`subprocess.Popen` (:class:`EarlyIndex`
    keeps a handle to stop it).
    """
    import subprocess

    from pagefind.service import get_executable

    output = site_dir / INDEX_FOLDER / shard.name
    _clear(output)
    seeded = _seed(output, previous)
    args = [str(get_executable()), "--site", str(site_dir), "--output-path", str(output), "--keep-index-url",
            "--glob", shard.glob()]
    process = (launch or subprocess.Popen)(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        encoding="utf-8", errors="replace", env={**os.environ, "NO_COLOR": "1"})
    try:
        stdout, stderr = process.communicate(timeout=1800)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RuntimeError("Pagefind 超过 30 分钟没有结束") from None
    if process.returncode != 0:
        raise RuntimeError((stderr or stdout).strip()[-500:] or f"exit status {process.returncode}")
    for name in UNUSED_UI_FILES:
        (output / name).unlink(missing_ok=True)
    if seeded and not _settle(output, seeded):
        return _index_shard(site_dir, shard, launch)
    found = re.search(r"Indexed (\d+) pages?", stdout)
    return int(found.group(1)) if found else 0


# Pagefind names the files of a bundle's index by their content -- the SHA-1 of the uncompressed
# data, each byte in hex without its leading zero, cut short -- and does not write (or compress:
# gzip at its best level, half of its time for a 500-page shard) such a file that already exists.
_HASHED_FOLDERS = ("fragment", "index", "filter")


@dataclass
class _Seed:
    version: str  # Pagefind version that wrote the previous bundle
    files: dict[str, str]  # relative path -> content name (hash) of each file linked in


def _seed(output: Path, previous: Path | None) -> _Seed | None:
    """Hard-link (else copy) the content-named files of ``previous`` into the empty ``output``.

    Only regular files in the index folders and the ``*.pf_meta`` file: Pagefind writes every
    other file of a bundle anew, which would write through a hard link.  Links are never followed.
    """
    if previous is None or previous.is_symlink() or not previous.is_dir():
        return None
    try:
        entry = json.loads((previous / "pagefind-entry.json").read_bytes())
        version = entry["version"]
        assert isinstance(version, str)
    except Exception:  # noqa: BLE001 - no usable bundle there: index from nothing
        return None
    files: dict[str, str] = {}
    for folder in ("", *_HASHED_FOLDERS):
        source = previous / folder
        if folder and (source.is_symlink() or not source.is_dir()):
            continue
        made = False  # the folder, made for its first file (Pagefind makes no empty ones)
        with os.scandir(source) as entries:
            for item in entries:
                name = item.name
                if not item.is_file(follow_symlinks=False):
                    continue
                if folder:
                    stem, dot, _ext = name.rpartition(".")
                elif name.startswith("pagefind.") and name.endswith(".pf_meta"):
                    stem, dot = name[len("pagefind."):-len(".pf_meta")], "."
                else:
                    continue
                if not dot or "_" not in stem:
                    continue
                if not made:
                    (output / folder).mkdir(parents=True, exist_ok=True)
                    made = True
                rel = f"{folder}/{name}" if folder else name
                try:
                    os.link(item.path, output / rel)
                except OSError:
                    try:
                        shutil.copyfile(item.path, output / rel)
                    except OSError:
                        continue
                files[rel] = stem.partition("_")[2]
    return _Seed(version, files) if files else None


def _settle(output: Path, seed: _Seed) -> bool:
    """After Pagefind ran over a seeded ``output``: delete the seeded files the new index does not
    name; True if every file it names is there and each reused one holds what its name says."""
    import gzip
    import hashlib

    try:
        entry = json.loads((output / "pagefind-entry.json").read_bytes())
        if entry["version"] != seed.version:
            return False
        wanted: set[str] = set()
        for language in entry["languages"].values():
            meta_name = f"pagefind.{language['hash']}.pf_meta"
            wanted.add(meta_name)
            data = gzip.decompress((output / meta_name).read_bytes())
            if not data.startswith(_PREFIX):
                return False
            meta = _cbor(data, len(_PREFIX))
            # [version, pages [[hash, words]], index chunks [[from, to, hash]], filters [[name, hash]], ...]
            if not (isinstance(meta, list) and len(meta) >= 4 and meta[0] == seed.version):
                return False
            wanted.update(f"fragment/{page[0]}.pf_fragment" for page in meta[1])
            wanted.update(f"index/{chunk[2]}.pf_index" for chunk in meta[2])
            wanted.update(f"filter/{item[1]}.pf_filter" for item in meta[3])
        for rel, name_hash in seed.files.items():
            path = output / rel
            if rel not in wanted:
                path.unlink()
                continue
            data = gzip.decompress(path.read_bytes())
            content_hash = "".join(f"{b:x}" for b in hashlib.sha1(data[len(_PREFIX):]).digest())
            if not data.startswith(_PREFIX) or not content_hash.startswith(name_hash):
                return False
        return all((output / rel).is_file() for rel in wanted)
    except Exception:  # noqa: BLE001 - anything unexpected: index again from nothing
        return False


_PREFIX = b"pagefind_dcd"


def _cbor(data: bytes, start: int):
    """Decode the one CBOR item at ``data[start:]`` (the subset Pagefind's metadata uses:
    integers, strings, arrays, maps)."""
    value, end = _cbor_item(data, start)
    if end != len(data):
        raise ValueError("trailing bytes")
    return value


def _cbor_item(data: bytes, i: int):
    head = data[i]
    major, info = head >> 5, head & 31
    i += 1
    if info < 24:
        n = info
    elif info <= 27:
        width = 1 << (info - 24)
        n = int.from_bytes(data[i:i + width], "big")
        i += width
    else:
        raise ValueError("indefinite length")
    if major == 0:
        return n, i
    if major == 1:
        return -1 - n, i
    if major in (2, 3):
        chunk = data[i:i + n]
        if len(chunk) != n:
            raise ValueError("truncated")
        return (chunk.decode("utf-8") if major == 3 else chunk), i + n
    if major in (4, 5):
        items = []
        for _ in range(n * (2 if major == 5 else 1)):
            item, i = _cbor_item(data, i)
            items.append(item)
        return (items if major == 4 else dict(zip(items[::2], items[1::2]))), i
    raise ValueError(f"CBOR major type {major}")


def _clear(path: Path) -> None:
    """Remove whatever stands where a shard's bundle goes: links or leftovers are never written through."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def _record(result: SearchIndex, site_dir: Path, shard: Shard, pages: int) -> None:
    """Count a finished shard's files under ``site_dir/pagefind/<shard>/`` into ``result``."""
    result.pages += pages
    base = site_dir / INDEX_FOLDER / shard.name
    for dirpath, _dirs, names in os.walk(base):
        for name in names:
            file = Path(dirpath) / name
            result.files += 1
            result.bytes += file.stat().st_size
            result.written[file.relative_to(site_dir).as_posix()] = shard.key


class EarlyIndex:
    """Shards of an incremental build indexed while the rest of the build plans and renders.

    Re-indexing the shard of an edited notice takes Pagefind about 2 seconds for 500 pages,
    longer than planning and writing everything else.  So as soon as the site is loaded,
    the build renders the notice pages it expects to change (:meth:`start` gets their bytes),
    puts them beside hard links to the shard's other pages from the published output in a
    scratch folder next to it, and starts Pagefind there.  The result is used only if it
    indexed exactly what the build then wrote (:meth:`take`: the same pages in the shard's
    months, each the same file or the same bytes); otherwise the shard is indexed again
    from the staging folder as before, so an early index can never publish anything a cold
    build would not.  :meth:`close` stops what is still running and deletes the scratch folder.
    """

    def __init__(self, output: Path) -> None:
        output = output.resolve() if output.exists() else output.absolute()
        self.parent, self.prefix = output.parent, f".{output.name}.search-"
        # One name per build: a Pagefind a killed build left running can never write into the next one's.
        self.dir = self.parent / f"{self.prefix}{os.getpid()}-{time.time_ns():x}"
        self._runs: dict[str, tuple[Shard, Path, Future]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._processes: list = []
        self._lock = threading.Lock()
        self._closed = False

    @property
    def started(self) -> set[str]:
        """Names of the shards being (or already) indexed ahead and not yet taken."""
        return set(self._runs)

    def start(self, shards: list[Shard], members: dict[str, list[str]], fresh: dict[str, bytes],
              published: Path) -> None:
        """Index ``shards`` now: each over its ``members`` (page paths), the ``fresh`` bytes where
        given, else the file of that path in ``published`` (hard-linked, or copied)."""
        if not shards or self._closed:
            return
        self.discard_leftovers()
        try:
            self.dir.mkdir()  # never an existing folder or a link someone left in its place
        except OSError:
            return  # an early index is only a head start
        self._pool = ThreadPoolExecutor(max_workers=len(shards), thread_name_prefix="early-search")
        for shard in shards:
            site = self.dir / shard.name
            # Here, not in the thread: 500 links take ~10 ms, but ~350 ms in a thread that waits
            # for the interpreter lock after every call while the build plans its pages.
            _gather(site, members[shard.name], fresh, published)
            self._runs[shard.name] = (shard, site, self._pool.submit(
                _index_shard, site, shard, self._launch, published / INDEX_FOLDER / shard.name))

    def _launch(self, *args, **kwargs):
        import subprocess

        with self._lock:
            if self._closed:
                raise RuntimeError("build finished")
            process = subprocess.Popen(*args, **kwargs)
            self._processes.append(process)
            return process

    def take(self, shard: Shard, site_dir: Path, result: SearchIndex) -> bool:
        """Move the early index of ``shard`` into ``site_dir/pagefind/`` if it indexed exactly the
        pages now in ``site_dir`` (recorded into ``result``); False when there is none or it differs."""
        run = self._runs.pop(shard.name, None)
        if run is None:
            return False
        early, site, future = run
        if (early.months, early.part, early.names) != (shard.months, shard.part, shard.names):
            return False
        try:
            pages = future.result()
        except Exception:  # noqa: BLE001 - indexed again the ordinary way, which reports the problem
            return False
        if not _same_pages(site, site_dir, shard):
            return False
        target = site_dir / INDEX_FOLDER / shard.name
        _clear(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(site / INDEX_FOLDER / shard.name, target)
        _record(result, site_dir, shard, pages)
        return True

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for process in self._processes:
                if process.poll() is None:
                    process.kill()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._runs.clear()
        self.discard_leftovers()

    def discard_leftovers(self) -> None:
        """Delete this build's scratch folder and any a killed build left next to the output."""
        try:
            names = [n for n in os.listdir(self.parent) if n.startswith(self.prefix)]
        except OSError:
            return
        for name in names:
            path = self.parent / name
            if path.is_symlink() or path.is_file():
                path.unlink(missing_ok=True)
            else:
                shutil.rmtree(path, ignore_errors=True)


def _gather(site: Path, pages: list[str], fresh: dict[str, bytes], published: Path) -> None:
    """A folder of ``pages``: the ``fresh`` bytes where given, else a hard link to (or a copy of) the
    published file; a page not published is left out (:meth:`EarlyIndex.take` then finds it missing)."""
    made: set[Path] = set()
    for rel in pages:
        target = site / rel
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        if rel in fresh:
            target.write_bytes(fresh[rel])
            continue
        try:
            os.link(published / rel, target)
        except FileNotFoundError:
            continue
        except OSError:
            shutil.copyfile(published / rel, target)


def _same_pages(early: Path, final: Path, shard: Shard) -> bool:
    """Whether the HTML files of ``shard`` (directly in its months, and in its part of a split month)
    are the same under both folders (same names; each the same file, or the same bytes)."""
    for month in shard.months:
        try:
            names = sorted(n for n in os.listdir(early / month)
                           if n.endswith(".html") and shard.holds(f"{month}/{n}"))
            wanted = sorted(n for n in os.listdir(final / month)
                            if n.endswith(".html") and shard.holds(f"{month}/{n}"))
        except OSError:
            return False
        if names != wanted:
            return False
        for name in names:
            a, b = early / month / name, final / month / name
            sa, sb = a.stat(), b.stat()
            if (sa.st_ino, sa.st_dev) == (sb.st_ino, sb.st_dev):
                continue
            if sa.st_size != sb.st_size or a.read_bytes() != b.read_bytes():
                return False
    return True


def build_shards(site_dir: Path, shards: list[Shard], jobs: int | None = None,
                 budget_mb: int = MEMORY_BUDGET_MB, early: EarlyIndex | None = None,
                 published: Path | None = None) -> SearchIndex:
    """Index ``shards`` of the pages under ``site_dir`` into ``site_dir/pagefind/<shard>/``,
    taking what ``early`` indexed ahead where it indexed the same pages; ``published``: the
    output folder whose bundles seed the new ones (an incremental build)."""
    if not pagefind_available():
        return SearchIndex(warning=UNAVAILABLE)
    result = SearchIndex()
    if early is not None:
        shards = [s for s in shards if not early.take(s, site_dir, result)]
        early.close()  # what it still runs is not needed: the budget is for the shards left
    result.processes = concurrent_processes(shards, jobs, budget_mb)
    failed: list[str] = []

    def run(shard: Shard) -> tuple[Shard, int | Exception]:
        try:
            previous = published / INDEX_FOLDER / shard.name if published is not None else None
            return shard, _index_shard(site_dir, shard, previous=previous)
        except Exception as exc:  # noqa: BLE001 - Pagefind is an external program
            return shard, exc

    # Biggest first, so that the last process to finish is a small one.
    order = sorted(shards, key=lambda s: (-s.pages, s.name))
    with ThreadPoolExecutor(max_workers=max(1, result.processes)) as pool:
        for shard, outcome in pool.map(run, order):
            if isinstance(outcome, Exception):
                failed.append(f"{shard.name}（{type(outcome).__name__}: {outcome}）")
                shutil.rmtree(site_dir / INDEX_FOLDER / shard.name, ignore_errors=True)
                continue
            _record(result, site_dir, shard, outcome)
    if failed:
        result.warning = f"生成站内搜索索引失败：{'；'.join(sorted(failed))}。网站其余部分已正常生成。"
    return result


def build_search_index(site_dir: Path, notice_pages: list[tuple[str, str]] | None = None,
                       jobs: int | None = None, budget_mb: int = MEMORY_BUDGET_MB) -> SearchIndex:
    """Cold index of every notice page under ``site_dir`` (all shards) plus the listing."""
    if notice_pages is None:
        notice_pages = [(p.relative_to(site_dir).as_posix(), "") for p in sorted(site_dir.glob("[0-9]*/[0-9]*/*.html"))]
    shards = plan_shards(notice_pages, budget_mb=budget_mb)
    index = build_shards(site_dir, shards, jobs, budget_mb)
    if not index.warning or index.written:
        built = {shard_of(p) for p in index.written}
        data = listing([s for s in shards if s.name in built])
        (site_dir / LISTING).write_bytes(data)
        index.files += 1
        index.bytes += len(data)
    return index
