"""Render stage: the site's HTML pages from the loaded :class:`Site`.

:meth:`Renderer.plan` lists every page as a :class:`PageJob`; each page kind is a method
returning a :class:`Page` (template, path, context) that :meth:`Renderer.run` renders.
Templates come from the site's own ``templates/`` first, then the built-in ones.  Templates
see notices only through recording views (:mod:`builder.pagedeps`), so every page's key is
derived from what its rendering actually read, whatever the templates show.
"""

from __future__ import annotations

import html
import math
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from hashlib import blake2b
from pathlib import Path
from urllib.parse import urljoin

import jinja2

from . import __version__, pagedeps, urls, workers
from . import xxgk as xxgk_mod
from .cache import digest
from .notice import resolve_local
from .dates import format_day, format_minute
from .site import Entry, Site

# Site-wide tables in the common context that templates look things up in.
TABLES = ("tag_paths", "broadcast_links")
# Tables of the 政府信息公开 catalogue that a notice page's context looks its own source up in when it
# is rendered (recorded like the others): who interprets a document, what a 解读 interprets, facet pages.
CATALOGUE_TABLES = ("xxgk_interpretations", "xxgk_originals", "xxgk_facet_pages")
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
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "default": pagedeps.json_default}
    return env


# Environments with their templates compiled, by template folders and render fingerprint (which
# digests every template, so a key never matches changed templates): made ahead of time by
# pipeline's warm-up thread while the parsing workers run, or kept from the last build in this
# process (serve).  Only the newest is kept.
_environments: dict[tuple, jinja2.Environment] = {}
PAGE_TEMPLATES = ("notice.html", "list.html", "index.html", "archives.html", "tags.html", "sitemap.html",
                  "contact.html", "search.html", "404.html")


def _environment_key(site_root: Path, fingerprint: str) -> tuple:
    return tuple(str(d) for d in template_dirs(site_root)), fingerprint


def _keep_environment(key: tuple, env: jinja2.Environment) -> None:
    _environments.clear()
    _environments[key] = env


def warm_environment(site_root: Path, fingerprint: str) -> None:
    env = make_environment(site_root)
    for name in PAGE_TEMPLATES:
        try:
            env.get_template(name)
        except jinja2.TemplateError:
            return  # reported when the page is rendered for real
    _keep_environment(_environment_key(site_root, fingerprint), env)


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

    def __repr__(self) -> str:  # the generated one guards against recursion: slow for ~20,000 per plan
        return f"Crumb({self.title!r}, {self.path!r})"


class PagePaths(Sequence):
    """The paths of a list's pages 1..count, made on demand by ``page_for(number)``: a page shows a
    few of them, and a column of 5,000 pages would otherwise build (and describe, in every page's
    key) 5,000 paths for each of its pages.  Described by the function and its arguments (their
    code is in the pages' fingerprint), so the description is complete and the same every build."""

    __slots__ = ("_page_for", "_count")

    def __init__(self, page_for: partial, count: int) -> None:
        self._page_for, self._count = page_for, count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self._page_for(n + 1) for n in range(*index.indices(self._count)))
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        return self._page_for(index + 1)

    def __eq__(self, other) -> bool:
        return isinstance(other, PagePaths) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))

    def __repr__(self) -> str:
        f = self._page_for
        return f"PagePaths({f.func.__module__}.{f.func.__qualname__}, {f.args!r}, {f.keywords!r}, {self._count})"


@dataclass(frozen=True)
class Pager:
    number: int
    count: int
    paths: PagePaths

    def __repr__(self) -> str:
        return f"Pager({self.number}, {self.count}, {self.paths!r})"

    @property
    def prev(self) -> str | None:
        return self.paths[self.number - 2] if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.paths[self.number] if self.number < self.count else None

    @property
    def window(self) -> list[tuple[int, str]]:
        """The numbered links shown: the first, the last, and three either side of the current page."""
        shown = sorted({1, self.count, *range(max(1, self.number - 3), min(self.count, self.number + 3) + 1)})
        return [(n, self.paths[n - 1]) for n in shown]


@dataclass(frozen=True)
class NavLink:
    title: str
    path: str
    href: str  # relative to the page being rendered


COLUMN_OWNER = "#column:"  # + a column's name: the version of its list (Renderer._list_versions)
TAG_OWNER = "#tag:"  # + a tag's name
_SOURCE = operator.attrgetter("notice.source")


