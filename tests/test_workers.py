"""forked_map: the same results, in order, as a plain map; closures work (nothing is pickled but results)."""

from __future__ import annotations

import os

from builder.workers import forked_map


def test_forked_map_equals_map_and_keeps_order():
    offset = 7  # captured by a closure that could not be pickled
    items = list(range(1000))
    pids = forked_map(lambda i: os.getpid(), items, jobs=2, threshold=10, chunk=100)
    assert forked_map(lambda i: i * i + offset, items, jobs=2, threshold=10, chunk=37) == [i * i + offset for i in items]
    assert os.getpid() not in pids  # really ran in workers


def test_small_inputs_run_in_this_process():
    assert forked_map(lambda i: os.getpid(), [1, 2, 3], jobs=2, threshold=10) == [os.getpid()] * 3
