"""Pass rates of builder.speech on the public Chinese TN test suites (development set).

Usage:  python benchmarks/tn_devset.py [--show error|convention|out-of-scope|all] [--update]

Reads the WeTextProcessing (``written => spoken``) and NeMo (``written~spoken``) test
files under benchmarks/data/tn/ (sources and licences: benchmarks/data/tn/README.md),
reads every written form with ``builder.speech.to_spoken`` and compares it with the
expected spoken form.  Comparison ignores punctuation and spaces (the suites differ
from each other in punctuation width, and our pauses after an area code are commas).

A row that fails is looked up in benchmarks/data/tn/classification.tsv:

- ``out-of-scope``: not TN proper; left out of the pass rate;
- ``convention``: our reading differs on purpose; counted as a failure, listed apart;
- ``error``: a reading to fix.

A failing row whose reading equals the expected one once the variants both of which
are correct are folded (幺/一, 两/二, 公斤/千克, 公里/千米) is left out as well
(``variant``).  A failing row missing from the table is reported as ``unclassified``;
``--update`` rewrites the table with every current failure (known classes kept,
new rows marked ``error``) and drops rows that now pass.

Prints, per suite: in-scope rows, passed, pass rate, and counts per class.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from builder.speech import to_spoken  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "tn"
CLASSIFICATION = DATA / "classification.tsv"
CLASSES = ("out-of-scope", "convention", "error")
SUITES = {"wetextprocessing": " => ", "nemo": "~"}

_PUNCT = re.compile(r"[\s，。、；：！？“”‘’\"'（）()《》,.;:!?\-—]")
_VARIANTS = (("幺", "一"), ("两", "二"), ("公斤", "千克"), ("平方公里", "平方千米"), ("公里", "千米"))


@dataclass(frozen=True)
class Case:
    suite: str
    file: str
    written: str
    expected: str


def load_cases() -> list[Case]:
    cases: list[Case] = []
    for suite, sep in SUITES.items():
        for path in sorted((DATA / suite).glob("*.txt")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                if sep.strip() not in line:
                    continue
                written, _, expected = line.partition(sep.strip())
                if suite == "wetextprocessing":
                    written, expected = written.strip(), expected.strip()
                cases.append(Case(suite, path.name, written, expected))
    return cases


def _bare(text: str) -> str:
    return _PUNCT.sub("", text)


def _fold(text: str) -> str:
    for a, b in _VARIANTS:
        text = text.replace(a, b)
    return text


def load_classification() -> dict[tuple[str, str, str], tuple[str, str]]:
    table: dict[tuple[str, str, str], tuple[str, str]] = {}
    if not CLASSIFICATION.exists():
        return table
    for line in CLASSIFICATION.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        suite, file, written, _expected, _got, cls, note = (line.split("\t") + [""] * 7)[:7]
        if cls not in CLASSES:
            raise SystemExit(f"{CLASSIFICATION}: unknown class {cls!r} in {line!r}")
        table[(suite, file, written)] = (cls, note)
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", choices=("error", "convention", "out-of-scope", "variant", "unclassified", "all"),
                        action="append", default=[], help="print the failing rows of a class")
    parser.add_argument("--update", action="store_true", help="rewrite classification.tsv from the current failures")
    args = parser.parse_args(argv)

    known = load_classification()
    cases = load_cases()
    rows: list[tuple[Case, str, str, str]] = []  # case, got, class, note
    seen: set[tuple[str, str, str]] = set()
    for case in cases:
        key = (case.suite, case.file, case.written)
        if key in seen:  # NeMo repeats some rows
            continue
        seen.add(key)
        got = to_spoken(case.written)
        if _bare(got) == _bare(case.expected):
            cls, note = "pass", ""
        elif _fold(_bare(got)) == _fold(_bare(case.expected)):
            cls, note = "variant", ""
        else:
            cls, note = known.get(key, ("unclassified", ""))
        rows.append((case, got, cls, note))

    for suite in SUITES:
        mine = [r for r in rows if r[0].suite == suite]
        counts = {c: sum(1 for r in mine if r[2] == c)
                  for c in ("pass", "variant", "out-of-scope", "convention", "error", "unclassified")}
        in_scope = len(mine) - counts["variant"] - counts["out-of-scope"]
        rate = counts["pass"] / in_scope if in_scope else 0.0
        print(f"{suite}: {counts['pass']}/{in_scope} in-scope rows read as expected ({rate:.1%}); "
              f"{len(mine)} distinct rows; left out: {counts['out-of-scope']} out of scope, "
              f"{counts['variant']} variant readings; failing: {counts['error']} error, "
              f"{counts['convention']} convention, {counts['unclassified']} unclassified")

    shown = set(args.show)
    if "all" in shown:
        shown = {"error", "convention", "out-of-scope", "variant", "unclassified"}
    for case, got, cls, note in rows:
        if cls in shown:
            print(f"  [{cls}] {case.suite}/{case.file}: {case.written!r} -> {got!r} "
                  f"(expected {case.expected!r}){' — ' + note if note else ''}")

    if args.update:
        lines = ["# suite\tfile\twritten\texpected\tours\tclass\tnote",
                 "# class: out-of-scope (left out of the pass rate) | convention | error.  "
                 "Rewritten by `python benchmarks/tn_devset.py --update` (classes and notes kept)."]
        for case, got, cls, note in rows:
            if cls in ("pass", "variant"):
                continue
            if cls == "unclassified":
                cls = "error"
            lines.append("\t".join((case.suite, case.file, case.written, case.expected, got, cls, note)))
        CLASSIFICATION.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {CLASSIFICATION.relative_to(ROOT)} ({len(lines) - 2} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