def _sources_version(head: str, entries: list[Entry]) -> str:
    """Digest of ``head`` and the notices of a list, in order (NUL is in no file name)."""
    text = "\0".join([head, *map(_SOURCE, entries)])
    return blake2b(text.encode("utf-8", "surrogateescape"), digest_size=12).hexdigest()


def _plain_job(job: PageJob) -> tuple:
    return job.path, job.key, job.method, job.args, job.static, job.values


def _job_from_plain(plain: tuple) -> PageJob:
    return PageJob(*plain)


_HREF_RE = re.compile(r'(src|href)="([^"]*)"')
_FIRST_IMG = re.compile(r'<img\s[^>]*?src="([^"]*)"')


@dataclass(slots=True, eq=False)
class PageJob:
    """One HTML page to write: ``Renderer.run(job)`` renders it.

    ``static`` digests the template, the path, the fingerprint and the page's context by identity;
    ``key`` adds the current values of what the page read when it was last rendered ("" when
    there is no such record): a key equal to the stored one means the bytes would be the same.
    One job a page, compared and hashed by identity: not frozen, planning makes one for each of a
    site's pages every build (a frozen one took ~0.05 s longer at 100,000 notices).
    """

    path: str
    key: str
    method: str
    args: tuple
    static: str = ""
    values: str | None = None  # digest of the values the page read last time, as they are now


@dataclass(frozen=True)
class Page:
    template: str
    path: str
    context: dict


