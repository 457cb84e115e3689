"""Load stage: the whole site read, validated and cross-linked before anything is rendered.

``load_site`` returns a :class:`Site` (or raises :class:`BuildError` with every
problem found).  After it, every URL, list, prev/next link and feed entry is
known, so rendering is a pure function of the ``Site``.
"""

from __future__ import annotations

import gc
import hashlib
import os
import stat
import sys
import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from datetime import datetime, timedelta, timezone
from itertools import chain
from pathlib import Path

from . import __version__, reader, slugs
from .cache import BodyStore, BuildCache, CachedNotice, digest
from .codeprint import code_digest
from .config import SiteConfig, load_config
from .diagnostics import BuildError, Diagnostic, Diagnostics
from .notice import Notice, load_notice, version_of
from .reader import NOTICE_SUFFIXES

CONTENT_DIR = "content"
PARALLEL_THRESHOLD = 400  # below this, worker start-up costs more than it saves


@dataclass(eq=False, repr=False, slots=True)
class Entry:
    """A notice placed in the site: its URL, status and neighbours."""

    def __repr__(self) -> str:  # its identity: the generated repr would walk prev/next/related chains
        return f"Entry({self.notice.source!r})"

    notice: Notice
    path: str  # output-relative, e.g. 2022/05/meeting-report.html
    status: str  # "published", "draft" or "scheduled"
    expired: bool
    current: bool  # listed among current notices (not expired)
    prev: "Entry | None" = None  # older notice in the same column
    next: "Entry | None" = None  # newer notice in the same column
    related: list["Entry"] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.notice.title

    @property
    def date(self) -> datetime:
        return self.notice.date


@dataclass(frozen=True, slots=True)
class TagInfo:
    name: str
    slug: str


@dataclass
class Site:
    root: Path
    config: SiteConfig
    now: datetime
    entries: list[Entry]  # newest first: what gets a page
    by_category: dict[str, list[Entry]]
    tags: list[TagInfo]
    by_tag: dict[str, list[Entry]]
    by_month: dict[tuple[int, int], list[Entry]]
    emergencies: list[Entry]  # current emergency notices, most severe first
    drafts: int
    scheduled: list[Notice]  # scheduled and not yet due (not published unless --drafts)
    expired: int
    assets: list[str]  # site-relative files copied to output/files/...
    diagnostics: list[Diagnostic]
    include_drafts: bool = False
    parsed: int = 0  # notices parsed in this build (the rest came from the cache)
    inputs: dict = field(default_factory=dict)  # every file under content/ -> stamp
    store: BodyStore | None = None  # where body HTML lives when it is not kept in memory
    # 撤稿: notices with ``withdrawn``, each keeping its URL for a 撤稿说明 page and nothing else (no list,
    # feed, sitemap, search index or broadcast plan sees them).  The hook for cancelling their CAP alerts.
    withdrawn: list[Entry] = field(default_factory=list)
    # Notice source -> (Notice, version_of(that notice)) as the parsing workers or the cache computed
    # it; valid for that very (immutable) object only.
    versions: dict = field(default_factory=dict)
    # Column key -> the related notices' indices, as _relate ranked them (kept by the build cache).
    rankings: dict = field(default_factory=dict)

    @property
    def published(self) -> list[Entry]:
        return [e for e in self.entries if e.status == "published"]

    def body(self, notice: Notice) -> str:
        """The notice's body HTML: in memory, from the body store, or (store lost) parsed again."""
        if notice.body_html or not notice.digest:
            return notice.body_html
        if self.store is not None:
            html = self.store.read(notice.digest)
            if html is not None:
                return html
        others = {rel: stamp[0] for rel, stamp in self.inputs.items()}
        fresh, _items, _deps = _load_one(str(self.root), notice.source, self.config, others)
        if fresh is None:
            return ""
        if self.store is not None:
            self.store.write(fresh.digest, fresh.body_html)
        return fresh.body_html

    def next_change(self) -> datetime | None:
        """The next moment at which the passing of time alone changes the site."""
        moments = []
        window = timedelta(hours=self.config.emergency_hours)
        for entry in self.entries:
            n = entry.notice
            for moment in (n.expires, n.publish_at if entry.status == "scheduled" else None):
                if moment and moment > self.now:
                    moments.append(moment)
            if n.is_emergency and n.expires is None and n.date + window > self.now:
                moments.append(n.date + window)
            if n.date > self.now and n.is_emergency:
                moments.append(n.date)
        for notice in self.scheduled:
            if notice.publish_at and notice.publish_at > self.now:
                moments.append(notice.publish_at)
        return min(moments, default=None)

    def entry_for_source(self) -> dict[str, Entry]:
        return {e.notice.source: e for e in self.entries}


