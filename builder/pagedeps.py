"""Recorded page dependencies: what a page's rendering actually read from the site's notices.

Templates never see the site's :class:`~builder.site.Entry` and :class:`~builder.notice.Notice`
objects themselves but views of them that note every attribute read (``entry.prev``,
``notice.summary``, ``notice.doc``…), and the two site-wide tables pages look things up in
(``tag_paths``, ``broadcast_links``) are views that note every key read.  Whatever a template
reaches — lists, neighbours, related notices, their neighbours, the body — goes through a view,
so the record is complete for any template a site supplies, built-in or its own.

A page's key is ``digest(static, values of what it read)``, where *static* digests the template,
the path, the pages fingerprint (templates, the builder modules pages can run, the config they see:
see pipeline.stage_fingerprints) and the context it is given by
identity (which notices, in which order, the pager…), and the values are looked up in the
current site.  An incremental build re-renders a page exactly when that key differs from the
key stored after its last rendering: a template is a deterministic function of its context and
of the values it reads, so if none of them changed it would read the same things and write the
same bytes.

Looking every recorded value up again costs about a second at 10,000 notices, so the manifest
also keeps, per page, the digest of the values it read and whose they were, and every owner's
*version* (a digest of everything a page can read through it): a page none of whose owners has
another version now read the same values, and its stored digest is used (:class:`SiteValues`).

A notice page's context is made from its own entry and the shared context only (the body's link
targets, its 解读 and facet pages are looked up while it renders, and so recorded), so the static
part of its key cannot change while its entry's version and :data:`CONTEXT_OWNER`'s do not: such a
page keeps its whole stored key without its context being made (Renderer.plan).  Column and tag
pages likewise, with the version of their list in place of the entry's.
"""

from __future__ import annotations

import copy
import dataclasses
import operator
import sys
from functools import partial
from hashlib import blake2b

from .cache import digest
from .notice import Notice, version_of
from .site import Entry

MISSING = "\x00missing"
CONTEXT_OWNER = "#context"  # the version of what every page's context shares (see Renderer.plan)
NAME_SEP = "\x1f"
ENTRY_LINKS = ("prev", "next")


class Reads:
    """What one page read: owner -> attribute names.  Owners are notice sources (attributes
    ``e.<name>`` of its entry, ``n.<name>`` of the notice) and ``@<table>`` (keys, ``*`` for all)."""

    __slots__ = ("by_owner",)

    def __init__(self) -> None:
        self.by_owner: dict[str, set[str]] = {}

    def add(self, owner: str, name: str) -> None:
        names = self.by_owner.get(owner)
        if names is None:
            self.by_owner[owner] = {name}
        else:
            names.add(name)

    def frozen(self) -> tuple | None:
        """What the manifest stores: ``(owners, names)``, two tuples of the same length, sorted by
        owner; ``names[i]`` is what was read of ``owners[i]``, sorted and joined by US.  Both hold
        interned strings, which the cache file stores once however many pages share them.  None
        (unknown: render again next time) in the unlikely case that a name holds the separator."""
        owners, names = [], []
        for owner, read in sorted(self.by_owner.items()):
            if any(NAME_SEP in n for n in read):
                return None
            owners.append(sys.intern(owner))
            names.append(sys.intern(NAME_SEP.join(sorted(read))))
        return tuple(owners), tuple(names)


