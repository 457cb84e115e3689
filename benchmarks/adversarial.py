"""Time of checking one notice whose body is a long run of one hostile pattern (issue 12 item 6).

Every pattern must cost near-linear time: the figure that matters is the ratio of the
time for a 1 MB body to the time for a 100 KB body (about 10 when linear, 100 when
quadratic), not the absolute time.  The whole per-notice path runs in-process: reading,
front matter, Markdown, summary, editorial checks (错敏字), the broadcast draft.

    python3 benchmarks/adversarial.py                 # every pattern, 100 KB and 1 MB
    python3 benchmarks/adversarial.py --sizes 10000 40000 --only '[' '<a '

tests/test_linear_time.py asserts the ratios with the same code.
"""

from __future__ import annotations

import argparse
import shutil
import string
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LINE = 2_000  # characters per line (the reader refuses lines over 100,000); every size has several lines

# Long runs of each ASCII punctuation character, tabs, digits and Han characters, and the
# constructs found quadratic in the adversarial pass (issue 12).
PATTERNS: list[str] = list(string.punctuation) + [
    "\t", " \t", "1", "１", "中", "中\t", "中 ", "中\t\n", "a", "a ",
    "中|\t", "中| ", "中|1", "中|１", "中|[", "中|-", "中|.", "中|\\",
    "![", "[a](", "[a]", "[a][", "<a ", "</", "<!--", "&#", "&amp", "`a", "**a", "_a",
    "# 同一个标题\n\n", "- ", "1. ", "> ", "|", "a|", "[^1]", "\\[", "1月", "电话1", "我市",
    "（一）", "。", "，", "：", "www.", "http://", "    ",
]


def body(pattern: str, size: int) -> str:
    """``pattern`` repeated to ``size`` bytes of UTF-8, lines wrapped at LINE characters (one
    paragraph); ``中|X`` is a run of X between two Han characters."""
    head = tail = ""
    if pattern.startswith("中|"):
        head, pattern, tail = "中", pattern[2:], "中"
    unit = len(pattern.encode("utf-8"))
    text = head + pattern * max(1, size // unit) + tail
    if "\n" in pattern:
        return text
    return "\n".join(text[i:i + LINE] for i in range(0, len(text), LINE))


def _site(root: Path) -> Path:
    (root / "content").mkdir(parents=True)
    (root / "site.yaml").write_text("title: 测试县人民政府\nbase_url: https://www.example.gov.cn/\n"
                                    "categories:\n  - {name: 通知公告, slug: tzgg}\n", encoding="utf-8")
    return root


def check_seconds(text: str, site: Path) -> float:
    """Seconds to check a site holding one notice with ``text`` as its body."""
    from builder.diagnostics import BuildError
    from builder.pipeline import BuildOptions, check
    from builder.report import Reporter

    notice = site / "content" / "a.md"
    notice.write_text("---\ntitle: 关于测试的通知\ndate: 2022-05-04 12:30\n---\n" + text + "\n", encoding="utf-8")
    options = BuildOptions(site_dir=site, output_dir=site / "output", use_cache=False, jobs=1)
    started = time.perf_counter()
    try:
        check(options, Reporter())
    except BuildError:
        pass  # an error about the content is a fine answer; the time is what is measured
    return time.perf_counter() - started


def _assert_checks(site: Path) -> None:
    """The harness itself must reach the body (a site-level error would time nothing)."""
    from builder.pipeline import BuildOptions, check
    from builder.report import Reporter

    check_seconds("", site)
    (site / "content" / "a.md").write_text("---\ntitle: 关于测试的通知\ndate: 2022-05-04 12:30\n---\n"
                                           "请各村于5月6日前上报，电话0375-1234567。\n", encoding="utf-8")
    result = check(BuildOptions(site_dir=site, output_dir=site / "output", use_cache=False, jobs=1), Reporter())
    assert len(result.entries) == 1, "the benchmark site does not check cleanly"


def measure(patterns: list[str], sizes: tuple[int, int], repeat: int = 1):
    """(pattern, seconds for the small body, seconds for the large one), one pattern at a time."""
    tmp = Path(tempfile.mkdtemp(prefix="adversarial-"))
    try:
        site = _site(tmp / "site")
        _assert_checks(site)
        check_seconds("预热。", site)  # imports, Markdown instance
        for pattern in patterns:
            small = min(check_seconds(body(pattern, sizes[0]), site) for _ in range(repeat))
            large = min(check_seconds(body(pattern, sizes[1]), site) for _ in range(repeat))
            yield pattern, small, large
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=(100_000, 1_000_000), metavar=("SMALL", "LARGE"))
    parser.add_argument("--only", nargs="*", default=None, help="patterns to run (default: all)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="one JSON list [pattern, small s, large s] per line")
    args = parser.parse_args()
    patterns = ([p.encode("latin-1", "backslashreplace").decode("unicode_escape") for p in args.only]
                if args.only else PATTERNS)
    if args.json:
        import json

        for row in measure(patterns, tuple(args.sizes), args.repeat):
            print(json.dumps(row), flush=True)
        return 0
    print(f"{'pattern':<20} {args.sizes[0] // 1000:>6} KB  {args.sizes[1] // 1000:>6} KB  ratio")
    for pattern, small, large in measure(patterns, tuple(args.sizes), args.repeat):
        print(f"{pattern!r:<20} {small:8.3f} s {large:8.3f} s  {large / small:5.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
