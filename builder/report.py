"""Progress and result output, kept out of the build logic (Lektor's reporter idea)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from .diagnostics import Diagnostic


class Reporter:
    """Silent reporter; subclasses print.  Build stages call these hooks only."""

    def stage(self, name: str) -> None: ...

    def progress(self, done: int, total: int) -> None: ...

    def diagnostics(self, items: list[Diagnostic]) -> None: ...

    def note(self, text: str) -> None: ...

    def waiting_for_lock(self) -> None: ...


class ConsoleReporter(Reporter):
    """Plain lines on pipes and CI; a one-line progress bar on an interactive terminal."""

    def __init__(self, stream: TextIO | None = None, verbose: bool = False):
        self.out = stream or sys.stderr
        self.tty = hasattr(self.out, "isatty") and self.out.isatty()
        self.verbose = verbose
        self.started = time.perf_counter()
        self._last = 0.0
        self._bar = False

    def _clear_bar(self) -> None:
        if self._bar:
            self.out.write("\r\033[K")
            self._bar = False

    def stage(self, name: str) -> None:
        if self.verbose:
            self._clear_bar()
            self.out.write(f"[{time.perf_counter() - self.started:6.2f}s] {name}\n")
            self.out.flush()

    def progress(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - self.started < 2.0 or total <= 0:
            return
        if self.tty:
            if now - self._last < 0.1 and done < total:
                return
            width = 30
            filled = int(width * done / total)
            self.out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            self._bar = done < total
            if done >= total:
                self.out.write("\r\033[K")
        elif now - self._last >= 5.0 or done >= total:
            self.out.write(f"进度 {done}/{total}\n")
        self._last = now
        self.out.flush()

    def diagnostics(self, items: list[Diagnostic]) -> None:
        self._clear_bar()
        for item in items:
            self.out.write(item.format() + "\n")
        self.out.flush()

    def note(self, text: str) -> None:
        self._clear_bar()
        self.out.write(text + "\n")
        self.out.flush()

    def waiting_for_lock(self) -> None:
        self.note("另一个构建正在写入同一个输出目录，等待它结束……")
