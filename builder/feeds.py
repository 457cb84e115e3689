"""RSS 2.0 and Atom feeds (feedgen), site-wide and per column.

Feed dates are pinned to the newest notice, never the build time, so that two
builds of the same content give the same bytes.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from typing import Iterator
from urllib.parse import urljoin

from feedgen.feed import FeedGenerator

from . import __version__, urls
from .cache import digest
from .render import Renderer
from .site import Entry, Site


EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)  # "updated" of a feed with no entries


def _feed(site: Site, entries: list[Entry], title: str, page: str, rss_path: str, atom_path: str,
          full: bool, renderer: Renderer) -> tuple[bytes, bytes]:
    bodies = {}
    if full:
        bodies = {e.path: _absolutize(renderer.body_for(e, e.path), e.path, site.config.base_url) for e in entries}
    rss = _generator(site, entries, title, page, rss_path, bodies, rss=True).rss_str(pretty=True)
    atom = _generator(site, entries, title, page, atom_path, bodies).atom_str(pretty=True)
    return rss, atom


def _generator(site: Site, entries: list[Entry], title: str, page: str, self_path: str,
               bodies: dict[str, str], rss: bool = False) -> FeedGenerator:
    config = site.config
    fg = FeedGenerator()
    fg.id(urls.absolute(config.base_url, page))
    fg.title(title)
    fg.subtitle(config.description or title)
    fg.language("zh-CN")
    # feedgen's RSS channel <link> is the last link() given: the self link first, then the website
    fg.link(href=urls.absolute(config.base_url, self_path), rel="self")
    fg.link(href=urls.absolute(config.base_url, page), rel="alternate")
    fg.author({"name": config.default_source or config.title})
    fg.generator("Notice Pipeline", version=__version__)
    fg.rights(config.footer.sponsor or config.title)
    newest = max((e.notice.updated or e.date for e in entries), default=None)
    fg.updated(newest or EPOCH)
    # feedgen prepends entries; add oldest first so the newest comes first in the file
    for entry in reversed(entries):
        notice = entry.notice
        fe = fg.add_entry()
        link = urls.absolute(config.base_url, entry.path)
        fe.id(link)
        fe.guid(link, permalink=True)
        # Many RSS readers render an item <title> that looks like markup as HTML; a title
        # with "<" is escaped once more so they show the characters (Atom titles are plain text).
        fe.title(html.escape(notice.title, quote=False) if rss and "<" in notice.title else notice.title)
        fe.link(href=link)
        fe.published(notice.date)
        fe.updated(notice.updated or notice.date)
        for name in notice.authors or (notice.origin,):
            fe.author({"name": name})
        fe.category({"term": notice.category, "label": notice.category})
        for tag in notice.tags:
            fe.category({"term": tag})
        # RSS readers treat <description> as HTML: escape the plain-text summary so that
        # "<img onerror=...>" typed by an editor stays text (Atom gets type="html" to match).
        fe.summary(html.escape(notice.summary or notice.title, quote=False), type="html")
        if entry.path in bodies:
            fe.content(bodies[entry.path], type="html")
    return fg


def _absolutize(body: str, page: str, base_url: str) -> str:
    """Feed readers have no page location: every src/href becomes absolute.

    Relative (``photo.jpg``, ``../06/a.html``) resolves against the page; root-relative
    (``/files/a.pdf``) against the site root, which is ``base_url`` including its sub-path;
    protocol-relative (``//cdn.example/a.js``) takes ``base_url``'s scheme; ``#anchor`` the page.
    """
    scheme = base_url.split(":", 1)[0] if ":" in base_url else "https"

    def repl(match: re.Match) -> str:
        attr, ref = match.group(1), match.group(2)
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", ref):
            return match.group(0)
        if ref.startswith("//"):
            return f'{attr}="{scheme}:{ref}"'
        if ref.startswith("/"):
            return f'{attr}="{base_url}{ref.lstrip("/")}"'
        return f'{attr}="{urljoin(base_url + page, ref)}"'

    return re.sub(r'(src|href)="([^"]*)"', repl, body)


def feed_files(site: Site, renderer: Renderer, fingerprint: str = "",
               known: dict[str, str] | None = None) -> Iterator[tuple[str, str, bytes | None]]:
    """Yield (path, key, bytes) for every feed; bytes is None when ``known`` already has that key.

    A feed's key digests the notices it lists (their digests and URLs), so an
    incremental build regenerates only the feeds an edit touches.
    """
    config = site.config
    known = known or {}
    published = [e for e in site.entries if e.status == "published"]
    feeds = [(published[: config.feed_size], config.title, urls.HOME, urls.FEED_RSS, urls.FEED_ATOM,
              config.feed_content == "full")]
    for category in config.categories:
        entries = [e for e in site.by_category[category.name] if e.status == "published"][: config.feed_size]
        feeds.append((entries, f"{category.name}_{config.title}", urls.column_page(category.slug),
                      urls.column_feed(category.slug, "rss"), urls.column_feed(category.slug, "atom"),
                      (category.feed_content or config.feed_content) == "full"))
    for entries, title, page, rss_path, atom_path, full in feeds:
        key = digest(fingerprint, rss_path, title, full, [(e.path, e.notice.digest) for e in entries])
        if known.get(rss_path) == key and known.get(atom_path) == key:
            yield rss_path, key, None
            yield atom_path, key, None
            continue
        rss, atom = _feed(site, entries, title, page, rss_path, atom_path, full, renderer)
        yield rss_path, key, rss
        yield atom_path, key, atom
