#!/usr/bin/env python3
"""Where the builder's own memory goes: one build, in this process, with the main process's
VmRSS / VmHWM (``/proc/self/status``, Linux) printed at every stage boundary.

    python benchmarks/memprobe.py build --site S --output O [-v] [--no-cache] ...
    python benchmarks/memprobe.py --trace STAGE build --site S --output O

The arguments after the options are ``build.py``'s.  ``--trace STAGE``: run under tracemalloc
and, when a stage whose name contains STAGE begins (e.g. ``写入其他文件``, after rendering),
print the biggest allocation sites (file:line, MB, objects) still alive; this slows the build
down several times and adds its own memory to the RSS figures.  Worker processes (parsing,
checks, rendering, search index) are not counted: this is the main process only.  Standard library only.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from builder import report  # noqa: E402
from builder.cli import main  # noqa: E402


def status() -> tuple[int, int]:
    """(VmRSS, VmHWM) of this process in MB; (0, 0) where /proc is missing."""
    found = {}
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":")
                    found[key] = int(value.split()[0]) // 1024
    except OSError:
        pass
    return found.get("VmRSS", 0), found.get("VmHWM", 0)


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trace", metavar="STAGE", help="tracemalloc snapshot when this stage begins")
    parser.add_argument("--top", type=int, default=30, help="allocation sites to print (default 30)")
    options, rest = parser.parse_known_args(argv)
    if options.trace:
        tracemalloc.start()
    stage = report.ConsoleReporter.stage

    def probed(reporter, name: str) -> None:
        rss, hwm = status()
        sys.stderr.write(f"   MEM rss={rss} MB hwm={hwm} MB  (before: {name})\n")
        if options.trace and options.trace in name:
            stats = tracemalloc.take_snapshot().statistics("lineno")
            sys.stderr.write(f"   TRACE {sum(s.size for s in stats) / 1e6:.1f} MB traced\n")
            for item in stats[:options.top]:
                sys.stderr.write(f"   {item.size / 1e6:8.1f} MB {item.count:9d}  {item.traceback[0]}\n")
        stage(reporter, name)

    report.ConsoleReporter.stage = probed
    started = time.perf_counter()
    code = main(rest)
    rss, hwm = status()
    sys.stderr.write(f"   MEM end rss={rss} MB hwm={hwm} MB  {time.perf_counter() - started:.2f} s\n")
    return code


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