# SOURCE_DATE_EPOCH above this (2999-12-31 00:00 UTC) is refused, like a notice date past 2999.
MAX_EPOCH = 32503593600


class EpochProblem(ValueError):
    """SOURCE_DATE_EPOCH is set but is not a usable time (a usage error, message in Chinese)."""


def source_date_epoch() -> datetime | None:
    """SOURCE_DATE_EPOCH as a time, None when unset; EpochProblem when it is set but invalid.

    Per reproducible-builds.org it is a decimal integer of seconds since 1970; anything
    else (``1e9``, ``abc``, ``--5``, ``²``, more than 2999-12-31) is an error, never
    silently replaced by the wall clock.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:  # unset, or set to nothing (``SOURCE_DATE_EPOCH= python build.py``)
        return None
    text = epoch.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 12 or int(text) > MAX_EPOCH:
        raise EpochProblem(f"环境变量 SOURCE_DATE_EPOCH 的值“{epoch[:40]}”无效：应当是 0 到 {MAX_EPOCH} 之间的整数秒数"
                           "（自 1970-01-01 00:00 UTC 起），例如 SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)")
    return datetime.fromtimestamp(int(text), tz=timezone.utc)


def build_now() -> datetime:
    """The build's notion of "now": SOURCE_DATE_EPOCH when set (reproducible builds)."""
    return source_date_epoch() or datetime.now(tz=timezone.utc)


def discover(root: Path, diags: Diagnostics) -> tuple[list[str], dict[str, int], dict[str, tuple]]:
    """Return (notice files, {other file: size}, {every file: stamp}) under content/, sorted.

    The stamp (size, mtime, inode) of each file lets an incremental build tell
    what changed without reading anything.
    """
    content = root / CONTENT_DIR
    notices: list[str] = []
    others: dict[str, int] = {}
    stamps: dict[str, tuple] = {}
    if not content.is_dir():
        diags.error(CONTENT_DIR, 0, "content-missing", f"找不到内容目录 {content}，请创建 content 目录并把公告放进去")
        return notices, others, stamps
    real_content = os.path.realpath(content)
    prefix = len(str(root)) + 1
    pending = [str(content)]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith((".", "~$")):
                continue
            # Interned: the notice's source, the cache's and the manifest's keys are then one object.
            rel = sys.intern(entry.path[prefix:].replace(os.sep, "/"))
            if entry.is_symlink():
                target = os.path.realpath(entry.path)
                if entry.is_dir() or not (target + os.sep).startswith(real_content + os.sep):
                    diags.error(rel, 0, "symlink-outside",
                                "这是一个指向站点目录之外（或指向目录）的符号链接，出于安全原因不予读取；请把文件本身复制到 content 目录")
                    continue
            if entry.is_dir():
                pending.append(entry.path)
                continue
            try:
                st = entry.stat()
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):  # a FIFO would block the build forever; never opened
                diags.error(rel, 0, "not-regular-file",
                            f"这不是普通文件（{_file_kind(st.st_mode)}），出于安全原因不予读取，构建也不会等待它；"
                            "请删除它，或换成普通文件")
                continue
            stamps[rel] = (st.st_size, st.st_mtime_ns, st.st_ino)
            if name.lower().endswith(NOTICE_SUFFIXES):
                notices.append(rel)
            else:
                others[rel] = st.st_size
    notices.sort()
    return notices, others, stamps


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "命名管道 FIFO"
    if stat.S_ISSOCK(mode):
        return "套接字 socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件"
    return "特殊文件"


# --- parallel loading -------------------------------------------------------------------------

_worker_state: dict = {}


