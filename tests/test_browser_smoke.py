"""The example pages open in a real headless Chromium without console errors or outside requests."""

from __future__ import annotations

from support.browser import launch_chromium, serve_directory


def test_notice_page_renders_in_chromium(built_site):
    with serve_directory(built_site) as base, launch_chromium() as browser:
        page = browser.new_page()
        errors, outside = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
        page.goto(base + "2022/05/meeting.html")
        assert page.locator("h1").inner_text() == "全县召开防汛工作会议"
        page.get_by_role("button", name="长者模式").click()
        size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#article-body')).fontSize)")
        assert size >= 20
        page.goto(base + "index.html")
        assert page.evaluate("document.documentElement.classList.contains('elder')")  # persisted
        assert errors == [] and outside == []
