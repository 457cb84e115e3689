"""``python build.py check --audit``: the 网站普查 (national government-website inspection) items
that can be computed from the site itself.

Each item passes or fails; a failing item lists its findings (file, line, what to do).
Items: 首页更新 (a new notice within 2 weeks), 栏目更新 (each column within its period:
``update_days``, by default 14 days for 动态类 columns and 180 for the others), 空白栏目,
内部链接与锚点, 外部链接 (only with ``--external``: real requests with a timeout and a
concurrency limit), 错敏字, 必备信息 (网站标识码, 主办单位, ICP 备案号, 政府信息公开文件的
索引号/发文机关/文号/成文日期), 发布时间.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from .diagformat import as_github, as_text
from .diagnostics import Diagnostic

HOME_DAYS = 14
LINK_CODES = {"link-broken", "anchor-missing", "asset-missing", "link-withdrawn", "link-root-relative",
              "file-case", "local-path", "file-missing"}
META_CODES = {"doc-required", "title-missing", "date-missing"}
_EXTERNAL = re.compile(r'(?:href|src)="(https?://[^"]+)"')


@dataclass
class Item:
    code: str
    name: str
    passed: bool
    detail: str
    findings: list[Diagnostic] = field(default_factory=list)
    checked: bool = True  # False: could not be computed (the site did not load)

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "passed": self.passed, "checked": self.checked,
                "detail": self.detail, "findings": [d.as_dict() for d in self.findings]}


@dataclass(frozen=True)
class ExternalOptions:
    enabled: bool = False
    timeout: float = 10.0
    concurrency: int = 8


def _from_diagnostics(code: str, name: str, diagnostics: list[Diagnostic], wanted, ok: str) -> Item:
    found = [d for d in diagnostics if wanted(d)]
    failing = [d for d in found if d.level == "error" or code == "links"]
    return Item(code, name, not failing, f"{len(found)} 处问题" if found else ok, found)


def _site_line(config, key: str) -> int:
    """Line of a top-level ``key:`` in the site.yaml load_config read (0: not there)."""
    for no, line in enumerate(config.file.text.split("\n"), 1):
        if re.match(rf"^\s*{re.escape(key)}\s*:", line):
            return no
    return 0


def run(site, diagnostics: list[Diagnostic], external: ExternalOptions) -> list[Item]:
    """Every item over a loaded site and the check's diagnostics."""
    now = site.now
    published = [e for e in site.entries if e.status == "published"]
    items: list[Item] = []

    newest = max((e.date for e in published), default=None)
    if newest is None:
        items.append(Item("home", "首页更新", False, "网站没有任何已发布的公告"))
    else:
        age = (now - newest).days
        items.append(Item("home", "首页更新", age <= HOME_DAYS,
                          f"最新公告发布于 {newest:%Y-%m-%d}，距今 {age} 天（要求 {HOME_DAYS} 天内有更新）"))

    stale: list[Diagnostic] = []
    empty: list[Diagnostic] = []
    for category in site.config.categories:
        entries = [e for e in site.by_category.get(category.name, []) if e.status == "published"]
        line = _category_line(site.config, category.name)
        if not entries:
            empty.append(Diagnostic("site.yaml", line, 0, "error", "audit-column-empty",
                                    f"栏目“{category.name}”没有任何已发布的公告（空白栏目）：请发布内容，或删除 / 合并这个栏目"))
            continue
        latest = max(e.date for e in entries)
        age = (now - latest).days
        if age > category.update_period:
            stale.append(Diagnostic("site.yaml", line, 0, "error", "audit-column-stale",
                                    f"栏目“{category.name}”最新公告发布于 {latest:%Y-%m-%d}，已 {age} 天未更新，"
                                    f"超过 {category.update_period} 天的更新要求（动态类栏目 14 天，其他 180 天；"
                                    f"可用栏目的 update_days 设置）"))
    items.append(Item("columns", "栏目更新", not stale,
                      f"{len(stale)} 个栏目超过更新周期" if stale else "各栏目都在更新周期内", stale))
    items.append(Item("empty-columns", "空白栏目", not empty,
                      f"{len(empty)} 个空白栏目" if empty else "没有空白栏目", empty))

    items.append(_from_diagnostics("links", "内部链接与锚点", diagnostics, lambda d: d.code in LINK_CODES,
                                   "正文中指向本站公告、锚点和文件的链接都有效"))
    items.append(external_item(published, site, external))
    items.append(_from_diagnostics("terms", "错敏字", diagnostics, lambda d: d.code.startswith("term-"),
                                   "没有发现错敏字（按 terms.yaml）"))

    meta = [d for d in diagnostics if d.code in META_CODES]
    footer = site.config.footer
    for key, value, name in (("site_code", footer.site_code, "网站标识码"), ("sponsor", footer.sponsor, "主办单位"),
                             ("icp", footer.icp, "ICP 备案号")):
        if not value:
            meta.append(Diagnostic("site.yaml", _site_line(site.config, "footer"), 0, "error", "audit-meta",
                                   f"页脚缺少{name}：请在 site.yaml 的 footer 中填写 {key}"))
    items.append(Item("metadata", "必备信息", not meta,
                      f"{len(meta)} 处缺少必备信息" if meta else "网站标识码、主办单位、备案号和政府信息公开文件的必填项齐全",
                      sorted(meta)))

    undated = [e for e in published if e.notice.date is None]
    items.append(Item("pubdate", "发布时间", not undated,
                      f"{len(published)} 篇公告的页面都标明了发布时间" if not undated else f"{len(undated)} 篇没有发布时间"))
    return items


