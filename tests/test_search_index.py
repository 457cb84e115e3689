"""The Pagefind search stage: notices indexed, output deterministic, and a build without Pagefind still succeeds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURE_SITE, REPO, run_build
from builder.search import pagefind_available


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.skipif(not pagefind_available(), reason="pagefind[extended] is not installed")
def test_index_covers_notices_only_and_is_byte_identical_across_builds(tmp_path):
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name / "output"
        result = run_build("--site", str(FIXTURE_SITE), "--output", str(out))
        assert result.returncode == 0, result.stderr
        assert "Pagefind" not in result.stderr
        outputs.append(tree(out))
    first, second = outputs
    index = sorted(p for p in first if p.startswith("pagefind/"))
    assert "pagefind/pagefind.js" in index and "pagefind/pagefind-entry.json" in index
    assert any(p.startswith("pagefind/index/zh-cn_") for p in index)  # a Chinese index
    assert not any("pagefind-ui" in p for p in index)  # Pagefind's own UI bundles are not published
    fragments = [p for p in index if p.startswith("pagefind/fragment/")]
    published = [p for p in first if p.startswith("2022/") and p.endswith(".html")]
    assert len(fragments) == len(published)  # one record per notice page, none for list pages
    assert first == second


def test_build_without_pagefind_warns_in_chinese_and_succeeds(tmp_path):
    out = tmp_path / "output"
    code = ("import sys; sys.modules['pagefind'] = None; sys.argv[1:] = " + repr(["--site", str(FIXTURE_SITE),
            "--output", str(out)]) + "; from builder.cli import main; sys.exit(main())")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            encoding="utf-8", env={"SOURCE_DATE_EPOCH": "1656648000", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "警告：未安装 Pagefind" in result.stderr and "pip install 'pagefind[extended]'" in result.stderr
    assert (out / "search.html").exists() and not (out / "pagefind").exists()
    assert "网站地图" in (out / "search.html").read_text(encoding="utf-8")


@pytest.mark.skipif(not pagefind_available(), reason="pagefind[extended] is not installed")
def test_preview_keeps_the_last_index_and_a_real_build_reindexes(tmp_path, monkeypatch):
    """serve's preview does not re-run Pagefind on every save (75 s at 10,000 notices)."""
    import shutil
    from datetime import datetime, timezone

    from builder import search
    from builder.pipeline import BuildOptions, build
    from builder.report import Reporter

    site = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, site)
    out = tmp_path / "preview"
    now = datetime(2022, 7, 1, tzinfo=timezone.utc)
    runs = []
    real = search.build_search_index
    monkeypatch.setattr(search, "build_search_index", lambda d: runs.append(d) or real(d))
    preview = BuildOptions(site_dir=site, output_dir=out, now=now, fresh_search=False)
    build(preview, Reporter())
    before = {p: b for p, b in tree(out).items() if p.startswith("pagefind/")}
    notice = next(p for p in sorted((site / "content").rglob("*.md")))
    notice.write_text(notice.read_text(encoding="utf-8") + "\n补充说明：本次修改只为测试。\n", encoding="utf-8")
    build(preview, Reporter())
    assert len(runs) == 1  # the edit did not re-index
    assert {p: b for p, b in tree(out).items() if p.startswith("pagefind/")} == before
    build(BuildOptions(site_dir=site, output_dir=out, now=now), Reporter())
    assert len(runs) == 2  # a real build notices the index is stale
