"""XSS: every payload in tests/fixtures/xss/payloads.txt, in every editor-written field, in a real browser.

Each payload goes into the title, summary, tags, author, editor, source, image
alt text and caption, attachment title, doc issuer/topic and body of one
Markdown notice and one YAML notice.  Headless Chromium then opens every HTML
page of the built site and checks that no dialog opened, the sentinel
``window.__xss`` stayed undefined, no request left the local server, no event
handler or ``javascript:``/``data:`` URL survived in the DOM, and the notice
title reads as the literal text the editor typed.  Feeds are checked as XML.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import pytest
import yaml

from conftest import REPO, run_build
from support.browser import launch_chromium, serve_directory
from support.gensite import SITE_YAML
from support.trees import SUMMARY

PAYLOADS = [line for line in (REPO / "tests/fixtures/xss/payloads.txt").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("## ")]
PNG = REPO / "tests/fixtures/site/content/2022/05/photo.png"


def plain(text: str) -> str:
    from builder.markup import plain as _plain

    return _plain(text)


def _fields(n: int, payload: str, serial: int = 0) -> dict:
    return {
        "title": payload,
        "date": f"2022-06-{1 + n % 28:02d} {8 + n % 12:02d}:{n % 60:02d}",
        "category": ("要闻动态", "通知公告", "应急管理")[n % 3],
        "summary": payload,
        "tags": [payload, "安全测试"],
        "author": [payload, "记者"],
        "editor": payload,
        "source": payload,
        "image": "photo.png",
        "image_alt": payload,
        "image_caption": payload,
        "attachments": [{"file": "form.pdf", "title": payload}],
        "doc": {"issuer": payload, "topic": payload, "index_no": f"11410000MB1234567X/2022-{serial:05d}",
                "number": f"测政〔2022〕{serial}号", "written": "2022-05-30"},
        **({"level": "红色", "expires": "2022-07-05 00:00"} if n % 10 == 0 else {}),
    }


def _body(payload: str) -> str:
    return (f"{payload}\n\n段落开头 {payload} 段落结尾\n\n> {payload}\n\n- {payload}\n\n"
            f"| 表头 | 内容 |\n|---|---|\n| 一 | {payload.replace('|', '&#124;')} |\n\n"
            f"[链接文字 {payload}](x.pdf) 和 ![图片 {payload}](photo.png)\n")


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory):
    base = tmp_path_factory.mktemp("xss")
    site = base / "site"
    (site / "content").mkdir(parents=True)
    (site / "site.yaml").write_text(SITE_YAML.format(title="XSS 测试县人民政府"), encoding="utf-8")
    for n, payload in enumerate(PAYLOADS):
        folder = site / "content" / "2022" / f"p{n:03d}"  # one folder per payload: its own odd file names
        folder.mkdir(parents=True)
        shutil.copy(PNG, folder / "photo.png")
        (folder / "form.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
        fields = _fields(n, payload, 2 * n + 1)  # 索引号 and 文号 are unique per notice
        front = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, width=1 << 20)
        (folder / f"xss-md-{n:03d}.md").write_text(f"---\n{front}---\n\n{_body(payload)}", encoding="utf-8")
        fields = _fields(n + 1, payload, 2 * n + 2) | {"body": _body(payload)}
        (folder / f"xss-yaml-{n:03d}.yaml").write_text(
            yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, width=1 << 20), encoding="utf-8")
    # Payloads such as <img src=x onerror=...> refer to local files; the build (rightly) refuses
    # missing ones, so create every file the check asks for, as an editor would.
    checked = run_build("check", "--site", str(site))
    for rel in re.findall(r"（应在 (content/[^\n]+?)），请检查", checked.stderr):
        target = site / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"x")
    out = base / "output"
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return out


_DOM_CHECK = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const v = a.value.replace(/[\\s\\u0000-\\u001f]+/g, '').toLowerCase();
      if (a.name.startsWith('on')) bad.push(el.tagName + ' ' + a.name);
      if (/^(javascript|vbscript|data):/.test(v) && ['href', 'src', 'action', 'formaction', 'data', 'xlink:href',
          'background', 'srcdoc'].includes(a.name)) bad.push(el.tagName + ' ' + a.name + '=' + v.slice(0, 40));
      if (a.name === 'style' && /url\\(|expression/i.test(v)) bad.push(el.tagName + ' style=' + v.slice(0, 40));
    }
    if (['IFRAME', 'OBJECT', 'EMBED', 'BASE', 'FORM', 'INPUT', 'SVG', 'MATH', 'STYLE', 'LINK', 'META']
        .includes(el.tagName.toUpperCase()) && el.closest('main') && !el.closest('[data-search-form]'))
      bad.push('element ' + el.tagName);
  }
  const scripts = [...document.scripts].filter(s => s.type !== 'application/json')  // inert data blocks
      .map(s => s.src || ('inline:' + s.textContent.slice(0, 40)))
      .filter(s => !/\\/static\\/js\\/(modes|site|search|broadcast)\\.js$/.test(s));
  const h1 = document.querySelector('h1.article-title');
  return {bad, scripts, xss: typeof window.__xss, h1: h1 ? h1.innerText : null, title: document.title};
}"""