def _category_line(config, name: str) -> int:
    """Line of a column's entry in the site.yaml load_config read."""
    from .checks import _category_line as find

    return find(config.file.text, name)


def external_item(published, site, options: ExternalOptions) -> Item:
    if not options.enabled:
        return Item("external", "外部链接", True, "未检查（加 --external 检查，需要联网）", checked=False)
    where: dict[str, tuple[str, int]] = {}
    for entry in published:
        body = site.body(entry.notice)
        for url in _EXTERNAL.findall(body):
            url = url.replace("&amp;", "&")
            if url not in where:
                where[url] = (entry.notice.source, _line_of(site.root / entry.notice.source, url))
    urls = sorted(where)
    with ThreadPoolExecutor(max_workers=max(1, options.concurrency)) as pool:
        results = list(pool.map(lambda u: probe(u, options.timeout), urls))
    findings = []
    for url, problem in zip(urls, results):
        if problem:
            source, line = where[url]
            findings.append(Diagnostic(source, line, 0, "error", "audit-external",
                                       f"外部链接 {url} 无法访问（{problem}）：请更正或删除这个链接"))
    return Item("external", "外部链接", not findings,
                f"{len(findings)} / {len(urls)} 个外部链接无法访问" if findings else f"{len(urls)} 个外部链接都能访问",
                findings)


def probe(url: str, timeout: float) -> str:
    """"" when the URL answers with a success or redirect status; else why not."""
    for method in ("HEAD", "GET"):
        request = urllib.request.Request(url, method=method, headers={"User-Agent": "NoticePipeline-audit/1"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only
                if response.status < 400:
                    return ""
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
            if method == "HEAD" and status in (403, 405, 501):
                continue  # some servers refuse HEAD: ask again with GET
            return f"HTTP {status}"
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            return "超时" if isinstance(reason, TimeoutError) or "timed out" in str(reason) else f"连接失败：{reason}"
        if method == "GET":
            return f"HTTP {status}"
    return ""


def _line_of(path: Path, needle: str) -> int:
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return 0
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 0


def unchecked(diagnostics: list[Diagnostic]) -> list[Item]:
    """The items when the site did not load: what the diagnostics show, the rest not computed."""
    items = [Item(code, name, False, "未能检查：内容有错误，请先修改（见上面的错误）", checked=False)
             for code, name in (("home", "首页更新"), ("columns", "栏目更新"), ("empty-columns", "空白栏目"))]
    items.append(_from_diagnostics("links", "内部链接与锚点", diagnostics, lambda d: d.code in LINK_CODES, "未发现问题"))
    items.append(Item("external", "外部链接", True, "未检查", checked=False))
    items.append(_from_diagnostics("terms", "错敏字", diagnostics, lambda d: d.code.startswith("term-"), "未发现问题"))
    meta = [d for d in diagnostics if d.code in META_CODES]
    items.append(Item("metadata", "必备信息", not meta, f"{len(meta)} 处缺少必备信息" if meta else "未发现问题", meta))
    items.append(Item("pubdate", "发布时间", False, "未能检查：内容有错误", checked=False))
    return items


def render(items: list[Item], fmt: str, site_dir: Path) -> str:
    if fmt == "json":
        return json.dumps({"passed": all(i.passed for i in items), "items": [i.as_dict() for i in items]},
                          ensure_ascii=False, indent=2) + "\n"
    if fmt == "github":
        out = []
        for item in items:
            if item.findings:
                out.append(as_github(item.findings, site_dir))
            elif not item.passed:
                out.append(f"::error title={item.code}::{item.name}：{item.detail}\n")
        return "".join(out)
    lines = []
    for item in items:
        mark = "通过" if item.passed and item.checked else ("未检查" if item.passed else "不通过")
        lines.append(f"【{mark}】{item.name}：{item.detail}\n")
        if item.findings:
            lines.append("".join("    " + line for line in as_text(item.findings).splitlines(True)))
    failed = sum(1 for i in items if not i.passed)
    lines.append(f"网站普查自查：{len(items) - failed} 项通过，{failed} 项不通过。\n")
    return "".join(lines)
