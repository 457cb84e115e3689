"""Shared browser-test support: Debian's Chromium driven by Playwright, and a local static server.

Never downloads a browser: Playwright is pointed at /usr/bin/chromium.  In CI
(``CI=true``) a missing browser is a failure, not a skip, so browser tests
cannot silently stop running.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import http.server
import os
import shutil
import socketserver
import threading
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def require_browser() -> str:
    """Path of Chromium, or skip locally / fail in CI when it is not installed."""
    path = chromium_path()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        message = "Chromium or Playwright missing: run `bash tools/setup.sh --dev`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


_PLAYWRIGHT = None


def _playwright():
    """One Playwright driver per test process: sync_playwright() cannot be nested, and the browser
    suite keeps a session-wide browser open while other tests launch their own."""
    global _PLAYWRIGHT
    if _PLAYWRIGHT is None:
        from playwright.sync_api import sync_playwright

        _PLAYWRIGHT = sync_playwright().start()
        atexit.register(_PLAYWRIGHT.stop)
    return _PLAYWRIGHT


@contextlib.contextmanager
def launch_chromium(**kwargs):
    """Yield a Playwright ``Browser`` running Debian's Chromium headless."""
    executable = require_browser()
    browser = _playwright().chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS, **kwargs)
    try:
        yield browser
    finally:
        browser.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
                      ".json": "application/json", ".xml": "application/xml"}

    def log_message(self, *args) -> None:  # keep test output clean
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextlib.contextmanager
def serve_directory(root: Path):
    """Serve ``root`` on 127.0.0.1 (a free port); yield the base URL ending in '/'."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
