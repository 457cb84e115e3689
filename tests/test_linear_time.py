"""Near-linear time on hostile bodies (issue 12 item 6), measured as a ratio, not a deadline.

Each pattern of benchmarks/adversarial.py (long runs of every ASCII punctuation character,
tabs, digits, Han characters, and the constructs found quadratic: "[", "![", "[a](", "<a ",
20,000 identical headings, digit runs for the broadcast draft ...) is checked at two sizes
ten times apart.  Linear code takes about ten times as long for the larger body; quadratic
code a hundred times.  The assertion allows RATIO (noise, n log n) plus a floor for bodies
so fast that timer noise dominates.  Figures go to the reliability summary.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REPO
from support.trees import SUMMARY

sys.path.insert(0, str(REPO / "benchmarks"))
import adversarial  # noqa: E402

RATIO = 25

# The constructs the adversarial pass reproduced as quadratic (issue 12 item 6), at full size.
NAMED = ["中|\t", "中| ", "[", "![", "[a](", "<a ", "# 同一个标题\n\n", "1", "中|1", "&", "</", "\\"]


def _measure(patterns: list[str], sizes: tuple[int, int], repeat: int = 1) -> list[tuple[str, float, float]]:
    """Run the benchmark in a child process: the builder's module-level state (caches, memo
    tables) of the many in-process checks must not leak into later tests."""
    args = [sys.executable, str(REPO / "benchmarks" / "adversarial.py"), "--json", "--repeat", str(repeat),
            "--sizes", str(sizes[0]), str(sizes[1]), "--only",
            *[p.encode("unicode_escape").decode("ascii") for p in patterns]]
    result = subprocess.run(args, capture_output=True, text=True, timeout=3600)
    assert result.returncode == 0, result.stderr
    return [tuple(json.loads(line)) for line in result.stdout.splitlines() if line.strip()]


def _check(rows, floor: float) -> list[str]:
    slow = []
    for pattern, small, large in rows:
        SUMMARY.append(f"linear time {pattern!r}: {small:.3f} s -> {large:.3f} s (x{large / max(small, 1e-9):.1f})")
        if large > RATIO * small + floor:
            slow.append(f"{pattern!r}: {small:.3f} s -> {large:.3f} s")
    return slow


@pytest.mark.slow
def test_every_pattern_is_near_linear_10kb_to_100kb():
    rows = _measure(adversarial.PATTERNS, (10_000, 100_000), repeat=2)
    assert [row[0] for row in rows] == adversarial.PATTERNS
    assert not _check(rows, floor=0.5)


@pytest.mark.slow
def test_issue_patterns_are_near_linear_100kb_to_1mb():
    rows = _measure(NAMED, (100_000, 1_000_000))
    assert [row[0] for row in rows] == NAMED
    assert not _check(rows, floor=3.0)
