"""The build: plain ordered stages over an explicit Site (load -> plan -> render -> publish).

Incremental by construction: every page is planned with a key that digests its
context and the current values of everything its last rendering read (see
:mod:`builder.pagedeps`); pages whose key is unchanged since the last build of the
same output folder are neither rendered nor rewritten, the rest are rendered (over
forked worker processes, as many as ``--jobs`` or the CPU count, when there are
many) into a staging folder that starts as a hard-linked copy of the unchanged part
of ``output/`` and is swapped in atomically at the end.
"""

from __future__ import annotations

import gc
import hashlib
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import chain
from datetime import datetime
from pathlib import Path

from . import __version__, checks, urls, workers
from .cache import BuildCache, Manifest, digest, output_id, written_after, written_files
from .codeprint import code_digest
from .config import load_config
from .diagnostics import FIELDS as DIAGNOSTIC_FIELDS, BuildError, Diagnostic, Diagnostics
from .publish import OutputCheck, OutputLock, Staging
from .report import Reporter
from .site import Site, build_now, discover, load_site

# Rendering modules (Jinja2, feedgen, lxml) are imported only when something has to be
# rendered, so that a build with nothing to do starts and ends in a fraction of a second.

PARALLEL_RENDER = 600  # pages; below this a worker pool costs more than it saves
PREFETCH_MIN = 2000  # pages; from this size on, output/ is hard-linked into staging in the background
SEARCH_DIR = "search/"


def _search_enabled(site: Site) -> bool:
    """The search stage runs unless site.yaml says ``search: {enabled: false}``."""
    return site.config.search.enabled


@dataclass(frozen=True)
class BuildOptions:
    site_dir: Path
    output_dir: Path
    base_url: str | None = None
    include_drafts: bool = False
    strict: bool = False
    jobs: int | None = None
    now: datetime | None = None
    use_cache: bool = True
    audio: bool = False  # render broadcast scripts to WAV with espeak-ng
    # False (serve's preview): keep the last search index when notices change instead of indexing
    # the changed shards again; a real build re-indexes.
    fresh_search: bool = True
    exits_after: bool = False  # the command line: the process exits right after (see _leave_for_exit)


@dataclass(frozen=True)
class Summary:
    """What a build published; kept in the manifest so that a no-change build can report it too."""

    published: int
    drafts: int
    scheduled: int
    next_scheduled: datetime | None
    expired: int
    now: datetime | None = None
    base_url: str = ""
    scheduled_notices: tuple = ()  # (file, title, publish_at, path)
    expired_notices: tuple = ()  # (file, title, expires, path)


@dataclass
class BuildResult:
    summary: Summary
    pages: int = 0  # HTML pages in the site
    rendered: int = 0  # HTML pages rendered in this build (the rest were unchanged)
    files: int = 0  # files written in this build
    bytes: int = 0
    seconds: float = 0.0
    parsed: int = 0  # notices parsed in this build
    warnings: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unchanged: bool = False  # nothing to do: output/ left as it was
    site: Site | None = None
    plan: object = None  # the broadcast plan (broadcast.BroadcastPlan)


def summarize(site: Site) -> Summary:
    expired = [e for e in site.published if e.expired]
    return Summary(
        len(site.published), site.drafts, len(site.scheduled),
        site.scheduled[0].publish_at if site.scheduled else None, site.expired, site.now, site.config.base_url,
        tuple((n.source, n.title, n.publish_at, f"{n.date:%Y}/{n.date:%m}/{n.slug}.html") for n in site.scheduled),
        tuple((e.notice.source, e.title, e.notice.expires, e.path) for e in expired),
    )


SKIPPED_DIRS = {"content", "templates", "output", "node_modules", "__pycache__"}


def site_yaml_files(site_dir: Path) -> list[Path]:
    """Every YAML file of the site outside content/ and templates/ (site.yaml, term lists, a
    pronunciation lexicon in a subfolder such as data/pron.yaml): each can change an output."""
    found = []
    for dirpath, dirs, names in os.walk(site_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS
                         and not (dirpath == str(site_dir) and d.startswith("output")))
        found.extend(Path(dirpath) / n for n in sorted(names) if n.endswith((".yaml", ".yml")))
    return sorted(found)


def templates_digest(site_dir: Path) -> str:
    """The site's own templates/ (when it has one) and the built-in templates, names and bytes."""
    from .render import BUILTIN_TEMPLATES

    h = hashlib.blake2b(digest_size=16)
    own = (site_dir / "templates").resolve()
    for base in ([own] if own.is_dir() and own != BUILTIN_TEMPLATES else []) + [BUILTIN_TEMPLATES]:
        for file in sorted(base.rglob("*")):
            if file.is_file():
                h.update(str(file.relative_to(base)).encode())
                h.update(file.read_bytes())
    return h.hexdigest()


