"""Throughput of builder.speech.normalize on the golden-table sentences.

Usage:  python benchmarks/speak_throughput.py [--rounds N] [--runs 5] [--min-chars 25] [--table TSV]
        python benchmarks/speak_throughput.py --scaling

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


def load_sentences(table: Path = GOLDEN) -> list[str]:
    sentences = []
    for line in table.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            sentences.append(line.split("\t")[1])
    return sentences


def run_once(sentences: list[str], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for sentence in sentences:
            normalize(sentence)
    return len(sentences) * rounds / (time.perf_counter() - start)


# Repeated fragments that exercise every pattern with a repeat or a look-around.
ADVERSARIAL = ("1", "1-", "-1", "1.", "1:", "12:00", "1/", "1,", "1年", "1·", "1 ", "下午1:00", "（1", "1a",
               "¥1", "1元/", "08-", "0.", "电话1", "1后", "公元1", "1ad", "1:1-")


def _best_of(fn, text: str, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(text)
        best = min(best, time.perf_counter() - start)
    return best


def scaling() -> int:
    worst = 0.0
    for piece in ADVERSARIAL:
        small = _best_of(normalize, piece * (20000 // len(piece)))
        large = _best_of(normalize, piece * (80000 // len(piece)))
        ratio = large / max(small, 1e-6)
        worst = max(worst, ratio)
        print(f"{piece!r:10} 20k chars {small * 1000:7.1f} ms   80k chars {large * 1000:7.1f} ms   ratio {ratio:4.1f}")
    print(f"worst ratio {worst:.1f} (4 = linear, 16 = quadratic)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="passes over the table per run")
    parser.add_argument("--runs", type=int, default=5, help="timed runs (median is reported)")
    parser.add_argument("--min-chars", type=int, default=0,
                        help="only sentences at least this long (25 ≈ notice-length)")
    parser.add_argument("--table", type=Path, default=GOLDEN,
                        help="another golden table (e.g. an older version, to compare like with like)")
    parser.add_argument("--scaling", action="store_true",
                        help="time adversarial inputs of 20,000 and 80,000 characters and print the ratios "
                             "(about 4 means linear, about 16 quadratic)")
    args = parser.parse_args(argv)
    if args.scaling:
        return scaling()

    sentences = [s for s in load_sentences(args.table) if len(s) >= args.min_chars]
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
