"""The site search's full-text index of one shard of notice pages (format: ``docs/search-index.md``).

Chinese has no spaces between words, and a dictionary segmenter splits a text one way only: a
reader who searches 防控 misses the notice whose segmenter kept 疫情防控 as one word.  So the
index is of characters and character pairs (the bigram scheme of Lucene's CJK analyzer): every
word character of a page is a term, every two adjacent word characters are a term, and a query
matches a page that has every pair of adjacent characters of the query (every character, for a
one-character query).  Any run of two or more characters a reader copies out of a notice finds it.

What is indexed is what the reader sees: the ``data-search-body`` element of each rendered notice
page (its ``h1`` weighs ``TITLE_WEIGHT`` times), without what is marked ``data-search-ignore``.
A shard's files are a pure function of its pages: the same pages give the same bytes.

The terms of a shard are spread over bucket files (about one per eight pages) by a hash of the
term, so a query fetches one small file per term and shard.  Each file lists its terms, and for
each term the pages that contain it (numbers within the shard) and its weight there;
``lengths.bin`` has each page's length (for BM25), ``docs-<k>.json`` the address, title and date
of 128 pages at a time.

Run as ``python -m builder.searchindex`` with a JSON job on stdin (``{"shards": [{"site": folder,
"out": folder, "pages": [paths under site]}, …]}``): the search stage deals the shards to as many
such processes as may run at once.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import unicodedata
from pathlib import Path
from typing import Iterable

import numpy as np

from .searchformat import CHUNK, MAX_PAGES, MAX_WEIGHT, TITLE_WEIGHT, buckets_for

# Word characters: ASCII digits and (lower-cased) letters, and the CJK ideographs of the BMP.
WORD_RANGES = ((0x30, 0x3A), (0x61, 0x7B), (0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))
_WORD = np.zeros(0x110000, dtype=bool)
for _lo, _hi in WORD_RANGES:
    _WORD[_lo:_hi] = True

_ARTICLE = re.compile(r"<article\b[^>]*\bdata-(?:search|pagefind)-body\b[^>]*>", re.I)
_ARTICLE_END = re.compile(r"</article\s*>", re.I)
_IGNORED = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)\b[^>]*\bdata-(?:search|pagefind)-ignore\b[^>]*>", re.I)
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", re.S | re.I)
_TIME = re.compile(r"<time\b[^>]*\bdatetime=\"(\d{4}-\d{2}-\d{2})", re.I)
# The page's publication date as Chinese government sites give it (<meta name="PubDate">); without
# it, the first <time> of the article (which may be a warning's expiry, shown above the meta line).
_PUBDATE = re.compile(r"<meta\s+name=\"PubDate\"\s+content=\"(\d{4}-\d{2}-\d{2})", re.I)
# Tags between which text is not joined into one word (block-level); inline tags (strong, a …) are.
_BLOCK_TAG = re.compile(r"<(?:/?(?:address|article|aside|blockquote|br|button|caption|dd|div|dl|dt|figcaption|figure"
                        r"|footer|h[1-6]|header|hr|li|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|time"
                        r"|tr|ul)\b)[^>]*>", re.I)
_ANY_TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.S)  # a comment first: it may hold a ">"
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "source", "col", "area", "embed", "track"})


def _drop_ignored(body: str) -> str:
    """``body`` without the elements marked ``data-search-ignore`` (nested tags of the same name counted)."""
    while True:
        found = _IGNORED.search(body)
        if found is None:
            return body
        name = found.group(1)
        end = found.end()
        if name.lower() not in _VOID and not found.group(0).endswith("/>"):
            depth = 1
            for tag in re.finditer(rf"<(/?){re.escape(name)}\b[^>]*?(/?)>", body[end:], re.I):
                if tag.group(2):
                    continue
                depth += -1 if tag.group(1) else 1
                if depth == 0:
                    end += tag.end()
                    break
            else:
                end = len(body)  # never closed: the rest is ignored, as a browser would nest it
        body = body[:found.start()] + "\n" + body[end:]


def page_text(page: str) -> tuple[str, str, str] | None:
    """(title, text, date "YYYY-MM-DD" or "") of a notice page's ``data-search-body`` element, or
    None when the page has none (it is then not indexed)."""
    found = _ARTICLE.search(page)
    if found is None:
        return None
    end = _ARTICLE_END.search(page, found.end())
    if end is None:
        return None
    body = _drop_ignored(page[found.end():end.start()])
    date = _PUBDATE.search(page, 0, found.start()) or _TIME.search(body)
    title = ""
    heading = _H1.search(body)
    if heading is not None:
        title = " ".join(html.unescape(_ANY_TAG.sub("", heading.group(1))).split())
        body = body[:heading.start()] + "\n" + body[heading.end():]
    text = html.unescape(_ANY_TAG.sub("", _BLOCK_TAG.sub("\n", body)))
    return title, text, date.group(1) if date else ""


_HANGUL_JAMO = ((0x1100, 0x1200), (0x3130, 0x3190), (0xA960, 0xA980), (0xD7B0, 0xD800), (0xFFA0, 0xFFDD))


def _inert(ch: str) -> bool:
    """Whether ``ch`` can never combine with a neighbour under NFKC or change case by context."""
    cp = ord(ch)
    return (not unicodedata.combining(ch) and unicodedata.category(ch)[0] != "M" and ch != "\u03a3"
            and not any(lo <= cp < hi for lo, hi in _HANGUL_JAMO))


class _Normalizer:
    """NFKC + lower case by table lookup (~0.05 ms for a page, against 0.25 ms for ``unicodedata``).

    For each BMP code point met so far: its normalized form when that is one code point, or the
    string it expands to (Ⅳ -> "iv", ℃ -> "°c") when every character of it is inert (never
    combines with a neighbour, see :func:`_inert`).  A text of such code points normalizes one
    code point at a time; any other text (combining marks, Hangul jamo, code points past the BMP)
    goes through ``unicodedata`` whole.
    """

    def __init__(self) -> None:
        self.known = np.zeros(0x110000, dtype=bool)
        self.known[0x10000:] = True  # astral: never simple, decided at once
        self.table = np.arange(0x10000, dtype=np.uint32)
        self.simple = np.zeros(0x110000, dtype=bool)
        self.expand: dict[int, str] = {}

    def _learn(self, new: np.ndarray) -> None:
        for cp in np.unique(new).tolist():
            self.known[cp] = True
            if 0xD800 <= cp < 0xE000:
                continue  # a lone surrogate: never in a str decoded from UTF-8
            ch = chr(cp)
            form = unicodedata.normalize("NFKC", ch).lower()
            if not _inert(ch) or not all(map(_inert, form)):
                continue
            if len(form) == 1:
                self.table[cp] = ord(form)
                self.simple[cp] = True
            else:
                self.expand[cp] = form

    def __call__(self, text: str) -> np.ndarray:
        a = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        new = a[~self.known[a]]
        if len(new):
            self._learn(new)
        odd = a[~self.simple[a]]
        if len(odd) == 0:
            return self.table[a]
        odd = set(odd.tolist())
        if odd.issubset(self.expand):
            for cp in odd:  # usually one or two (Ⅳ, ℃): str.replace beats str.translate's lookup per character
                text = text.replace(chr(cp), self.expand[cp])
            a = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
            new = a[~self.known[a]]
            if len(new):
                self._learn(new)
            if self.simple[a].all():
                return self.table[a]
        return np.frombuffer(unicodedata.normalize("NFKC", text).lower().encode("utf-32-le"), dtype=np.uint32)


codes = _Normalizer()  # codes(text): its code points after NFKC and lower-casing


def terms(text: str) -> tuple[np.ndarray, int]:
    """The terms of ``text`` (each ``c1 << 16 | c2``, c2 = 0 for a single character; word characters
    are all in the BMP), one entry per occurrence, and the text's length in word characters."""
    a = codes(text)
    word = _WORD[a]
    single = a[word] << np.uint32(16)
    pair = word[:-1] & word[1:]
    pairs = (a[:-1][pair] << np.uint32(16)) | a[1:][pair]
    return np.concatenate((single, pairs)), len(single)