def _init_worker(root: str, config: SiteConfig, others: dict[str, int], store: BodyStore | None) -> None:
    gc.enable()  # the build turns the collector off in the main process only
    _worker_state.update(root=root, config=config, others=others, store=store)


Loaded = tuple  # (Notice | None, list[Diagnostic], deps: tuple[(path, size | None), ...])


def _load_many(rels: list[str]) -> list[Loaded]:
    root, config, others = _worker_state["root"], _worker_state["config"], _worker_state["others"]
    return [_versioned(_stored(_load_one(root, rel, config, others), _worker_state["store"])) for rel in rels]


def _versioned(loaded: Loaded) -> Loaded:
    """``loaded`` plus the notice's version (computed in the parsing worker, see builder.pagedeps)."""
    notice = loaded[0]
    return loaded + (version_of(notice) if notice is not None else "",)


def _stored(loaded: Loaded, store: BodyStore | None) -> Loaded:
    """Move the body HTML into the store (when there is one), keeping the notice small."""
    notice = loaded[0]
    if store is None or notice is None or not notice.body_html:
        return loaded
    if not store.write(notice.digest, notice.body_html):
        return loaded
    return (replace(notice, body_html=""),) + tuple(loaded[1:])


def _same_bytes(root, rel: str, hit, stamp: tuple | None) -> bool:
    """Same size, new mtime or inode (a fresh CI checkout, a restored backup): is it still the
    file that was parsed?  Compared by the digest of its bytes that the cached notice carries."""
    if stamp is None or not hit.notice.digest or hit.stamp[0] != stamp[0]:
        return False
    try:
        with open(os.path.join(root, rel), "rb") as fh:
            data = fh.read(stamp[0] + 1)
    except OSError:
        return False
    return hashlib.blake2b(data, digest_size=16).hexdigest() == hit.notice.digest


