"""Data-only, authenticated serialisation for the build cache (replaces pickle).

A site folder, and so its ``.cache/``, may come from a pull request or a restored
CI cache: nothing read from it may run code.  A cache file is

    b"NPCACHE1\\n" + context (versions, in clear) + MAC (32 bytes) + marshal.dumps(plain data)

* the *plain data* holds only None, bool, int, float, str, bytes, tuple, list
  and dict; datetimes, dates, time zones, sets, the builder's own dataclasses
  and containers holding any of them are written as tagged tuples
  ``(..., tag, items...)`` (the Ellipsis marks a tag: no YAML or notice value
  is ever an Ellipsis), so decoding walks only the tagged part;
* decoding rebuilds only those types: a class is looked up by name among the
  builder's own dataclasses (``builder.*`` modules), never imported from
  anywhere else, and no constructor, ``__setstate__`` or ``__reduce__`` runs;
  anything else (a code object, an unknown tag) rejects the whole file;
* the MAC is a keyed BLAKE2b over the format, the Python and builder versions
  and the data, with a key kept outside the site folder (in the user's state
  folder, mode 0600).  ``marshal.loads`` only ever sees bytes this user's
  builder wrote; a file edited by hand, copied from another machine or written
  by another version fails the check and the build simply starts cold.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import importlib
import marshal
import os
import sys
from itertools import chain
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

MAGIC = b"NPCACHE1\n"
MAC_SIZE = 32
_E = ...  # tag marker
_PLAIN = frozenset((str, int, float, bool, type(None), bytes))


class CacheFormatError(ValueError):
    """The bytes are not a cache file this builder wrote (corrupt, foreign or tampered)."""


class OtherVersion(CacheFormatError):
    """Written by another version of the builder (or of Python): not suspicious, just unusable."""


# -- the key ---------------------------------------------------------------------------------------

_key: bytes | None = None


def key_file() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "notice-pipeline" / "cache-key"


def key() -> bytes:
    """This user's cache key; a random one for this process when none can be stored."""
    global _key
    if _key is None:
        path = key_file()
        try:
            data = path.read_bytes()
            if len(data) != 32:
                raise OSError("bad key")
        except OSError:
            data = os.urandom(32)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".cache-key.{os.getpid()}.tmp")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                try:
                    os.link(tmp, path)  # never replace a key another process just created
                except FileExistsError:
                    data = path.read_bytes()
                finally:
                    os.unlink(tmp)
                if len(data) != 32:
                    data = os.urandom(32)
            except OSError:
                pass  # an unwritable home: caches are good for this process only
        _key = data
    return _key


def mac(*parts: bytes) -> bytes:
    h = hashlib.blake2b(key=key(), digest_size=MAC_SIZE)
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.digest()


def _context(version: str) -> bytes:
    return f"{version}|{sys.version_info[:2]}|{marshal.version}".encode()


# -- encoding ----------------------------------------------------------------------------------------

_fields_cache: dict[type, tuple[str, tuple[str, ...]]] = {}


def _class_fields(cls: type) -> tuple[str, tuple[str, ...]]:
    entry = _fields_cache.get(cls)
    if entry is None:
        if not (dataclasses.is_dataclass(cls) and cls.__module__.split(".")[0] == "builder"):
            raise TypeError(f"cannot store {cls.__module__}.{cls.__qualname__} in the cache")
        entry = (f"{cls.__module__}:{cls.__qualname__}", tuple(f.name for f in dataclasses.fields(cls)))
        _fields_cache[cls] = entry
    return entry


def _tz_enc(tz):
    if tz is None:
        return None
    if type(tz) is ZoneInfo:
        return tz.key
    if isinstance(tz, timezone):
        offset = tz.utcoffset(None)
        return (_E, "z", offset.days * 86400 + offset.seconds, offset.microseconds)
    raise TypeError(f"cannot store time zone {tz!r}")


def _same(new: list, old) -> bool:
    for a, b in zip(new, old):
        if a is not b:
            return False
    return True


_SEQUENCES = frozenset((tuple, list))
_PLAIN_OR_SEQUENCE = _PLAIN | _SEQUENCES


