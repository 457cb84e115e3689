"""The page kinds of the example site that the browser suite opens, and page-watching helpers."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PageKind:
    name: str      # also the screenshot file name
    build: str     # "site" (example as committed) or "paged" (page_size 1)
    path: str
    notice: bool = False
    optional: bool = False  # built by a later feature; skipped (with a reason) until it exists


PAGE_KINDS = [
    PageKind("home", "site", "index.html"),
    PageKind("column-1", "paged", "tzgg/index.html"),
    PageKind("column-2", "paged", "tzgg/index_2.html"),
    PageKind("tags", "site", "tags/index.html"),
    PageKind("tag", "site", "tags/yi-qing-fang-kong/index.html"),
    PageKind("archives", "site", "archives/index.html"),
    PageKind("archive-year", "site", "archives/2022/index.html"),
    PageKind("archive-month", "site", "archives/2022/07/index.html"),
    PageKind("notice", "site", "2022/05/meeting-report.html", notice=True),
    PageKind("notice-table", "site", "2022/07/yimiao-jiezhong.html", notice=True),
    PageKind("notice-image", "site", "2022/06/shixiang-sanxia.html", notice=True),
    PageKind("notice-attachment", "site", "2022/07/wenti-baoming.html", notice=True),
    PageKind("notice-expired", "site", "2022/06/tingshui-jianshelu.html", notice=True),
    PageKind("document", "site", "2022/05/fangxun-tongzhi.html", notice=True),
    PageKind("document-repealed", "site", "2020/03/shuiziyuan-guanli.html", notice=True),
    PageKind("emergency", "site", "2026/11/hanchao-lanse-yujing.html", notice=True),
    PageKind("notice-withdrawn", "site", "2026/11/tingshui-chaoyang.html"),  # 撤稿说明
    PageKind("xxgk", "site", "xxgk/index.html"),  # 政府信息公开目录
    PageKind("xxgk-year", "site", "xxgk/year/2022.html"),
    PageKind("sitemap", "site", "sitemap.html"),
    PageKind("contact", "site", "contact.html"),
    PageKind("404", "site", "404.html"),
    PageKind("search", "site", "search.html"),
    PageKind("search-results", "site", "search.html?q=%E5%81%9C%E6%B0%B4"),  # ?q=停水
    PageKind("broadcast", "site", "broadcast/index.html", optional=True),
]
KIND_IDS = [k.name for k in PAGE_KINDS]

MODES = {"normal": (), "elder": ("elder",), "contrast": ("contrast",)}


def mode_script(mode: str) -> str:
    """Init script: the reader chose this mode earlier (as saved by the header toggle)."""
    keys = {"elder": "np-elder", "contrast": "np-contrast"}
    on = MODES[mode]
    return "".join(f"localStorage.setItem('{keys[k]}', '{1 if k in on else 0}');" for k in keys)


@dataclass
class Watch:
    """Everything that went wrong while a page was open."""

    base: str
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    popups: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        page.on("response", lambda r: self.failed.append(f"{r.url} HTTP {r.status}") if r.status >= 400 else None)
        page.on("request", lambda r: self.outside.append(r.url)
                if not (r.url.startswith(self.base) or r.url.startswith("data:")) else None)
        page.on("popup", lambda p: self.popups.append(p.url))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def problems(self) -> dict:
        return {k: v for k, v in vars(self).items() if k != "base" and v}


@contextlib.contextmanager
def open_page(browser, served, kind: PageKind, *, width=1280, height=900, mode="normal", init_script="",
              **context_args):
    """A fresh context (own localStorage) at the given width; yields (page, watch)."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", **context_args)
    try:
        if mode != "normal":
            context.add_init_script(mode_script(mode))
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        watch = Watch(served.base)
        watch.attach(page)
        page.goto(served.url(kind.build, kind.path), wait_until="load")
        scripts = context_args.get("java_script_enabled", True)
        if kind.path.startswith("search.html") and scripts:
            page.wait_for_selector("[data-search-ready]", state="attached", timeout=15000)
        if "?q=" in kind.path and scripts:
            page.wait_for_selector("#search-results li", timeout=15000)
        yield page, watch
    finally:
        context.close()


# Relative luminance and contrast ratio of every visible text element's colour
# against its effective background (the first opaque ancestor background).
CONTRAST_JS = r"""
(selector) => {
  function parse(c) {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  }
  function lum(c) {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  }
  function background(el) {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a >= 0.99) return c;
      if (c && c.a > 0) return null;  // translucent layer: not measurable this way
    }
    return {r: 255, g: 255, b: 255, a: 1};
  }
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    if (!r.width || !r.height || s.visibility === "hidden" || s.display === "none") continue;
    if (el.closest("[hidden], .visually-hidden, .skip-link")) continue;
    const fg = parse(s.color), bg = background(el);
    if (!fg || !bg) continue;
    const a = lum(fg), b = lum(bg);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    out.push({tag: el.tagName.toLowerCase(), cls: el.className, text: el.textContent.trim().slice(0, 20),
              color: s.color, background: `rgb(${bg.r}, ${bg.g}, ${bg.b})`, ratio: Math.round(ratio * 100) / 100});
  }
  return out;
}
"""

TEXT_SELECTOR = "body *:not(script):not(style):not(noscript)"
