"""Browser suite fixtures: the example site built once, one local server, one Chromium per session.

The example site (repository root) is built at a pinned clock, 2026-11-28 12:00 Beijing
time: the 寒潮蓝色预警 (2026-11-27 16:30 .. 2026-11-30 20:00) is current and shown on
the home page, the 元旦放假 notice (publish_at 2026-12-01) is not yet due.  A second
build of the same content with ``page_size: 1`` provides a column with a second page.
Both are served from one local HTTP server: ``/site/`` and ``/paged/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from support.browser import launch_chromium, require_browser, serve_directory

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_EPOCH = "1795838400"  # 2026-11-28 12:00 +08:00
ARTIFACTS = REPO / "tests" / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@dataclass(frozen=True)
class Served:
    root: Path   # folder holding both builds
    base: str    # http://127.0.0.1:PORT/

    @property
    def site(self) -> Path:
        return self.root / "site"

    def url(self, build: str, path: str) -> str:
        return f"{self.base}{build}/{path}"


def _build(site_dir: Path, out: Path) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EXAMPLE_EPOCH}
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--site", str(site_dir), "--output", str(out)],
                            capture_output=True, text=True, encoding="utf-8", env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "警告" not in result.stderr, result.stderr


@pytest.fixture(scope="session")
def built_example(tmp_path_factory) -> Path:
    """Folder with ``site/`` (the example site as committed) and ``paged/`` (page_size 1)."""
    root = tmp_path_factory.mktemp("example")
    _build(REPO, root / "site")
    paged_src = root / "paged-src"
    shutil.copytree(REPO / "content", paged_src / "content")
    for name in ("pronunciations.yaml", "terms.yaml"):
        shutil.copy(REPO / name, paged_src / name)
    config = yaml.safe_load((REPO / "site.yaml").read_text(encoding="utf-8"))
    config["page_size"] = 1
    (paged_src / "site.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    _build(paged_src, root / "paged")
    return root


@pytest.fixture(scope="session")
def served(built_example) -> Served:
    with serve_directory(built_example) as base:
        yield Served(built_example, base)


@pytest.fixture(scope="session")
def browser():
    require_browser()
    with launch_chromium() as b:
        yield b


@pytest.fixture(scope="session")
def axe_source() -> str:
    path = REPO / "node_modules" / "axe-core" / "axe.min.js"
    if not path.exists():
        pytest.fail("node_modules/axe-core is missing: run `bash tools/setup.sh --dev` (npm ci)")
    return str(path)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
