"""A reader of the site search index written from its format description (docs/search-index.md),
not from builder/searchindex.py: what templates/static/js/search.js does, in Python, so tests can
ask an index what a reader's query finds."""

from __future__ import annotations

import json
import math
import struct
import unicodedata
from pathlib import Path

WORD_RANGES = ((0x30, 0x3A), (0x61, 0x7B), (0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))


def is_word(c: str) -> bool:
    return any(lo <= ord(c) < hi for lo, hi in WORD_RANGES)


def runs(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    found, run = [], ""
    for c in text:
        if is_word(c):
            run += c
        elif run:
            found.append(run)
            run = ""
    return found + ([run] if run else [])


def query_terms(query: str) -> list[tuple[int, int]]:
    terms: list[tuple[int, int]] = []
    for run in runs(query):
        new = [(ord(run), 0)] if len(run) == 1 else [(ord(a), ord(b)) for a, b in zip(run, run[1:])]
        terms += [t for t in new if t not in terms]
    return terms


def bucket(c1: int, c2: int, buckets: int) -> int:
    h = ((c1 << 16 | c2) * 0x9E3779B1) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    return h % buckets


def read_bucket(data: bytes) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """term -> [(page number, weight)] of one bucket file."""
    (n,) = struct.unpack_from("<I", data)
    terms = struct.unpack_from(f"<{n}I", data, 4)
    start = struct.unpack_from(f"<{n + 1}I", data, 4 + 4 * n)
    total = start[-1]
    base = 4 * (1 + 2 * n + 1)
    docs = struct.unpack_from(f"<{total}H", data, base)
    weights = data[base + 2 * total: base + 3 * total]
    assert len(data) == base + 3 * total, "bucket file has trailing or missing bytes"
    assert list(terms) == sorted(set(terms)), "terms not sorted"
    assert all(1 <= w <= 63 for w in weights)
    return {(t >> 16, t & 0xFFFF): [(docs[j], weights[j]) for j in range(start[i], start[i + 1])]
            for i, t in enumerate(terms)}


class Index:
    def __init__(self, site: Path) -> None:
        self.site = site
        self.listing = json.loads((site / "search" / "index.json").read_text(encoding="utf-8"))

    def docs(self, shard: str) -> list[list[str]]:
        found: list[list[str]] = []
        k = 0
        while (self.site / "search" / shard / f"docs-{k}.json").exists():
            found += json.loads((self.site / "search" / shard / f"docs-{k}.json").read_text(encoding="utf-8"))
            k += 1
        return found

    def lengths(self, shard: str) -> list[int]:
        data = (self.site / "search" / shard / "lengths.bin").read_bytes()
        return list(struct.unpack(f"<{len(data) // 4}I", data))

    def postings(self, shard: dict, term: tuple[int, int]) -> list[tuple[int, int]]:
        b = bucket(*term, shard["buckets"])
        return read_bucket((self.site / "search" / shard["name"] / f"{b}.bin").read_bytes()).get(term, [])

    def search(self, query: str) -> list[str]:
        """Addresses of the pages found, best first (BM25 over the terms, every term required)."""
        terms = query_terms(query)
        if not terms:
            return []
        shards = self.listing["shards"]
        total = sum(s["docs"] for s in shards)
        average = sum(s["chars"] for s in shards) / max(total, 1)
        hits = {s["name"]: {t: dict(self.postings(s, t)) for t in terms} for s in shards}
        df = {t: sum(len(hits[s["name"]][t]) for s in shards) for t in terms}
        scored = []
        for rank, s in enumerate(shards):
            per = hits[s["name"]]
            common = set.intersection(*(set(per[t]) for t in terms))
            lengths = self.lengths(s["name"])
            docs = self.docs(s["name"])
            for d in common:
                score = 0.0
                for t in terms:
                    w = per[t][d]
                    idf = math.log(1 + (total - df[t] + 0.5) / (df[t] + 0.5))
                    score += idf * w * 2.2 / (w + 1.2 * (0.25 + 0.75 * lengths[d] / average))
                scored.append((-score, rank, -d, docs[d][0]))
        return [address for *_key, address in sorted(scored)]
