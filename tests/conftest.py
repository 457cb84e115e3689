"""Shared fixtures: the committed fixture site, built once per session with a pinned clock."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURE_SITE = REPO / "tests" / "fixtures" / "site"
BROKEN = REPO / "tests" / "fixtures" / "broken"
# The fixture site is built "at" 2022-07-01 12:00 Beijing time: the scheduled notice is
# not yet due, the 停水 notice has expired, the 橙色 warning is current.
FIXTURE_NOW = datetime(2022, 7, 1, 4, 0, tzinfo=timezone.utc)
FIXTURE_EPOCH = str(int(FIXTURE_NOW.timestamp()))

sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))


def run_build(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python build.py ARGS`` as an editor would, capturing output."""
    full_env = dict(os.environ)
    full_env.setdefault("SOURCE_DATE_EPOCH", FIXTURE_EPOCH)
    full_env.update(env or {})
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args], capture_output=True, text=True,
                          encoding="utf-8", env=full_env, cwd=cwd or REPO, timeout=300)


def copy_site(dest: Path, source: Path = FIXTURE_SITE) -> Path:
    shutil.copytree(source, dest)
    return dest


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The fixture site built once; tests only read it."""
    out = tmp_path_factory.mktemp("fixture") / "output"
    result = run_build("--site", str(FIXTURE_SITE), "--output", str(out))
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def built_drafts(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("drafts") / "output"
    result = run_build("--site", str(FIXTURE_SITE), "--output", str(out), "--drafts")
    assert result.returncode == 0, result.stderr
    return out


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def pytest_terminal_summary(terminalreporter):
    """Figures the reliability tests measured (kill trials, XSS payloads, fuzz examples)."""
    from support.trees import SUMMARY

    if SUMMARY:
        terminalreporter.section("reliability")
        for line in SUMMARY:
            terminalreporter.write_line(line)
