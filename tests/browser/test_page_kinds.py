"""Every page kind opens cleanly at 1280 px and 375 px (screenshots kept) and never scrolls sideways at 320 px.

Screenshots: tests/artifacts/screenshots/<kind>-<width>.png (git-ignored; CI keeps them as artifacts).
"""

from __future__ import annotations

import pytest

from support.site_pages import KIND_IDS, PAGE_KINDS, open_page

# scrollWidth of the document and of any element wider than the viewport (what makes the page scroll sideways)
OVERFLOW_JS = """() => {
  const w = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > w + 1 && getComputedStyle(e).position !== 'absolute';
  }).filter(e => !e.closest('[style*="overflow"], .article-body table')).map(e => e.tagName + '.' + e.className);
  return {client: w, scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 5)};
}"""


def skip_missing(served, kind):
    if kind.optional and not (served.root / kind.build / kind.path).exists():
        pytest.skip(f"{kind.path} is not built yet")


@pytest.mark.parametrize("kind", PAGE_KINDS, ids=KIND_IDS)
def test_page_kind_at_1280_375_and_320px(browser, served, screenshots, kind):
    """Opened at 1280 px, then narrowed to 375 px and 320 px (normal and 长者模式) in the same tab."""
    skip_missing(served, kind)
    overflow = {}
    with open_page(browser, served, kind, width=1280) as (page, watch):
        assert page.locator("h1").count() == 1
        assert page.locator("h1").inner_text().strip()
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(screenshots / f"{kind.name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": 320, "height": 640})
        overflow["normal"] = page.evaluate(OVERFLOW_JS)
        page.locator("header [data-mode='elder']").click()
        overflow["elder"] = page.evaluate(OVERFLOW_JS)
        page.screenshot(path=str(screenshots / f"{kind.name}-320-elder.png"), full_page=True)
        problems = watch.problems()
    assert problems == {}
    assert {m: o for m, o in overflow.items() if o["scroll"] > o["client"]} == {}


def test_wide_tables_scroll_inside_the_article_not_the_page(browser, served):
    kind = next(k for k in PAGE_KINDS if k.name == "notice-table")
    with open_page(browser, served, kind, width=320, height=640, mode="elder") as (page, _watch):
        table = page.evaluate("""() => { const t = document.querySelector('.article-body table');
            return {scroll: t.scrollWidth, client: t.clientWidth, overflow: getComputedStyle(t).overflowX}; }""")
        doc = page.evaluate(OVERFLOW_JS)
    assert table["overflow"] == "auto" and doc["scroll"] <= doc["client"]


def test_emergency_notice_is_on_the_home_page(browser, served, screenshots):
    """At the pinned clock the 寒潮蓝色预警 is current: the home page shows it in a banner above everything."""
    kind = next(k for k in PAGE_KINDS if k.name == "home")
    with open_page(browser, served, kind, width=375) as (page, _watch):
        banner = page.locator("main .warning-banner").first
        assert "寒潮蓝色预警" in banner.inner_text()
        box = banner.bounding_box()
        assert box and box["y"] < 640  # visible without scrolling on a phone
        banner.locator("a").click()
        page.wait_for_load_state()
        assert page.url.endswith("2026/11/hanchao-lanse-yujing.html")
