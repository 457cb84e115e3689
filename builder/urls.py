"""Output paths and the relative URLs between them.

Every link in the site is relative, so ``output/`` works from ``file://``, on an
intranet share and under a sub-path (GitHub Pages project sites) alike.
"""

from __future__ import annotations

import posixpath
from functools import lru_cache
from urllib.parse import quote

HOME = "index.html"
SITEMAP_PAGE = "sitemap.html"
CONTACT_PAGE = "contact.html"
SEARCH_PAGE = "search.html"
NOT_FOUND = "404.html"
TAGS_INDEX = "tags/index.html"
ARCHIVES_INDEX = "archives/index.html"
FEED_RSS = "feed.xml"
FEED_ATOM = "atom.xml"
STATIC = "static"


def column_page(slug: str, number: int = 1) -> str:
    return f"{slug}/index.html" if number == 1 else f"{slug}/index_{number}.html"


def tag_page(slug: str, number: int = 1) -> str:
    return f"tags/{slug}/index.html" if number == 1 else f"tags/{slug}/index_{number}.html"


def month_page(year: int, month: int) -> str:
    return f"archives/{year:04d}/{month:02d}/index.html"


def year_page(year: int) -> str:
    return f"archives/{year:04d}/index.html"


def column_feed(slug: str, kind: str) -> str:
    return f"{slug}/{FEED_RSS if kind == 'rss' else FEED_ATOM}"


def asset_path(source: str) -> str:
    """content/2022/05/photo.jpg -> files/2022/05/photo.jpg"""
    return "files/" + source.split("/", 1)[1]


@lru_cache(maxsize=65536)
def relative(from_page: str, target: str) -> str:
    """URL of ``target`` (output-relative path) as seen from ``from_page``."""
    start = posixpath.dirname(from_page) or "."
    rel = posixpath.relpath(target, start)
    return quote(rel, safe="/._-~")  # paths are raw file names: "#", "?", "%" are part of them


def absolute(base_url: str, target: str) -> str:
    if target.endswith("index.html") and target.count("/") == 0:
        target = ""
    return base_url + quote(target, safe="/._-~")
