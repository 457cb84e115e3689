"""The benchmark's tree-memory figure (issue 15 item 3): the sum over every process of a run's
session, sampled without taking the CPU the measured build needs."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import run as bench  # noqa: E402

# A parent and a forked child each touch their own 120 MB for a second: the tree holds ~240 MB
# at once though neither process ever holds more than ~130 MB.
TWO_PROCESSES = textwrap.dedent("""
    import os, time
    def hold():
        block = bytearray(120 * 1024 * 1024)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(1.5)
    pid = os.fork()
    hold()
    if pid:
        os.waitpid(pid, 0)
    else:
        os._exit(0)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_sampler_sums_the_tree_and_stays_within_its_cpu_budget(tmp_path):
    result = bench.measure([sys.executable, "-c", TWO_PROCESSES], str(tmp_path), str(tmp_path / "log"), timeout=60)
    assert result.ok
    tree_mb, largest_mb = result.tree_kb / 1024, result.maxrss_kb / 1024
    assert 120 <= largest_mb < 200
    assert tree_mb >= 235, "both processes' memory at once"
    assert result.samples >= 5
    # at most the budget (5 % of one core) plus one sample's worth
    assert result.sampler_cpu <= 0.05 * result.wall + result.sampler_cpu / result.samples + 0.01


def test_a_costly_sample_spaces_out_the_next():
    sampler = bench.TreeSampler(sid=-1, interval=0.05, budget=0.05)
    spent = []

    def slow_read(sid):
        import time
        started = time.thread_time()
        while time.thread_time() - started < 0.02:  # 20 ms of CPU, as a 1.5 GB process costs
            pass
        spent.append(1)
        return 0, 0

    original = bench.session_memory_kb
    bench.session_memory_kb = slow_read
    try:
        sampler.start()
        import time
        time.sleep(1.0)
        sampler.stop()
    finally:
        bench.session_memory_kb = original
    # every 50 ms would be ~15 samples in a second; 20 ms each at 5 % of a core is one every ~0.4 s
    assert 2 <= len(spent) <= 4
