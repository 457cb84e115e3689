"""Render stage: pure functions from the loaded :class:`Site` to output files.

Each ``*_pages`` function yields ``(output_path, bytes)``; the writer decides
where the bytes go.  Templates come from the site's own ``templates/`` first,
then the built-in ones.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Iterator

import jinja2

from . import __version__, urls
from .dates import format_day, format_minute
from .site import Entry, Site

BUILTIN_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LEVEL_CLASS = {"日常": "normal", "蓝色": "blue", "黄色": "yellow", "橙色": "orange", "红色": "red"}
LEVEL_NAME = {"蓝色": "蓝色预警", "黄色": "黄色预警", "橙色": "橙色预警", "红色": "红色预警", "日常": "日常"}


def template_dirs(site_root: Path) -> list[Path]:
    dirs = []
    own = (site_root / "templates").resolve()
    if own.is_dir() and own != BUILTIN_TEMPLATES:
        dirs.append(own)
    dirs.append(BUILTIN_TEMPLATES)
    return dirs


def make_environment(site_root: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs(site_root)]),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
    )
    env.filters["minute"] = format_minute
    env.filters["day"] = format_day
    env.filters["filesize"] = filesize
    env.globals["LEVEL_CLASS"] = LEVEL_CLASS
    env.globals["LEVEL_NAME"] = LEVEL_NAME
    env.globals["version"] = __version__
    return env


def filesize(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1048576:.1f} MB"


@dataclass(frozen=True)
class Crumb:
    title: str
    path: str


@dataclass(frozen=True)
class Pager:
    number: int
    count: int
    paths: tuple[str, ...]

    @property
    def prev(self) -> str | None:
        return self.paths[self.number - 2] if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.paths[self.number] if self.number < self.count else None


_HREF_RE = re.compile(r'(src|href)="([^"]*)"')


class Renderer:
    """Holds the template environment and site-wide context for one build."""

    def __init__(self, site: Site, extra_context: dict | None = None):
        self.site = site
        self.config = site.config
        self.env = make_environment(site.root)
        self.by_source = site.entry_for_source()
        nav = [Crumb("首页", urls.HOME)] + [Crumb(c.name, urls.column_page(c.slug)) for c in self.config.categories]
        self.common = {
            "site": self.config,
            "nav": nav,
            "categories": self.config.categories,
            "include_drafts": site.include_drafts,
            "tag_paths": {t.name: urls.tag_page(t.slug) for t in site.tags},
        }
        self.common.update(extra_context or {})  # e.g. broadcast_links from the broadcast stage
        self._templates: dict[str, jinja2.Template] = {}

    # -- helpers ----------------------------------------------------------------------------------

    def template(self, name: str) -> jinja2.Template:
        if name not in self._templates:
            self._templates[name] = self.env.get_template(name)
        return self._templates[name]

    def render(self, name: str, path: str, **context) -> bytes:
        context.update(self.common)
        context["page_path"] = path
        context["url"] = partial(urls.relative, path)
        context["canonical"] = urls.absolute(self.config.base_url, path)
        return self.template(name).render(context).encode("utf-8")

    def body_for(self, entry: Entry, path: str) -> str:
        """Rewrite local references in the body: notices to their pages, files to files/."""
        notice = entry.notice
        if not notice.assets and not notice.links:
            return notice.body_html
        links = dict(notice.links)
        from .notice import resolve_local

        def repl(match: re.Match) -> str:
            attr, raw = match.group(1), match.group(2)
            ref = html.unescape(raw)
            fragment = "#" + ref.split("#", 1)[1] if "#" in ref else ""
            if ref in links:
                target = self.by_source.get(links[ref])
                if target is None:
                    return f'{attr}="{raw}"'
                return f'{attr}="{html.escape(urls.relative(path, target.path) + fragment)}"'
            local = resolve_local(ref, notice.source)
            if local and local in notice.assets:
                return f'{attr}="{html.escape(urls.relative(path, urls.asset_path(local)) + fragment)}"'
            return match.group(0)

        return _HREF_RE.sub(repl, notice.body_html)

    # -- page kinds -------------------------------------------------------------------------------

    def notice_pages(self) -> Iterator[tuple[str, bytes]]:
        for entry in self.site.entries:
            yield entry.path, self.notice_page(entry)

    def notice_page(self, entry: Entry) -> bytes:
        category = self.config.category(entry.notice.category)
        return self.render(
            "notice.html", entry.path, entry=entry, notice=entry.notice, category=category,
            body=self.body_for(entry, entry.path), asset=urls.asset_path,
            crumbs=[Crumb("首页", urls.HOME), Crumb(category.name, urls.column_page(category.slug))],
        )

    def home_page(self) -> Iterator[tuple[str, bytes]]:
        current = [e for e in self.site.entries if e.current]
        blocks = [(c, [e for e in self.site.by_category[c.name] if e.current][: self.config.home_per_category])
                  for c in self.config.categories]
        yield urls.HOME, self.render(
            "index.html", urls.HOME, latest=current[: self.config.home_latest], blocks=blocks,
            emergencies=self.site.emergencies, crumbs=[],
        )

    def paginated(self, template: str, entries: list[Entry], page_for, **context) -> Iterator[tuple[str, bytes]]:
        size = self.config.page_size
        count = max(1, math.ceil(len(entries) / size))
        paths = tuple(page_for(n) for n in range(1, count + 1))
        for number in range(1, count + 1):
            pager = Pager(number, count, paths)
            chunk = entries[(number - 1) * size: number * size]
            yield paths[number - 1], self.render(template, paths[number - 1], entries=chunk, pager=pager,
                                                 total=len(entries), **context)

    def column_pages(self) -> Iterator[tuple[str, bytes]]:
        for category in self.config.categories:
            yield from self.paginated(
                "list.html", self.site.by_category[category.name], partial(urls.column_page, category.slug),
                heading=category.name, category=category, kind="column",
                feeds=(urls.column_feed(category.slug, "rss"), urls.column_feed(category.slug, "atom")),
                crumbs=[Crumb("首页", urls.HOME)],
            )

    def tag_pages(self) -> Iterator[tuple[str, bytes]]:
        counts = [(t, len(self.site.by_tag[t.name])) for t in self.site.tags]
        yield urls.TAGS_INDEX, self.render("tags.html", urls.TAGS_INDEX, tags=counts,
                                           crumbs=[Crumb("首页", urls.HOME)])
        for tag in self.site.tags:
            yield from self.paginated(
                "list.html", self.site.by_tag[tag.name], partial(urls.tag_page, tag.slug),
                heading=f"标签：{tag.name}", category=None, kind="tag", feeds=(),
                crumbs=[Crumb("首页", urls.HOME), Crumb("标签", urls.TAGS_INDEX)],
            )

    def archive_pages(self) -> Iterator[tuple[str, bytes]]:
        months = sorted(self.site.by_month, reverse=True)
        years: dict[int, list[tuple[int, int]]] = {}
        for year, month in months:
            years.setdefault(year, []).append((month, len(self.site.by_month[(year, month)])))
        yield urls.ARCHIVES_INDEX, self.render("archives.html", urls.ARCHIVES_INDEX, years=years, year=None,
                                               crumbs=[Crumb("首页", urls.HOME)])
        for year, month_counts in years.items():
            path = urls.year_page(year)
            yield path, self.render("archives.html", path, years={year: month_counts}, year=year,
                                    crumbs=[Crumb("首页", urls.HOME), Crumb("归档", urls.ARCHIVES_INDEX)])
        for year, month in months:
            path = urls.month_page(year, month)
            yield path, self.render(
                "list.html", path, entries=self.site.by_month[(year, month)], pager=None,
                total=len(self.site.by_month[(year, month)]),
                heading=f"{year}年{month}月", category=None, kind="archive", feeds=(),
                crumbs=[Crumb("首页", urls.HOME), Crumb("归档", urls.ARCHIVES_INDEX),
                        Crumb(f"{year}年", urls.year_page(year))],
            )

    def static_pages(self) -> Iterator[tuple[str, bytes]]:
        columns = [(c, self.site.by_category[c.name]) for c in self.config.categories]
        yield urls.SITEMAP_PAGE, self.render("sitemap.html", urls.SITEMAP_PAGE, columns=columns,
                                             tags=self.site.tags, months=sorted(self.site.by_month, reverse=True),
                                             crumbs=[Crumb("首页", urls.HOME)])
        yield urls.CONTACT_PAGE, self.render("contact.html", urls.CONTACT_PAGE, crumbs=[Crumb("首页", urls.HOME)])
        yield urls.SEARCH_PAGE, self.render("search.html", urls.SEARCH_PAGE, crumbs=[Crumb("首页", urls.HOME)])
        yield urls.NOT_FOUND, self.render("404.html", urls.NOT_FOUND, crumbs=[])

    def html_pages(self) -> Iterator[tuple[str, bytes]]:
        yield from self.home_page()
        yield from self.notice_pages()
        yield from self.column_pages()
        yield from self.tag_pages()
        yield from self.archive_pages()
        yield from self.static_pages()


def static_files(site_root: Path) -> list[tuple[str, Path]]:
    """(output path, source file) for static assets; a site's own files override built-in ones."""
    found: dict[str, Path] = {}
    for base in reversed(template_dirs(site_root)):
        static = base / "static"
        if not static.is_dir():
            continue
        for file in sorted(static.rglob("*")):
            if file.is_file() and not file.name.startswith("."):
                found[urls.STATIC + "/" + file.relative_to(static).as_posix()] = file
    return sorted(found.items())