def _all_plain(items, depth: int = 3) -> bool:
    """Whether ``items`` (a sized collection) hold only plain values, or tuples and lists of them
    nested up to ``depth`` levels: checked with C-level iteration, so that the big tables of the
    cache (thousands of strings and stamps) are not walked value by value in Python."""
    types = set(map(type, items))
    if types <= _PLAIN:
        return True
    if depth == 0 or not types <= _PLAIN_OR_SEQUENCE:
        return False
    if types <= _SEQUENCES:
        inner = list(chain.from_iterable(items))
    else:
        inner = list(chain.from_iterable([i for i in items if type(i) in _SEQUENCES]))
    return _all_plain(inner, depth - 1)


def _enc(x):
    """Plain data stays as it is (the same object); a container holding anything else
    becomes a tagged tuple, so that decoding walks only the tagged part."""
    t = type(x)
    if t in _PLAIN:
        return x
    if t is tuple or t is list:
        if len(x) > 16 and _all_plain(x):
            return x
        items = [_enc(v) for v in x]
        return x if _same(items, x) else (_E, "T" if t is tuple else "L", *items)
    if t is dict:
        if len(x) > 16 and _all_plain(x.keys(), 0) and _all_plain(x.values()):
            return x
        items = [_enc(v) for kv in x.items() for v in kv]
        if _same(items, (v for kv in x.items() for v in kv)):
            return x
        return (_E, "M", *items)
    if t is datetime:
        return (_E, "D", x.year, x.month, x.day, x.hour, x.minute, x.second, x.microsecond, x.fold,
                _tz_enc(x.tzinfo))
    if t is date:
        return (_E, "d", x.toordinal())
    if t is time:
        return (_E, "t", x.hour, x.minute, x.second, x.microsecond, x.fold, _tz_enc(x.tzinfo))
    if t is timedelta:
        return (_E, "T0", x.days, x.seconds, x.microseconds)
    if t is set or t is frozenset:
        return (_E, "s" if t is set else "f", *[_enc(v) for v in x])
    name, fields = _class_fields(t)
    values = [_enc(getattr(x, f)) for f in fields]
    # Which fields are tagged, so that decoding does not test every field: one tuple object per
    # pattern (marshal then writes each pattern once and the decoder gets it back shared).
    where = tuple([i for i, v in enumerate(values) if type(v) is tuple and v and v[0] is _E])
    shared = _WHERE.get(where)
    if shared is None:
        if len(_WHERE) > 10_000:
            _WHERE.clear()
        shared = _WHERE[where] = where
    return (_E, name, shared, *values)


_WHERE: dict[tuple, tuple] = {}


def dumps(payload, version: str) -> bytes:
    """Bytes for ``payload``; TypeError when it holds something that is not plain data."""
    return b"".join(dump_parts(payload, version))


def dump_parts(payload, version: str) -> tuple[bytes, bytes]:
    """:func:`dumps` as (header, body), to be written one after the other: a big cache file
    (the manifest of a 100,000-page site) is then never copied once more in memory to join them."""
    body = marshal.dumps(_enc(payload), 4)
    context = _context(version)
    return MAGIC + len(context).to_bytes(2, "little") + context + mac(context, body), body


# -- decoding ----------------------------------------------------------------------------------------

_classes: dict[str, tuple[type, tuple[str, ...], tuple | None]] = {}


def _class(name: str) -> tuple[type, tuple[str, ...], tuple | None]:
    entry = _classes.get(name)
    if entry is None:
        module, _, qualname = name.partition(":")
        if module.split(".")[0] != "builder" or not qualname or "." in qualname:
            raise CacheFormatError(f"unknown type {name!r}")
        try:
            cls = getattr(importlib.import_module(module), qualname)
        except (ImportError, AttributeError):
            raise CacheFormatError(f"unknown type {name!r}") from None
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise CacheFormatError(f"not a data class: {name!r}")
        fields = tuple(f.name for f in dataclasses.fields(cls))
        slots = None
        if "__slots__" in cls.__dict__:
            # The slots' own setters: a frozen class's __setattr__ refuses, and object.__setattr__
            # looks each name up again (~0.25 s for the 380,000 objects of a 100,000-notice cache).
            found = [getattr(cls, f, None) for f in fields]
            if all(type(d) is _MEMBER for d in found):
                slots = tuple(d.__set__ for d in found)
        entry = _classes[name] = (cls, fields, slots)
    return entry


class _Probe:
    __slots__ = ("x",)


_MEMBER = type(_Probe.x)


_zones: dict[str, ZoneInfo] = {}


