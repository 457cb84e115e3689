"""站内搜索 in the browser: the site's index finds Chinese words inside running text; without JavaScript the page says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import EXAMPLE_EPOCH, REPO, Served
from support.browser import serve_directory
from support.gensite import copy_example_site
from support.site_pages import PageKind, open_page

SEARCH = PageKind("search", "site", "search.html")


def search(browser, served, query: str, width: int = 1280, build: str = "site") -> list[dict]:
    with open_page(browser, served, PageKind("search", build, "search.html"), width=width) as (page, watch):
        page.get_by_label("搜索关键词").fill(query)
        page.get_by_role("button", name="搜索", exact=True).last.click()
        page.wait_for_function("() => /共找到|没有找到/.test(document.getElementById('search-status').textContent)")
        results = page.locator("#search-results li > a").evaluate_all(
            "links => links.map(a => ({title: a.textContent, href: a.getAttribute('href')}))")
        status = page.locator("#search-status").inner_text()
        assert f"?q={query}" in page.evaluate("decodeURIComponent(location.search)")
        if results:  # a result opens the notice
            page.locator("#search-results li > a").first.click()
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == results[0]["title"]
        assert watch.problems() == {}
    return [dict(r, status=status) for r in results] or [{"status": status}]


def test_yiqing_fangkong_finds_the_epidemic_notices_first(browser, served):
    results = search(browser, served, "疫情防控")
    top = {r["href"].rsplit("/", 1)[-1] for r in results[:2]}
    assert top == {"meeting-report.html", "yimiao-jiezhong.html"}, results
    assert results[0]["status"].startswith("“疫情防控”共找到")


def test_tingshui_finds_the_water_cut_notice_first(browser, served):
    results = search(browser, served, "停水", width=375)
    assert results[0]["href"].endswith("/2022/06/tingshui-jianshelu.html"), results
    assert results[0]["title"] == "关于建设路部分区域临时停水的通知"


def test_more_matches_than_shown_are_counted(browser, tmp_path):
    """30 notices that all say 通知: the status gives the number found and that the 20 most relevant are shown."""
    from support.gensite import write_site

    site = write_site(tmp_path / "src", 30)
    out = tmp_path / "many"
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "--site", str(site), "--output", str(out)],
                          capture_output=True, text=True, encoding="utf-8", timeout=300,
                          env={**os.environ, "SOURCE_DATE_EPOCH": "1656648000"})
    assert done.returncode == 0, done.stderr
    with serve_directory(tmp_path) as base:
        results = search(browser, Served(tmp_path, base), "通知", build="many")
    assert len(results) == 20, results
    assert results[0]["status"] == "“通知”共找到 30 条结果，显示最相关的 20 条"


def test_a_word_found_nowhere_says_so(browser, served):
    results = search(browser, served, "火星探测")
    assert "href" not in results[0] and results[0]["status"].startswith("没有找到与“火星探测”相关的公告")


def test_query_in_the_address_runs_the_search(browser, served):
    kind = PageKind("search-results", "site", "search.html?q=%E5%81%9C%E6%B0%B4")
    with open_page(browser, served, kind) as (page, watch):
        assert page.get_by_label("搜索关键词").input_value() == "停水"
        assert page.locator("#search-results li > a").first.inner_text() == "关于建设路部分区域临时停水的通知"
        assert page.locator("#search-results mark").first.inner_text() == "停水"
        assert watch.problems() == {}


def test_search_is_linked_from_every_header(browser, served):
    kind = PageKind("notice", "site", "2022/05/fangxun-tongzhi.html")
    with open_page(browser, served, kind) as (page, _watch):
        page.locator("header").get_by_role("link", name="搜索").click()
        page.wait_for_selector("[data-search-ready]", state="attached")
        assert page.url.endswith("/site/search.html")


def test_without_javascript_the_page_points_to_the_site_map(browser, served):
    with open_page(browser, served, SEARCH, java_script_enabled=False) as (page, watch):
        note = page.get_by_text("搜索功能需要启用 JavaScript")
        assert note.is_visible()
        assert not page.locator("[data-search-form]").is_visible()  # a form that cannot work is not offered
        note.get_by_role("link", name="网站地图").click()
        page.wait_for_load_state()
        assert page.url.endswith("/site/sitemap.html")
        assert watch.problems() == {}


def test_a_query_finds_notices_from_the_oldest_and_the_newest_year(browser, served):
    """The index is sharded by year (builder/search.py); a query looks in every shard."""
    listing = json.loads((served.root / "site" / "search" / "index.json").read_text(encoding="utf-8"))
    assert len(listing["shards"]) >= 3 and listing["shards"][0]["name"].startswith("2026")  # newest first
    results = search(browser, served, "舞钢市")
    years = {r["href"].split("/")[-3] for r in results}
    assert {"2020", "2026"} <= years, results


def test_after_a_one_edit_build_the_new_word_is_found(browser, tmp_path):
    """Edit the oldest notice, build incrementally: only its shard is re-indexed, and the
    search page finds the word that only the edited notice now contains."""
    site = copy_example_site(tmp_path / "src")
    out = tmp_path / "inc"
    env = {**os.environ, "SOURCE_DATE_EPOCH": EXAMPLE_EPOCH}

    def build() -> str:
        done = subprocess.run([sys.executable, str(REPO / "build.py"), "--site", str(site), "--output", str(out), "-v"],
                              capture_output=True, text=True, encoding="utf-8", env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stderr

    build()
    word = "蓝莓采摘节"
    assert not any(word in p.read_text(encoding="utf-8") for p in (site / "content").rglob("*.md"))
    notice = site / "content" / "2020" / "03" / "shuiziyuan-guanli.md"
    notice.write_text(notice.read_text(encoding="utf-8") + f"\n本市将于五月举办{word}，欢迎市民参加。\n",
                      encoding="utf-8")
    untouched = out / "search" / "2026-11" / "lengths.bin"
    inode = untouched.stat().st_ino
    log = build()
    assert "生成站内搜索索引（1 / 3 个分片，1 个已在编辑检查前开始）" in log, log  # indexed ahead (EarlyIndex)
    assert untouched.stat().st_ino == inode  # the other shards were carried over, not re-indexed
    with serve_directory(tmp_path) as base:
        results = search(browser, Served(tmp_path, base), word, build="inc")
    assert [r["href"].rsplit("/", 2)[-2:] for r in results] == [["03", "shuiziyuan-guanli.html"]], results


def test_a_month_indexed_in_parts_is_searched_whole(browser, tmp_path, monkeypatch):
    """A month with more notices than one shard may hold is indexed in parts
    (``2026-11-p1`` …, builder/search.py): forced here with room for one page per process,
    the search page merges the parts, and each notice of the month is found."""
    from datetime import datetime, timezone

    from builder import search as search_stage
    from builder.pipeline import BuildOptions, build
    from builder.report import Reporter

    monkeypatch.setattr(search_stage, "largest_shard", lambda: 1)
    site = copy_example_site(tmp_path / "src")
    now = datetime.fromtimestamp(int(EXAMPLE_EPOCH), tz=timezone.utc)
    build(BuildOptions(site_dir=site, output_dir=tmp_path / "parts", now=now), Reporter())
    listing = json.loads((tmp_path / "parts" / "search" / "index.json").read_text(encoding="utf-8"))
    assert len([s for s in listing["shards"] if s["name"].startswith("2026-11-p")]) >= 2, listing
    with serve_directory(tmp_path) as base:
        served = Served(tmp_path, base)
        cold_wave = search(browser, served, "寒潮", build="parts")
        power_cut = search(browser, served, "停电", build="parts")
        oldest_newest = search(browser, served, "舞钢市", build="parts")
    assert cold_wave[0]["href"].endswith("/2026/11/hanchao-lanse-yujing.html"), cold_wave
    assert power_cut[0]["href"].endswith("/2026/11/shangdian-tingdian.html"), power_cut
    assert {"2020", "2026"} <= {r["href"].split("/")[-3] for r in oldest_newest}, oldest_newest
