"""Search stage: the site search's full-text index of the notice pages, in shards.

Runs after every page is written into the staging folder and before the swap.  Only notice
pages are indexed: the ``data-search-body`` element of each (see :mod:`builder.searchindex` for
what is indexed and how; ``docs/search-index.md`` for the files the search page reads).

The notices are indexed in shards: the months of one year, packed in date order into groups of
at most ``SHARD_PAGES`` pages, more while there would be over ``MAX_SHARDS`` of them, never more
than ``LARGEST_SHARD`` (a month bigger than that is split into parts by a hash of the file names,
``search/<month>-p1/`` …).  Each shard is its own folder ``search/<first month>/`` and is keyed by
the page keys of its notices and the search stage's fingerprint: a build re-indexes only the shards
whose pages (or the search code and settings) changed, and since every shard is a pure function
of its pages, an incremental build writes the same bytes as a cold one.  The shards to index are
dealt to as many processes (``python -m builder.searchindex``) as the cores and the memory budget
allow, each indexing its shards one after another.  ``search/index.json`` lists the shards, newest
first; the search page looks a query's terms up in every shard, so one query searches every year.
"""

from __future__ import annotations

import json
import os
from array import array
import shutil
import subprocess
import sys
import threading
import time
import zlib
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

INDEX_FOLDER = "search"
LISTING = "search/index.json"

SHARD_PAGES = 2000  # smallest shard: one edit re-indexes at most this many pages (~1 CPU second)
MAX_SHARDS = 32  # a query fetches one file per term from every shard; beyond this shards grow instead
LARGEST_SHARD = 5000  # a month with more pages is indexed in parts
# Measured peak RSS of one index process (python -m builder.searchindex, Chinese notices of ~3,000
# characters): about 60 MB for the interpreter and numpy, plus about 0.05 MB per page (309 MB for 5,000).
INDEX_BASE_MB = 60
INDEX_PAGE_MB = 0.05
MEMORY_BUDGET_MB = 1024  # all index processes of one build together (site.yaml search.memory_mb)
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent

UNAVAILABLE = ("未安装 numpy，本次没有生成站内搜索索引（搜索页会提示读者使用网站地图）。"
               "安装方法：python3 -m pip install -r requirements.txt")
NO_TEXT = ("公告页中没有带 data-search-body 属性的正文元素，站内搜索找不到任何公告。"
           "请在 templates/notice.html 的正文元素上加 data-search-body（见 docs/search-index.md）。")


def index_available() -> bool:
    """Whether the index processes can run (they need numpy; this process does not import it)."""
    from importlib.util import find_spec

    try:
        return find_spec("numpy") is not None
    except (ImportError, ValueError):  # ValueError: sys.modules["numpy"] is None
        return False


@dataclass(frozen=True)
class Shard:
    """One index folder: the notice pages of some consecutive months of one year, or one part
    of a month too big for one shard (see :func:`plan_shards`)."""

    name: str  # "2022-01": the first month; the folder is search/<name>/ ("2022-09-p1" for a part)
    months: tuple[str, ...]  # ("2022/01", "2022/02")
    pages: int
    key: str  # digest of the shard's pages (path and page key) and the search stage's fingerprint
    part: tuple[int, int] = (0, 1)  # (i, k): of its one month, the files whose name falls in part i of k
    names: tuple[str, ...] = ()  # a part's notice pages (file names in its month)

    def holds(self, path: str) -> bool:
        """Whether the page ``path`` (``YYYY/MM/name.html``) belongs to this shard."""
        month, _, name = path.rpartition("/")
        return month in self.months and (self.part[1] == 1 or part_of(name, self.part[1]) == self.part[0])

    def paths(self, site_dir: Path) -> list[str]:
        """The shard's notice pages under ``site_dir`` (``YYYY/MM/name.html``), sorted."""
        found = []
        for month in self.months:
            try:
                names = os.listdir(site_dir / month)
            except OSError:
                continue
            found += [f"{month}/{n}" for n in names if n.endswith(".html") and self.holds(f"{month}/{n}")]
        return sorted(found)


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
    processes: int = 0  # index processes run at once


