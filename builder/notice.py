"""The notice model: validated front matter fields plus rendered body.

``load_notice`` is a pure function of (file bytes, path, config) so that it
can run in worker processes and be cached by content hash.
"""

from __future__ import annotations

import hashlib
import html
import posixpath
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from urllib.parse import unquote

from . import markup, paste, reader, slugs, yamlio
from .config import SiteConfig, nearest
from .dates import DateProblem, has_time, parse_datetime
from .diagnostics import Diagnostics

LEVELS = ("日常", "蓝色", "黄色", "橙色", "红色")
LEVEL_ALIASES = {
    "日常": "日常", "普通": "日常", "一般": "日常", "normal": "日常",
    "蓝": "蓝色", "蓝色": "蓝色", "蓝色预警": "蓝色", "Ⅳ级": "蓝色", "IV级": "蓝色", "IV": "蓝色", "blue": "蓝色",
    "黄": "黄色", "黄色": "黄色", "黄色预警": "黄色", "Ⅲ级": "黄色", "III级": "黄色", "III": "黄色", "yellow": "黄色",
    "橙": "橙色", "橙色": "橙色", "橙色预警": "橙色", "Ⅱ级": "橙色", "II级": "橙色", "II": "橙色", "orange": "橙色",
    "红": "红色", "红色": "红色", "红色预警": "红色", "Ⅰ级": "红色", "I级": "红色", "I": "红色", "red": "红色",
}
VALIDITY = ("有效", "失效", "废止")
INDEX_NO_RE = re.compile(r"^[0-9A-Z]{6,20}/\d{4}-\d{5}$")
DOC_NUMBER_RE = re.compile(r"〔\d{4}〕\d+号$")
DOC_KEYS = {"index_no", "issuer", "number", "written", "topic", "validity", "genre"}

# Fields understood by the core; later stages register theirs in STAGE_FIELDS.
CORE_FIELDS = {
    "title", "date", "category", "tags", "author", "editor", "source", "summary", "level", "slug",
    "draft", "publish_at", "expires", "updated", "image", "image_alt", "image_caption",
    "attachments", "doc", "body", "withdrawn", "corrections", "interprets",
}
STAGE_FIELDS = {"broadcast", "reviews", "reprint", "allow"}
# Fields that must be a single piece of text (title and summary have their own checks).
SCALAR_FIELDS = ("slug", "category", "level", "editor", "source", "image", "image_alt", "image_caption")
_TAG_SPLIT = re.compile(r"\s*[,，、;；]\s*")
# What ``build.py new`` writes before the editor has: never published by mistake.
PLACEHOLDER_BODY = "在这里写正文。"
PLACEHOLDER_TITLES = {"关于……的通知", "关于…的通知", "关于...的通知", "在这里写标题"}  # the guide's examples


@dataclass(frozen=True, slots=True)
class Attachment:
    source: str  # site-relative path of the file, e.g. content/2022/05/form.docx
    name: str  # file name shown to readers
    title: str
    size: int


@dataclass(frozen=True, slots=True)
class DocInfo:
    """政府信息公开 metadata of a formal document."""

    index_no: str = ""
    issuer: str = ""
    number: str = ""
    written: datetime | None = None
    topic: str = ""
    validity: str = "有效"
    genre: str = ""  # 体裁 (通知, 意见, 办法...); "" = from the title


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """撤稿: the notice's page becomes a 撤稿说明 and it leaves every list, feed, sitemap, search and playlist."""

    date: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Correction:
    """更正: shown on the page (newest first); the newest sets ``updated``."""

    date: datetime
    text: str