class EntryView:
    """An :class:`Entry` as a template sees it: every attribute read is recorded."""

    __slots__ = ("_npv_entry", "_npv_reads", "_npv_site")

    def __init__(self, entry: Entry, reads: Reads, site) -> None:
        object.__setattr__(self, "_npv_entry", entry)
        object.__setattr__(self, "_npv_reads", reads)
        object.__setattr__(self, "_npv_site", site)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)  # markupsafe and Jinja probe for __html__ and the like
        entry, reads, site = self._npv_entry, self._npv_reads, self._npv_site
        reads.add(entry.notice.source, "e." + name)
        value = getattr(entry, name)
        if name == "notice":
            return NoticeView(value, reads, site)
        if name in ENTRY_LINKS:
            return EntryView(value, reads, site) if value is not None else None
        if name == "related":
            return [EntryView(e, reads, site) for e in value]
        return value

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError("read-only")

    def __eq__(self, other) -> bool:
        return self._npv_entry is _unwrap(other)

    def __hash__(self) -> int:
        return id(self._npv_entry)

    def __str__(self) -> str:
        self._npv_reads.add(self._npv_entry.notice.source, "e.*")
        return str(self._npv_entry)

    __repr__ = __str__


class NoticeView:
    """A :class:`Notice` as a template sees it; ``body_html`` is the body HTML wherever it is stored."""

    __slots__ = ("_npv_notice", "_npv_reads", "_npv_site")

    def __init__(self, notice: Notice, reads: Reads, site) -> None:
        object.__setattr__(self, "_npv_notice", notice)
        object.__setattr__(self, "_npv_reads", reads)
        object.__setattr__(self, "_npv_site", site)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        notice = self._npv_notice
        self._npv_reads.add(notice.source, "n." + name)
        if name == "body_html":
            return self._npv_site.body(notice)
        return getattr(notice, name)

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError("read-only")

    def __eq__(self, other) -> bool:
        return self._npv_notice is _unwrap(other)

    def __hash__(self) -> int:
        return id(self._npv_notice)

    def __str__(self) -> str:
        self._npv_reads.add(self._npv_notice.source, "n.*")
        return str(self._npv_notice)

    __repr__ = __str__


class TableView:
    """A site-wide lookup table (tag name -> page, notice -> broadcast script): keys read are recorded."""

    __slots__ = ("_npv_name", "_npv_table", "_npv_reads")

    def __init__(self, name: str, table: dict, reads: Reads) -> None:
        self._npv_name, self._npv_table, self._npv_reads = "@" + name, table, reads

    def _key(self, key) -> None:
        self._npv_reads.add(self._npv_name, repr(key))

    def _all(self) -> dict:
        self._npv_reads.add(self._npv_name, "*")
        return self._npv_table

    def __getitem__(self, key):
        self._key(key)
        return self._npv_table[key]

    def get(self, key, default=None):
        self._key(key)
        return self._npv_table.get(key, default)

    def __contains__(self, key) -> bool:
        self._key(key)
        return key in self._npv_table

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __bool__(self) -> bool:
        return bool(self._all())

    def keys(self):
        return self._all().keys()

    def values(self):
        return self._all().values()

    def items(self):
        return self._all().items()

    def __str__(self) -> str:
        return str(self._all())

    __repr__ = __str__


def _unwrap(value):
    if isinstance(value, EntryView):
        return value._npv_entry
    if isinstance(value, NoticeView):
        return value._npv_notice
    return value