def shard_size(pages: int) -> int:
    """The starting shard size for a site of ``pages`` notices (500, doubled past MAX_SHARDS)."""
    size = SHARD_PAGES
    while -(-pages // size) > MAX_SHARDS:
        size *= 2
    return size


def largest_shard() -> int:
    """Pages one shard may hold; a month with more is indexed in parts."""
    return LARGEST_SHARD


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


def _split(pages: list[tuple[str, str]], cap: int) -> list[list[tuple[str, str]]]:
    """A month of more than ``cap`` pages in as few parts (by :func:`part_of`) as keep each part
    within ``cap`` pages."""
    names = [path.rpartition("/")[2] for path, _key in pages]
    parts = -(-len(pages) // cap)
    while True:
        split: list[list[tuple[str, str]]] = [[] for _ in range(parts)]
        for name, page in zip(names, pages):
            split[part_of(name, parts)].append(page)
        if all(len(p) <= cap for p in split):
            return split
        parts += 1  # at most one page per part in the end: bounded


def plan_shards(notice_pages: list[tuple[str, str]], size: int | None = None, salt: str = "") -> list[Shard]:
    """Group notice pages (``YYYY/MM/slug.html``, page key) into shards, oldest first.

    Shards never cross a year, so a new notice changes at most the shards of its own year,
    and an edit changes exactly one shard.  Without a fixed ``size``, shards start at
    :func:`shard_size` pages and grow (doubling) while the months, packed, would still make
    more than MAX_SHARDS shards -- but never past :func:`largest_shard`.  Months are not split
    between shards, except a month with more pages than one shard may hold: it becomes as many
    shards of its own as it needs (its pages by a hash of their file names).  ``salt`` (the search
    stage's fingerprint: its code and its config) is part of every shard's key, so a changed
    search stage re-indexes every shard.
    """
    months: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for path, key in notice_pages:
        months[path.rpartition("/")[0]].append((path, key))
    cap = largest_shard()
    splits = {m: _split(pages, cap) for m, pages in months.items() if len(pages) > cap}
    alone = frozenset(splits)
    if size is not None:
        groups = _group(months, size, alone)
    else:
        size = min(shard_size(len(notice_pages)), cap)
        groups = _group(months, size, alone)
        while len(groups) > MAX_SHARDS and size < cap:
            size = min(size * 2, cap)
            groups = _group(months, size, alone)
    from .cache import digest
    from .searchformat import FORMAT

    shards = []
    for group in groups:
        name = group[0].replace("/", "-")
        parts = splits.get(group[0])
        if parts is None:
            shards.append(Shard(name=name, months=tuple(group), pages=sum(len(months[m]) for m in group),
                                key=digest("search", FORMAT, salt, [sorted(months[m]) for m in group])))
            continue
        for i, pages in enumerate(parts):
            if not pages:
                continue  # a part no file name fell into (only in a tiny month)
            shards.append(Shard(name=f"{name}-p{i + 1}", months=tuple(group), pages=len(pages),
                                key=digest("search", FORMAT, salt, (i, len(parts)), sorted(pages)),
                                part=(i, len(parts)),
                                names=tuple(sorted(path.rpartition("/")[2] for path, _key in pages))))
    return shards


def listing(site_dir: Path, shards: list[Shard]) -> tuple[bytes, int]:
    """search/index.json: the shards indexed under ``site_dir``, newest first, each with its pages and
    characters (for the search page's ranking); and the pages indexed in all of them."""
    from .searchformat import listing as encode

    counts = []
    for shard in reversed(shards):
        lengths = array("I", (site_dir / INDEX_FOLDER / shard.name / "lengths.bin").read_bytes())
        if sys.byteorder != "little":
            lengths.byteswap()
        counts.append((shard.name, len(lengths), sum(lengths)))
    return encode(counts), sum(n for _name, n, _chars in counts)


def shard_of(path: str) -> str:
    """The shard folder name of a file under search/ ("" for the listing)."""
    parts = path.split("/")
    return parts[1] if len(parts) > 2 else ""


def concurrent_processes(shards: list[Shard], jobs: int | None, budget_mb: int = MEMORY_BUDGET_MB) -> int:
    """As many index processes at once as cores allow and the biggest shards fit in the budget."""
    if not shards:
        return 0
    cores = jobs if jobs is not None else (os.cpu_count() or 1)
    biggest = max(s.pages for s in shards)
    each = INDEX_BASE_MB + INDEX_PAGE_MB * biggest
    return max(1, min(cores, len(shards), int(budget_mb // each)))


def _index_shards(site_dir: Path, shards: list[Shard], launch=None) -> list[int]:
    """Index ``shards`` of the pages under ``site_dir``, each into ``site_dir/search/<shard>/``, one
    after another in one process of their own (``python -m builder.searchindex``: several run at once,
    and :class:`EarlyIndex` can stop one); the pages indexed, per shard.  ``launch`` starts the process
    instead of :class:`subprocess.Popen`."""
    jobs = []
    for shard in shards:
        output = site_dir / INDEX_FOLDER / shard.name
        _clear(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        jobs.append({"site": str(site_dir), "out": str(output), "pages": shard.paths(site_dir)})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_PACKAGE_ROOT), os.environ.get("PYTHONPATH")])),
           "PYTHONIOENCODING": "utf-8"}
    process = (launch or subprocess.Popen)(
        [sys.executable, "-m", "builder.searchindex"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace", env=env, cwd=str(_PACKAGE_ROOT))
    try:
        stdout, stderr = process.communicate(json.dumps({"shards": jobs}), timeout=1800)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RuntimeError("建立搜索索引超过 30 分钟没有结束") from None
    if process.returncode != 0:
        raise RuntimeError((stderr or stdout).strip()[-500:] or f"exit status {process.returncode}")
    return [int(n) for n in json.loads(stdout)["pages"]]


def _deal(shards: list[Shard], processes: int) -> list[list[Shard]]:
    """``shards`` dealt to ``processes`` processes, biggest first to the one with the fewest pages so far
    (each process imports numpy once, ~0.1 s, however many shards it indexes)."""
    groups: list[list[Shard]] = [[] for _ in range(max(1, min(processes, len(shards))))]
    load = [0] * len(groups)
    for shard in sorted(shards, key=lambda s: (-s.pages, s.name)):
        i = load.index(min(load))
        groups[i].append(shard)
        load[i] += shard.pages
    return [g for g in groups if g]


def _clear(path: Path) -> None:
    """Remove whatever stands where a shard's bundle goes: links or leftovers are never written through."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def _record(result: SearchIndex, site_dir: Path, shard: Shard, pages: int) -> None:
    """Count a finished shard's files under ``site_dir/search/<shard>/`` into ``result``."""
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

    Re-indexing the shard of an edited notice takes about a second for 2,000 pages, about as
    long as planning and writing everything else.  So as soon as the site is loaded,
    the build renders the notice pages it expects to change (:meth:`start` gets their bytes),
    puts them beside hard links to the shard's other pages from the published output in a
    scratch folder next to it, and starts indexing there.  The result is used only if it
    indexed exactly what the build then wrote (:meth:`take`: the same pages in the shard's
    months, each the same file or the same bytes); otherwise the shard is indexed again
    from the staging folder as before, so an early index can never publish anything a cold
    build would not.  :meth:`close` stops what is still running and deletes the scratch folder.
    """

    def __init__(self, output: Path) -> None:
        output = output.resolve() if output.exists() else output.absolute()
        self.parent, self.prefix = output.parent, f".{output.name}.search-"
        # One name per build: an index process a killed build left running can never write into the next one's.
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
                _index_shards, site, [shard], self._launch))

    def _launch(self, *args, **kwargs):
        import subprocess

        with self._lock:
            if self._closed:
                raise RuntimeError("build finished")
            process = subprocess.Popen(*args, **kwargs)
            self._processes.append(process)
            return process

    def take(self, shard: Shard, site_dir: Path, result: SearchIndex) -> bool:
        """Move the early index of ``shard`` into ``site_dir/search/`` if it indexed exactly the
        pages now in ``site_dir`` (recorded into ``result``); False when there is none or it differs."""
        run = self._runs.pop(shard.name, None)
        if run is None:
            return False
        early, site, future = run
        if (early.months, early.part, early.names) != (shard.months, shard.part, shard.names):
            return False
        try:
            [pages] = future.result()
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
    names = shard.paths(early)
    if names != shard.paths(final):
        return False
    for rel in names:
        a, b = early / rel, final / rel
        try:
            sa, sb = a.stat(), b.stat()
            if (sa.st_ino, sa.st_dev) == (sb.st_ino, sb.st_dev):
                continue
            if sa.st_size != sb.st_size or a.read_bytes() != b.read_bytes():
                return False
        except OSError:
            return False
    return True


def build_shards(site_dir: Path, shards: list[Shard], jobs: int | None = None,
                 budget_mb: int = MEMORY_BUDGET_MB, early: EarlyIndex | None = None) -> SearchIndex:
    """Index ``shards`` of the pages under ``site_dir`` into ``site_dir/search/<shard>/``,
    taking what ``early`` indexed ahead where it indexed the same pages."""
    result = SearchIndex()
    if early is not None:
        shards = [s for s in shards if not early.take(s, site_dir, result)]
        early.close()  # what it still runs is not needed: the budget is for the shards left
    result.processes = concurrent_processes(shards, jobs, budget_mb)
    failed: list[str] = []

    def run(group: list[Shard]) -> tuple[list[Shard], list[int] | Exception]:
        try:
            return group, _index_shards(site_dir, group)
        except Exception as exc:  # noqa: BLE001 - reported as a warning: the site is built all the same
            return group, exc

    with ThreadPoolExecutor(max_workers=max(1, result.processes)) as pool:
        for group, outcome in pool.map(run, _deal(shards, result.processes)):
            for i, shard in enumerate(group):
                if isinstance(outcome, Exception):
                    failed.append(f"{shard.name}（{type(outcome).__name__}: {outcome}）")
                    shutil.rmtree(site_dir / INDEX_FOLDER / shard.name, ignore_errors=True)
                    continue
                _record(result, site_dir, shard, outcome[i])
    if failed:
        result.warning = f"生成站内搜索索引失败：{'；'.join(sorted(failed))}。网站其余部分已正常生成。"
    return result