def _tz_dec(v):
    if v is None:
        return None
    if type(v) is str:
        zone = _zones.get(v)
        if zone is None:
            try:
                zone = _zones[v] = ZoneInfo(v)
            except (ValueError, OSError, KeyError) as exc:
                raise CacheFormatError(f"bad time zone {v!r}") from exc
        return zone
    if type(v) is tuple and len(v) == 4 and v[0] is _E and v[1] == "z":
        return timezone(timedelta(seconds=v[2], microseconds=v[3]))
    raise CacheFormatError("bad time zone")


def _mapping(x: tuple) -> dict:
    items = [_dec(v) for v in x[2:]]
    if len(items) % 2:
        raise ValueError("odd mapping")
    return dict(zip(items[::2], items[1::2]))


# The tags of the built-in types (a class's tag is its "module:name", see _class), each with its decoder.
_BUILTINS = {
    "T": lambda x: tuple([_dec(v) for v in x[2:]]),
    "L": lambda x: [_dec(v) for v in x[2:]],
    "M": _mapping,
    "D": lambda x: datetime(*x[2:9], fold=x[9], tzinfo=_tz_dec(x[10])),
    "d": lambda x: date.fromordinal(x[2]),
    "t": lambda x: time(*x[2:6], fold=x[6], tzinfo=_tz_dec(x[7])),
    "T0": lambda x: timedelta(x[2], x[3], x[4]),
    "s": lambda x: {_dec(v) for v in x[2:]},
    "f": lambda x: frozenset(_dec(v) for v in x[2:]),
}


def _tagged(x: tuple):
    tag = x[1]
    if type(tag) is not str:
        raise CacheFormatError("bad tag")
    entry = _classes.get(tag)  # a class met before: most tagged values are objects of a few classes
    if entry is None:
        decode = _BUILTINS.get(tag)
        if decode is not None:
            try:
                return decode(x)
            except (TypeError, ValueError, OverflowError, IndexError) as exc:
                raise CacheFormatError(f"bad {tag!r} value") from exc
        entry = _class(tag)
    cls, fields, slots = entry
    if len(x) != len(fields) + 3:
        raise CacheFormatError(f"{tag}: {len(x) - 3} fields, expected {len(fields)}")
    obj = object.__new__(cls)  # no __init__/__post_init__: the values are those that were saved
    where, values = x[2], x[3:]  # where: the indices of the tagged values (see _enc)
    if type(where) is not tuple:
        raise CacheFormatError(f"{tag}: no index of tagged fields")
    if where:
        values = list(values)
        try:
            for i in where:
                value = values[i]
                if type(value) is not tuple or not value or value[0] is not _E:
                    raise CacheFormatError(f"{tag}: field {i} is not tagged")
                values[i] = _tagged(value)
        except (TypeError, IndexError) as exc:
            raise CacheFormatError(f"{tag}: bad index of tagged fields") from exc
    if slots is not None:
        for setter, value in zip(slots, values):
            setter(obj, value)
    elif "__slots__" in cls.__dict__:
        for name, value in zip(fields, values):
            object.__setattr__(obj, name, value)
    else:
        obj.__dict__.update(zip(fields, values))
    return obj


def _dec(x):
    """Only tagged tuples are rebuilt; everything else is plain data as marshal returned it
    (the MAC has already shown that this user's builder wrote it)."""
    if type(x) is tuple and x and x[0] is _E:
        return _tagged(x)
    return x


def loads(data: bytes, version: str):
    """The payload of ``data``; CacheFormatError unless this user's builder of this version wrote it."""
    if len(data) < len(MAGIC) + 2 or not data.startswith(MAGIC):
        raise CacheFormatError("not a cache file of this builder")
    size = int.from_bytes(data[len(MAGIC):len(MAGIC) + 2], "little")
    start = len(MAGIC) + 2 + size
    context = _context(version)
    if data[len(MAGIC) + 2:start] != context:
        raise OtherVersion("written by another version")
    head = start + MAC_SIZE
    body = memoryview(data)[head:]  # not a copy of a file that may be 100 MB
    if len(data) < head or not hmac.compare_digest(data[start:head], mac(context, body)):
        raise CacheFormatError("signature does not match (edited, copied from elsewhere, or another version)")
    try:
        plain = marshal.loads(body)
    except (EOFError, ValueError, TypeError) as exc:
        raise CacheFormatError("unreadable data") from exc
    try:
        return _dec(plain)
    except RecursionError as exc:
        raise CacheFormatError("nested too deeply") from exc
