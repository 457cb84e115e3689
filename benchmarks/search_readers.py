#!/usr/bin/env python3
"""What a reader gets from a built site's search page, measured in a real Chromium.

    python benchmarks/search_readers.py OUTPUT [OUTPUT ...] [--queries N] [--first 疫情防控,停水]

For each built output folder (e.g. the example site built by two versions of the builder):

* recall and precision against the pages themselves: the truth for a query is the set of notice
  pages whose text (``data-search-body``, or Pagefind's ``data-pagefind-body``; NFKC, lower case)
  contains the query.  The queries are a few named words plus ``--queries`` random runs of 2-4 CJK
  characters taken from the pages (fixed seed, so every output gets the same queries when the
  pages are the same);
* for each ``--first`` query, a first search on a fresh page: results, seconds from the click to
  the result list, requests and bytes (page load included, as the server sends them).

Chromium is Debian's (``/usr/bin/chromium``, or ``CHROMIUM``); the folders are served with
Python's http.server (no compression).  Prints one line per output and query.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import sys
import threading
import time
import unicodedata
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

NAMED = ["疫情防控", "停水", "防控", "建设路", "寒潮", "舞钢市", "停电", "疫苗接种", "加强免疫", "蓝色预警", "秸秆禁烧",
         "小麦", "水资源", "防汛"]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve(root: Path):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/"


def page_texts(root: Path) -> dict[str, str]:
    from builder.searchindex import page_text

    texts = {}
    for page in sorted(root.glob("[0-9]*/[0-9]*/*.html")):
        found = page_text(page.read_text(encoding="utf-8"))
        if found is not None:
            texts[page.relative_to(root).as_posix()] = unicodedata.normalize("NFKC", found[0] + "\n" + found[1]).lower()
    return texts


def queries(texts: dict[str, str], count: int) -> list[str]:
    rng = random.Random(2026)
    found = list(NAMED)
    pool = [t for _p, t in sorted(texts.items())]
    for _ in range(100 * count):
        if len(found) >= len(NAMED) + count or not pool:
            break
        text = rng.choice(pool)
        n = rng.choice((2, 3, 4))
        if len(text) <= n:
            continue
        i = rng.randrange(len(text) - n)
        q = text[i:i + n]
        if all(0x4E00 <= ord(c) <= 0x9FFF for c in q) and q not in found:
            found.append(q)
    return found


def search(browser, base: str, query: str) -> tuple[list[str], float, int, int]:
    context = browser.new_context()
    page = context.new_page()
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(base + "search.html")
    page.wait_for_selector("[data-search-ready]", state="attached", timeout=60000)
    started = time.perf_counter()
    page.get_by_label("搜索关键词").fill(query)
    page.get_by_role("button", name="搜索", exact=True).last.click()
    page.wait_for_function("() => /共找到|没有找到/.test(document.getElementById('search-status').textContent)",
                           timeout=120000)
    seconds = time.perf_counter() - started
    hrefs = page.locator("#search-results li > a").evaluate_all("links => links.map(a => new URL(a.href).pathname)")
    size = 0
    for request in finished:
        try:
            size += request.sizes()["responseBodySize"]
        except Exception:  # noqa: BLE001 - a request without sizes counts nothing
            pass
    context.close()
    return [h.lstrip("/") for h in hrefs], seconds, len(finished), size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outputs", nargs="+", type=Path)
    ap.add_argument("--queries", type=int, default=66, help="random queries besides the named ones (default 66)")
    ap.add_argument("--first", default="", help="comma-separated queries for the first-search figures")
    ap.add_argument("--no-recall", action="store_true", help="only the first-search figures (a big site)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
        for root in args.outputs:
            httpd, base = serve(root)
            try:
                if not args.no_recall:
                    texts = page_texts(root)
                    hit = miss = extra = 0
                    missing = []
                    for q in queries(texts, args.queries):
                        truth = {p for p, t in texts.items() if q in t}
                        got = set(search(browser, base, q)[0])
                        hit, miss, extra = hit + len(truth & got), miss + len(truth - got), extra + len(got - truth)
                        if truth - got:
                            missing.append(q)
                    print(f"{root}: {len(texts)} pages, {len(NAMED) + args.queries} queries: "
                          f"recall {hit / max(hit + miss, 1):.3f}, precision {hit / max(hit + extra, 1):.3f} "
                          f"(found {hit}, missed {miss}, not containing the query {extra}); "
                          f"queries missing a page: {len(missing)} {missing[:10]}", flush=True)
                for q in filter(None, args.first.split(",")):
                    got, seconds, requests, size = search(browser, base, q)
                    print(f"{root}: first search {q}: {len(got)} results, {seconds:.2f} s, {requests} requests, "
                          f"{size / 1024:.0f} KB", flush=True)
            finally:
                httpd.shutdown()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
