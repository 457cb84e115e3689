"""站内搜索 in the browser: Pagefind finds Chinese words inside running text; without JavaScript the page says so."""

from __future__ import annotations

from support.site_pages import PageKind, open_page

SEARCH = PageKind("search", "site", "search.html")


def search(browser, served, query: str, width: int = 1280) -> list[dict]:
    with open_page(browser, served, SEARCH, width=width) as (page, watch):
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
