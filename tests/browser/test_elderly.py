"""适老化 checks in the browser: 长者模式, 高对比度, contrast, focus, skip link, tap targets, line height,
print stylesheet, 朗读 button, no pop-ups or autoplay."""

from __future__ import annotations

import pytest

from support.site_pages import CONTRAST_JS, KIND_IDS, PAGE_KINDS, TEXT_SELECTOR, PageKind, open_page

NOTICE = next(k for k in PAGE_KINDS if k.name == "notice")

# Links and buttons outside running text (text links inside article paragraphs, list items and table
# cells are exempt, as in WCAG 2.5.8), that are rendered, with their size.
TARGETS_JS = """() => [...document.querySelectorAll('a[href], button, input, select, textarea, summary')]
  .filter(e => !e.closest('.article-body p, .article-body li, .article-body td, .search-excerpt, .skip-link'))
  .filter(e => { const s = getComputedStyle(e); return s.display !== 'none' && s.visibility !== 'hidden' && e.getClientRects().length; })
  .map(e => { const r = e.getBoundingClientRect();
    return {text: (e.textContent || e.value || e.name || '').trim().slice(0, 16), cls: e.className,
            w: Math.round(r.width * 10) / 10, h: Math.round(r.height * 10) / 10}; })"""

LINE_HEIGHT_JS = """() => [...document.querySelectorAll('main p, main li, main dd, main td, main th, footer p')]
  .filter(e => e.textContent.trim() && e.getClientRects().length)
  .map(e => { const s = getComputedStyle(e); const size = parseFloat(s.fontSize);
    const lh = s.lineHeight === 'normal' ? 1.2 * size : parseFloat(s.lineHeight);
    return {tag: e.tagName, cls: e.className, text: e.textContent.trim().slice(0, 12), ratio: Math.round(lh / size * 100) / 100}; })"""

BODY_TEXT_JS = """() => [...document.querySelectorAll('main p, main li, main dd, main td, .article-body')]
  .filter(e => e.textContent.trim() && e.getClientRects().length
               && !e.closest('.article-meta, .article-tools, .breadcrumb, .pager, .list-count, .feeds'))
  .map(e => ({tag: e.tagName, cls: e.className, size: parseFloat(getComputedStyle(e).fontSize)}))"""


def toggle(page, mode: str) -> None:
    """Press the header's mode button (clicking it like a reader is covered by the persistence tests)."""
    page.evaluate("m => document.querySelector(`header [data-mode='${m}']`).click()", mode)


