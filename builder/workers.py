"""Map a function over many items in forked worker processes that inherit the caller's state.

The items and the function stay in this process's memory; ``fork`` hands them to the
workers without pickling, and only the results travel back.  Below ``threshold`` items,
on one core, or where ``fork`` does not exist, the map runs in this process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_state: dict = {}


def _run_chunk(bounds: tuple[int, int]) -> list:
    fn, items = _state["fn"], _state["items"]
    return [fn(items[i]) for i in range(*bounds)]


def forked_map(fn: Callable[[T], R], items: Sequence[T], jobs: int | None = None, threshold: int = 400,
               chunk: int | None = None) -> list[R]:
    """``[fn(item) for item in items]``, over ``jobs`` forked processes (default: every core)."""
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if jobs <= 1 or len(items) < threshold or "fork" not in multiprocessing.get_all_start_methods():
        return [fn(item) for item in items]
    step = chunk or max(50, len(items) // (jobs * 4))
    bounds = [(start, min(start + step, len(items))) for start in range(0, len(items), step)]
    _state.update(fn=fn, items=items)
    gc.freeze()  # what the workers inherit stays out of their collections (and is not copied on write by them)
    try:
        # the build pauses the collector in the main process; workers turn it back on
        with multiprocessing.get_context("fork").Pool(jobs, initializer=gc.enable) as pool:
            chunks = pool.map(_run_chunk, bounds)
    finally:
        _state.clear()
        gc.unfreeze()
    return [result for part in chunks for result in part]