@dataclass(frozen=True, slots=True)
class Notice:
    source: str  # site-relative path of the notice file
    kind: str  # "md" or "yaml"
    title: str
    date: datetime
    category: str
    slug: str
    body_html: str
    summary: str
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    editor: str = ""
    origin: str = ""  # 来源
    level: str = "日常"
    draft: bool = False
    publish_at: datetime | None = None
    expires: datetime | None = None
    updated: datetime | None = None
    image: str = ""  # site-relative path of the lead image
    image_alt: str = ""
    image_caption: str = ""
    attachments: tuple[Attachment, ...] = ()
    doc: DocInfo | None = None
    interprets: str = ""  # 解读: site-relative path of the document this notice explains
    withdrawn: Withdrawal | None = None
    corrections: tuple[Correction, ...] = ()  # newest first
    date_only: bool = False  # ``date`` was written without a time of day: pages show the day only
    closing: paste.Closing | None = None  # the 落款 (issuers, date) the body ends with: the broadcast close
    assets: tuple[str, ...] = ()  # site-relative paths of local files the body refers to
    links: tuple[tuple[str, str], ...] = ()  # (href as written, resolved site-relative path) of .md links
    key_lines: dict = field(default_factory=dict, compare=False)
    body_line: int = 1
    stage_fields: dict = field(default_factory=dict, compare=False)  # broadcast, reviews, ...
    digest: str = ""  # hash of the file's bytes: identifies this version of the notice

    @property
    def is_emergency(self) -> bool:
        return self.level != "日常"

    @property
    def sort_key(self) -> tuple:
        return (self.date, self.source)


# Values many notices have in common (a column, a 来源, tags, the lines of the front-matter keys, a
# 落款): one object per process instead of one per notice.  A 100,000-notice site holds every notice
# at once, and a worker's batch of parsed notices is pickled back, and the cache written, with each
# shared object once.  Bounded, for a long-running ``serve``.
_SHARED: dict = {}
MAX_SHARED = 200_000


def shared(value):
    """An object equal to ``value`` that other notices may hold too (never changed: frozen values,
    and dicts nobody writes to).  Unhashable values are returned as they are."""
    try:
        key = (type(value), tuple(value.items())) if type(value) is dict else (type(value), value)
        kept = _SHARED.get(key)
    except TypeError:
        return value
    if kept is None:
        if len(_SHARED) >= MAX_SHARED:
            return value
        kept = _SHARED[key] = value
    return kept


def version_of(notice: Notice) -> str:
    """A digest of everything a template can read of ``notice`` (its repr: every field, the
    body by the file's digest when the body HTML is kept elsewhere)."""
    return hashlib.blake2b(repr(notice).encode("utf-8"), digest_size=12).hexdigest()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return markup.plain(str(value))


def _bool(value, rel: str, line: int, key: str, diags: Diagnostics) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, ""):
        return False
    if isinstance(value, str) and value.strip() in ("是", "真", "对"):
        return True
    if isinstance(value, str) and value.strip() in ("否", "假", "不"):
        return False
    diags.error(rel, line, "field-type", f"“{key}”只能写 true 或 false（是 / 否），现在是“{value}”")
    return False


def _string_list(value, rel: str, line: int, key: str, diags: Diagnostics) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(t for t in _TAG_SPLIT.split(value.strip()) if t)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        return tuple(str(v).strip() for v in value if str(v).strip())
    diags.error(rel, line, "field-type",
                f"“{key}”应当是一组文字，写成 {key}: [疫情防控, 停水] 或 {key}: 疫情防控，停水；现在是{_kind(value)}")
    return ()


def _kind(value) -> str:
    if isinstance(value, dict):
        return "“字段: 值”的映射"
    if isinstance(value, list):
        return "含有非文字内容的列表"
    if isinstance(value, bool):
        return "是/否"
    if isinstance(value, (int, float)):
        return f"数字 {value}"
    return f"“{value}”"


def resolve_local(ref: str, notice_rel: str, content_dir: str = "content", *, url: bool = True) -> str | None:
    """Resolve a relative reference from a notice to a site-relative path inside content/.

    ``url=True`` (links in the body): ``?query`` and ``#fragment`` are dropped and
    ``%xx`` decoded.  ``url=False`` (``image``/``attachments`` fields): the text is
    a file name, so ``#``, ``?`` and ``%`` are part of it.
    Returns None when the reference is absolute, external or leaves ``content/``.
    """
    if not ref or ref.startswith(("/", "#", "\\")) or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", ref) or "\\" in ref:
        return None
    path = unquote(ref.split("#", 1)[0].split("?", 1)[0]) if url else ref
    base = posixpath.dirname(notice_rel)
    joined = posixpath.normpath(posixpath.join(base, path))
    if not joined.startswith(content_dir + "/"):
        return None
    return joined


