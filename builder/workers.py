"""Map a function over many items in forked worker processes that inherit the caller's state.

The items and the function stay in this process's memory; ``fork`` hands them to the
workers without pickling, and only the results travel back.  Below ``threshold`` items,
on one core, or where ``fork`` does not exist, the map runs in this process.
:func:`forked_map` hands every item to a pool of workers; :func:`halved` keeps this process
working on the first half while one forked child does the second (for work too short for a pool);
:class:`Aside` runs one whole computation in a forked child while this process does another.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import marshal
import mmap
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


class ForkedResult:
    """``compute()`` in a forked child while this process goes on; :meth:`result` reads back what it
    returned (plain values: marshal), or None when there is no ``fork`` or the child failed (the
    caller then computes it itself).  :meth:`close` stops a child whose result is not wanted."""

    def __init__(self, compute: Callable[[], object], nice: int = 0) -> None:
        """``nice``: added to the child's niceness (work that may wait for idle cycles)."""
        self._pid: int | None = None
        self._fd: int | None = None
        if not hasattr(os, "fork"):
            return
        read, write = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            status = 1
            try:
                os.close(read)
                die_with(parent)
                if nice:
                    os.nice(nice)
                data = memoryview(marshal.dumps(compute(), 4))
                while data:
                    data = data[os.write(write, data):]
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        self._pid, self._fd = pid, read

    @property
    def started(self) -> bool:
        return self._pid is not None

    def result(self) -> object | None:
        if self._fd is None or self._pid is None:
            return None
        with open(self._fd, "rb", closefd=True) as pipe:
            self._fd = None
            data = pipe.read()
        pid, self._pid = self._pid, None
        _pid, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            return None
        try:
            return marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            return None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._pid is not None:
            pid, self._pid = self._pid, None
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            os.waitpid(pid, 0)


class Aside:
    """``compute()`` in a forked child while this process does other work; :meth:`result` returns it.

    The child sends ``encode(compute())`` (plain values: marshal) and :meth:`result` ``decode``s it.
    With fewer than two ``jobs`` (default: the cores), without ``fork``, or when the child failed,
    :meth:`result` computes it here (so an exception is raised here, as it would be without a child).
    :meth:`close` stops a child whose result is no longer wanted (e.g. the build stopped)."""

    def __init__(self, compute: Callable[[], R], encode: Callable[[R], object], decode: Callable[[object], R],
                 jobs: int | None = None) -> None:
        jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        self._compute, self._decode = compute, decode
        self._child = ForkedResult(lambda: encode(compute())) if jobs >= 2 else None

    @property
    def forked(self) -> bool:
        return self._child is not None and self._child.started

    def result(self) -> R:
        child, self._child = self._child, None
        plain = child.result() if child is not None else None
        if plain is not None:
            try:
                return self._decode(plain)
            except (ValueError, TypeError):
                pass
        return self._compute()

    def close(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.close()


def die_with(parent: int) -> None:
    """Linux: this (forked) process gets SIGKILL when ``parent`` dies; exits if it already has."""
    if _PRCTL is not None:
        _PRCTL(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
    if os.getppid() != parent:
        os._exit(1)


def _prctl():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl() if os.name == "posix" else None


def halved(fn: Callable[[T], R], items: Sequence[T], encode: Callable[[R], object], decode: Callable[[object], R],
           jobs: int | None = None, threshold: int = 5000, block: int = 512) -> list[R]:
    """``[fn(item) for item in items]``, shared with one forked child.  Both processes take the next
    block of ``block`` items from a counter in shared memory until none is left, so that they finish
    together however uneven the items (a site's list pages come after its notice pages) or the two
    processes' shares of the cores.  The child sends ``encode(result)`` for each (plain values:
    marshal) with the numbers of its blocks, and this process ``decode``s them.  Below ``threshold``
    items, with fewer than two ``jobs`` (default: the cores), without ``fork``, or when the child
    fails, this process maps what it did not get back."""
    count = len(items)
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if count < threshold or jobs < 2 or not hasattr(os, "fork"):
        return [fn(item) for item in items]
    blocks = [range(start, min(start + block, count)) for start in range(0, count, block)]
    shared = mmap.mmap(-1, 8)  # the number of the next block to take (anonymous, shared with the child)
    lock = multiprocessing.get_context("fork").Lock()

    def take() -> int:
        with lock:
            number = int.from_bytes(shared[:8], "little")
            shared[:8] = (number + 1).to_bytes(8, "little")
        return number

    def work() -> dict[int, list]:
        done = {}
        while (number := take()) < len(blocks):
            done[number] = [fn(items[i]) for i in blocks[number]]
        return done

    child = ForkedResult(lambda: [(number, [encode(r) for r in results]) for number, results in work().items()])
    try:
        here = work()  # returns when every block is taken: the child finds none left either
    except BaseException:
        child.close()
        raise
    there = child.result()
    shared.close()
    theirs = {}
    for entry in there if isinstance(there, list) else ():
        if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], list):
            theirs[entry[0]] = entry[1]
    results: list = []
    for number, part in enumerate(blocks):
        got = here.get(number)
        if got is None:
            sent = theirs.get(number)
            # what the child sent, or (it failed) mapped here
            got = [decode(v) for v in sent] if sent is not None and len(sent) == len(part) else [fn(items[i]) for i in part]
        results += got
    return results
