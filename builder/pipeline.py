"""The build: plain ordered stages over an explicit Site (load -> render -> publish)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import urls
from .diagnostics import BuildError, Diagnostic
from .feeds import feed_files
from .publish import OutputLock, Staging
from .render import Renderer, static_files
from .report import Reporter
from .search import build_search_index
from .site import Site, load_site
from .sitemap import robots_txt, sitemap_xml


@dataclass(frozen=True)
class BuildOptions:
    site_dir: Path
    output_dir: Path
    base_url: str | None = None
    include_drafts: bool = False
    strict: bool = False
    jobs: int | None = None
    now: datetime | None = None


@dataclass
class BuildResult:
    site: Site
    pages: int = 0  # HTML pages
    files: int = 0  # every file written
    bytes: int = 0
    seconds: float = 0.0
    warnings: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def load(options: BuildOptions, reporter: Reporter) -> Site:
    """Phase one: read and validate everything; raise BuildError with every problem."""
    reporter.stage("读取与校验")
    site = load_site(options.site_dir, include_drafts=options.include_drafts, now=options.now,
                     base_url=options.base_url, jobs=options.jobs)
    if options.strict and site.diagnostics:
        from dataclasses import replace

        raise BuildError([replace(d, level="error") for d in site.diagnostics])
    return site


def check(options: BuildOptions, reporter: Reporter) -> Site:
    return load(options, reporter)


def build(options: BuildOptions, reporter: Reporter) -> BuildResult:
    """Phase two after phase one: render everything into staging, then swap it in."""
    started = time.perf_counter()
    site = load(options, reporter)
    result = BuildResult(site, warnings=site.diagnostics)
    with OutputLock(options.output_dir, on_wait=reporter.waiting_for_lock):
        staging = Staging(options.output_dir)
        staging.begin()
        try:
            write_site(site, staging, result, reporter)
            reporter.stage("发布")
            staging.commit()
        except BaseException:
            staging.abort()
            raise
    if staging.note:
        result.notes.append(staging.note)
    result.files, result.bytes = staging.files, staging.bytes
    result.seconds = time.perf_counter() - started
    return result


def write_site(site: Site, staging: Staging, result: BuildResult, reporter: Reporter) -> None:
    renderer = Renderer(site)
    reporter.stage("生成页面")
    total = len(site.entries)
    html_paths: list[str] = []
    for index, (path, data) in enumerate(renderer.html_pages()):
        staging.write(path, data)
        html_paths.append(path)
        if index % 200 == 0:
            reporter.progress(min(index, total), total)
    reporter.progress(total, total)
    result.pages = len(html_paths)
    reporter.stage("生成订阅源与站点地图")
    for path, data in feed_files(site, renderer):
        staging.write(path, data)
    staging.write("sitemap.xml", sitemap_xml(site))
    staging.write("robots.txt", robots_txt(site))
    reporter.stage("复制静态文件与附件")
    for path, source in static_files(site.root):
        staging.copy(path, source)
    for source in site.assets:
        staging.copy(urls.asset_path(source), site.root / source)
    reporter.stage("生成站内搜索索引")
    index = build_search_index(staging.dir)
    staging.files += index.files
    staging.bytes += index.bytes
    if index.warning:
        result.notes.append("警告：" + index.warning)


def summary_line(result: BuildResult) -> str:
    site = result.site
    published = len(site.published)
    parts = [f"发布公告 {published} 篇", f"草稿 {site.drafts} 篇"]
    if site.scheduled:
        first = site.scheduled[0].publish_at
        parts.append(f"定时 {len(site.scheduled)} 篇（最近一篇 {first:%Y-%m-%d %H:%M} 发布）")
    else:
        parts.append("定时 0 篇")
    parts.append(f"已过期 {site.expired} 篇")
    size = result.bytes / 1048576
    return (f"构建完成：{'，'.join(parts)}；写入页面 {result.pages} 个（共 {result.files} 个文件，{size:.1f} MB），"
            f"用时 {result.seconds:.2f} 秒。")
