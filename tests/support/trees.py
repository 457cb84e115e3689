"""Digests of whole output trees and a place for figures printed in pytest's summary."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

# Lines collected by tests and printed at the end of the run (see conftest.pytest_terminal_summary).
SUMMARY: list[str] = []


def tree_digest(root: Path) -> dict[str, str] | None:
    """{relative path: sha256 or "<dir>"} for every file and folder under ``root``; None if it is missing."""
    if not root.is_dir():
        return None
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for name in dirnames:
            found[(base / name).relative_to(root).as_posix()] = "<dir>"
        for name in filenames:
            path = base / name
            found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def leftovers(output: Path) -> list[str]:
    """Staging / old / temporary folders a build left beside ``output``."""
    return sorted(p.name for p in output.parent.iterdir()
                  if p.name.startswith(f".{output.name}.") and not p.name.endswith(".lock"))
