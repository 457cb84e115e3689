"""The broadcaster's page in a real headless Chromium: copy puts the script on the clipboard."""

from __future__ import annotations

import pytest

from support.browser import launch_chromium, serve_directory

pytestmark = pytest.mark.browser


def test_copy_button_copies_the_script(built_site):
    with serve_directory(built_site) as base, launch_chromium() as browser:
        context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
        page = context.new_page()
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "broadcast/index.html")
        card = page.locator("article.script-card").first
        assert "橙色预警" in card.locator(".level-tag").inner_text()
        card.get_by_role("button", name="复制稿件").click()
        page.wait_for_function("document.querySelector('.copy-status').textContent.length > 0")
        assert card.locator(".copy-status").inner_text() == "已复制"
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("全体村民请注意！\n全体村民请注意！\n现在播送")
        assert errors == []
