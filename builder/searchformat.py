"""The site search index's format (docs/search-index.md): its version, limits and listing.

Shared by the search stage (:mod:`builder.search`, which must not import numpy: it runs in the
build's main process) and the indexer (:mod:`builder.searchindex`, run in processes of its own).
"""

from __future__ import annotations

import json

FORMAT = 1
MAX_BUCKETS = 512
CHUNK = 128  # pages per docs-<k>.json
TITLE_WEIGHT = 10
MAX_WEIGHT = 63  # six bits of the indexer's sort key
MAX_PAGES = 65_535  # page numbers are uint16 in the bucket files


def buckets_for(pages: int) -> int:
    """Bucket files of a shard of ``pages`` pages: a power of two, about one per eight pages (a bucket
    then holds ~35 KB of postings, ~7 KB gzipped), at least 8, at most ``MAX_BUCKETS``.  Fewer files
    would make each query fetch more; more files cost the build (creating a file is the costliest
    part of writing a small one)."""
    buckets = 8
    while buckets < pages // 8 and buckets < MAX_BUCKETS:
        buckets *= 2
    return buckets


def listing(shards: list[tuple[str, int, int]]) -> bytes:
    """search/index.json: the format and the shards (name, pages, characters), newest first."""
    return (json.dumps({"version": FORMAT, "shards": [{"name": n, "docs": d, "chars": c, "buckets": buckets_for(d)}
                                                      for n, d, c in shards]},
                       ensure_ascii=False) + "\n").encode("utf-8")
