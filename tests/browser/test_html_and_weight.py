"""Every page of the example site: Nu Html Checker (vnu.jar) reports zero errors; at most 500 KB of
HTML + CSS + JS per page; no render-blocking resource from another host."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from lxml import html as lxml_html

from .conftest import REPO

VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
MAX_PAGE_BYTES = 500 * 1024


def html_pages(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.html") if "search" not in p.relative_to(root).parts)


def test_vnu_reports_no_errors_on_any_page(built_example):
    java = shutil.which("java")
    if java is None or not VNU.exists():
        pytest.fail("Java or node_modules/vnu-jar missing: run `bash tools/setup.sh --dev`")
    pages = html_pages(built_example / "site") + html_pages(built_example / "paged")
    assert len(pages) > 80
    result = subprocess.run([java, "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, pages)],
                            capture_output=True, text=True, encoding="utf-8", timeout=300)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [f"{m.get('url', '').rsplit('/', 3)[-1]}:{m.get('lastLine')}: {m['message']}" for m in messages
              if m.get("type") in ("error", "non-document-error")]
    assert errors == []
    (REPO / "tests" / "artifacts").mkdir(parents=True, exist_ok=True)
    (REPO / "tests" / "artifacts" / "vnu-summary.txt").write_text(
        f"vnu.jar --errors-only: {len(pages)} pages, {len(errors)} errors\n", encoding="utf-8")


def page_resources(page: Path, root: Path) -> tuple[list[Path], list[str]]:
    """Local CSS/JS files a page loads, and any stylesheet/script from another host."""
    tree = lxml_html.fromstring(page.read_bytes())
    refs = tree.xpath("//link[contains(concat(' ', @rel, ' '), ' stylesheet ')]/@href | //script/@src")
    base = "file://" + page.as_posix()
    local, outside = [], []
    for ref in refs:
        url = urljoin(base, ref)
        if urlsplit(url).scheme != "file":
            outside.append(ref)
        else:
            local.append(Path(urlsplit(url).path))
    assert all(p.is_file() and root in p.parents for p in local), (page, local)
    return local, outside


def test_page_weight_and_no_outside_render_blocking_resources(built_example):
    root = built_example / "site"
    weights = {}
    for page in html_pages(root):
        local, outside = page_resources(page, root)
        assert outside == [], page
        weights[page.relative_to(root).as_posix()] = page.stat().st_size + sum(p.stat().st_size for p in local)
    heaviest = max(weights, key=weights.get)
    assert weights[heaviest] <= MAX_PAGE_BYTES, (heaviest, weights[heaviest])
    # before a query the search page loads only the shard listing (search/index.json)
    assert weights["search.html"] + (root / "search" / "index.json").stat().st_size <= MAX_PAGE_BYTES
    # the only blocking script in <head> is the tiny mode switch; the rest are deferred
    tree = lxml_html.fromstring((root / "index.html").read_bytes())
    blocking = [s.get("src") for s in tree.xpath("//head/script[@src]") if s.get("defer") is None
                and s.get("async") is None and s.get("type") != "module"]
    assert [Path(b).name for b in blocking] == ["modes.js"]
    assert (root / "static/js/modes.js").stat().st_size < 1024