def _yaml_digest(site_dir: Path, with_site_yaml: bool = True) -> str:
    """site.yaml without its ``deploy:`` block (deploy targets render nothing) and the other YAML files
    beside it (pronunciation lexicon, term lists), names and bytes."""
    from .config import CONFIG_FILE
    from .config.deploy import without_deploy_section

    h = hashlib.blake2b(digest_size=16)
    for file in site_yaml_files(site_dir):
        rel = file.relative_to(site_dir)
        if str(rel) == CONFIG_FILE and not with_site_yaml:
            continue
        h.update(str(rel).encode())
        data = file.read_bytes()
        h.update(without_deploy_section(data) if str(rel) == CONFIG_FILE else data)
    return h.hexdigest()


def render_fingerprint(site_dir: Path, base_url: str, include_drafts: bool, audio: bool = False,
                       templates: str | None = None) -> str:
    """Everything outside content/ that can change what a build does: site.yaml (but its deploy
    targets) and the other YAML files beside it, templates, the whole builder and its libraries.
    Equal to the last build's (and content/ unchanged): nothing to do.  Which outputs a change
    re-renders is decided by the stages' own fingerprints (:func:`stage_fingerprints`)."""
    return digest(__version__, base_url, include_drafts, audio, _yaml_digest(site_dir), code_digest(),
                  templates or templates_digest(site_dir))


@dataclass(frozen=True)
class StageFingerprints:
    """Per output stage, everything outside content/ its output can depend on: the builder modules it
    can run (:func:`~builder.codeprint.code_digest` of its entry module), the parts of the typed
    config it reads, and templates where it renders them.  Content enters by the stages' own keys."""

    pages: str  # HTML pages (and the page keys' validity: what a page read last time)
    feeds: str  # RSS / Atom
    broadcast: str  # broadcast/ (scripts, playlists, SSML, CAP, the broadcaster's page)
    search: str  # search/ (its shards are also keyed by the pages' keys)

    def as_dict(self) -> dict:
        return {"pages": self.pages, "feeds": self.feeds, "broadcast": self.broadcast, "search": self.search}


def stage_fingerprints(site_dir: Path, config, include_drafts: bool, audio: bool = False,
                       templates: str | None = None) -> StageFingerprints:
    """The config parts: ``config.core()`` (site, columns, home, footer, search, xxgk; what
    templates see as ``site``) for pages, feeds and the broadcaster's page; ``broadcast``/
    ``regions`` and the YAML files beside site.yaml (the pronunciation lexicon) for the broadcast
    outputs only; ``search`` for the index.  ``deploy``, ``check``, ``terms`` are in none."""
    templates = templates or templates_digest(site_dir)
    core = repr(config.core())
    common = (__version__, include_drafts)
    return StageFingerprints(
        pages=digest(common, code_digest("builder.render"), templates, core),
        feeds=digest(common, code_digest("builder.feeds"), core),
        broadcast=digest(common, code_digest("builder.broadcast.outputs"), templates, core, repr(config.broadcast),
                         audio, _yaml_digest(site_dir, with_site_yaml=False)),
        # builder.searchindex runs in processes of its own (python -m): named here, since nothing imports it.
        search=digest(common, code_digest("builder.search", "builder.searchindex"), repr(config.search)),
    )


def load(options: BuildOptions, reporter: Reporter, cache: BuildCache | None = None) -> Site:
    """Phase one: read and validate everything; raise BuildError with every problem."""
    return load_all(options, reporter, cache)[0]


def load_all(options: BuildOptions, reporter: Reporter, cache: BuildCache | None = None):
    """Phase one including the broadcast scripts (validated and composed, not yet written)."""
    reporter.stage("读取与校验")
    site = _load_checked(options, reporter, cache, dict(now=options.now, base_url=options.base_url))
    plan = _broadcast_plan(site, cache, reporter)
    _strict(options, site.diagnostics)
    return site, plan


def _load_checked(options: BuildOptions, reporter: Reporter, cache: BuildCache | None, extra: dict,
                  fingerprint: str = "") -> Site:
    """load_site plus the editorial checks (错敏字, schemas by kind, links, columns).

    With the render ``fingerprint`` (a build that will render), templates are compiled
    while the parsing workers run.
    """
    site = _load_site(options, cache, extra, fingerprint)
    _check_site(site, options, reporter, cache)
    return site


def _load_site(options: BuildOptions, cache: BuildCache | None, extra: dict, fingerprint: str = "") -> Site:
    warm_up = partial(_warm_up, options.site_dir, fingerprint) if fingerprint else None
    try:
        return load_site(options.site_dir, include_drafts=options.include_drafts, jobs=options.jobs,
                         cache=cache, while_waiting=warm_up, **extra)
    except BuildError as exc:  # still report 错敏字 and schema problems of every readable file
        more = checks.check_files(options.site_dir, options.include_drafts, extra.get("config"))
        raise BuildError(sorted(set(exc.diagnostics) | set(more))) from None


