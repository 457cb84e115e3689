"""Map a function over many items in forked worker processes that inherit the caller's state.

The items and the function stay in this process's memory; ``fork`` hands them to the
workers without pickling, and only the results travel back.  Below ``threshold`` items,
on one core, or where ``fork`` does not exist, the map runs in this process.
:func:`forked_map` hands every item to a pool of workers; :func:`halved` keeps this process
working on the first half while one forked child does the second (for work too short for a pool).
"""

from __future__ import annotations

import gc
import marshal
import multiprocessing
import os
import signal
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


def halved(fn: Callable[[T], R], items: Sequence[T], encode: Callable[[R], object], decode: Callable[[object], R],
           jobs: int | None = None, threshold: int = 5000) -> list[R]:
    """``[fn(item) for item in items]``: the second half in one forked child while this process maps
    the first.  The child sends ``encode(result)`` for each (plain values: marshal) and this process
    ``decode``s them.  Below ``threshold`` items, with fewer than two ``jobs`` (default: the cores),
    without ``fork``, or when the child fails, everything is mapped here."""
    count = len(items)
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if count < threshold or jobs < 2 or not hasattr(os, "fork"):
        return [fn(item) for item in items]
    from .publish import _die_with

    middle = count // 2
    read, write = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        status = 1
        try:
            os.close(read)
            _die_with(parent)
            data = memoryview(marshal.dumps([encode(fn(items[i])) for i in range(middle, count)], 4))
            while data:
                data = data[os.write(write, data):]
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    try:
        first = [fn(items[i]) for i in range(middle)]
    except BaseException:
        os.close(read)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    with open(read, "rb", closefd=True) as pipe:
        data = pipe.read()
    _pid, status = os.waitpid(pid, 0)
    second = None
    if status == 0 and data:
        try:
            second = [decode(value) for value in marshal.loads(data)]
        except (EOFError, ValueError, TypeError):
            second = None
    if second is None or len(second) != count - middle:
        second = [fn(items[i]) for i in range(middle, count)]
    return first + second
