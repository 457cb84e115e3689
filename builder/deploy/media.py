"""What each published file is (Content-Type) and how long browsers may keep it.

One table serves both the object-storage upload (headers set per object) and the
nginx configuration (``types``/``charset``/``expires``), so the two cannot disagree.
"""

from __future__ import annotations

import mimetypes

UTF8 = "; charset=utf-8"

# Longest suffix first: ".cap.xml" before ".xml", ".gb18030.txt" before ".txt".
SUFFIX_TYPES = (
    (".gb18030.txt", "text/plain; charset=gb18030"),
    (".cap.xml", "application/cap+xml" + UTF8),
    (".html", "text/html" + UTF8),
    (".xml", "application/xml" + UTF8),
    (".ssml", "application/ssml+xml" + UTF8),
    (".txt", "text/plain" + UTF8),
    (".css", "text/css" + UTF8),
    (".js", "text/javascript" + UTF8),
    (".mjs", "text/javascript" + UTF8),
    (".json", "application/json" + UTF8),
    (".svg", "image/svg+xml"),
    (".wav", "audio/wav"),
    (".wasm", "application/wasm"),
    (".png", "image/png"),
    (".jpg", "image/jpeg"),
    (".jpeg", "image/jpeg"),
    (".gif", "image/gif"),
    (".webp", "image/webp"),
    (".ico", "image/x-icon"),
    (".pdf", "application/pdf"),
)
NAME_TYPES = {
    "feed.xml": "application/rss+xml" + UTF8,
    "atom.xml": "application/atom+xml" + UTF8,
}

SHORT = "no-cache"  # revalidate every time: an emergency notice must show at once
DAY = 86400
STATIC_AGE = 7 * DAY  # static/ and files/: names carry no content hash, so not "immutable"


def content_type(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    if name in NAME_TYPES:
        return NAME_TYPES[name]
    for suffix, kind in SUFFIX_TYPES:
        if name.endswith(suffix):
            return kind
    guessed, _enc = mimetypes.guess_type(name, strict=False)
    if guessed and guessed.startswith("text/"):
        return guessed + UTF8
    return guessed or "application/octet-stream"


def cache_control(path: str) -> str:
    if path.startswith(("static/", "files/")) or path.endswith(".wav"):
        return f"public, max-age={STATIC_AGE}"
    return SHORT


def upload_rank(path: str) -> int:
    """Upload order for stores without an atomic switch: a page is uploaded only after
    what it links to, the home page and feeds last.

    0 files pages link to (images, attachments, CSS, scripts, broadcast scripts, search chunks);
    1 single pages (notices, contact, search) and the search entry point;
    2 list pages (columns, tags, archives, the broadcast index and its JSON);
    3 the home page, feeds and sitemaps.
    """
    name = path.rsplit("/", 1)[-1]
    if path in ("index.html", "sitemap.xml", "sitemap.html", "robots.txt") or name in ("feed.xml", "atom.xml"):
        return 3
    if name.endswith(".html"):
        if name == "index.html" or (name.startswith("index_") and "/" in path) or path.startswith(("tags/", "archives/")):
            return 2
        return 1
    if path.startswith("broadcast/") and name.endswith(".json") or path.startswith("broadcast/daily/"):
        return 2
    if path == "search/index.json":  # the search index's listing, after the shards it lists
        return 1
    return 0