def json_default(value):
    """For Jinja's ``tojson``: a table view is dumped whole (and recorded as read whole)."""
    if isinstance(value, TableView):
        return value._all()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def wrap(value, reads: Reads, site):
    """The context value a template is given: entries and notices (also inside lists,
    tuples and dicts) replaced by recording views."""
    if isinstance(value, Entry):
        return EntryView(value, reads, site)
    if isinstance(value, Notice):
        return NoticeView(value, reads, site)
    if isinstance(value, list):
        return [wrap(v, reads, site) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(wrap(v, reads, site) for v in value)
    if isinstance(value, dict):
        return {k: wrap(v, reads, site) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and _holds_notices(value):
        clone = copy.copy(value)  # e.g. a page kind's own record holding entries: its fields as views
        for f in dataclasses.fields(value):
            object.__setattr__(clone, f.name, wrap(getattr(value, f.name), reads, site))
        return clone
    return value


def _holds_notices(value, depth: int = 0) -> bool:
    if isinstance(value, (Entry, Notice)):
        return True
    if depth > 4:
        return False
    if isinstance(value, (list, tuple)):
        return any(_holds_notices(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return any(_holds_notices(v, depth + 1) for v in value.values())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_holds_notices(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value))
    return False


class Lazy:
    """A context value computed only to render (e.g. from the body), described by what it is made from."""

    __slots__ = ("made_from", "compute")

    def __init__(self, made_from, compute) -> None:
        self.made_from = made_from
        self.compute = compute  # compute(context with the body resolved)

    def describe(self):
        return self.made_from


class LazyBody:
    """A notice page's body before it is needed: described by what it is made from (the file's
    digest, its links and files), read from the body store only to render.  Where the links
    lead (the paths of the notices they name) is recorded as read when the body is rendered
    (see Renderer.body_for), so the description holds nothing but the notice's own."""

    __slots__ = ("entry",)

    def __init__(self, entry: Entry) -> None:
        self.entry = entry

    def describe(self) -> tuple:
        notice = self.entry.notice
        return notice.digest, notice.links, notice.assets


def describe(context: dict, memo: dict | None = None) -> str:
    """A page's context by identity, as text: entries by their notice's source (``Entry``'s repr;
    their contents are recorded reads), a notice likewise, functions by name (their code is in the
    fingerprint), lazy values by what they are made from, everything else by its repr.  A value
    whose repr is not stable (an object shown by address) only costs a rendering every build.

    ``memo``: reprs of frozen data classes by identity (a column's ``Category`` on every one of its
    pages), for one planning pass in which nothing changes; it keeps the objects, so that no id is
    reused while it lives.  Every piece is one line ``name US kind repr``: reprs escape line breaks."""
    parts = []
    add = parts.append
    for name, value in context.items():
        kind = type(value)
        if kind in _PLAIN_REPR:
            add(f"{name}\x1f{value!r}")
        elif kind is Entry:
            add(f"{name}\x1fE{value.notice.source!r}")
        elif kind is list:
            if value and set(map(type, value)) == _ENTRY_TYPE:  # a list page's entries
                add(f"{name}\x1fEL{list(map(_NOTICE_SOURCE, value))!r}")
            else:
                add(f"{name}\x1f{value!r}")
        elif kind is LazyBody or kind is Lazy:
            add(f"{name}\x1fL{value.describe()!r}")
        elif kind is partial:
            add(f"{name}\x1fP{value.func.__module__}.{value.func.__qualname__}{value.args!r}{value.keywords!r}")
        else:
            way = _WAYS.get(kind)
            if way is None:
                way = _WAYS[kind] = _way(kind)
            if way == "N":
                add(f"{name}\x1fN{value.source!r}")
            elif way == "M" and memo is not None:
                hit = memo.get(id(value))
                if hit is None or hit[0] is not value:
                    hit = memo[id(value)] = (value, repr(value))
                add(f"{name}\x1f{hit[1]}")
            elif way == "O" and callable(value) and hasattr(value, "__qualname__"):
                add(f"{name}\x1fF{getattr(value, '__module__', '')}.{value.__qualname__}")
            else:
                add(f"{name}\x1f{value!r}")
    return "\n".join(parts)


_ENTRY_TYPE = {Entry}
_PLAIN_REPR = frozenset((str, int, float, bool, type(None), dict, tuple))
_NOTICE_SOURCE = operator.attrgetter("notice.source")
_WAYS: dict[type, str] = {}  # how describe() shows a value of each type (other than the plain ones)


def _way(kind: type) -> str:
    """How :func:`describe` shows values of a type: "N" a notice (by source), "M" a frozen data
    class (its repr, memoized), "R" a class (its repr), "O" anything else: a function by name, other
    values by their repr."""
    if issubclass(kind, Notice):
        return "N"
    if issubclass(kind, type):
        return "R"
    params = getattr(kind, "__dataclass_params__", None)
    callable_ = any("__call__" in vars(k) for k in kind.__mro__)
    return "M" if params is not None and params.frozen and not callable_ else "O"


def static_key(common: str, method: str, template: str, path: str, context: dict, memo: dict | None = None) -> str:
    """The static part of a page's key: ``common`` (see Renderer._common_key), the page kind, its
    template and path, its context described (:func:`describe`)."""
    text = f"{common}\n{method}\n{template!r}\n{path!r}\n{describe(context, memo)}"
    return blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class SiteValues:
    """Current values of recorded reads, each computed once per build.

    Planning is cheap for the pages none of whose owners changed: every owner (a notice placed
    in the site, a site-wide table) gets a *version* digesting everything a page can read
    through it (the whole notice, its entry's fields and properties with other entries by
    source; the whole table), and the manifest keeps the versions of the last build and, per
    page, the digest of the values it read (the owners it read them from are in its reads).  When none of a
    page's owners has another version now, the values it read are the same (they are a
    function of those owners' state), so their stored digest is the current one; otherwise
    the values are looked up again one by one.
    """

    def __init__(self, by_source: dict, tables: dict[str, dict], known: dict | None = None) -> None:
        self.by_source = by_source  # every entry a template can reach, by notice source
        self.tables = {"@" + name: table for name, table in tables.items()}
        self.known = known or {}  # notice source -> (Notice, version_of(it)) when already computed
        self._memo: dict[str, str] = {}
        self._by_repr: dict[str, dict] = {}
        self._getters: dict[str, _Getter] = {}
        self._versions: dict[str, str] | None = None

    def versions(self) -> dict[str, str]:
        """owner -> digest of everything a page can read through it (see the class docstring)."""
        if self._versions is None:
            # ~3 us an entry, in this process: by now the editorial checks' child has the second core (a
            # forked child sharing them waited for it: +0.1 s at 100,000 notices)
            versions = {}
            known = self.known
            for source, entry in self.by_source.items():
                notice = entry.notice
                kept = known.get(source)
                versions[source] = _entry_version(entry, kept[1] if kept is not None and kept[0] is notice and kept[1]
                                                  else version_of(notice))
            for owner, table in self.tables.items():
                versions[owner] = _table_version(table)
            self._versions = versions
        return self._versions

    def pin(self, owner: str, version: str) -> None:
        """Give an owner that no page reads through a view its version (e.g. :data:`CONTEXT_OWNER`):
        it is kept and compared with the others."""
        self.versions()[owner] = version

    def forget(self) -> None:
        """Drop the values looked up so far (recomputed when asked again): after a full render of a
        100,000-page site they hold ~100 MB that the rest of the build can use."""
        self._memo.clear()

    def changed(self, old: dict | None) -> frozenset | None:
        """Owners whose version differs from ``old`` (the last build's), None when there is no record."""
        if not old:
            return None
        now = self.versions()
        changed = {o for o, v in now.items() if old.get(o) != v}
        changed.update(o for o in old if o not in now)
        return frozenset(changed)

    def values(self, reads: tuple | None) -> str | None:
        """Digest of the current values of the recorded reads (``reads`` as :meth:`Reads.frozen`
        wrote it); None when unknown (the page must be rendered)."""
        if reads is None:
            return None
        memo = self._memo
        values = []
        for item in zip(*reads):
            value = memo.get(item)
            if value is None:
                value = memo[item] = self._compute(*item)
            values.append(value)
        return digest(values)

    def _compute(self, owner: str, read: str) -> str:
        """A short digest of the current values of one owner's recorded names."""
        names = read.split(NAME_SEP)
        if owner.startswith("@"):
            table = self.tables.get(owner)
            if table is None:
                values = MISSING
            elif "*" in names:
                values = sorted(table.items(), key=repr)
            else:
                by_repr = self._by_repr.get(owner)
                if by_repr is None:  # keys are recorded by their repr
                    by_repr = self._by_repr[owner] = {repr(k): v for k, v in table.items()}
                values = [by_repr.get(n, MISSING) for n in names]
        else:
            entry = self.by_source.get(owner)
            if entry is None:  # gone (or no longer reachable): MISSING, so the page is rendered again
                values = MISSING
            else:
                getter = self._getters.get(read)
                if getter is None:
                    getter = self._getters[read] = _Getter(names)
                values = getter(entry, names)
        return blake2b(repr(values).encode("utf-8"), digest_size=12).hexdigest()


def page_key(static: str, values: str | None) -> str:
    """A page's key from its static part and the digest of the values it read ("" when unknown);
    both are hex digests."""
    return "" if values is None else blake2b(f"{static} {values}".encode("ascii"), digest_size=16).hexdigest()


_NAMES: dict[tuple, tuple] = {}  # one tuple per distinct ``names`` (every notice page of a site reads alike)


def interned(reads: tuple | None) -> tuple | None:
    """``reads`` (as :meth:`Reads.frozen` wrote it) with interned strings again, e.g. after it
    came back from a worker process, so that the cache file stores each string once; pages that
    read the same names of their owners share one tuple of them (in memory and in the file)."""
    if reads is None:
        return None
    names = tuple(map(sys.intern, reads[1]))
    if len(_NAMES) > 200_000:  # bounded, for a long-running serve
        _NAMES.clear()
    return tuple(map(sys.intern, reads[0])), _NAMES.setdefault(names, names)


_ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(Entry) if f.name != "notice")
_ENTRY_PROPERTIES = tuple(sorted(n for n in dir(Entry) if isinstance(getattr(Entry, n), property)))
_entry_fields = operator.attrgetter(*_ENTRY_FIELDS)
_entry_properties = operator.attrgetter(*_ENTRY_PROPERTIES, "notice")  # a tuple even for one name
_NOTHING = object()


def _ref(value):
    """A value as an entry's version sees it: other entries by source (their own versions cover
    them), notices by version."""
    t = type(value)
    if t is Entry:
        return ("E", value.notice.source)
    if t is list or t is tuple:
        return [_ref(v) for v in value]
    if isinstance(value, Entry):
        return ("E", value.notice.source)
    if isinstance(value, Notice):
        return ("N", version_of(value))
    if isinstance(value, (list, tuple)):
        return [_ref(v) for v in value]
    return value


def _entry_version(entry: Entry, notice_version: str) -> str:
    """Everything a page can read through one entry: its notice (by version), every other field
    and every property of the entry, other entries by source.  One repr per field, joined by US
    (a repr never holds a raw control character): ~5 us an entry, ~2 us by the shortcut below."""
    notice = entry.notice
    if _SHAPE_KNOWN:  # the text the loop below makes, in one f-string, for the usual types
        prev, next_, related = entry.prev, entry.next, entry.related
        if ((prev is None or type(prev) is Entry) and (next_ is None or type(next_) is Entry)
                and type(related) is list and entry.date is notice.date and entry.title is notice.title
                and (not related or set(map(type, related)) == _ENTRY_TYPE)
                and type(entry.path) is str and type(entry.status) is str
                and type(entry.expired) is bool and type(entry.current) is bool):
            text = (f"{notice_version}\x1f{entry.path!r}\x1f{entry.status!r}\x1f{entry.expired!r}\x1f{entry.current!r}"
                    f"\x1f{'None' if prev is None else 'E' + repr(prev.notice.source)}"
                    f"\x1f{'None' if next_ is None else 'E' + repr(next_.notice.source)}"
                    f"\x1fEL{list(map(_NOTICE_SOURCE, related))!r}\x1f=\x1f=")
            return blake2b(text.encode("utf-8"), digest_size=12).hexdigest()
    state = [notice_version]
    add = state.append
    for value in _entry_fields(entry):
        kind = type(value)
        if value is None or kind in _PLAIN_TYPES:
            add(repr(value))
        elif kind is Entry:
            add("E" + repr(value.notice.source))
        elif kind is list and set(map(type, value)) <= _ENTRY_TYPE:  # related
            add("EL" + repr(list(map(_NOTICE_SOURCE, value))))
        else:
            add(repr(_ref(value)))
    for name, value in zip(_ENTRY_PROPERTIES, _entry_properties(entry)):  # zip drops the "notice"
        add("=" if value is getattr(notice, name, _NOTHING) else repr(_ref(value)))
    return blake2b("\x1f".join(state).encode("utf-8"), digest_size=12).hexdigest()


_PLAIN_TYPES = frozenset((str, int, float, bool))
# The fields and properties the shortcut in _entry_version spells out; any other shape of Entry
# (a field added) takes the loop, which derives them.
_SHAPE_KNOWN = (_ENTRY_FIELDS == ("path", "status", "expired", "current", "prev", "next", "related")
                and _ENTRY_PROPERTIES == ("date", "title"))


def _table_version(table: dict) -> str:
    try:
        items = sorted(table.items())
    except TypeError:
        items = sorted(table.items(), key=repr)
    return blake2b(repr(items).encode("utf-8"), digest_size=12).hexdigest()


class _Getter:
    """How to fetch one recorded set of names (the same sets recur for every notice): plain notice
    fields and plain entry attributes with one attrgetter each, the rest one by one."""

    __slots__ = ("notice", "entry", "rest")

    def __init__(self, names: list[str]) -> None:
        notice = [n[2:] for n in names if n[0] == "n" and n not in ("n.body_html", "n.*")]
        entry = [n[2:] for n in names if n[0] == "e" and n[2:] not in _ENTRY_SPECIAL]
        self.notice = (operator.attrgetter(*notice), len(notice)) if notice else None
        self.entry = (operator.attrgetter(*entry), len(entry)) if entry else None
        self.rest = [n for n in names if (n[0] == "n" and n in ("n.body_html", "n.*"))
                     or (n[0] == "e" and n[2:] in _ENTRY_SPECIAL) or n[0] not in "ne"]

    def __call__(self, entry: Entry, names: list[str]) -> list:
        try:
            got = []
            for getter, obj in ((self.notice, entry.notice), (self.entry, entry)):
                if getter is not None:
                    value = getter[0](obj)
                    got.append((value,) if getter[1] == 1 else value)
            if not any(callable(v) for values in got for v in values):
                return got + [_value(entry, n) for n in self.rest]
        except AttributeError:  # a name the object does not have: the slow path records MISSING
            pass
        return [_value(entry, n) for n in names]


_ENTRY_SPECIAL = frozenset(ENTRY_LINKS + ("related", "notice", "*"))


def _source(entry: Entry | None):
    return entry.notice.source if entry is not None else None


def _value(entry: Entry, name: str):
    notice = entry.notice
    kind, attr = name[0], name[2:]
    if kind == "e":
        if attr in ENTRY_LINKS:
            return _source(getattr(entry, attr))
        if attr == "related":
            return [_source(e) for e in entry.related]
        if attr == "notice":
            return ""  # reading the notice's fields is recorded field by field
        if attr == "*":
            return _whole_entry(entry)
        value = getattr(entry, attr, MISSING)
        return _whole_entry(entry) if callable(value) else value
    if attr == "body_html":
        return notice.digest  # the body HTML is a function of the file (and the fingerprint)
    if attr == "*":
        return _whole_notice(notice)
    value = getattr(notice, attr, MISSING)
    return _whole_notice(notice) if callable(value) else value  # its repr is taken with the others


def _whole_notice(notice: Notice) -> str:
    return repr(dataclasses.replace(notice, body_html="")) + notice.digest


def _whole_entry(entry: Entry) -> str:
    return repr((entry.path, entry.status, entry.expired, entry.current, _source(entry.prev),
                 _source(entry.next), [_source(e) for e in entry.related], _whole_notice(entry.notice)))