def _load_one(root: str, rel: str, config: SiteConfig, others: dict[str, int]) -> Loaded:
    diags = Diagnostics()
    try:
        # O_NONBLOCK: a file swapped for a FIFO since discover() must not block the build
        fd = os.open(os.path.join(root, rel), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                diags.error(rel, 0, "not-regular-file",
                            f"这不是普通文件（{_file_kind(st.st_mode)}），出于安全原因不予读取；请删除它，或换成普通文件")
                return None, diags.items, ()
            if not reader.size_ok(st.st_size, rel, diags):  # the real size, unread
                return None, diags.items, ()
            data = fh.read(reader.MAX_BYTES + 1)
    except OSError as exc:
        diags.error(rel, 0, "read-failed", f"无法读取文件：{exc.strerror}")
        return None, diags.items, ()
    deps: dict[str, int | None] = {}

    def exists(path: str) -> int | None:
        deps[path] = others.get(path)
        return deps[path]

    notice = load_notice(data, rel, config, exists, diags, partial(_case_match, others))
    return notice, diags.items, tuple(sorted(deps.items()))


_lowered: dict = {}  # id(others) -> (others, {lower-case path: path}), built on first need


def _case_match(others: dict[str, int], path: str) -> str | None:
    """The file under content/ whose path differs from ``path`` only in letter case (``.JPG`` for ``.jpg``)."""
    kept = _lowered.get(id(others))
    if kept is None or kept[0] is not others:
        kept = (others, {p.lower(): p for p in others})
        _lowered.clear()
        _lowered[id(others)] = kept
    found = kept[1].get(path.lower())
    return found if found != path else None


def load_notices(root: Path, rels: list[str], config: SiteConfig, others: dict[str, int],
                 jobs: int | None = None, store: BodyStore | None = None,
                 while_waiting: Callable[[], threading.Thread | None] | None = None) -> list[Loaded]:
    """Parse ``rels``, over worker processes when there are many.

    ``while_waiting`` is called once the workers are running; the thread it may
    return (work the main process does meanwhile) is joined before returning.
    """
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if jobs <= 1 or len(rels) < PARALLEL_THRESHOLD:
        return [_versioned(_stored(_load_one(str(root), rel, config, others), store)) for rel in rels]
    import multiprocessing

    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    if ctx.get_start_method() == "fork" and not all(rel.isascii() for rel in rels):
        slugs.preload()  # pypinyin's dictionaries: loaded once here, inherited by every worker
    chunk = max(50, len(rels) // (jobs * 8))
    batches = [rels[i:i + chunk] for i in range(0, len(rels), chunk)]
    results: list = []
    helper = None
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                                 initargs=(str(root), config, others, store)) as pool:
            parsed = pool.map(_load_many, batches)  # with fork, every worker exists after this
            helper = while_waiting() if while_waiting is not None else None
            for batch in parsed:
                results.extend(batch)
    finally:
        if helper is not None:
            helper.join()
    return results


# --- the model ----------------------------------------------------------------------------------

SEVERITY = {"红色": 4, "橙色": 3, "黄色": 2, "蓝色": 1, "日常": 0}


def parse_fingerprint(config: SiteConfig) -> str:
    """What parsing a notice reads from site.yaml (a change re-parses every notice)."""
    return digest(__version__, code_digest(__name__), config.timezone, [c.name for c in config.categories], config.default_category,
                  config.default_source, config.summary_length, config.max_tags)


def load_site(root: Path, *, include_drafts: bool = False, now: datetime | None = None,
              base_url: str | None = None, jobs: int | None = None, cache: BuildCache | None = None,
              config: SiteConfig | None = None, inputs: tuple | None = None,
              while_waiting: Callable[[], threading.Thread | None] | None = None,
              found: list[Diagnostic] | None = None) -> Site:
    """Read and validate everything.  Raises BuildError listing every error.

    With a ``cache``, notices whose files did not change since the last build
    are taken from it (without their body HTML, which :meth:`Site.body` re-creates
    on demand) and only changed files are parsed.  ``found``: what reading ``config`` and
    discovering ``inputs`` (when given) reported.
    """
    diags = Diagnostics()
    diags.extend(list(found or ()))
    if config is None:
        config = load_config(root, diags)
        if config is None:
            raise BuildError(diags.sorted())
    if base_url:
        config = config.with_base_url(base_url)
    now = (now or build_now()).astimezone(config.tz)

    rels, others, stamps = inputs if inputs is not None else discover(root, diags)
    parse_fp = parse_fingerprint(config)
    cached = cache.load_notices(parse_fp) if cache else {}
    memo_size = len(slugs.memo)
    fresh: dict[str, CachedNotice] = {}
    notices: list[Notice] = []
    versions: dict[str, tuple[Notice, str]] = {}
    to_parse: list[str] = []
    for rel in rels:  # ~1 us a notice: at 100,000 every test that can be skipped is
        hit = cached.get(rel)
        if hit and (not hit.deps or all(others.get(p) == size for p, size in hit.deps)) and (
                hit.stamp == stamps.get(rel) or _same_bytes(root, rel, hit, stamps.get(rel))):
            if hit.stamp != stamps.get(rel):
                hit = replace(hit, stamp=stamps[rel])
            else:
                hit.stamp = stamps[rel]  # the equal tuple discover() made: one copy in memory, not two
            fresh[rel] = hit
            notices.append(hit.notice)
            versions[hit.notice.source] = (hit.notice, hit.version)
            if hit.warnings:
                diags.extend(hit.warnings)
        else:
            to_parse.append(rel)
    store = cache.bodies if cache is not None else None
    loaded = load_notices(root, to_parse, config, others, jobs, store, while_waiting)
    if store is not None:
        store.refresh()  # worker processes appended bodies to packs of their own
    for rel, (notice, items, deps, version) in zip(to_parse, loaded):
        diags.extend(items)
        if notice is not None:
            if notice.source == rel:  # always: then one object, discover()'s (interned), for both
                object.__setattr__(notice, "source", rel)
            notices.append(notice)
            versions[notice.source] = (notice, version)
            if rel in stamps:
                stripped = replace(notice, body_html="") if notice.body_html else notice
                fresh[rel] = CachedNotice(stamps[rel], stripped, items or (), deps,
                                          version if stripped is notice else "")
    if diags.has_errors():
        raise BuildError(diags.sorted())
    rankings = cache.load_related(parse_fp) if cache is not None else None
    site = assemble(root, config, notices, now, include_drafts, diags, rankings)
    if cache is not None and site.rankings != rankings:
        cache.save_related(parse_fp, site.rankings)
    if cache is not None and (to_parse or len(fresh) != len(cached) or len(slugs.memo) != memo_size):
        cache.save_notices(parse_fp, fresh)
    site.parsed = len(to_parse)
    site.versions = versions
    site.inputs = stamps
    site.store = store
    if store is not None and (to_parse or len(fresh) != len(cached)):
        store.prune({n.digest for n in notices})
    return site


def index_prefix(config: SiteConfig) -> str:
    """The 索引号 prefix of site.yaml's automatic numbering (``xxgk: {index_prefix: 机构代码}``), or ""."""
    return config.xxgk.index_prefix


def number_documents(notices: list[Notice], prefix: str) -> list[Notice]:
    """Give documents without an 索引号 one: ``prefix/年份-序号``, numbered per year in date order after
    the highest number already written by hand (adding an older document renumbers the later ones)."""
    if not prefix:
        return notices
    taken: dict[int, int] = {}
    for n in notices:
        if n.doc is not None and n.doc.index_no.startswith(prefix + "/"):
            tail = n.doc.index_no.rsplit("/", 1)[1]
            year, _, seq = tail.partition("-")
            if year.isdigit() and seq.isdigit():
                taken[int(year)] = max(taken.get(int(year), 0), int(seq))
    numbered = {}
    for n in sorted((n for n in notices if n.doc is not None and not n.doc.index_no and not n.draft),
                    key=lambda n: ((n.doc.written or n.date), n.source)):
        year = (n.doc.written or n.date).year
        taken[year] = taken.get(year, 0) + 1
        numbered[n.source] = replace(n, doc=replace(n.doc, index_no=f"{prefix}/{year}-{taken[year]:05d}"))
    return [numbered.get(n.source, n) for n in notices]


def assemble(root: Path, config: SiteConfig, notices: list[Notice], now: datetime,
             include_drafts: bool, diags: Diagnostics, rankings: dict | None = None) -> Site:
    """Pure model building: statuses, URLs, collisions, lists and neighbours.  ``rankings``: the
    related notices of columns as the last build ranked them (see :func:`_relate`)."""
    notices = sorted(number_documents(notices, index_prefix(config)), key=lambda n: n.sort_key, reverse=True)
    entries: list[Entry] = []
    drafts = 0
    scheduled: list[Notice] = []
    expired_count = 0
    withdrawn: list[Entry] = []
    for notice in notices:
        status = "published"
        if notice.withdrawn is not None and not notice.draft:
            path = sys.intern(f"{notice.date.year:04d}/{notice.date.month:02d}/{notice.slug}.html")
            withdrawn.append(Entry(notice, path, "withdrawn", expired=False, current=False))
            continue
        if notice.draft:
            status = "draft"
            drafts += 1
        elif notice.publish_at and notice.publish_at > now:
            status = "scheduled"
            scheduled.append(notice)
        if status != "published" and not include_drafts:
            continue
        expired = bool(notice.expires and notice.expires <= now)
        if expired and status == "published":
            expired_count += 1
        path = sys.intern(f"{notice.date.year:04d}/{notice.date.month:02d}/{notice.slug}.html")
        entries.append(Entry(notice, path, status, expired, current=not expired))

    # Two notices writing the same page is a hard error naming every file involved.
    paths = {entry.path for entry in chain(entries, withdrawn)}
    owners: dict[str, list[str]] = defaultdict(list)
    if len(paths) < len(entries) + len(withdrawn):  # only then: sorting 100,000 paths took ~0.1 s
        for entry in chain(entries, withdrawn):
            owners[entry.path].append(entry.notice.source)
    for path, sources in sorted(owners.items()):
        if len(sources) > 1:
            for source in sorted(sources):
                others_ = "、".join(s for s in sorted(sources) if s != source)
                notice = next(e.notice for e in entries + withdrawn if e.notice.source == source)
                diags.error(source, notice.key_lines.get("slug", 1), "slug-duplicate",
                            f"与 {others_} 会生成同一个页面 output/{path}；请给其中一篇设置不同的 slug（例如 slug: tingshui-2）")
    if diags.has_errors():
        raise BuildError(diags.sorted())

    by_category: dict[str, list[Entry]] = {c.name: [] for c in config.categories}
    by_tag_name: dict[str, list[Entry]] = defaultdict(list)
    by_month: dict[tuple[int, int], list[Entry]] = defaultdict(list)
    for entry in entries:
        by_category[entry.notice.category].append(entry)
        for tag in entry.notice.tags:
            by_tag_name[tag].append(entry)
        by_month[(entry.date.year, entry.date.month)].append(entry)

    ranked: dict[str, list] = {}
    for column in by_category.values():  # newest first
        for index, entry in enumerate(column):
            entry.next = column[index - 1] if index > 0 else None
            entry.prev = column[index + 1] if index + 1 < len(column) else None
        _relate(column, config.related, rankings or {}, ranked)

    tags: list[TagInfo] = []
    used: dict[str, str] = {}
    for name in sorted(by_tag_name, key=lambda t: (-len(by_tag_name[t]), t)):
        base = slugs.slugify(name) or "tag"
        slug, n = base, 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        used[slug] = name
        tags.append(TagInfo(name, slug))

    window = timedelta(hours=config.emergency_hours)
    emergencies = [
        e for e in entries
        if e.notice.is_emergency and e.current and e.status == "published"
        and e.date <= now and (e.notice.expires is not None or now - e.date <= window)
    ]
    emergencies.sort(key=lambda e: (-SEVERITY[e.notice.level], -e.date.timestamp()))

    assets: set[str] = set()
    for entry in entries:
        n = entry.notice
        if n.assets:
            assets.update(n.assets)
        if n.attachments:
            assets.update(a.source for a in n.attachments)
        if n.image:
            assets.add(n.image)

    return Site(
        root=root, config=config, now=now, entries=entries, by_category=by_category, tags=tags,
        by_tag=dict(by_tag_name), by_month=dict(by_month), emergencies=emergencies, drafts=drafts,
        scheduled=sorted(scheduled, key=lambda n: n.publish_at), expired=expired_count,
        assets=sorted(assets), diagnostics=diags.sorted(), include_drafts=include_drafts, withdrawn=withdrawn,
        rankings=ranked,
    )


def _relate(column: list[Entry], count: int, known: dict[str, list], ranked: dict[str, list]) -> None:
    """Related notices: neighbours in the same column, preferring shared tags, then closeness in time.

    The ranking (~6 us a notice) reads only the column's order, each notice's time and tags, and
    ``count``: keyed by those, a column whose key the last build ranked (``known``) takes its
    ranking from there (an edit elsewhere, or to a body).  ``ranked`` gets this build's."""
    if count <= 0:
        return
    times = [e.notice.date.timestamp() for e in column]
    tags = [e.notice.tags for e in column]
    key = hashlib.blake2b(repr((count, [e.notice.source for e in column], times, tags)).encode("utf-8"),
                          digest_size=16).hexdigest()
    chosen = known.get(key)
    if not (type(chosen) is list and len(chosen) == len(column)):
        chosen = _rank(times, tags, count)
    ranked[key] = chosen
    for entry, indices in zip(column, chosen):
        entry.related = [column[j] for j in indices]


def _rank(times: list[float], tags: list, count: int) -> list[list[int]]:
    """For each notice of a column, the indices of its ``count`` related notices."""
    span = max(8, count * 2)
    bits: dict[str, int] = {}
    masks = []  # each notice's tags as bits of an int: shared tags = popcount of the AND
    for names in tags:
        mask = 0
        for tag in names:
            mask |= bits.setdefault(tag, 1 << len(bits))
        masks.append(mask)
    size = len(times)
    chosen = []
    for index in range(size):
        own_time, own_mask = times[index], masks[index]
        near = [*range(max(0, index - span), index), *range(index + 1, min(size, index + span + 1))]
        if own_mask:
            ranked = sorted([(-(own_mask & masks[j]).bit_count(), abs(times[j] - own_time), j) for j in near])
        else:
            ranked = sorted([(0, abs(times[j] - own_time), j) for j in near])
        chosen.append([r[2] for r in ranked[:count]])
    return chosen