"""Child processes in tests: follow what a running build prints."""

from __future__ import annotations

import subprocess
import threading
import time

LOCK_WAIT = "另一个构建正在写入同一个输出目录"  # what a build prints while another one holds the output lock


class StderrLines:
    """Collects a child's stderr lines in a thread, so a test can wait for one while the child runs."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.lines: list[str] = []
        self._reader = threading.Thread(
            target=lambda: self.lines.extend(line.decode("utf-8", "replace") for line in proc.stderr), daemon=True)
        self._reader.start()

    def wait_for(self, text: str, timeout: float, what: str) -> None:
        """Wait until ``text`` appears; fail if the child exits first (``what`` says what it should have done)."""
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert self.proc.poll() is None, what + ": " + "".join(self.lines)
            assert time.monotonic() < deadline, f"no “{text}” within {timeout} s: " + "".join(self.lines)
            time.sleep(0.05)

    def join(self, timeout: float = 10) -> None:
        self._reader.join(timeout)