def test_no_payload_executes_in_chromium(xss_site):
    pages = sorted(p.relative_to(xss_site).as_posix() for p in xss_site.rglob("*.html"))
    notice_pages = [p for p in pages if "/xss-" in p]
    assert len(notice_pages) == 2 * len(PAYLOADS)
    dialogs, outside, problems, executions, visited = [], [], [], [], 0
    with serve_directory(xss_site) as base, launch_chromium() as browser:
        context = browser.new_context()
        page = context.new_page()
        page.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
        page.on("dialog", lambda d: (dialogs.append((page.url, d.message)), d.dismiss()))
        for path in pages:
            page.goto(base + path, wait_until="load")  # after load: img onerror, svg onload have fired
            state = page.evaluate(_DOM_CHECK)
            visited += 1
            if state.pop("xss") != "undefined":
                executions.append(path)
            if state["bad"] or state["scripts"]:
                problems.append((path, state))
            if path in notice_pages:
                number = int(path.rsplit("-", 1)[1].split(".")[0])
                expected = plain(PAYLOADS[number])
                if state["h1"] != expected or expected not in state["title"]:
                    problems.append((path, f"title reads {state['h1']!r}, expected {expected!r}"))
        context.close()
    line = (f"XSS: {len(PAYLOADS)} payloads x 2 notice kinds in 12 fields each, {visited} pages loaded in Chromium; "
            f"executions: {len(executions) + len(dialogs)}, dialogs: {len(dialogs)}, outside requests: {len(outside)}")
    SUMMARY.append(line)
    print(line)
    assert dialogs == [] and executions == []
    assert outside == []
    assert problems == []


def _inert_html(fragment: str, where: str) -> None:
    doc = lxml.html.fromstring(f"<div>{fragment}</div>")
    assert not doc.xpath("//script|//iframe|//object|//embed|//style|//svg|//math|//form|//input|//link|//meta|//base"), \
        (where, fragment[:200])
    for el in doc.iter():
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), (where, name, fragment[:200])
            assert not re.sub(r"\s", "", value).lower().startswith(("javascript:", "vbscript:", "data:")), (where, value)


def test_feeds_are_well_formed_and_inert(xss_site):
    """Feed readers render RSS <description> and Atom type="html" text as HTML: it must contain no active markup."""
    feeds = sorted(p for p in xss_site.rglob("*.xml") if p.name != "sitemap.xml" and "broadcast" not in p.parts)
    assert len(feeds) == 8  # site + 3 columns, RSS and Atom each
    atom = "{http://www.w3.org/2005/Atom}"
    encoded = "{http://purl.org/rss/1.0/modules/content/}encoded"
    titles, checked = set(), 0
    for feed in feeds:
        root = lxml.etree.parse(str(feed)).getroot()  # well-formed XML or this raises
        for el in root.iter("description", encoded, f"{atom}summary", f"{atom}content"):
            if el.tag.startswith(atom) and el.get("type", "text") == "text":
                continue  # Atom plain text: never interpreted as markup
            if el.text:
                _inert_html(el.text, f"{feed.name} <{el.tag}>")
                checked += 1
        parsed = feedparser.parse(feed.read_bytes())
        assert not parsed.bozo, (feed, parsed.bozo_exception)
        titles.update(html.unescape(e.title) if e.title_detail.type == "text/html" else e.title for e in parsed.entries)
        for entry in parsed.entries:  # the summary reads back as the literal text the editor typed
            assert html.unescape(entry.summary) in {plain(p) for p in PAYLOADS}, (feed.name, entry.summary)
    assert checked > 100
    assert titles and titles <= {plain(p) for p in PAYLOADS}