def _check_site(site: Site, options: BuildOptions, reporter: Reporter, cache: BuildCache | None,
                plan=None, checked: workers.Aside | None = None) -> None:
    """The editorial checks; BuildError with every error found so far (``plan``: the broadcast
    plan's, when it was made first; ``checked``: the checks already running aside, see
    :func:`_checks_aside`)."""
    reporter.stage("编辑检查（错敏字、链接、栏目）")
    found = checked.result() if checked is not None else checks.check_site(site, cache, options.jobs)
    # the same finding twice is reported once (keyed by its fields: hashed in C, not by the generated __hash__)
    merged = [*{DIAGNOSTIC_FIELDS(d): d for d in chain(site.diagnostics, found)}.values()]
    if plan is not None:
        merged += plan.diagnostics
    site.diagnostics = sorted(merged, key=DIAGNOSTIC_FIELDS)
    if any(d.level == "error" for d in site.diagnostics):
        raise BuildError(site.diagnostics)


def _checks_aside(site: Site, cache: BuildCache | None, jobs: int | None) -> workers.Aside:
    """:func:`checks.check_site` in a forked child (it reads the loaded site only, and writes its own
    cache file): ~1 s at 100,000 notices that overlaps planning.  The cache files the child had to
    ignore come back with its findings."""
    known = len(cache.problems) if cache is not None else 0

    def encode(found: list[Diagnostic]) -> tuple:
        return [DIAGNOSTIC_FIELDS(d) for d in found], cache.problems[known:] if cache is not None else []

    def decode(plain: tuple) -> list[Diagnostic]:
        found = [Diagnostic(*fields) for fields in plain[0]]
        if cache is not None:
            cache.problems.extend(map(str, plain[1]))
        return found

    return workers.Aside(partial(checks.check_site, site, cache, jobs), encode, decode, jobs)


def _warm_up(site_dir: Path, fingerprint: str) -> threading.Thread:
    """While parsing workers run, the otherwise idle main process imports the rendering modules
    and compiles the templates (~0.3 s that would otherwise come after parsing)."""

    def work() -> None:
        try:
            from . import feeds, render, sitemap  # noqa: F401
            from .broadcast import outputs  # noqa: F401

            render.warm_environment(site_dir, fingerprint)
        except Exception:  # noqa: BLE001 - only a head start; the real rendering reports problems
            pass

    thread = threading.Thread(target=work, name="warm-up", daemon=True)
    thread.start()
    return thread


def _broadcast_plan(site: Site, cache: BuildCache | None, reporter: Reporter, merge: bool = True):
    """The broadcast plan; ``merge``: its diagnostics go into the site's now (BuildError on an
    error), else the caller merges them (:func:`_check_site`)."""
    from .broadcast import script as broadcast

    reporter.stage("广播稿")
    plan = broadcast.plan(site, cache)
    if merge:
        if any(d.level == "error" for d in plan.diagnostics):
            raise BuildError(sorted(site.diagnostics + plan.diagnostics))
        site.diagnostics = sorted(site.diagnostics + plan.diagnostics)
    return plan


def _strict(options: BuildOptions, diagnostics: list[Diagnostic]) -> None:
    """--strict: warnings fail the build (notices, such as drafts awaiting review, do not)."""
    warnings = [d for d in diagnostics if d.level == "warning"]
    if options.strict and warnings:
        raise BuildError([replace(d, level="error") for d in warnings])


def check(options: BuildOptions, reporter: Reporter) -> Site:
    """Validate only: reads the cache a build left, writes nothing under the site."""
    cache = BuildCache(options.site_dir, options.output_dir, enabled=options.use_cache, read_only=True)
    try:
        return load(options, reporter, cache)
    finally:
        _report_cache(cache, reporter)


def build(options: BuildOptions, reporter: Reporter) -> BuildResult:
    started = time.perf_counter()
    cache = BuildCache(options.site_dir, options.output_dir, enabled=options.use_cache)
    try:
        with (OutputLock(options.output_dir, on_wait=reporter.waiting_for_lock),
              _collector_paused(restore=not options.exits_after)):
            result = _build_locked(options, reporter, cache)
    finally:
        _report_cache(cache, reporter)
    result.seconds = time.perf_counter() - started
    return result


def _report_cache(cache: BuildCache, reporter: Reporter) -> None:
    """Cache files that failed validation were ignored (never trusted); say so once."""
    for name in sorted(set(cache.problems)):
        reporter.note(f"提示：增量缓存文件 .cache/notice-pipeline/{name} 无法验证（已被改动、已损坏、"
                      "来自其他电脑或其他版本），已忽略，改为完整读取；构建结果不受影响。")
    cache.problems.clear()


