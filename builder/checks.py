"""Editorial checks beyond field validation: ``python build.py check`` and every build run them.

File checks look at one notice and its source text: 错敏字 (terms.yaml) in
title, summary, body, captions and broadcast scripts with line and column,
the formal-document (``doc``) and reprint (``reprint``) schemas, the review
chain (``reviews``) and alt text of body images.  Site checks need the whole
loaded :class:`Site`: links and anchors between notices, empty columns.

Everything returns :class:`Diagnostic` lists; nothing here raises for bad content.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from functools import partial
from datetime import datetime, timedelta
from pathlib import Path

from . import terms as terms_mod
from .config import SiteConfig, nearest
from .config.checks import CheckSettings
from .dates import DateProblem, parse_datetime
from .diagnostics import Diagnostic, Diagnostics
from .notice import DOC_NUMBER_RE, INDEX_NO_RE, Notice, resolve_local
from .reader import NOTICE_SUFFIXES, RawDoc
from .workers import forked_map

# Front matter fields whose text readers (or listeners) get: scanned for 错敏字.
TERM_FIELDS = ("title", "summary", "tags", "source", "image_alt", "image_caption", "attachments", "doc",
               "broadcast")
REVIEW_STAGES = ("初审", "复审", "终审")
REVIEW_ALIASES = {"初审": "初审", "first": "初审", "复审": "复审", "second": "复审", "终审": "终审", "final": "终审"}
REPRINT_KEYS = {  # canonical key -> accepted spellings
    "title": ("title", "原标题"),
    "author": ("author", "原作者"),
    "url": ("url", "原文链接"),
    "source": ("source", "来源"),
}
TEMPLATE_IDS = {"main", "article-body", "att-heading", "related-heading"}
_ID_RE = re.compile(r'\sid="([^"]*)"')
_HREF_RE = re.compile(r'<a\s[^>]*?href="([^"]*)"')
_IMG_RE = re.compile(r"<img\s[^>]*>")
_ATTR_RE = re.compile(r'(\w+)="([^"]*)"')


# --- the subject of file checks -------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What the file checks need from one notice, from a loaded Notice or a raw file."""

    rel: str
    text: str  # the decoded source file
    kind: str  # md | yaml
    key_lines: dict
    body_line: int
    fields: dict  # stage fields and the raw values the checks read
    date: datetime | None
    publish_at: datetime | None
    editor: str
    source: str
    doc: dict | None  # raw doc mapping
    body_html: str = ""
    lines: list[str] = field(default_factory=list, compare=False)

    def line_of(self, needle: str, start: int = 1) -> int:
        """1-based line of the first occurrence of ``needle`` at or after line ``start``."""
        for no in range(max(start, 1), len(self.lines) + 1):
            if needle in self.lines[no - 1]:
                return no
        return 0


