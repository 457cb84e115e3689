"""Throughput of builder.speech.normalize on the golden-table sentences.

Usage:  python benchmarks/speak_throughput.py [--rounds N] [--runs 5] [--min-chars 25]

Prints sentences per second: the median of ``--runs`` timed runs, each of which
normalizes every written sentence of tests/golden/speech.tsv ``--rounds`` times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from builder.speech import normalize  # noqa: E402

GOLDEN = ROOT / "tests" / "golden" / "speech.tsv"


def load_sentences() -> list[str]:
    sentences = []
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            sentences.append(line.split("\t")[1])
    return sentences


def run_once(sentences: list[str], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for sentence in sentences:
            normalize(sentence)
    return len(sentences) * rounds / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="passes over the table per run")
    parser.add_argument("--runs", type=int, default=5, help="timed runs (median is reported)")
    parser.add_argument("--min-chars", type=int, default=0,
                        help="only sentences at least this long (25 ≈ notice-length)")
    args = parser.parse_args(argv)

    sentences = [s for s in load_sentences() if len(s) >= args.min_chars]
    run_once(sentences, 1)  # warm-up
    rates = [run_once(sentences, args.rounds) for _ in range(args.runs)]
    chars = sum(len(s) for s in sentences) / len(sentences)
    print(
        f"{len(sentences)} sentences (avg {chars:.0f} chars) x {args.rounds} rounds, "
        f"{args.runs} runs: median {statistics.median(rates):,.0f} sentences/s "
        f"(min {min(rates):,.0f}, max {max(rates):,.0f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