_REF_RE = re.compile(r'(?:src|href)="([^"]*)"')
# Paths on the editor's own computer: readers of the website cannot open them.
LOCAL_PATH = re.compile(r"^\s*(?:[A-Za-z]:[\\/]|file:|\\\\|/(?:home|Users|tmp|mnt|media|root|var|opt|srv)/)",
                        re.IGNORECASE)
_BODY_LOCAL_REF = re.compile(
    r"""(?:\]\(\s*<?|(?:src|href)\s*=\s*["']?)((?:[A-Za-z]:[\\/]|file:|\\\\|/(?:home|Users|tmp|mnt|media|root)/)"""
    r"""[^)"'>\n]*)""", re.IGNORECASE)


def _local_path_message(where: str, ref: str, example: str) -> str:
    return (f"{where}“{ref.strip()}”是本机电脑上的路径，网站的读者打不开；请把文件复制到公告旁边（同一个文件夹），"
            f"再只写文件名，例如 {example}")


def load_notice(data: bytes, rel: str, config: SiteConfig, exists, diags: Diagnostics,
                find_case=None) -> Notice | None:
    """Validate one notice file.  ``exists(site_rel_path) -> int|None`` gives a file's size;
    ``find_case(site_rel_path) -> str|None`` the existing file whose name differs only in case."""
    raw = reader.read(data, rel, diags)
    if raw is None:
        return None
    fields = dict(raw.fields)
    lines = raw.key_lines
    n_errors = len(diags.errors)

    def line(key: str) -> int:
        return lines.get(key, 1)

    for key in sorted(fields, key=str):  # the model boundary: no string reaching XML/JSON keeps a control character
        cleaned, found = strip_controls(fields[key])
        if not found:
            continue
        named = [(f"{key}.{sub}", strip_controls(value)[1]) for sub, value in fields[key].items()
                 if strip_controls(value)[1]] if isinstance(fields[key], dict) else []
        fields[key] = cleaned
        for name, chars in named or [(key, found)]:
            shown = "、".join(f"U+{ord(c):04X}" for c in sorted(chars)[:5])
            diags.warning(rel, line(key), "control-character",
                          f"“{name}”中含有不可见的控制字符（{shown}），网页、订阅源和广播文件都不能包含它们，已删除；"
                          "请检查这一项是否从别处复制而来")

    for key in SCALAR_FIELDS:
        if isinstance(fields.get(key), (dict, list)):
            value = fields.pop(key)  # reported once; do not cascade into more messages
            diags.error(rel, line(key), "field-type",
                        f"“{key}”应当是一行文字，现在是{'列表' if isinstance(value, list) else _kind(value)}")

    for key in fields:
        if key not in CORE_FIELDS and key not in STAGE_FIELDS:
            english = yamlio.key_hint(key)
            if english:
                diags.warning(rel, line(key), "unknown-field",
                              f"未知字段“{key}”：字段名要用英文，请改成 {english}")
            else:
                diags.warning(rel, line(key), "unknown-field",
                              f"未知字段“{key}”{nearest(key, CORE_FIELDS | STAGE_FIELDS)}")

    title = _text(fields.get("title"))
    if not title:
        hint = yamlio.comment_hint(raw.text.split("\n")[line("title") - 1]) if "title" in fields else ""
        diags.error(rel, line("title") if "title" in fields else 1, "title-missing",
                    hint or "缺少标题：请添加一行 title: 标题文字")
    elif isinstance(fields.get("title"), (dict, list)):
        diags.error(rel, line("title"), "field-type",
                    "标题应当是一行文字；以 [ 或 { 开头的标题请用英文单引号括起来，例如 title: '[转发]关于……的通知'，"
                    "或改用中文括号【】")
        title = ""

    tz = config.tz
    date = None
    if fields.get("date") in (None, ""):
        diags.error(rel, 1 if "date" not in fields else line("date"), "date-missing",
                    "缺少发布日期：请添加一行 date: 2022-05-04 12:30")
    else:
        try:
            date = parse_datetime(fields["date"], tz)
        except DateProblem as exc:
            diags.error(rel, line("date"), "date-format", str(exc))

    def optional_date(key: str) -> datetime | None:
        if fields.get(key) in (None, ""):
            return None
        try:
            return parse_datetime(fields[key], tz)
        except DateProblem as exc:
            diags.error(rel, line(key), "date-format", f"“{key}”：{exc}")
            return None

    publish_at = optional_date("publish_at")
    expires = optional_date("expires")
    updated = optional_date("updated")
    if date and expires and expires <= date:
        diags.error(rel, line("expires"), "expires-before-date",
                    "过期时间（expires）早于发布日期（date），请检查两个日期")

    category = _text(fields.get("category")) or config.default_category
    if config.category(category) is None:
        names = "、".join(c.name for c in config.categories)
        diags.error(rel, line("category"), "category-unknown",
                    f"栏目“{category}”不存在，可选的栏目有：{names}（栏目在 site.yaml 的 categories 中声明）")

    tags = _string_list(fields.get("tags"), rel, line("tags"), "tags", diags)
    if len(set(tags)) > config.max_tags:  # every tag is a page (and a feed entry) of its own
        diags.error(rel, line("tags"), "tags-too-many",
                    f"标签太多：这篇公告有 {len(set(tags))} 个标签，最多 {config.max_tags} 个（每个标签都会生成页面）。"
                    f"请只保留最能概括内容的几个；确实需要更多时，在 site.yaml 中设置 max_tags")
    authors = _string_list(fields.get("author"), rel, line("author"), "author", diags)

    raw_level = _text(fields.get("level")) or "日常"
    level = LEVEL_ALIASES.get(raw_level) or LEVEL_ALIASES.get(raw_level.lower())
    if level is None:
        diags.error(rel, line("level"), "level-unknown",
                    f"预警级别“{raw_level}”无法识别，只能是：{' / '.join(LEVELS)}")
        level = "日常"

    stem = PurePosixPath(rel).stem
    slug = ""
    if "slug" in fields:
        try:
            slug = slugs.check_explicit(_text(fields["slug"]))
        except slugs.SlugProblem as exc:
            diags.error(rel, line("slug"), "slug-invalid", str(exc))
    else:
        slug = slugs.from_stem(stem)

    draft = _bool(fields.get("draft"), rel, line("draft"), "draft", diags)

    def case_hint(target: str) -> str:
        other = find_case(target) if find_case is not None else None
        if not other:
            return ""
        return (f"；有一个只有大小写不同的文件 {posixpath.basename(other)}，网站服务器区分大小写，"
                f"请把文件名写成 {posixpath.basename(other)}")

    def local_file(ref, key: str) -> tuple[str, int] | None:
        ref = _text(ref)
        if LOCAL_PATH.match(ref):
            diags.error(rel, line(key), "local-path",
                        _local_path_message(f"“{key}”写的", ref, f"{key}: {posixpath.basename(ref.replace(chr(92), '/'))}"))
            return None
        target = resolve_local(ref, rel, url=False)
        if target is None:
            diags.error(rel, line(key), "path-outside",
                        f"“{key}”的文件“{ref}”不在 content 目录内；请把文件放在公告旁边，并写相对路径，例如 {key}: photo.jpg")
            return None
        size = exists(target)
        if size is None:
            hint = case_hint(target)
            diags.error(rel, line(key), "file-case" if hint else "file-missing",
                        f"“{key}”指向的文件“{ref}”不存在（应在 {target}）"
                        + (hint or "，请检查文件名或把文件放到公告旁边"))
            return None
        if active_content(target):
            diags.error(rel, line(key), "file-active", active_message(ref))
            return None
        return target, size

    image = ""
    if fields.get("image"):
        found = local_file(fields["image"], "image")
        image = found[0] if found else ""
        if not _text(fields.get("image_alt")):
            diags.warning(rel, line("image"), "image-alt-missing",
                          "图片缺少替代文字：请添加 image_alt: 图片内容的简短描述（读屏软件会朗读它）")

    attachments: list[Attachment] = []
    raw_att = fields.get("attachments") or []
    if isinstance(raw_att, (str, dict)):
        raw_att = [raw_att]
    if not isinstance(raw_att, list):
        diags.error(rel, line("attachments"), "field-type",
                    "attachments 应当是文件列表，例如：\n  attachments:\n    - 报名表.docx")
        raw_att = []
    for item in raw_att:
        ref, att_title = item, ""
        if isinstance(item, dict):
            ref, att_title = item.get("file", ""), _text(item.get("title"))
        if not isinstance(ref, str) or not ref.strip():
            diags.error(rel, line("attachments"), "field-type",
                        f"attachments 的每一项应当是文件名，例如 - 报名表.docx 或 - {{file: 报名表.docx, title: 报名表}}；"
                        f"现在有一项是{_kind(ref)}")
            continue
        found = local_file(ref, "attachments")
        if found:
            name = posixpath.basename(found[0])
            attachments.append(Attachment(found[0], name, att_title or PurePosixPath(name).stem, found[1]))

    doc = None
    raw_doc = fields.get("doc")
    if raw_doc is not None:
        if not isinstance(raw_doc, dict):
            diags.error(rel, line("doc"), "field-type",
                        "doc 应当写成缩进的字段，例如：\n  doc:\n    number: 舞政〔2022〕12号")
        else:
            doc = _doc_info(raw_doc, rel, raw.text, line("doc"), tz, diags)

    if not raw.body.strip():
        diags.warning(rel, raw.body_line if raw.kind == "md" else 1, "body-empty",
                      "正文是空的，页面上只有标题和发布信息；如需正文，请在头信息结束的 --- 之后书写"
                      if raw.kind == "md" else "正文是空的，页面上只有标题和发布信息；如需正文，请添加 body: | 并在下一行缩进书写")
    interprets = ""
    if fields.get("interprets") not in (None, ""):
        ref = _text(fields["interprets"])
        interprets = resolve_local(ref, rel) or ""
        if not interprets.endswith(reader.NOTICE_SUFFIXES):
            diags.error(rel, line("interprets"), "interprets-path",
                        f"interprets 应当写被解读的政策文件的文件路径（相对于本文件），例如 interprets: ../05/guanli-banfa.md；"
                        f"现在是“{ref}”")
            interprets = ""
    withdrawn = _withdrawal(fields.get("withdrawn"), rel, line("withdrawn"), tz, diags) \
        if fields.get("withdrawn") not in (None, "", False) else None
    corrections = _corrections(fields.get("corrections"), rel, line("corrections"), tz, diags)
    if corrections:
        newest = corrections[0].date
        if updated is None or newest > updated:
            updated = newest
    if withdrawn is not None and date is not None and withdrawn.date < date:
        diags.error(rel, line("withdrawn"), "withdrawn-before-date",
                    f"撤稿时间 {withdrawn.date:%Y-%m-%d %H:%M} 早于发布时间 {date:%Y-%m-%d %H:%M}，请核对 withdrawn 的 date")

    if not draft and PLACEHOLDER_BODY in raw.body:
        diags.error(rel, _find_line(raw.text, PLACEHOLDER_BODY), "placeholder-body",
                    f"正文还是新建时的占位文字“{PLACEHOLDER_BODY}”：请写好正文；还没写完就保留 draft: true（草稿不发布）")
    if not draft and title in PLACEHOLDER_TITLES:
        diags.error(rel, line("title"), "placeholder-title",
                    f"标题还是占位文字“{title}”：请写上真正的标题；还没写完就保留 draft: true（草稿不发布）")
    rendered = markup.render(raw.body)
    if rendered.cleaned:
        diags.warning(rel, raw.body_line, "body-pasted",
                      "正文像是从 Word/WPS 粘贴的，已自动整理：" + "；".join(rendered.cleaned)
                      + "。请预览确认分段；想消除这条提示，请在段落之间空一行并去掉行首的空格")
    signs = paste.paste_signs(raw.body)
    if signs:
        diags.warning(rel, raw.body_line, "body-paste-signs", "正文像是从 Word/WPS 粘贴的：" + "；".join(signs))
    summary = _text(fields.get("summary"))
    if isinstance(fields.get("summary"), (dict, list)):
        diags.error(rel, line("summary"), "field-type", "summary 应当是一段文字")
        summary = ""
    if not summary:
        summary = markup.summarize(rendered.first_paragraph, config.summary_length)

    assets: list[str] = []
    links: list[tuple[str, str]] = []
    for ref in sorted(set(_REF_RE.findall(rendered.html))):
        ref = html.unescape(ref)
        target = resolve_local(ref, rel)
        if target is None:
            continue
        if target.endswith(reader.NOTICE_SUFFIXES):
            links.append((ref, target))
            continue
        if exists(target) is not None and active_content(target):
            diags.error(rel, _find_line(raw.text, ref), "file-active", active_message(ref))
        elif exists(target) is None:
            hint = case_hint(target)
            diags.error(rel, _find_line(raw.text, ref), "file-case" if hint else "asset-missing",
                        f"正文引用的文件“{ref}”不存在（应在 {target}）" + (hint or "，请检查文件名或把文件放到公告旁边"))
        else:
            assets.append(target)

    for m in _BODY_LOCAL_REF.finditer(raw.body):
        ref = m.group(1).strip()
        name = posixpath.basename(ref.replace("\\", "/")) or "photo.jpg"
        diags.error(rel, raw.body_line + raw.body.count("\n", 0, m.start(1)) if raw.kind == "md"
                    else _find_line(raw.text, ref), "local-path",
                    _local_path_message("正文中的图片或链接地址", ref, f"![图片内容描述]({name})"))

    if len(diags.errors) > n_errors or date is None:
        return None
    stage_fields = {k: fields[k] for k in STAGE_FIELDS if k in fields}
    return Notice(
        source=rel, kind=raw.kind, title=title, date=date, category=shared(category), slug=slug,
        body_html=rendered.html, summary=summary, tags=shared(tuple(map(shared, tags))),
        authors=shared(tuple(map(shared, authors))), editor=shared(_text(fields.get("editor"))),
        origin=shared(_text(fields.get("source")) or config.default_source), level=level, draft=draft,
        publish_at=publish_at, expires=expires, updated=updated,
        image=image, image_alt=_text(fields.get("image_alt")), image_caption=_text(fields.get("image_caption")),
        attachments=tuple(attachments), doc=doc, closing=shared(rendered.closing), withdrawn=withdrawn,
        interprets=interprets, corrections=corrections, date_only=not has_time(fields["date"]), assets=tuple(assets),
        links=tuple(links), key_lines=shared(lines), body_line=raw.body_line, stage_fields=stage_fields or shared({}),
        digest=hashlib.blake2b(data, digest_size=16).hexdigest(),
    )


