"""Time `serve` from saving a notice to the reloaded page showing the edit.

    python benchmarks/serve_reload.py SITE NOTICE [--runs 5] [--port 8765]

SITE is a site folder (e.g. one written by ``python benchmarks/run.py --make-site 10000 DIR``),
NOTICE a notice file inside it relative to SITE (e.g. content/2022/10/x.md).  The script starts
``build.py serve``, waits for the first preview, then appends a sentence to NOTICE ``--runs``
times; each time it measures from writing the file until the live-reload endpoint reports a new
build and the notice's page contains the sentence.  The notice is restored afterwards.
Prints each run, then the median, min and max.  Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def get(url: str, timeout: float = 120) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode("utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("site")
    ap.add_argument("notice", help="notice file relative to SITE, e.g. content/2022/10/x.md")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--port", type=int, default=8765)
    args = ap.parse_args(argv)
    path = Path(args.site) / args.notice
    original = path.read_text(encoding="utf-8")
    base = f"http://127.0.0.1:{args.port}/"
    server = subprocess.Popen([sys.executable, str(REPO / "build.py"), "serve", "--site", args.site,
                               "--port", str(args.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times: list[float] = []
    try:
        started = time.time()
        while True:
            try:
                if json.loads(get(base + "__reload?since=none", 5)).get("ok"):
                    break
            except OSError:
                pass
            if server.poll() is not None:
                raise SystemExit("serve exited")
            time.sleep(0.5)
        print(f"first preview ready after {time.time() - started:.1f} s")
        # the notice's page, from the preview's sitemap (file stem = slug for ASCII file names)
        page = next((line.split("<loc>")[1].split("</loc>")[0].split("/", 3)[3]
                     for line in get(base + "sitemap.xml").splitlines() if f"/{path.stem}.html<" in line), None)
        if page is None:
            raise SystemExit(f"no page for {args.notice} in the sitemap: pick a notice with an ASCII file name")
        for k in range(args.runs):
            current = json.loads(get(base + "__reload?since=none", 5))["id"]
            sentence = f"第{k}次预览计时语句"
            t0 = time.perf_counter()
            path.write_text(original + f"\n{sentence}。\n", encoding="utf-8")
            state = json.loads(get(base + f"__reload?since={current}"))
            html = get(base + page)
            elapsed = time.perf_counter() - t0
            if sentence not in html:
                raise SystemExit(f"run {k}: the page does not show the edit (build ok={state.get('ok')})")
            times.append(elapsed)
            print(f"run {k + 1}: {elapsed:.2f} s")
            time.sleep(1)
    finally:
        path.write_text(original, encoding="utf-8")
        server.terminate()
        server.wait(10)
    print(f"median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