def bucket_of(term: np.ndarray, buckets: int) -> np.ndarray:
    """The bucket of each term (``c1 << 16 | c2``): a 32-bit mix of it (the finalizer of MurmurHash3,
    multiplications modulo 2**32), modulo ``buckets`` (a power of two)."""
    h = term.astype(np.uint32) * np.uint32(0x9E3779B1)
    h ^= h >> np.uint32(15)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    return h & np.uint32(buckets - 1)


def index_pages(pages: Iterable[tuple[str, str]]) -> dict[str, bytes]:
    """The files of one shard (name -> bytes) for ``pages``: (address, page HTML), read one at a
    time.  A page without a ``data-search-body`` element (a withdrawn notice's 撤稿说明) is left
    out; the others are numbered in the order given."""
    docs: list[list[str]] = []
    lengths: list[int] = []
    distinct: list[np.ndarray] = []  # per page: its distinct terms
    weights: list[np.ndarray] = []  # and the weight of each
    for address, page in pages:
        found = page_text(page)
        if found is None:
            continue
        title, text, date = found
        if len(docs) >= MAX_PAGES:
            raise ValueError(f"a search shard holds at most {MAX_PAGES} pages")
        docs.append([address, title, date])
        body, length = terms(text)
        heading, title_length = terms(title)
        lengths.append(length + title_length)
        found_terms, counts = np.unique(np.concatenate((body, np.repeat(heading, TITLE_WEIGHT))), return_counts=True)
        distinct.append(found_terms)
        weights.append(np.minimum(counts, MAX_WEIGHT).astype(np.uint8))
    files: dict[str, bytes] = {"lengths.bin": np.array(lengths, dtype="<u4").tobytes()}
    for k in range(0, max(len(docs), 1), CHUNK):
        files[f"docs-{k // CHUNK}.json"] = (json.dumps(docs[k:k + CHUNK], ensure_ascii=False,
                                                       separators=(",", ":")) + "\n").encode("utf-8")
    buckets = buckets_for(len(docs))
    # One key per posting, bucket | term | page | weight (10 + 32 + 16 + 6 bits): sorted, the postings
    # fall in bucket order, terms ascending in each bucket, pages ascending for each term.  Made a
    # few hundred pages at a time, so that a shard's postings are held about twice, not five times.
    sizes = [len(d) for d in distinct]
    key = np.empty(sum(sizes), dtype=np.uint64)
    at = 0
    for i in range(0, len(distinct), 256):
        term = np.concatenate(distinct[i:i + 256]).astype(np.uint64)
        page = np.repeat(np.arange(i, i + len(sizes[i:i + 256]), dtype=np.uint64), sizes[i:i + 256])
        weight = np.concatenate(weights[i:i + 256]).astype(np.uint64)
        distinct[i:i + 256] = weights[i:i + 256] = [None] * len(sizes[i:i + 256])
        key[at:at + len(term)] = ((bucket_of(term, buckets).astype(np.uint64) << np.uint64(54))
                                  | (term << np.uint64(22)) | (page << np.uint64(6)) | weight)
        at += len(term)
    del distinct, weights
    key.sort()
    term_of = (key >> np.uint64(22)).astype(np.uint32)  # (the bucket bits fall off)
    first = np.ones(len(key), dtype=bool)
    np.not_equal(term_of[1:], term_of[:-1], out=first[1:])
    del term_of
    starts = np.flatnonzero(first)  # first posting of each term
    del first
    terms_sorted = (key[starts] >> np.uint64(22)).astype(np.uint32).astype("<u4")
    doc = ((key >> np.uint64(6)) & np.uint64(0xFFFF)).astype("<u2")
    weight8 = (key & np.uint64(MAX_WEIGHT)).astype(np.uint8)
    term_bounds = np.searchsorted(key[starts] >> np.uint64(54), np.arange(buckets + 1, dtype=np.uint64))
    starts = np.append(starts, len(key)).astype(np.int64)
    for b in range(buckets):
        t0, t1 = term_bounds[b], term_bounds[b + 1]
        p0, p1 = starts[t0], starts[t1]
        files[f"{b}.bin"] = b"".join((np.uint32(t1 - t0).astype("<u4").tobytes(), terms_sorted[t0:t1].tobytes(),
                                     (starts[t0:t1 + 1] - p0).astype("<u4").tobytes(), doc[p0:p1].tobytes(),
                                     weight8[p0:p1].tobytes()))
    return files


def write_shard(site: Path, out: Path, pages: list[str]) -> int:
    """Index ``pages`` (paths under ``site``) into the folder ``out`` (made here; must not exist); the
    number of pages indexed (those with a ``data-search-body`` element)."""
    files = index_pages((p, (site / p).read_text(encoding="utf-8", errors="replace")) for p in pages)
    out.mkdir(parents=True)
    for name, data in files.items():
        fd = os.open(out / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    return len(files["lengths.bin"]) // 4


def main() -> int:
    jobs = json.load(sys.stdin)["shards"]
    pages = [write_shard(Path(job["site"]), Path(job["out"]), list(job["pages"])) for job in jobs]
    print(json.dumps({"pages": pages}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