@contextmanager
def _collector_paused(restore: bool = True):
    """No cyclic garbage collection in the main process during a build.

    Loading a big site creates millions of long-lived objects (100,000 cached notices),
    and every full collection walks all of them again: at 100,000 notices that was
    about a third of an incremental build.  A build's own cyclic garbage is small; worker
    processes turn the collector back on, and it is back on when the build ends -- unless
    ``restore`` is false (the command line, which only prints the summary and exits): turned
    back on, the collector's first full pass over the tables left for the exit took ~0.5 s.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled and restore:
            gc.enable()


def _build_locked(options: BuildOptions, reporter: Reporter, cache: BuildCache) -> BuildResult:
    output = options.output_dir
    Staging(output).recover()  # a build killed mid-swap leaves the old output to restore
    from .search import EarlyIndex

    EarlyIndex(output).discard_leftovers()  # and perhaps the scratch folder of an early search index
    discovered = _discover_aside(options.site_dir, options.jobs)
    try:
        return _build_discovering(options, reporter, cache, discovered)
    finally:
        discovered.close()


def _discover_aside(site_dir: Path, jobs: int | None) -> workers.Aside:
    """:func:`discover` of content/ in a forked child while this process loads the manifest (each
    ~0.5 s at 100,000 notices); what it reported comes back with it.  Marshal keeps the paths
    interned and shared, as discover() made them."""

    def compute() -> tuple:
        diags = Diagnostics()
        return discover(site_dir, diags), diags.items

    def encode(found: tuple) -> tuple:
        return found[0], [DIAGNOSTIC_FIELDS(d) for d in found[1]]

    def decode(plain: tuple) -> tuple:
        (notices, others, stamps), fields = plain
        if not (type(notices) is list and type(others) is dict and type(stamps) is dict):
            raise ValueError("not what discover() returns")
        return (notices, others, stamps), [Diagnostic(*f) for f in fields]

    return workers.Aside(compute, encode, decode, jobs)


def _build_discovering(options: BuildOptions, reporter: Reporter, cache: BuildCache,
                       discovered: workers.Aside) -> BuildResult:
    manifest = cache.load_manifest()
    # output/ compared with the manifest's record of it by a forked child while content/ is discovered
    # and the site loaded
    check = OutputCheck(options.output_dir, manifest) if manifest is not None else None
    try:
        return _build_checking(options, reporter, cache, discovered, manifest, check)
    finally:
        if check is not None:
            check.close()


def _build_checking(options: BuildOptions, reporter: Reporter, cache: BuildCache, discovered: workers.Aside,
                    manifest: Manifest | None, check: OutputCheck | None) -> BuildResult:
    from .search import EarlyIndex

    output = options.output_dir
    current_id = output_id(output)
    if manifest is not None and manifest.output_id != current_id:
        if check.restored():
            manifest.output_id = current_id  # the same output restored elsewhere (a CI cache)
        else:
            manifest = None  # output/ was replaced or edited by something else: start over

    # Fast path: no input changed since the manifest was written, and no moment has passed
    # at which time alone changes the site.
    reporter.stage("检查变化")
    diags = Diagnostics()
    config = load_config(options.site_dir, diags)
    if config is None:
        raise BuildError(diags.sorted())
    if options.base_url:
        config = config.with_base_url(options.base_url)
    inputs, found = discovered.result()
    diags.extend(found)
    templates = templates_digest(options.site_dir)
    fingerprint = render_fingerprint(options.site_dir, config.base_url, options.include_drafts, options.audio,
                                     templates)
    now = options.now or build_now()
    verified = False
    if (manifest is not None and not diags.items and manifest.render_fp == fingerprint
            and manifest.inputs == inputs[2] and manifest.include_drafts == options.include_drafts
            and (manifest.now_boundary is None or now < manifest.now_boundary)
            and (manifest.built_now is None or now >= manifest.built_now)
            and not (options.fresh_search and manifest.search_stale)):
        # Nothing to do -- if output/ is as that build left it.  (When something is to do, output/ is
        # verified once the site is loaded: the child listing it has had the time.)
        manifest, damaged = _verify_output(manifest, check, reporter)
        verified = True
        if manifest is not None and not damaged:
            _strict(options, manifest.warnings)
            return BuildResult(replace(manifest.summary, now=now.astimezone(config.tz)),
                               pages=len(manifest.pages) + 1, warnings=manifest.warnings, unchanged=True)
    if manifest is not None:  # compared: from here on only discover()'s record (site.inputs) and this build's
        manifest.inputs, manifest.warnings = {}, []  # warnings are kept in memory (~45 MB at 100,000 notices)

    stages = stage_fingerprints(options.site_dir, config, options.include_drafts, options.audio, templates)
    staging = Staging(output)
    if (manifest is not None and manifest.stages.get("pages") == stages.pages
            and len(manifest.pages) >= PREFETCH_MIN):
        staging.prefetch(list(manifest.pages) + list(manifest.files))  # most of output/ carries over
    early = EarlyIndex(output)
    try:
        return _build_changed(options, reporter, cache, manifest, staging, config, inputs, fingerprint, stages,
                              now, current_id, found=diags.items, early=early, check=check, verified=verified)
    except BaseException:
        staging.abort()
        raise
    finally:
        early.close()  # stops what is still indexing ahead, deletes its scratch folder


def _verify_output(manifest: Manifest, check: OutputCheck, reporter: Reporter) -> tuple[Manifest | None, list[str]]:
    """output/ compared with what the last build wrote: the manifest without the damaged files, or None
    when it has no record to compare; and the damaged files."""
    damaged = check.damaged()
    if damaged is None:
        return None, []  # no record of what was written: nothing to verify against
    if damaged:
        _forget_damaged(manifest, damaged, reporter)
    return manifest, damaged


def _forget_damaged(manifest: Manifest, damaged: list[str], reporter: Reporter) -> None:
    """Files changed or removed in output/ since the last build are rendered and written again
    (never carried over); a damaged search index is rebuilt whole."""
    reporter.note(f"提示：输出目录中有 {len(damaged)} 个文件在上次构建之后被改动或删除（例如 {damaged[0]}），"
                  "本次重新生成它们。")
    gone = set(damaged)
    if any(p.startswith(SEARCH_DIR) for p in gone):
        gone.update(p for p in manifest.files if p.startswith(SEARCH_DIR))
        manifest.search_key = ""
    manifest.pages = {p: k for p, k in manifest.pages.items() if p not in gone}
    manifest.files = {p: k for p, k in manifest.files.items() if p not in gone}


def _build_changed(options: BuildOptions, reporter: Reporter, cache: BuildCache, manifest: Manifest | None,
                   staging: Staging, config, inputs: tuple, fingerprint: str, stages: StageFingerprints,
                   now: datetime, current_id: tuple, found: list[Diagnostic] = (),
                   early=None, check: OutputCheck | None = None, verified: bool = False) -> BuildResult:
    """``found``: what loading site.yaml and discovering content/ reported (e.g. a FIFO);
    ``fingerprint``: the whole (recorded for the next build's nothing-to-do test); ``stages``: per stage;
    ``early``: a :class:`search.EarlyIndex` to index the edited notices' shards ahead of planning;
    ``check``: output/ compared with ``manifest`` (see :class:`publish.OutputCheck`), asked for here
    unless output/ was ``verified`` already."""
    site = _load_site(options, cache, dict(now=now, config=config, inputs=inputs, found=found), stages.pages)
    # The editorial checks read the loaded site only: a forked child makes them (~1 s at 100,000 notices)
    # while this process verifies output/, plans the broadcast and the pages.
    checked = _checks_aside(site, cache, options.jobs)
    try:
        return _build_loaded(options, reporter, cache, manifest, staging, site, checked, inputs, fingerprint,
                             stages, now, current_id, early, check, verified)
    finally:
        checked.close()


def _build_loaded(options: BuildOptions, reporter: Reporter, cache: BuildCache, manifest: Manifest | None,
                  staging: Staging, site: Site, checked: workers.Aside, inputs: tuple, fingerprint: str,
                  stages: StageFingerprints, now: datetime, current_id: tuple, early, check: OutputCheck | None,
                  verified: bool) -> BuildResult:
    """:func:`_build_changed` once the site is loaded (``checked``: its editorial checks, running aside)."""
    output = options.output_dir
    if manifest is not None and not verified:  # before anything below reads the manifest's pages
        manifest, _damaged = _verify_output(manifest, check, reporter)
    # What the last build left in output/ (path -> size, mtime), true of every file it recorded that is
    # not damaged: the files carried over below keep these (see written_after)
    before = manifest.written if manifest is not None else {}
    plan = _broadcast_plan(site, cache, reporter, merge=False)
    from .broadcast.outputs import links
    from .render import Renderer

    # A stage switched off in site.yaml publishes nothing: no files, no sitemap entry, no links to it.
    broadcast_on, search_on = plan.settings.enabled, _search_enabled(site)
    renderer = Renderer(site, {"broadcast_links": links(plan), "search_enabled": search_on}, stages.pages,
                        jobs=options.jobs)
    # What each page read last time; only meaningful under the same pages fingerprint (the code pages
    # can run, templates, the config they see).
    same = manifest is not None and manifest.stages.get("pages") == stages.pages
    if (early is not None and same and search_on and options.fresh_search
            and not any(d.level == "error" for d in plan.diagnostics)):
        # Before the editorial checks are in (~1 s at 100,000 notices): they cannot change a page. If
        # they find an error, the build stops and closing ``early`` stops the index processes.
        _index_early(early, site, renderer, manifest, options, stages.pages, stages.search)
    from .broadcast import script as broadcast
    from .broadcast.outputs import INDEX_PAGE as BROADCAST_PAGE, broadcast_files, lastmod, render_audio
    from .render import static_files
    from .sitemap import robots_txt

    old_pages = manifest.pages if manifest else {}
    old_files = manifest.files if manifest else {}
    # The broadcaster page's date: its newest script, else the site's newest notice (never the clock).
    extra = {BROADCAST_PAGE: lastmod(plan)} if broadcast_on else {}
    # Every owner's version (planning's first step, ~0.3 s at 100,000 notices), before the child below
    # forks: it has them then, and uses them for the feeds.
    renderer.values.versions()
    # The feeds and the sitemap read the loaded site only: a forked child makes them while this process
    # plans the pages (~0.5 s at 100,000 notices off the critical path).
    listed = workers.Aside(partial(_feeds_and_sitemap, site, renderer, stages.feeds, old_files, extra, search_on),
                           list, list, options.jobs)
    try:
        reporter.stage("规划页面")
        old_reads = manifest.page_reads if same else {}
        jobs = renderer.plan(stages.pages, old_reads, manifest.page_values if same else None,
                             manifest.owner_versions if same else None, old_pages if same else None)
        _check_site(site, options, reporter, cache, plan, checked)
        _strict(options, site.diagnostics)
        reporter.stage("生成订阅源、站点地图与静态文件")
        feeds_and_sitemap = listed.result()
    finally:
        listed.close()
    notes: list[str] = []
    wavs: dict[str, bytes] = {}
    seconds: dict[str, float] = {}
    if options.audio:
        reporter.stage("生成广播音频")
        wavs, seconds, problem = render_audio(plan, reporter)
        if problem:
            notes.append(problem)
    todo = [job for job in jobs if not job.key or old_pages.get(job.path) != job.key]
    pages = {job.path: job.key for job in jobs}  # rendered pages get their key once rendered
    page_reads = {job.path: old_reads[job.path] for job in jobs if job.key and job.path in old_reads}
    page_values = {job.path: job.values for job in jobs if job.key}
    if same:  # planning consumed them: what is still needed is in the new tables (memory at 100,000 pages)
        manifest.page_reads = manifest.page_values = manifest.owner_versions = {}
        old_reads = None

    files: dict[str, str] = {}
    payloads: dict[str, bytes | Path] = {}

    def add(path: str, data: bytes | Path, key: str | None = None) -> None:
        files[path] = key or digest(data if isinstance(data, bytes) else data.read_bytes())
        if old_files.get(path) != files[path]:
            payloads[path] = data

    for path, key, data in feeds_and_sitemap[:-1]:  # the feeds
        files[path] = key
        if data is not None:
            payloads[path] = data
    if broadcast_on:
        reporter.stage("生成广播稿")
        for path, key, data in broadcast_files(plan, renderer, wavs, seconds, stages.broadcast, old_files,
                                                  previous=options.output_dir):
            files[path] = key
            if data is not None and old_files.get(path) != key:
                payloads[path] = data
    path, key, data = feeds_and_sitemap[-1]
    files[path] = key
    if data is not None:
        payloads[path] = data
    add("robots.txt", robots_txt(site))
    for path, source in static_files(site.root, broadcast=broadcast_on, search=search_on):
        add(path, source)
    for source in site.assets:
        add(urls.asset_path(source), site.root / source, digest(site.inputs.get(source)))

    result = BuildResult(summarize(site), pages=len(jobs) + 1, rendered=len(todo), parsed=site.parsed,
                         warnings=site.diagnostics, site=site, notes=notes)
    boundary = min(m for m in (site.next_change(), broadcast.next_change(plan)) if m is not None)
    new_manifest = Manifest(render_fp=fingerprint, stages=stages.as_dict(), inputs=site.inputs,
                            now_boundary=boundary, built_now=now,
                            include_drafts=options.include_drafts, pages=pages, files=files,
                            summary=result.summary, warnings=site.diagnostics, page_reads=page_reads,
                            page_values=page_values, owner_versions=renderer.values.versions())
    todo_set = set(todo)
    search_key = ""
    shards_todo: list = []
    shards_all: list = []
    if search_on:
        from .search import LISTING, index_available, plan_shards, shard_of

        # A page to render counts as changed here; the shards are keyed by the rendered keys below.
        shards_all = plan_shards([(job.path, pages[job.path] if job not in todo_set else "") for job in jobs
                                  if job.method == "notice_page"], salt=stages.search)
        search_key = digest(stages.search, [s.key for s in shards_all])
        old_index = {p: k for p, k in old_files.items() if p.startswith(SEARCH_DIR)}
        if manifest is not None and old_index and manifest.search_key != search_key and not options.fresh_search:
            files.update(old_index)  # a preview: the last index is good enough
            new_manifest.search_stale = True
            search_key = manifest.search_key  # what the carried-over index was built from
        elif not index_available():
            from .search import UNAVAILABLE

            notes.append("警告：" + UNAVAILABLE)
        else:
            by_shard: dict[str, dict[str, str]] = {}
            for p, k in old_index.items():
                by_shard.setdefault(shard_of(p), {})[p] = k
            for shard in shards_all:
                old = by_shard.get(shard.name)
                if old and all(k == shard.key for k in old.values()):
                    files.update(old)  # re-indexed only when one of its pages changed
                else:
                    shards_todo.append(shard)
            if not shards_todo and old_files.get(LISTING) == search_key:
                files[LISTING] = search_key
    removed = [p for p in old_pages if p not in pages] + [p for p in old_files if p not in files]
    if manifest is not None and not todo and not payloads and not removed:
        staging.abort()
        result.unchanged = True
        new_manifest.output_id = current_id
        new_manifest.written = manifest.written  # nothing was written
        new_manifest.search_key = search_key
        cache.save_manifest(new_manifest)
        _leave_for_exit(options, locals())
        return result

    keep = None
    if manifest is not None:
        changed = {job.path for job in todo} | set(payloads) | set(removed)
        keep = [p for p in list(old_pages) + list(old_files) if p not in changed]
    staging.begin(keep=keep)
    if manifest is not None:  # the last build's page keys and listing are used up: free them (100,000 pages)
        manifest.pages, manifest.written = {}, {}
        old_pages = None
    try:
        reporter.stage(f"生成页面（{len(todo)} / {len(jobs)}）")
        for index, reads in _render_pages(renderer, todo, staging, reporter, options.jobs):
            job = todo[index]
            pages[job.path], page_values[job.path], page_reads[job.path] = renderer.key(job, reads)
        renderer.values.forget()  # the values looked up to key them: ~1 KB a page after a full render
        if shards_todo:  # the same shards, now keyed by the pages as rendered
            redo = {s.name for s in shards_todo}
            shards_all = plan_shards([(job.path, pages[job.path]) for job in jobs if job.method == "notice_page"],
                                     salt=stages.search)
            shards_todo = [s for s in shards_all if s.name in redo]
            search_key = digest(stages.search, [s.key for s in shards_all])
        reporter.stage("写入其他文件")
        for path, data in sorted(payloads.items()):
            if isinstance(data, Path):
                staging.copy(path, data)
            else:
                staging.write(path, data)
        if shards_all and LISTING not in files and index_available():
            _search_stage(site, staging, shards_all, shards_todo, files, search_key, result, reporter, options.jobs,
                          early)
        new_manifest.search_key = search_key
        reporter.stage("发布")
        cache.forget_manifest()  # until the swap succeeds, no manifest describes output/
        staging.commit()
    except BaseException:
        staging.abort()
        raise
    new_manifest.output_id = output_id(output)
    if keep is not None and before and not staging.note:  # (a note: synced into a mount point, new times)
        from .ownership import MARKER

        new_manifest.written = written_after(output, before, set(keep), [*pages, *files, MARKER])
    else:
        new_manifest.written = written_files(output, intern=True)
    cache.save_manifest(new_manifest)
    if staging.note:
        result.notes.append(staging.note)
    result.plan = plan
    result.files, result.bytes = staging.files, staging.bytes
    _leave_for_exit(options, locals())
    return result


def _feeds_and_sitemap(site: Site, renderer, fingerprint: str, old_files: dict[str, str], extra: dict,
                       search: bool) -> list[tuple[str, str, bytes | None]]:
    """(path, key, bytes or None when the last build wrote the same) of every feed, then of sitemap.xml."""
    from .feeds import feed_files
    from .sitemap import SITEMAP, sitemap_xml

    made = list(feed_files(site, renderer, fingerprint, old_files))
    data = sitemap_xml(site, extra=extra, search=search, catalogue=renderer.catalogue)
    key = digest(data)
    made.append((SITEMAP, key, data if old_files.get(SITEMAP) != key else None))
    return made


_LEFT_FOR_EXIT: list[dict] = []


def _leave_for_exit(options: BuildOptions, tables: dict) -> None:
    """When the process exits right after the build (``build.py`` leaves with ``os._exit``), the
    build's tables -- keys, reads and jobs of 115,000 pages at 100,000 notices -- are left to the
    exit instead of being freed object by object when the build returns (~0.4 s)."""
    if options.exits_after:
        _LEFT_FOR_EXIT.append(tables)


def _search_stage(site: Site, staging: Staging, shards_all: list, shards_todo: list, files: dict[str, str],
                  search_key: str, result: BuildResult, reporter: Reporter, jobs: int | None, early=None) -> None:
    """Re-index the shards whose pages changed (or take what ``early`` indexed of them), then write
    the shard listing."""
    from .search import LISTING, MEMORY_BUDGET_MB, build_shards, listing

    ahead = len(early.started & {s.name for s in shards_todo}) if early is not None else 0
    reporter.stage(f"生成站内搜索索引（{len(shards_todo)} / {len(shards_all)} 个分片"
                   + (f"，{ahead} 个已在编辑检查前开始）" if ahead else "）"))
    index = build_shards(Path(staging.dir), shards_todo, jobs, site.config.search.memory_mb or MEMORY_BUDGET_MB,
                         early)
    staging.files += index.files
    staging.bytes += index.bytes
    if index.warning:
        result.notes.append("警告：" + index.warning)
    files.update(index.written)
    present = {p.split("/")[1] for p in files if p.startswith(SEARCH_DIR) and p.count("/") > 1}
    built = [s for s in shards_all if s.name in present]
    if built:
        data, indexed = listing(Path(staging.dir), built)
        staging.write(LISTING, data)
        files[LISTING] = search_key if len(built) == len(shards_all) else ""
        if indexed == 0 and site.entries:
            from .search import NO_TEXT

            result.notes.append("警告：" + NO_TEXT)


EARLY_PAGES = 50  # notice pages rendered ahead for an early search index; more: an ordinary search stage


def _index_early(early, site: Site, renderer, manifest: Manifest, options: BuildOptions, fingerprint: str,
                 salt: str) -> None:
    """Start indexing the shards of the notice pages this build will render again, before planning.

    Which pages change is known from the owners (notices, site-wide tables) whose version
    changed since the last build and what each notice page read then; those pages are
    rendered now and indexed with the shard's other pages as published.  Only a few pages
    in as many shards as may run at once; :meth:`search.EarlyIndex.take` checks afterwards
    that the index covers exactly what was written.
    """
    from .search import MEMORY_BUDGET_MB, concurrent_processes, index_available, plan_shards

    changed = renderer.values.changed(manifest.owner_versions)
    if not changed or not index_available():
        return
    reads, pages = manifest.page_reads, manifest.pages
    entries = site.entries
    stale = []
    for index, entry in enumerate(entries):
        old = reads.get(entry.path)
        if not isinstance(old, tuple) or entry.path not in pages or not changed.isdisjoint(old[0]):
            stale.append(index)
            if len(stale) > EARLY_PAGES:
                return
    budget_mb = site.config.search.memory_mb or MEMORY_BUDGET_MB
    try:
        # A page that read a changed owner keeps its key when the values it read did not change (a
        # title in a neighbour's list, when only the body was edited): keyed as planning will key it.
        jobs = [renderer.job(fingerprint, "notice_page", (i,), reads, manifest.page_values, changed) for i in stale]
        jobs = [job for job in jobs if job.key != pages.get(job.path)]
        if not jobs:
            return
        shards = plan_shards([(entry.path, "") for entry in entries], salt=salt)
        todo = [s for s in shards if any(s.holds(job.path) for job in jobs)]
        if len(todo) > concurrent_processes(todo, options.jobs, budget_mb):
            return  # not all at once within the budget: the ordinary search stage does better
        fresh = {job.path: renderer.run(job)[0] for job in jobs}
    except Exception:  # noqa: BLE001 - planning and rendering below report the problem properly
        return
    members: dict[str, list[str]] = {s.name: [] for s in todo}
    for entry in [*entries, *site.withdrawn]:
        for shard in todo:
            if shard.holds(entry.path):
                members[shard.name].append(entry.path)
    early.start(todo, members, fresh, options.output_dir)


# --- rendering over worker processes -------------------------------------------------------------

_render_state: dict = {}


def _render_chunk(indices: list[int]) -> tuple[int, int, list]:
    renderer, todo, staging = _render_state["renderer"], _render_state["todo"], _render_state["staging"]
    files, size = staging.files, staging.bytes
    reads = []
    for index in indices:
        data, read = renderer.run(todo[index])
        staging.write(todo[index].path, data)
        reads.append((index, read))
    return staging.files - files, staging.bytes - size, reads


def _render_pages(renderer, todo: list, staging: Staging, reporter: Reporter,
                  jobs: int | None) -> list[tuple[int, str]]:
    """Render and write every page of ``todo``; returns (index in todo, what the page read)."""
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    total = len(todo)
    import multiprocessing

    from .pagedeps import interned

    reads: list[tuple[int, str]] = []
    if jobs <= 1 or total < PARALLEL_RENDER or "fork" not in multiprocessing.get_all_start_methods():
        for index, job in enumerate(todo):
            data, read = renderer.run(job)
            staging.write(job.path, data)
            reads.append((index, read))
            if index % 500 == 0:
                reporter.progress(index, total)
        reporter.progress(total, total)
        return reads
    # Forked workers inherit the loaded site; each renders interleaved slices and writes
    # its own files, so only counts and the pages' reads travel back.
    _render_state.update(renderer=renderer, todo=todo, staging=staging)
    gc.freeze()  # the site's objects stay out of the workers' garbage collections (and copy-on-write)
    step = 250
    chunks = [list(range(start, min(start + step, total))) for start in range(0, total, step)]
    done = 0
    try:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=gc.enable) as pool:
            for files, size, read in pool.imap_unordered(_render_chunk, chunks):
                staging.files += files
                staging.bytes += size
                reads += [(i, interned(r)) for i, r in read]  # the copies unpickled die with their chunk
                done += files
                reporter.progress(done, total)
    finally:
        _render_state.clear()
        gc.unfreeze()
    return reads


def summary_line(result: BuildResult) -> str:
    s = result.summary
    parts = [f"发布公告 {s.published} 篇", f"草稿 {s.drafts} 篇"]
    if s.scheduled:
        parts.append(f"定时 {s.scheduled} 篇（最近一篇 {s.next_scheduled:%Y-%m-%d %H:%M} 发布）")
    else:
        parts.append("定时 0 篇")
    parts.append(f"已过期 {s.expired} 篇")
    if result.unchanged:
        return f"构建完成：{'，'.join(parts)}；内容没有变化，输出目录保持不变（{result.pages} 个页面），用时 {result.seconds:.2f} 秒。"
    size = result.bytes / 1048576
    return (f"构建完成：{'，'.join(parts)}；写入页面 {result.rendered} 个（网站共 {result.pages} 个页面，"
            f"本次写入 {result.files} 个文件，{size:.1f} MB），用时 {result.seconds:.2f} 秒。")