def kinds_present(served):
    return [k for k in PAGE_KINDS if not k.optional or (served.root / k.build / k.path).exists()]


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("kind", PAGE_KINDS, ids=KIND_IDS)
def test_reading_aids(browser, served, kind, width):
    if kind not in kinds_present(served):
        pytest.skip(f"{kind.path} is not built yet")
    with open_page(browser, served, kind, width=width) as (page, watch):
        # default colours: every text element at least 4.5:1 against its background
        low = [c for c in page.evaluate(CONTRAST_JS, TEXT_SELECTOR) if c["ratio"] < 4.5]
        assert low == []
        # line height of running text at least 1.5
        assert [x for x in page.evaluate(LINE_HEIGHT_JS) if x["ratio"] < 1.5] == []
        # tap targets at least 44 x 44 CSS px
        assert [t for t in page.evaluate(TARGETS_JS) if t["w"] < 44 or t["h"] < 44] == []

        # the first Tab stop is 跳到正文; it is visible when focused and moves focus to <main>
        page.keyboard.press("Tab")
        first = page.evaluate("""() => { const e = document.activeElement, r = e.getBoundingClientRect();
            return {text: e.textContent.trim(), href: e.getAttribute('href'), top: r.top, h: r.height}; }""")
        assert first["text"] == "跳到正文" and first["href"] == "#main" and first["top"] >= 0 and first["h"] >= 44
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        # every one of the next Tab stops shows a focus indicator (outline or ring)
        for _ in range(6):
            page.keyboard.press("Tab")
            ring = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
                return {tag: document.activeElement.tagName, outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
                        shadow: s.boxShadow !== 'none'}; }""")
            if ring["tag"] == "BODY":
                break
            assert ring["outline"] or ring["shadow"], ring

        # 高对比度: every text element at least 7:1
        toggle(page, "contrast")
        low = [c for c in page.evaluate(CONTRAST_JS, TEXT_SELECTOR) if c["ratio"] < 7]
        assert low == []
        assert [t for t in page.evaluate(TARGETS_JS) if t["w"] < 44 or t["h"] < 44] == []
        toggle(page, "contrast")

        # 长者模式: body text at least 20 px (18 px on a phone), and the larger text still fits the targets
        toggle(page, "elder")
        minimum = 20 if width > 600 else 18
        sizes = page.evaluate(BODY_TEXT_JS)
        assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= minimum
        assert [s for s in sizes if s["size"] < minimum] == []
        assert [t for t in page.evaluate(TARGETS_JS) if t["w"] < 44 or t["h"] < 44] == []
        assert [x for x in page.evaluate(LINE_HEIGHT_JS) if x["ratio"] < 1.5] == []
        assert watch.problems() == {}


def test_elder_mode_toggle_persists_across_pages_and_can_be_turned_off(browser, served):
    kinds = kinds_present(served)
    with open_page(browser, served, kinds[0]) as (page, _watch):
        before = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        page.get_by_role("button", name="长者模式").click()
        assert page.get_by_role("button", name="长者模式").get_attribute("aria-pressed") == "true"
        for kind in kinds[1:]:
            page.goto(served.url(kind.build, kind.path))
            button = page.locator("header").get_by_role("button", name="长者模式")
            assert button.get_attribute("aria-pressed") == "true", kind.path
            assert page.evaluate("document.documentElement.classList.contains('elder')"), kind.path
            assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 20 > before, kind.path
        page.locator("header").get_by_role("button", name="长者模式").click()
        page.goto(served.url(NOTICE.build, NOTICE.path))
        assert not page.evaluate("document.documentElement.classList.contains('elder')")
        assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('.article-body')).fontSize)") < 20


def test_high_contrast_persists_across_pages(browser, served):
    with open_page(browser, served, NOTICE, width=375) as (page, _watch):
        page.get_by_role("button", name="高对比度").click()
        page.goto(served.url("site", "index.html"))
        assert page.evaluate("document.documentElement.classList.contains('contrast')")
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"


@pytest.mark.parametrize("kind", [NOTICE, next(k for k in PAGE_KINDS if k.name == "home")], ids=["notice", "home"])
def test_print_stylesheet_drops_navigation_and_tools(browser, served, kind):
    with open_page(browser, served, kind) as (page, _watch):
        page.emulate_media(media="print")
        hidden = page.evaluate("""() => ['.site-header', '.site-nav', '.header-tools', '.breadcrumb', '.article-tools',
            '.prev-next', '.related', '.skip-link', '.footer-links'].filter(s => document.querySelector(s))
            .map(s => [s, getComputedStyle(document.querySelector(s)).display])""")
        assert hidden and all(display == "none" for _s, display in hidden), hidden
        assert page.locator("main h1").is_visible()
        page.emulate_media(media="screen")
        assert page.locator(".site-header").is_visible()


SPY_SPEECH = """
window.__spoken = [];
window.addEventListener('DOMContentLoaded', () => {});
if (window.speechSynthesis) {
  const original = window.speechSynthesis.speak.bind(window.speechSynthesis);
  window.speechSynthesis.speak = u => { window.__spoken.push({text: u.text, lang: u.lang}); };
}
"""


def test_read_aloud_button_speaks_the_notice(browser, served):
    with open_page(browser, served, NOTICE, init_script=SPY_SPEECH) as (page, watch):
        button = page.get_by_role("button", name="【朗读】")
        assert button.is_visible()
        box = button.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44
        button.click()
        spoken = page.evaluate("window.__spoken")
        assert len(spoken) == 1 and spoken[0]["lang"] == "zh-CN"
        assert spoken[0]["text"].startswith("我市召开新冠肺炎疫情防控工作会议。")
        assert "市委副书记、市长朱志骞出席会议并讲话" in spoken[0]["text"]
        assert page.get_by_role("button", name="【停止朗读】").is_visible()
        assert watch.problems() == {}


def test_read_aloud_button_hidden_without_speech_synthesis(browser, served):
    remove = "delete window.speechSynthesis; delete window.SpeechSynthesisUtterance;"
    with open_page(browser, served, NOTICE, init_script=remove) as (page, watch):
        assert page.evaluate("'speechSynthesis' in window") is False
        assert page.locator("[data-action='speak']").count() == 1
        assert not page.locator("[data-action='speak']").is_visible()
        assert watch.problems() == {}


NO_POPUPS = """
window.__opened = [];
window.open = (...args) => { window.__opened.push(String(args[0])); return null; };
"""


def test_no_popups_and_no_autoplay_anywhere(browser, served):
    kinds = kinds_present(served)
    with open_page(browser, served, kinds[0], init_script=NO_POPUPS) as (page, watch):
        for kind in kinds:
            page.goto(served.url(kind.build, kind.path), wait_until="load")
            page.wait_for_timeout(50)
            media = page.evaluate("""() => [...document.querySelectorAll('audio, video')]
                .filter(m => m.autoplay || !m.paused).map(m => m.outerHTML.slice(0, 80))""")
            assert media == [], kind.path
            assert page.evaluate("window.__opened") == [], kind.path
            assert page.locator("dialog[open], [role=dialog], [role=alertdialog]").count() == 0, kind.path
        assert watch.popups == [] and watch.dialogs == []