def decode_text(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def subject_from_notice(notice: Notice, text: str, raw_doc: dict | None) -> Subject:
    return Subject(rel=notice.source, text=text, kind=notice.kind, key_lines=notice.key_lines,
                   body_line=notice.body_line, fields=dict(notice.stage_fields), date=notice.date,
                   publish_at=notice.publish_at, editor=notice.editor, source=notice.origin, doc=raw_doc,
                   body_html=notice.body_html, lines=text.split("\n"))


def subject_from_raw(raw: RawDoc, config: SiteConfig) -> Subject:
    def when(key: str) -> datetime | None:
        try:
            return parse_datetime(raw.fields[key], config.tz) if raw.fields.get(key) not in (None, "") else None
        except DateProblem:
            return None

    doc = raw.fields.get("doc")
    return Subject(rel=raw.path, text=raw.text, kind=raw.kind, key_lines=raw.key_lines, body_line=raw.body_line,
                   fields=dict(raw.fields), date=when("date"), publish_at=when("publish_at"),
                   editor=str(raw.fields.get("editor") or ""),
                   source=str(raw.fields.get("source") or config.default_source),
                   doc=doc if isinstance(doc, dict) else None, lines=raw.text.split("\n"))


# --- file checks -----------------------------------------------------------------------------------


def check_subject(subject: Subject, config: SiteConfig, lexicon: terms_mod.TermList,
                  settings: CheckSettings) -> list[Diagnostic]:
    diags = Diagnostics()
    allow = _allow(subject, diags)
    if not lexicon.empty:
        for start, end in _term_regions(subject):
            region = "\n".join(subject.lines[start - 1:end])
            diags.extend(terms_in_text(subject.rel, region, start, 1, lexicon, allow))
    if subject.doc is not None:
        _check_doc(subject, config, diags)
    if "reprint" in subject.fields:
        _check_reprint(subject, settings, diags)
    if "reviews" in subject.fields or settings.require_reviews:
        _check_reviews(subject, config, settings, diags)
    if subject.body_html:
        _check_images(subject, diags)
    return diags.items


def terms_in_text(rel: str, text: str, first_line: int, first_column: int, lexicon: terms_mod.TermList,
                  allow: frozenset[str] = frozenset()) -> list[Diagnostic]:
    """错敏字 in ``text`` whose first character sits at (first_line, first_column) of ``rel``.

    This is the hook for generated texts too (broadcast scripts): pass the script
    and where it comes from, and the hits come back as located diagnostics.
    """
    out: list[Diagnostic] = []
    if lexicon.empty or not text:
        return out
    starts = [0]
    for m in re.finditer("\n", text):
        starts.append(m.end())
    import bisect

    for hit in lexicon.scan(text, allow):
        index = bisect.bisect_right(starts, hit.start) - 1
        line = first_line + index
        column = hit.start - starts[index] + 1 + (first_column - 1 if index == 0 else 0)
        code, message = terms_mod.message(hit)
        out.append(Diagnostic(rel, line, column, "error", code, message))
    return out


def _allow(subject: Subject, diags: Diagnostics) -> frozenset[str]:
    raw = subject.fields.get("allow")
    if raw in (None, ""):
        return frozenset()
    if isinstance(raw, str):
        return frozenset(t for t in re.split(r"\s*[,，、;；]\s*", raw.strip()) if t)
    if isinstance(raw, list) and all(isinstance(t, str) for t in raw):
        return frozenset(t.strip() for t in raw if t.strip())
    diags.error(subject.rel, subject.key_lines.get("allow", 1), "field-type",
                "allow 应当是经审核允许使用的词语列表，例如 allow: [台独]")
    return frozenset()


def _term_regions(subject: Subject) -> list[tuple[int, int]]:
    """(first line, last line) of every part of the file that readers or listeners get."""
    total = len(subject.lines)
    fm_end = subject.body_line - 2 if subject.kind == "md" else total  # the closing --- line (md)
    starts = sorted(set(subject.key_lines.values()))
    regions: list[tuple[int, int]] = []
    wanted = TERM_FIELDS + (("body",) if subject.kind == "yaml" else ())
    for key in wanted:
        start = subject.key_lines.get(key)
        if not start:
            continue
        later = [s for s in starts if s > start]
        end = (later[0] - 1) if later else (fm_end - 1 if subject.kind == "md" else total)
        regions.append((start, max(start, end)))
    if subject.kind == "md" and subject.body_line <= total:
        regions.append((subject.body_line, total))
    return regions


def _check_doc(subject: Subject, config: SiteConfig, diags: Diagnostics) -> None:
    doc = subject.doc or {}
    doc_line = subject.key_lines.get("doc", 1)

    def line(key: str) -> int:
        return subject.line_of(f"{key}:", doc_line) or doc_line

    names = {"index_no": "索引号", "issuer": "发文机关", "number": "文号", "written": "成文日期"}
    from .site import index_prefix

    if index_prefix(config):
        del names["index_no"]  # numbered automatically (site.yaml xxgk.index_prefix)
    for key, name in names.items():
        if doc.get(key) in (None, ""):
            diags.error(subject.rel, doc_line, "doc-required",
                        f"政府信息公开文件缺少{name}：请在 doc 下添加一行 {key}: …（见 docs/编辑指南.md 的“政府信息公开文件”）")
    written = None
    if doc.get("written") not in (None, ""):
        try:
            written = parse_datetime(doc["written"], config.tz)
        except DateProblem:
            written = None  # the notice loader reports the format
    index_no = str(doc.get("index_no") or "")
    if INDEX_NO_RE.match(index_no):
        year = int(index_no.split("/")[1][:4])
        years = {d.year for d in (subject.date, written) if d}
        if years and year not in years:
            diags.error(subject.rel, line("index_no"), "doc-index-year",
                        f"索引号中的年份 {year} 与成文日期、发布日期的年份（{'、'.join(str(y) for y in sorted(years))}）都不一致，请核对")
    number = str(doc.get("number") or "")
    m = re.search(r"〔(\d{4})〕", number)
    if m and DOC_NUMBER_RE.search(number) and written and int(m.group(1)) != written.year:
        diags.error(subject.rel, line("number"), "doc-number-year",
                    f"文号“{number}”的年份 {m.group(1)} 与成文日期 {written:%Y-%m-%d} 不一致，请核对")
    if written and subject.date and written.date() > subject.date.date():
        diags.error(subject.rel, line("written"), "doc-written-after-date",
                    f"成文日期 {written:%Y-%m-%d} 晚于发布日期 {subject.date:%Y-%m-%d}，请核对")


def _reprint_value(raw: dict, key: str):
    for spelling in REPRINT_KEYS[key]:
        if raw.get(spelling) not in (None, ""):
            return raw[spelling]
    return None


def _check_reprint(subject: Subject, settings: CheckSettings, diags: Diagnostics) -> None:
    raw = subject.fields.get("reprint")
    at = subject.key_lines.get("reprint", 1)
    if not isinstance(raw, dict):
        diags.error(subject.rel, at, "reprint-type",
                    "reprint（转载）应当写成缩进的字段，例如：\nreprint:\n  title: 原标题\n  author: 原作者\n"
                    "  url: https://原文链接\n  source: 新华社")
        return
    known = {s for spellings in REPRINT_KEYS.values() for s in spellings}
    for key in raw:
        if key not in known:
            diags.warning(subject.rel, subject.line_of(f"{key}:", at) or at, "unknown-field",
                          f"reprint 中的未知字段“{key}”{nearest(str(key), set(REPRINT_KEYS))}")
    for key, name in (("title", "原标题"), ("author", "原作者"), ("url", "原文链接")):
        if _reprint_value(raw, key) is None:
            diags.error(subject.rel, at, "reprint-required",
                        f"转载稿件缺少{name}：请在 reprint 下添加一行 {key}: …")
    url = _reprint_value(raw, "url")
    if url is not None and not re.match(r"^https?://[^\s/]+\.[^\s]+$", str(url).strip()):
        diags.error(subject.rel, subject.line_of("url:", at) or subject.line_of("原文链接", at) or at, "reprint-url",
                    f"原文链接“{url}”不是完整的网址，请写成以 http:// 或 https:// 开头的原文地址")
    source = str(_reprint_value(raw, "source") or subject.fields.get("source") or subject.source or "").strip()
    source_line = (subject.line_of("source:", at) or subject.key_lines.get("source") or at)
    if not settings.reprint_configured:
        diags.error(subject.rel, source_line, "reprint-source",
                    "站点没有配置允许转载的来源：请在 site.yaml 中添加 reprint_sources 列表（例如 - 新华社），"
                    "只能转载列表中的来源")
    elif source not in settings.reprint_sources:
        allowed = "、".join(settings.reprint_sources)
        diags.error(subject.rel, source_line, "reprint-source",
                    f"转载来源“{source}”不在 site.yaml 的 reprint_sources 白名单中（可转载：{allowed}）；"
                    "请核对来源，或请管理员把它加入白名单")
    if not subject.editor.strip():
        diags.error(subject.rel, at, "reprint-editor", "转载稿件必须写明责任编辑：请添加一行 editor: 姓名")


def _check_reviews(subject: Subject, config: SiteConfig, settings: CheckSettings, diags: Diagnostics) -> None:
    raw = subject.fields.get("reviews")
    at = subject.key_lines.get("reviews", 1)
    example = ("reviews:\n  初审: {name: 张三, time: 2022-07-20 09:00}\n  复审: {name: 李四, time: 2022-07-20 10:00}\n"
               "  终审: {name: 王五, time: 2022-07-20 11:00}")
    if raw in (None, ""):
        if settings.require_reviews and not subject.fields.get("draft"):
            diags.error(subject.rel, 1, "reviews-required",
                        f"本站要求三审：请添加审核记录（初审、复审、终审的姓名和时间），例如：\n{example}")
        return
    if isinstance(raw, list):  # - {stage: 初审, name: 张三, time: …}
        items = {}
        for item in raw:
            if isinstance(item, dict) and item.get("stage") is not None:
                items[str(item["stage"])] = item
            else:
                diags.error(subject.rel, at, "reviews-type", f"reviews 的格式不对，请写成：\n{example}")
                return
        raw = items
    if not isinstance(raw, dict):
        diags.error(subject.rel, at, "reviews-type", f"reviews 的格式不对，请写成：\n{example}")
        return
    stages: dict[str, tuple[str, datetime | None, int]] = {}
    for key, value in raw.items():
        stage = REVIEW_ALIASES.get(str(key).strip())
        line = subject.line_of(f"{key}", at) or at
        if stage is None:
            diags.error(subject.rel, line, "reviews-stage",
                        f"审核环节“{key}”无法识别，只能是 初审 / 复审 / 终审")
            continue
        name, when = "", None
        if isinstance(value, dict):
            name = str(value.get("name") or "").strip()
            raw_time = value.get("time")
        elif isinstance(value, str):  # 初审: 张三 2022-07-20 09:00
            parts = value.strip().split(None, 1)
            name, raw_time = (parts[0], parts[1]) if len(parts) == 2 else (value.strip(), None)
        else:
            diags.error(subject.rel, line, "reviews-type", f"{stage}应当写成 {{name: 姓名, time: 2022-07-20 09:00}}")
            continue
        if not name:
            diags.error(subject.rel, line, "reviews-name", f"{stage}缺少审核人姓名（name）")
        if raw_time in (None, ""):
            diags.error(subject.rel, line, "reviews-time", f"{stage}缺少审核时间（time），例如 time: 2022-07-20 09:00")
        else:
            try:
                when = parse_datetime(raw_time, config.tz)
            except DateProblem as exc:
                diags.error(subject.rel, line, "reviews-time", f"{stage}的审核时间：{exc}")
        stages[stage] = (name, when, line)
    for stage in REVIEW_STAGES:
        if stage not in stages:
            diags.error(subject.rel, at, "reviews-missing", f"审核记录缺少{stage}：三审须包括初审、复审、终审")
    ordered = [(s, stages[s]) for s in REVIEW_STAGES if s in stages and stages[s][1]]
    for (s1, (_, t1, _)), (s2, (_, t2, l2)) in zip(ordered, ordered[1:]):
        if t2 < t1:
            diags.error(subject.rel, l2, "reviews-order", f"{s2}时间 {t2:%Y-%m-%d %H:%M} 早于{s1}时间 {t1:%Y-%m-%d %H:%M}，请核对")
    if "终审" in stages and stages["终审"][1]:
        published = subject.publish_at or subject.date
        final = stages["终审"][1]
        if published and final > published:
            diags.error(subject.rel, stages["终审"][2], "reviews-after-publish",
                        f"终审时间 {final:%Y-%m-%d %H:%M} 晚于发布时间 {published:%Y-%m-%d %H:%M}：公告必须在终审之后发布")
    if settings.distinct_reviewers:
        seen: dict[str, str] = {}
        for stage in REVIEW_STAGES:
            if stage in stages and stages[stage][0]:
                name = stages[stage][0]
                if name in seen:
                    diags.error(subject.rel, stages[stage][2], "reviews-same-person",
                                f"{seen[name]}和{stage}都是“{name}”：本站要求三审由不同的人完成")
                else:
                    seen[name] = stage


def _check_images(subject: Subject, diags: Diagnostics) -> None:
    for tag in _IMG_RE.findall(subject.body_html):
        attrs = dict(_ATTR_RE.findall(tag))
        if not attrs.get("alt", "").strip():
            src = html.unescape(attrs.get("src", ""))
            line = subject.line_of(src, subject.body_line) if src else subject.body_line
            diags.warning(subject.rel, line or subject.body_line, "image-alt-missing",
                          f"正文图片“{src}”缺少替代文字：请写成 ![图片内容的简短描述]({src})（读屏软件会朗读它）")


# --- site checks ----------------------------------------------------------------------------------


@dataclass
class LinkIndex:
    """Built once per check: which notice files become pages, and the anchors in each."""

    entries: dict
    scheduled: set[str]
    root: Path
    _ids: dict = field(default_factory=dict)

    site: object = None

    @classmethod
    def of(cls, site) -> "LinkIndex":
        return cls(site.entry_for_source(), {n.source for n in site.scheduled}, site.root, site=site)

    def ids(self, source: str) -> set[str]:
        if source not in self._ids:
            notice = self.entries[source].notice
            body = self.site.body(notice) if self.site is not None else notice.body_html
            self._ids[source] = set(_ID_RE.findall(body)) | TEMPLATE_IDS
        return self._ids[source]

    def state(self, target: str):
        """What a link to ``target`` depends on: the target's version, or why it is not published."""
        entry = self.entries.get(target)
        if entry is not None:
            return entry.notice.digest
        if self.site is not None and any(w.notice.source == target for w in self.site.withdrawn):
            return "withdrawn"
        return "scheduled" if target in self.scheduled else (self.root / target).is_file()


_ROOT_RELATIVE = re.compile(r'(?:src|href)="(/(?!/)[^"]*)"')


def check_links(subject: Subject, index: LinkIndex) -> list[Diagnostic]:
    """Links from one notice's body to anchors and other notices."""
    diags = Diagnostics()
    for raw_ref in sorted(set(_ROOT_RELATIVE.findall(subject.body_html))):
        ref = html.unescape(raw_ref)
        line = subject.line_of(ref, subject.body_line) or subject.body_line
        diags.warning(subject.rel, line, "link-root-relative",
                      f"链接“{ref}”以 / 开头，网站放在子路径下（例如 https://www.example.gov.cn/xxgk/）或从本机打开时会失效；"
                      "指向本站的公告请写它的文件相对路径（例如 ../05/tongzhi.md），指向其他网站请写以 https:// 开头的完整网址")
    entries = index.entries
    own_ids = set(_ID_RE.findall(subject.body_html)) | TEMPLATE_IDS
    for raw_href in _HREF_RE.findall(subject.body_html):
        href = html.unescape(raw_href)
        line = subject.line_of(href, subject.body_line) or subject.line_of(href) or subject.body_line
        if href.startswith("#"):
            anchor = href[1:]
            if anchor and anchor not in own_ids:
                diags.error(subject.rel, line, "anchor-missing",
                            f"链接“{href}”指向本页的锚点“{anchor}”，但正文中没有这个标题或锚点；请核对标题文字")
            continue
        target = resolve_local(href, subject.rel)
        if target is None or not target.endswith(NOTICE_SUFFIXES):
            continue
        entry = entries.get(target)
        if entry is None and index.site is not None and any(w.notice.source == target for w in index.site.withdrawn):
            diags.warning(subject.rel, line, "link-withdrawn",
                          f"链接“{href}”指向的公告 {target} 已撤稿，读者只会看到撤稿说明；请改正或删除这个链接")
            continue
        if entry is None:
            if target in index.scheduled:
                why = "是定时发布、尚未到时间的公告"
            elif (index.root / target).is_file():
                why = "是草稿或没有通过校验的公告，不会发布"
            else:
                why = "不存在"
            diags.error(subject.rel, line, "link-broken",
                        f"链接“{href}”指向的公告 {target} {why}；请改正链接或先发布那篇公告")
            continue
        if "#" in href:
            anchor = href.split("#", 1)[1]
            if anchor and anchor not in index.ids(target):
                diags.error(subject.rel, line, "anchor-missing",
                            f"链接“{href}”指向的公告中没有锚点“{anchor}”；请核对那篇公告里的标题文字")
    return diags.items


def check_columns(site, settings: CheckSettings, site_text: str) -> list[Diagnostic]:
    if settings.empty_columns == "off":
        return []
    diags = Diagnostics()
    for category in site.config.categories:
        if not any(e.status == "published" for e in site.by_category.get(category.name, [])):
            line = _category_line(site_text, category.name)
            message = (f"栏目“{category.name}”没有任何已发布的公告（空白栏目）：请发布至少一篇，"
                       "或从 site.yaml 的 categories 中删除这个栏目")
            if settings.empty_columns == "error":
                diags.error("site.yaml", line, "column-empty",
                            message + "（site.yaml 设置了 check: {empty_columns: error}，所以这是错误）")
            else:
                diags.warning("site.yaml", line, "column-empty",
                              message + "；网站普查把空白栏目算作问题，要让它阻止发布，"
                              "请在 site.yaml 中设置 check: {empty_columns: error}")
    return diags.items


FUTURE_WARN = timedelta(days=1)
FUTURE_ERROR = timedelta(days=366)


def _field_line(root: Path, notice: Notice, key: str, sub: str = "") -> int:
    """Line of ``key`` (or of ``sub:`` below it) in the notice's file, for the rare site-level finding."""
    start = notice.key_lines.get(key, 1)
    if not sub:
        return start
    try:
        lines = decode_text((root / notice.source).read_bytes()).split("\n")
    except OSError:
        return start
    for no in range(start, len(lines) + 1):
        if lines[no - 1].lstrip(" -").startswith(f"{sub}:") or f"{sub}:" in lines[no - 1] and no == start:
            return no
    return start


def _others(group: list, notice) -> str:
    names = sorted(o.source for o in group if o is not notice)
    return "、".join(names[:3]) + (f" 等 {len(names)} 个文件" if len(names) > 3 else "")


def check_guards(site) -> list[Diagnostic]:
    """Typos that publish: dates far in the future, the same 索引号 / 文号 twice, the same title on one day."""
    diags = Diagnostics()
    notices = [e.notice for e in site.entries if e.status != "draft"]
    listed = {n.source for n in notices}
    notices += [n for n in site.scheduled if n.source not in listed]
    now = site.now
    for n in notices:
        if n.publish_at is not None:
            continue  # a scheduled notice says when it goes out
        ahead = n.date - now
        if ahead > FUTURE_ERROR:
            diags.error(n.source, n.key_lines.get("date", 1), "date-future",
                        f"发布日期 {n.date:%Y-%m-%d} 比现在晚一年以上，多半是年份写错了；请核对 date。"
                        f"如果确实要到那时才发布，请写 publish_at: {n.date:%Y-%m-%d %H:%M}（定时发布）")
        elif ahead > FUTURE_WARN:
            diags.warning(n.source, n.key_lines.get("date", 1), "date-future",
                          f"发布日期 {n.date:%Y-%m-%d %H:%M} 比现在晚 {ahead.days} 天以上：公告会立即发布，"
                          f"并一直排在首页最前面；如果想到时候再发布，请加一行 publish_at: {n.date:%Y-%m-%d %H:%M}（定时发布）")
    for attr, name, sub in (("index_no", "索引号", "index_no"), ("number", "文号", "number")):
        owners: dict[str, list[Notice]] = {}
        for n in notices:
            value = getattr(n.doc, attr, "") if n.doc is not None else ""
            if value:
                owners.setdefault(value, []).append(n)
        for value, group in sorted(owners.items()):
            if len(group) < 2:
                continue
            for n in group:
                others = _others(group, n)
                diags.error(n.source, _field_line(site.root, n, "doc", sub), f"doc-{attr.replace('_', '-')}-duplicate",
                            f"{name}“{value}”与 {others} 相同；{name}不能重复，请核对（复制旧公告时记得改掉{name}）")
    documents = {e.notice.source for e in site.entries if e.status == "published" and e.notice.doc is not None}
    for n in notices:
        if n.interprets and n.interprets not in documents:
            diags.error(n.source, n.key_lines.get("interprets", 1), "interprets-target",
                        f"interprets 指向的 {n.interprets} 不是已发布的政策文件（文件不存在、还没发布，或没有 doc 信息）；"
                        "请写被解读的政策文件的文件路径")
    same_day: dict[tuple, list[Notice]] = {}
    for n in notices:
        same_day.setdefault((n.title, n.date.date()), []).append(n)
    twice = [item for item in same_day.items() if len(item[1]) > 1]
    for (title, day), group in sorted(twice, key=lambda item: (item[0][1], item[0][0])):
        same = f"标题相同、日期同为 {day:%Y-%m-%d}，是不是同一篇公告发了两次？如果是，请删除其中一篇；如果不是，请改标题加以区分"
        for n in group:
            diags.warning(n.source, n.key_lines.get("title", 1), "title-duplicate", f"与 {_others(group, n)} {same}")
    return diags.items


def _category_line(text: str, name: str) -> int:
    for no, line in enumerate(text.split("\n"), 1):
        if re.search(r"name:\s*['\"]?" + re.escape(name) + r"['\"]?\s*[,}]?", line) or line.strip() == f"- {name}":
            return no
    return 0


# --- entry points ---------------------------------------------------------------------------------


def _raw_doc(notice: Notice) -> dict | None:
    if notice.doc is None:
        return None
    d = notice.doc
    return {"index_no": d.index_no or None, "issuer": d.issuer or None, "number": d.number or None,
            "written": d.written, "topic": d.topic or None, "validity": d.validity}


def check_site(site, cache=None, jobs: int | None = None) -> list[Diagnostic]:
    """Every editorial check over a loaded site (the notices that will be published, or previewed).

    With a build cache, a notice is checked again only when it, a notice it links to,
    the term lists or the check settings changed.  Many notices to check are spread
    over forked worker processes.
    """
    from . import __version__
    from .cache import digest
    from .codeprint import code_digest

    diags = Diagnostics()
    lexicon = terms_mod.load_term_list(site.root, site.config, diags)
    settings = site.config.report("check", diags)
    # What the checks read of site.yaml: the typed config's core (not deploy:, broadcast:), check:, terms:;
    # the code: this module and what it can import.
    fingerprint = digest(__version__, code_digest(__name__), repr(lexicon), repr(settings), repr(site.config.core()))
    old = cache.load_checks(fingerprint) if cache is not None else {}
    fresh: dict[str, tuple] = {}
    notices = [e.notice for e in site.entries]
    listed = {n.source for n in notices}
    notices += [n for n in site.scheduled if n.source not in listed]
    index = LinkIndex.of(site)
    todo: list[tuple[Notice, str]] = []
    for notice in sorted(notices, key=lambda n: n.source):
        # the file's digest, and what the checks see of the notices it links to (most link to none)
        key = digest(notice.digest, [(target, index.state(target)) for _ref, target in notice.links]) \
            if notice.links else notice.digest
        hit = old.get(notice.source)
        if hit is not None and hit[0] == key:
            fresh[notice.source] = hit
        else:
            todo.append((notice, key))
    context = (site, lexicon, settings, index)
    checked = forked_map(partial(_check_notice, context=context), [n for n, _k in todo], jobs, PARALLEL_CHECKS)
    for (notice, key), items in zip(todo, checked):
        if items is not None:
            fresh[notice.source] = (key, items)
    for _key, items in fresh.values():
        diags.extend(items)
    if cache is not None and fresh != old:
        cache.save_checks(fingerprint, fresh)
    diags.extend(check_columns(site, settings, site.config.file.text))
    diags.extend(check_guards(site))
    return diags.sorted()


PARALLEL_CHECKS = 400  # notices; below this a worker pool costs more than it saves


def _check_notice(notice: Notice, context: tuple) -> list[Diagnostic] | None:
    site, lexicon, settings, index = context
    try:
        text = decode_text((site.root / notice.source).read_bytes())
    except OSError:
        return None
    subject = subject_from_notice(notice, text, _raw_doc(notice))
    if not subject.body_html:
        subject = replace(subject, body_html=site.body(notice))
    return check_subject(subject, site.config, lexicon, settings) + check_links(subject, index)


def check_files(root: Path, include_drafts: bool = False, config: SiteConfig | None = None) -> list[Diagnostic]:
    """File checks on every readable notice, for when the site as a whole did not load.

    Field errors stop the site from loading; the editor still gets the 错敏字 and
    schema problems of every file in the same run.
    """
    from . import reader
    from .config import load_config
    from .site import discover

    diags = Diagnostics()
    if config is None:  # ``config``: the one the failed build already loaded
        config = load_config(root, Diagnostics())
    if config is None:
        return []
    lexicon = terms_mod.load_term_list(root, config, diags)
    settings = config.report("check", diags)
    rels, _others, _stamps = discover(root, Diagnostics())
    for rel in rels:
        try:
            data = (root / rel).read_bytes()
        except OSError:
            continue
        raw = reader.read(data, rel, Diagnostics())
        if raw is None:
            continue
        draft = raw.fields.get("draft")
        if not include_drafts and (draft is True or draft in ("是", "真", "对")):
            continue
        diags.extend(check_subject(subject_from_raw(raw, config), config, lexicon, settings))
    return diags.sorted()
