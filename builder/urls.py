"""Output paths and the relative URLs between them.

Every link in the site is relative, so ``output/`` works from ``file://``, on an
intranet share and under a sub-path (GitHub Pages project sites) alike.
"""

from __future__ import annotations

import re
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


_PLAIN = re.compile(r"[A-Za-z0-9/._~-]*")  # what quote() leaves as it is (fullmatch: not "a\n")


def relative(from_page: str, target: str) -> str:
    """URL of ``target`` (output-relative path) as seen from ``from_page``."""
    return _relative(from_page.rpartition("/")[0], target)


@lru_cache(maxsize=131072)
def _relative(directory: str, target: str) -> str:
    # Pure string work on normalised output paths (os.path.relpath would consult the cwd).
    here = directory.split("/") if directory else []
    there = target.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    rel = "../" * (len(here) - common) + "/".join(there[common:])
    # paths are raw file names: "#", "?", "%" are part of them and get encoded
    return rel if _PLAIN.fullmatch(rel) else quote(rel, safe="/._-~")


def is_plain(path: str) -> bool:
    """Whether ``path`` is the same quoted as not (and so holds nothing HTML escapes either)."""
    return _PLAIN.fullmatch(path) is not None


def absolute(base_url: str, target: str) -> str:
    if target.endswith("index.html") and target.count("/") == 0:
        target = ""
    return base_url + (target if _PLAIN.fullmatch(target) else quote(target, safe="/._-~"))
