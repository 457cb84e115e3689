"""sitemap.xml (every HTML page with its lastmod) and robots.txt."""

from __future__ import annotations

from datetime import datetime
from html import escape

from . import urls
from .feeds import EPOCH
from .site import Site

SITEMAP = "sitemap.xml"


def page_dates(site: Site, search: bool = True, catalogue=None) -> dict[str, datetime]:
    """Last modification of every listed HTML page, derived from the notices it shows (never the clock).

    ``catalogue``: the site's 政府信息公开目录 when the caller has already built it (the renderer has)."""
    dates: dict[str, datetime] = {}
    config = site.config
    every = site.entries
    lastmod = {e: e.notice.updated or e.date for e in every}  # looked up in C for every list page below

    def newest(entries) -> datetime | None:
        try:
            return max(map(lastmod.__getitem__, entries), default=None)
        except KeyError:  # a list of notices not among the site's entries
            return max((e.notice.updated or e.date for e in entries), default=None)

    def put(path: str, when: datetime | None) -> None:
        dates[path] = when or EPOCH

    overall = newest(every)
    put(urls.HOME, overall)
    dates.update(zip([e.path for e in every], lastmod.values()))  # an entry's date is never None
    size = config.page_size
    for category in config.categories:
        entries = site.by_category[category.name]
        chunks = [entries[i:i + size] for i in range(0, len(entries), size)] or [[]]
        for number, chunk in enumerate(chunks, 1):
            put(urls.column_page(category.slug, number), newest(chunk) or overall)
    put(urls.TAGS_INDEX, overall)
    for tag in site.tags:
        entries = site.by_tag[tag.name]
        for number, start in enumerate(range(0, len(entries), size), 1):
            put(urls.tag_page(tag.slug, number), newest(entries[start:start + size]))
    put(urls.ARCHIVES_INDEX, overall)
    years: dict[int, list] = {}
    for (year, month), entries in site.by_month.items():
        put(urls.month_page(year, month), newest(entries))
        years.setdefault(year, []).extend(entries)
    for year, entries in years.items():
        put(urls.year_page(year), newest(entries))
    from . import xxgk

    if catalogue is None:
        catalogue = xxgk.build(site)
    if catalogue.documents:
        put(xxgk.INDEX, newest(catalogue.documents))
        for facet in catalogue.facets:
            for _value, path, entries in facet.values:
                put(path, newest(entries))
    put(urls.SITEMAP_PAGE, overall)
    put(urls.CONTACT_PAGE, overall)
    if search:
        put(urls.SEARCH_PAGE, overall)
    return dates


def sitemap_xml(site: Site, extra: dict[str, datetime | None] | None = None, search: bool = True,
                catalogue=None) -> bytes:
    """``extra``: pages of other stages with their dates; None stands for the site's newest notice."""
    dates = page_dates(site, search, catalogue)
    for path, when in (extra or {}).items():
        dates[path] = when or dates[urls.HOME]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    base = site.config.base_url
    prefix = escape(base)
    for path in sorted(dates):  # a notice's path below a folder is itself as an absolute URL's tail
        loc = prefix + path if "/" in path and urls.is_plain(path) else escape(urls.absolute(base, path))
        lines.append(f"  <url><loc>{loc}</loc><lastmod>{dates[path].isoformat(timespec='seconds')}</lastmod></url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def robots_txt(site: Site) -> bytes:
    return (f"User-agent: *\nAllow: /\n\nSitemap: {urls.absolute(site.config.base_url, SITEMAP)}\n").encode()