def _find_line(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 0


def _doc_info(raw: dict, rel: str, text: str, doc_line: int, tz, diags: Diagnostics) -> DocInfo:
    def line(key: str) -> int:
        found = _find_line(text, f"{key}:")
        return found or doc_line

    for key in raw:
        if key not in DOC_KEYS:
            diags.warning(rel, line(key), "unknown-field", f"doc 中的未知字段“{key}”{nearest(str(key), DOC_KEYS)}")
    index_no = _text(raw.get("index_no"))
    if index_no and not INDEX_NO_RE.match(index_no):
        diags.error(rel, line("index_no"), "doc-index-no",
                    f"索引号“{index_no}”格式不对，应为“机构代码/年份-五位序号”，例如 11410481MB1234567X/2022-00012")
    number = _text(raw.get("number"))
    if number and not DOC_NUMBER_RE.search(number):
        hint = re.sub(r"[\[［(（【]\s*(\d{4})\s*[\]］)）】]", r"〔\1〕", number)
        diags.error(rel, line("number"), "doc-number",
                    f"文号“{number}”格式不对，年份要用六角括号〔〕，例如 {hint if hint != number else '舞政〔2022〕12号'}")
    written = None
    if raw.get("written") not in (None, ""):
        try:
            written = parse_datetime(raw["written"], tz)
        except DateProblem as exc:
            diags.error(rel, line("written"), "date-format", f"成文日期（written）：{exc}")
    validity = _text(raw.get("validity")) or "有效"
    if validity not in VALIDITY:
        diags.error(rel, line("validity"), "doc-validity", f"有效性（validity）只能是：{' / '.join(VALIDITY)}")
        validity = "有效"
    return DocInfo(index_no=index_no, issuer=_text(raw.get("issuer")), number=number, written=written,
                   topic=_text(raw.get("topic")), validity=validity, genre=_text(raw.get("genre")))


_WITHDRAWN_EXAMPLE = "withdrawn:\n  date: 2022-06-02 10:00\n  reason: 停水时间调整，以新通知为准"
_CORRECTIONS_EXAMPLE = "corrections:\n  - date: 2022-06-02 10:00\n    text: 原文“8时”应为“9时”"


def _withdrawal(raw, rel: str, at: int, tz, diags: Diagnostics) -> Withdrawal | None:
    if not isinstance(raw, dict):
        diags.error(rel, at, "withdrawn-type", f"撤稿（withdrawn）要写撤稿时间和原因，例如：\n{_WITHDRAWN_EXAMPLE}")
        return None
    for key in raw:
        if key not in ("date", "reason"):
            diags.warning(rel, at, "unknown-field", f"withdrawn 中的未知字段“{key}”{nearest(str(key), {'date', 'reason'})}")
    reason = _text(raw.get("reason"))
    when = None
    if raw.get("date") in (None, ""):
        diags.error(rel, at, "withdrawn-date", f"撤稿缺少撤稿时间（date），例如：\n{_WITHDRAWN_EXAMPLE}")
    else:
        try:
            when = parse_datetime(raw["date"], tz)
        except DateProblem as exc:
            diags.error(rel, at, "date-format", f"撤稿时间（withdrawn 的 date）：{exc}")
    if not reason:
        diags.error(rel, at, "withdrawn-reason", f"撤稿缺少原因（reason），读者会看到它，例如：\n{_WITHDRAWN_EXAMPLE}")
    if when is None or not reason:
        return None
    return Withdrawal(when, reason)


def _corrections(raw, rel: str, at: int, tz, diags: Diagnostics) -> tuple[Correction, ...]:
    if raw in (None, "", []):
        return ()
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        diags.error(rel, at, "corrections-type", f"更正（corrections）应当是列表，例如：\n{_CORRECTIONS_EXAMPLE}")
        return ()
    found: list[Correction] = []
    for item in raw:
        if not isinstance(item, dict) or item.get("date") in (None, "") or not _text(item.get("text")):
            diags.error(rel, at, "corrections-type",
                        f"每一条更正都要有时间（date）和更正内容（text），例如：\n{_CORRECTIONS_EXAMPLE}")
            continue
        try:
            found.append(Correction(parse_datetime(item["date"], tz), _text(item["text"])))
        except DateProblem as exc:
            diags.error(rel, at, "date-format", f"更正时间（corrections 的 date）：{exc}")
    return tuple(sorted(found, key=lambda c: c.date, reverse=True))


# Files a browser runs as a page or script when a reader opens them from the site: published
# under files/ they would run on the government site's own origin (issue 12).  Refused, with
# how to attach them instead.
ACTIVE_SUFFIXES = (
    ".html", ".htm", ".xhtml", ".xht", ".shtml", ".shtm", ".mht", ".mhtml", ".svg", ".svgz", ".xml", ".xsl",
    ".xslt", ".js", ".mjs", ".cjs", ".wasm", ".swf", ".php", ".phtml", ".asp", ".aspx", ".jsp", ".cgi",
    ".htaccess", ".appcache", ".manifest", ".webmanifest", ".vbs", ".hta",
)


def active_content(path: str) -> bool:
    name = posixpath.basename(path).lower().rstrip(". ")
    return name.endswith(ACTIVE_SUFFIXES)


def active_message(ref: str) -> str:
    return (f"文件“{ref}”是网页、矢量图或脚本类文件，读者点开时其中的代码会在政府网站上运行，出于安全原因不能直接发布。"
            "请把它压缩成 .zip 后再作为附件，或转换成 PDF；图片请另存为 PNG 或 JPG")


# Characters no XML document (feeds, sitemap, SSML, CAP) may hold, and C1 controls: written as
# YAML escapes ("\x1b", "\ud800") they would pass check and crash the build (issue 12).
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def strip_controls(value):
    """(value without control characters, the set removed), through lists and mappings."""
    if isinstance(value, str):
        found = set(_CONTROLS.findall(value))
        return (_CONTROLS.sub("", value), found) if found else (value, found)
    if isinstance(value, (list, tuple)):
        found: set[str] = set()
        items = []
        for item in value:
            item, more = strip_controls(item)
            items.append(item)
            found |= more
        return (type(value)(items) if found else value), found
    if isinstance(value, dict):
        found = set()
        out = {}
        for k, item in value.items():
            k2, more_k = strip_controls(k) if isinstance(k, str) else (k, set())
            item, more = strip_controls(item)
            out[k2] = item
            found |= more | more_k
        return (out if found else value), found
    return value, set()