class Renderer:
    """Holds the template environment and site-wide context for one build."""

    def __init__(self, site: Site, extra_context: dict | None = None, fingerprint: str = "",
                 jobs: int | None = None):
        self.site = site
        self.jobs = jobs  # processes planning may use (see workers.halved); None: the cores
        self.config = site.config.core()  # what pages may show of site.yaml (see pipeline.stage_fingerprints)
        key = _environment_key(site.root, fingerprint) if fingerprint else None
        self.env = (_environments.get(key) if key else None) or make_environment(site.root)
        if key:
            _keep_environment(key, self.env)
        self.by_source = site.entry_for_source()
        for entry in site.withdrawn:  # links to a withdrawn notice lead to its 撤稿说明
            self.by_source.setdefault(entry.notice.source, entry)
        nav = [Crumb("首页", urls.HOME)] + [Crumb(c.name, urls.column_page(c.slug)) for c in self.config.categories]
        self.common = {
            "site": self.config,
            "nav": nav,
            "categories": self.config.categories,
            "include_drafts": site.include_drafts,
            "tag_paths": {t.name: urls.tag_page(t.slug) for t in site.tags},
            "search_enabled": True,  # false: no search page, and no page links to one
        }
        self.catalogue = xxgk_mod.build(site)  # 政府信息公开目录 and 解读 links
        self.common["xxgk_index"] = xxgk_mod.INDEX if self.catalogue.documents else ""  # every footer links it
        self.common.update(extra_context or {})  # e.g. broadcast_links from the broadcast stage
        # Site-wide lookup tables: pages get recording views of them (a new tag must not
        # re-render every page, only those that looked it up).
        self.tables = {name: self.common[name] for name in TABLES if name in self.common}
        self.tables.update(zip(CATALOGUE_TABLES, (
            self.catalogue.interpretations, self.catalogue.originals,
            {(facet.kind, value): path for facet in self.catalogue.facets for value, path, _entries in facet.values})))
        self.values = pagedeps.SiteValues(self.by_source, self.tables, site.versions)
        self._templates: dict[str, jinja2.Template] = {}
        self._nav_by_dir: dict[str, list[NavLink]] = {}
        self._common_keys: dict[str, str] = {}
        self._planned = ""  # the common key of the last plan

    # -- helpers ----------------------------------------------------------------------------------

    def template(self, name: str) -> jinja2.Template:
        if name not in self._templates:
            self._templates[name] = self.env.get_template(name)
        return self._templates[name]

    def _nav_links(self, directory: str) -> list[NavLink]:
        links = self._nav_by_dir.get(directory)
        if links is None:
            page = directory + "/x.html" if directory else "x.html"
            links = [NavLink(c.title, c.path, urls.relative(page, c.path)) for c in self.common["nav"]]
            self._nav_by_dir[directory] = links
        return links

    def _page_context(self, path: str) -> dict:
        """What every page gets from its own path: links relative to it, the site root, nav, canonical URL."""
        directory = path.rpartition("/")[0]
        return {
            "page_path": path,
            "url": partial(urls.relative, path),
            "root": "../" * (directory.count("/") + 1) if directory else "",  # to the site root
            "nav_links": self._nav_links(directory),
            "canonical": urls.absolute(self.config.base_url, path),
        }

    def render(self, name: str, path: str, **context) -> bytes:
        """Render a template with the site-wide context (pages of other stages, e.g. the broadcaster's)."""
        context.update(self.common)
        context.update(self._page_context(path))
        return self.template(name).render(context).encode("utf-8")

    def body_for(self, entry: Entry, path: str, reads: pagedeps.Reads | None = None) -> str:
        """Rewrite local references in the body: notices to their pages, files to files/.
        ``reads``: where the path of each notice a link names is recorded as read."""
        notice = entry.notice
        body = self.site.body(notice)
        if not notice.assets and not notice.links:
            return body
        links = dict(notice.links)
        if reads is not None:
            for _ref, source in notice.links:
                reads.add(source, "e.path")

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

        return _HREF_RE.sub(repl, body)

    # -- planning: every page with the key of what it read ----------------------------------------

    def plan(self, fingerprint: str, reads: dict | None = None, values: dict | None = None,
             versions: dict | None = None, keys: dict | None = None) -> list[PageJob]:
        """Every HTML page of the site.  From the manifest: ``reads``, path -> what the page read
        when it was last rendered (a page without one gets the key "": it must be rendered);
        ``values``, path -> digest of those values then; ``versions``, every
        owner's version then (see :class:`pagedeps.SiteValues`); ``keys``, path -> the page's key then.

        A notice page's context is made from its own entry and what every page shares (see
        :meth:`notice_page`), so when neither its entry, the shared context nor any owner it read
        has another version, its key is the one it had: it is taken from ``keys`` without making
        and describing the context (~14 us a page, 1.4 s at 100,000 notices).  Column and tag pages
        (and the sitemap page) likewise, with the version of their list (:meth:`_list_versions`)."""
        site, config = self.site, self.config
        reads = reads or {}
        values = values or {}
        size = config.page_size
        common = self._planned = self._common_key(fingerprint)
        self.values.pin(pagedeps.CONTEXT_OWNER, common)
        for owner, version in self._list_versions().items():
            self.values.pin(owner, version)
        changed = self.values.changed(versions)
        quick = bool(keys) and changed is not None and pagedeps.CONTEXT_OWNER not in changed
        specs: list[tuple[str, tuple]] = []
        kept: dict[int, PageJob] = {}  # position in specs -> the job with its key from last time

        def job(method: str, *args) -> None:
            specs.append((method, args))

        def kept_job(method: str, args: tuple, path: str) -> None:
            """The next page keeps its key if no owner it read changed (the caller knows its context did not)."""
            old = reads.get(path)
            if (type(old) is tuple and changed.isdisjoint(old[0]) and (key := keys.get(path))
                    and (now := values.get(path)) is not None):
                kept[len(specs)] = PageJob(path, key, method, args, "", now)

        def list_pages(method: str, owner: str, count: int, name, path_for) -> None:
            """The pages of one list (a column's, a tag's): kept when the list did not change either."""
            keep = quick and owner not in changed
            for number in range(1, max(1, math.ceil(count / size)) + 1):
                if keep:
                    kept_job(method, (name, number), path_for(number))
                specs.append((method, (name, number)))

        job("home_page")
        for index, entry in enumerate(site.entries):
            if quick and entry.notice.source not in changed:  # made from its entry and the config
                kept_job("notice_page", (index,), entry.path)
            job("notice_page", index)
        for index in range(len(site.withdrawn)):
            job("withdrawn_page", index)
        if self.catalogue.documents:
            job("xxgk_index")
            for facet in self.catalogue.facets:
                for value, _path, _entries in facet.values:
                    job("xxgk_facet", facet.kind, value)
        for category in config.categories:
            list_pages("column_page", COLUMN_OWNER + category.name, len(site.by_category[category.name]),
                       category.name, partial(urls.column_page, category.slug))
        job("tags_index")
        for tag in site.tags:
            list_pages("tag_page", TAG_OWNER + tag.name, len(site.by_tag[tag.name]), tag.name,
                       partial(urls.tag_page, tag.slug))
        job("archives_index")
        for year in self._years():
            job("year_page", year)
        for year, month in sorted(site.by_month, reverse=True):
            job("month_page", year, month)
        if quick and not any(owner.startswith(COLUMN_OWNER) for owner in changed):
            kept_job("sitemap_page", (), urls.SITEMAP_PAGE)  # made from every column's list and the config
        job("sitemap_page")
        job("contact_page")
        if self.common["search_enabled"]:
            job("search_page")
        job("not_found_page")
        # ~14 us a page (its context described and digested): when many are left (a cold build: 1.6 s at
        # 100,000 notices), one forked child keys pages alongside this process (workers.halved: both
        # take blocks until none is left)
        memo: dict = {}  # see pagedeps.describe
        rest = [spec for i, spec in enumerate(specs) if i not in kept] if kept else specs
        made = iter(workers.halved(lambda spec: self._job(common, spec[0], spec[1], reads, values, changed, memo),
                                   rest, _plain_job, _job_from_plain, self.jobs))
        return [kept[i] if i in kept else next(made) for i in range(len(specs))]

    def _list_versions(self) -> dict[str, str]:
        """A version of every column's and tag's list (its notices in order; a tag's slug too), owners
        no page reads through a view.  A column or tag page is made from its list and the config
        alone (see :meth:`column_page`, :meth:`tag_page`), so while neither changed its context did
        not either: planning keeps its key as it keeps a notice page's."""
        found = {}
        for name, entries in self.site.by_category.items():
            found[COLUMN_OWNER + name] = _sources_version("", entries)
        for tag in self.site.tags:
            found[TAG_OWNER + tag.name] = _sources_version(tag.slug, self.site.by_tag[tag.name])
        return found

    def _common_key(self, fingerprint: str) -> str:
        """Digest of the fingerprint and what every page's context shares (part of every page's static key)."""
        key = self._common_keys.get(fingerprint)
        if key is None:
            common = {k: v for k, v in self.common.items() if k not in self.tables}
            key = self._common_keys[fingerprint] = digest(fingerprint, pagedeps.describe(common))
        return key

    def _job(self, common: str, method: str, args: tuple, reads: dict, values: dict,
             changed: frozenset | None, memo: dict | None = None) -> PageJob:
        page = getattr(self, method)(*args)
        static = pagedeps.static_key(common, method, page.template, page.path, page.context, memo)
        old = reads.get(page.path)
        if not isinstance(old, tuple):
            return PageJob(page.path, "", method, args, static)
        now = values.get(page.path)
        if now is None or changed is None or not changed.isdisjoint(old[0]):
            now = self.values.values(old)  # else none of its owners changed: nor did the values it read
        return PageJob(page.path, pagedeps.page_key(static, now), method, args, static, now)

    def job(self, fingerprint: str, method: str, args: tuple, reads: dict, values: dict,
            changed: frozenset | None) -> PageJob:
        """One page's job as :meth:`plan` makes it (same key), for a build that needs a few pages first."""
        return self._job(self._common_key(fingerprint), method, args, reads, values, changed)

    def run(self, job: PageJob) -> tuple[bytes, str]:
        """The page's bytes and what its rendering read (``Reads.frozen()``)."""
        page = getattr(self, job.method)(*job.args)
        reads = pagedeps.Reads()
        context = {k: pagedeps.wrap(v, reads, self.site) for k, v in page.context.items()}
        for name, table in self.tables.items():
            context[name] = pagedeps.TableView(name, table, reads)
        body = context.get("body")
        if isinstance(body, pagedeps.LazyBody):
            context["body"] = self.body_for(body.entry, page.path, reads)
        for name, value in list(context.items()):
            if isinstance(value, pagedeps.Lazy):
                context[name] = pagedeps.wrap(value.compute(context), reads, self.site)
        data = self._render_page(page.template, page.path, context, reads)
        return data, reads.frozen()

    def key(self, job: PageJob, reads: tuple | None) -> tuple[str, str | None, tuple | None]:
        """The key of a page just rendered, from what it read; with the digest of those values and
        the reads to keep (:func:`pagedeps.interned`)."""
        values = self.values.values(reads)
        static = job.static or self._job(self._planned, job.method, job.args, {}, {}, None).static  # a kept job
        return pagedeps.page_key(static, values), values, pagedeps.interned(reads)

    def _render_page(self, name: str, path: str, context: dict, reads) -> bytes:
        full = dict(self.common)
        full.update(context)
        full.update(self._page_context(path))
        return self.template(name).render(full).encode("utf-8")

    # -- page kinds: each returns its template, path and context -------------------------------

    def _page(self, template: str, path: str, **context) -> Page:
        return Page(template, path, context)

    def notice_page(self, index: int) -> Page:
        """A notice's page.  Its context is made from its own entry and the site's config only (what
        every page shares, in the common key): what it shows of other notices -- where links lead,
        解读 and original documents, facet pages -- is looked up when it is rendered, through
        recording views and tables.  Planning relies on this to keep a page's key while none of
        that changed (see :meth:`plan`)."""
        entry = self.site.entries[index]
        notice = entry.notice
        source = notice.source
        category = self.config.category(notice.category)
        body = pagedeps.LazyBody(entry)
        facets = tuple(self._doc_facets(entry))
        return self._page(
            "notice.html", entry.path, entry=entry, notice=notice, category=category,
            body=body, asset=urls.asset_path,
            image_url=pagedeps.Lazy(("image_url", notice.image, body.describe()),
                                    lambda context: self._image_url(entry, context["body"])),
            interpretations=pagedeps.Lazy(("interpretations", source),
                                          lambda context: context["xxgk_interpretations"].get(source, [])),
            original=pagedeps.Lazy(("original", source), lambda context: context["xxgk_originals"].get(source)),
            doc_facets=pagedeps.Lazy(("doc_facets", facets), lambda context: {
                kind: context["xxgk_facet_pages"].get((kind, value), "") for kind, value in facets}),
            crumbs=[Crumb("首页", urls.HOME), Crumb(category.name, urls.column_page(category.slug))],
        )

    def withdrawn_page(self, index: int) -> Page:
        entry = self.site.withdrawn[index]
        category = self.config.category(entry.notice.category)
        return self._page(
            "withdrawn.html", entry.path, entry=entry, notice=entry.notice, category=category,
            column_path=urls.column_page(category.slug), crumbs=[Crumb("首页", urls.HOME), Crumb(category.name, urls.column_page(category.slug))],
        )

    @staticmethod
    def _doc_facets(entry: Entry) -> list:
        if entry.notice.doc is None:
            return []
        return [(kind, xxgk_mod._facet_value(entry, kind)) for kind, _label in xxgk_mod.FACETS]

    def xxgk_index(self) -> Page:
        return self._page("xxgk.html", xxgk_mod.INDEX, catalogue=self.catalogue, entries=self.catalogue.documents,
                          heading="政府信息公开目录", facet=None, value=None, crumbs=[Crumb("首页", urls.HOME)])

    def xxgk_facet(self, kind: str, value: str) -> Page:
        facet = next(f for f in self.catalogue.facets if f.kind == kind)
        path, entries = next((p, es) for v, p, es in facet.values if v == value)
        return self._page("xxgk.html", path, catalogue=self.catalogue, entries=entries,
                          heading=f"{facet.label}：{value}", facet=facet, value=value,
                          crumbs=[Crumb("首页", urls.HOME), Crumb("政府信息公开目录", xxgk_mod.INDEX)])

    def _image_url(self, entry: Entry, body: str) -> str:
        """The Image meta: the lead image, else the body's first image, as an absolute URL."""
        page = urls.absolute(self.config.base_url, entry.path)
        if entry.notice.image:
            return urls.absolute(self.config.base_url, urls.asset_path(entry.notice.image))
        m = _FIRST_IMG.search(body)
        return urljoin(page, html.unescape(m.group(1))) if m else ""

    def _home_data(self):
        current = [e for e in self.site.entries if e.current]
        blocks = [(c, [e for e in self.site.by_category[c.name] if e.current][: self.config.home_per_category])
                  for c in self.config.categories]
        return current[: self.config.home_latest], blocks, self.site.emergencies

    def home_page(self) -> Page:
        latest, blocks, emergencies = self._home_data()
        return self._page("index.html", urls.HOME, latest=latest, blocks=blocks, emergencies=emergencies, crumbs=[])

    def _list_page(self, entries: list[Entry], number: int, page_for, **context) -> Page:
        size = self.config.page_size
        count = max(1, math.ceil(len(entries) / size))
        chunk = entries[(number - 1) * size: number * size]
        return self._page("list.html", page_for(number), entries=chunk,
                          pager=Pager(number, count, PagePaths(page_for, count)),
                          total=len(entries), **context)

    def column_page(self, name: str, number: int) -> Page:
        """Made from the column's list and the config only (see :meth:`_list_versions`)."""
        category = self.config.category(name)
        return self._list_page(
            self.site.by_category[name], number, partial(urls.column_page, category.slug),
            heading=category.name, category=category, kind="column",
            feeds=(urls.column_feed(category.slug, "rss"), urls.column_feed(category.slug, "atom")),
            crumbs=[Crumb("首页", urls.HOME)],
        )

    def tag_page(self, name: str, number: int) -> Page:
        """Made from the tag (its slug) and its list and the config only (see :meth:`_list_versions`)."""
        tag = next(t for t in self.site.tags if t.name == name)
        return self._list_page(
            self.site.by_tag[name], number, partial(urls.tag_page, tag.slug),
            heading=f"标签：{name}", category=None, kind="tag", feeds=(),
            crumbs=[Crumb("首页", urls.HOME), Crumb("标签", urls.TAGS_INDEX)],
        )

    def tags_index(self) -> Page:
        counts = [(t, len(self.site.by_tag[t.name])) for t in self.site.tags]
        return self._page("tags.html", urls.TAGS_INDEX, tags=counts, crumbs=[Crumb("首页", urls.HOME)])

    def _years(self) -> dict[int, list[tuple[int, int]]]:
        years: dict[int, list[tuple[int, int]]] = {}
        for year, month in sorted(self.site.by_month, reverse=True):
            years.setdefault(year, []).append((month, len(self.site.by_month[(year, month)])))
        return years

    def archives_index(self) -> Page:
        return self._page("archives.html", urls.ARCHIVES_INDEX, years=self._years(), year=None,
                           crumbs=[Crumb("首页", urls.HOME)])

    def year_page(self, year: int) -> Page:
        return self._page("archives.html", urls.year_page(year), years={year: self._years()[year]}, year=year,
                           crumbs=[Crumb("首页", urls.HOME), Crumb("归档", urls.ARCHIVES_INDEX)])

    def month_page(self, year: int, month: int) -> Page:
        entries = self.site.by_month[(year, month)]
        return self._page(
            "list.html", urls.month_page(year, month), entries=entries, pager=None, total=len(entries),
            heading=f"{year}年{month}月", category=None, kind="archive", feeds=(),
            crumbs=[Crumb("首页", urls.HOME), Crumb("归档", urls.ARCHIVES_INDEX), Crumb(f"{year}年", urls.year_page(year))],
        )

    def sitemap_page(self) -> Page:
        """Made from every column's list and the config only (see :meth:`plan`)."""
        columns = [(c, self.site.by_category[c.name]) for c in self.config.categories]
        return self._page("sitemap.html", urls.SITEMAP_PAGE, columns=columns, crumbs=[Crumb("首页", urls.HOME)])

    def contact_page(self) -> Page:
        return self._page("contact.html", urls.CONTACT_PAGE, crumbs=[Crumb("首页", urls.HOME)])

    def search_page(self) -> Page:
        return self._page("search.html", urls.SEARCH_PAGE, crumbs=[Crumb("首页", urls.HOME)])

    def not_found_page(self) -> Page:
        return self._page("404.html", urls.NOT_FOUND, crumbs=[])


# Static files that only a stage's own pages use: not published when site.yaml switches the stage off.
STAGE_STATIC = {"broadcast": ("static/css/broadcast.css", "static/js/broadcast.js"), "search": ("static/js/search.js",)}


def static_files(site_root: Path, broadcast: bool = True, search: bool = True) -> list[tuple[str, Path]]:
    """(output path, source file) for static assets; a site's own files override built-in ones."""
    found: dict[str, Path] = {}
    for base in reversed(template_dirs(site_root)):
        static = base / "static"
        if not static.is_dir():
            continue
        for file in sorted(static.rglob("*")):
            if file.is_file() and not file.name.startswith("."):
                found[urls.STATIC + "/" + file.relative_to(static).as_posix()] = file
    for stage, on in (("broadcast", broadcast), ("search", search)):
        if not on:
            for path in STAGE_STATIC[stage]:
                found.pop(path, None)
    return sorted(found.items())
