"""``python build.py new "标题"``: start a notice with every field filled in and explained in Chinese."""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime
from pathlib import Path

import yaml

from . import slugs
from .config import load_config
from .dates import DateProblem, parse_datetime
from .diagnostics import Diagnostics
from .notice import PLACEHOLDER_BODY
from .report import Reporter
from .site import CONTENT_DIR, build_now

MAX_SLUG_WORDS = 8
_NEEDS_QUOTES = re.compile(r"""^[\s\-?:,\[\]{}#&*!|>'"%@`]|[:#]\s|\s$|[:#]$|["\\]""")


def yaml_text(value: str) -> str:
    """A one-line YAML scalar that reads back as exactly ``value``."""
    if value and not _NEEDS_QUOTES.search(value):
        try:
            if yaml.safe_load(value) == value:
                return value
        except yaml.YAMLError:
            pass
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def short_slug(title: str) -> str:
    words = slugs.slugify(title).split("-")
    return "-".join(w for w in words[:MAX_SLUG_WORDS] if w) or "notice"


def front_matter(title: str, date: datetime, category: str, source: str, slug: str) -> list[str]:
    """Field lines with a Chinese comment each; every value is valid as written."""
    q = yaml_text
    return [
        f"title: {q(title)}  # 标题（必填）",
        f"date: {date:%Y-%m-%d %H:%M}  # 发布时间（必填），格式 2022-05-04 12:30",
        f"category: {q(category)}  # 栏目，须是 site.yaml 的 categories 中的栏目名",
        "tags: []  # 标签，例如 [停水, 便民]",
        'author: ""  # 作者 / 记者，多人写成 [张三, 李四]',
        'editor: ""  # 责任编辑（转载稿件必填）',
        f"source: {q(source)}  # 来源，例如 舞钢市自来水有限公司",
        'summary: ""  # 摘要；留空时自动取正文第一段',
        "level: 日常  # 预警级别：日常 / 蓝色 / 黄色 / 橙色 / 红色",
        f"slug: {q(slug)}  # 网址中的名字：小写英文、数字和 -",
        "draft: true  # 草稿：写好正文、预览无误后改成 false 才会发布（serve 预览时草稿也显示）",
        'publish_at: ""  # 定时发布：写上时间后，到时才发布，例如 2022-05-05 08:00',
        'expires: ""  # 过期时间：之后页面标注“已过期”，并从首页移除',
        'updated: ""  # 更新时间：修改已发布的公告后填写，例如 2022-05-06 09:00',
        'image: ""  # 题图：放在公告旁边的图片文件名，例如 photo.jpg',
        'image_alt: ""  # 题图的替代文字（有题图时必填，读屏软件会朗读）',
        'image_caption: ""  # 题图下方的图片说明',
        "attachments: []  # 附件：每行一个，例如 - {file: 报名表.docx, title: 报名表}",
        "# 村村响广播稿（详见 docs/广播稿说明.md）：没有手写稿时程序从正文自动摘编草稿，审核通过前不会播出。",
        "# 审核通过后改成 {status: 已审核, reviewed_by: 审核人姓名, review_code: 审核码}（审核码见播音员页面“待审核”）；",
        "# 手写稿写成 {script: 广播稿正文}；不需要广播写 false",
        "broadcast: {status: 待审核}",
        "# 以下字段按需去掉行首的 # 后填写（说明见 docs/编辑指南.md）：",
        "# doc: {index_no: 机构代码/2022-00001, issuer: 发文机关, number: 舞政〔2022〕1号, written: 2022-05-01, "
        "topic: 主题分类, validity: 有效}  # 政府信息公开文件",
        "# reviews: {初审: {name: 姓名, time: 2022-05-04 09:00}, 复审: {name: 姓名, time: 2022-05-04 10:00}, "
        "终审: {name: 姓名, time: 2022-05-04 11:00}}  # 三审记录",
        "# reprint: {title: 原标题, author: 原作者, url: https://原文链接, source: 新华社}  # 转载稿件",
        "# allow: []  # 经审核允许使用的敏感词",
        "# interprets: ../05/zhengce-wenjian.md  # 政策解读：被解读的政策文件的文件路径",
        "# corrections: [{date: 2022-05-06 09:00, text: 更正内容}]  # 更正，页面上按时间倒序显示",
        "# withdrawn: {date: 2022-05-06 09:00, reason: 撤稿原因}  # 撤稿：页面换成撤稿说明，从列表和订阅源中移除",
    ]


BODY = ("<!-- 写作提示（不会出现在网页上，可以删除）：段落之间空一行；可以使用 **加粗**、列表、表格；\n"
        "图片写成 ![图片内容描述](photo.jpg \"图片说明\")，图片文件放在本文件旁边。 -->\n\n"
        + PLACEHOLDER_BODY)


def render(title: str, date: datetime, category: str, source: str, slug: str, as_yaml: bool) -> str:
    fields = front_matter(title, date, category, source, slug)
    if as_yaml:
        body = "\n".join(("  " + line) if line else "" for line in BODY.split("\n"))
        return ("# 公告（纯 YAML 格式）：字段说明见 docs/编辑指南.md\n" + "\n".join(fields)
                + "\nbody: |  # 正文（Markdown），每行前面空两个空格\n" + body + "\n")
    return "---\n" + "\n".join(fields) + "\n---\n\n" + BODY + "\n"


def new_notice(site_dir: Path, title: str, *, category: str | None, date: str | None, as_yaml: bool,
               reporter: Reporter, site_arg: str | None = None) -> int:
    """``site_arg``: the --site value as the editor typed it, repeated in the hints (None: not given)."""
    site_opt = f" --site {_quoted(site_arg)}" if site_arg else ""
    diags = Diagnostics()
    config = load_config(site_dir, diags)
    if config is None:
        reporter.diagnostics(diags.sorted())
        return 1
    title = " ".join(title.split())
    if not title:
        reporter.note(f"标题不能为空：python build.py new \"关于……的通知\"{site_opt}")
        return 1
    category = category or config.default_category
    if config.category(category) is None:
        names = "、".join(c.name for c in config.categories)
        reporter.note(f"栏目“{category}”不存在，可选的栏目有：{names}")
        return 1
    if date:
        try:
            when = parse_datetime(date, config.tz)
        except DateProblem as exc:
            reporter.note(f"--date：{exc}")
            return 1
    else:
        when = build_now().astimezone(config.tz).replace(second=0, microsecond=0)
    slug = short_slug(title)
    folder = site_dir / CONTENT_DIR / f"{when:%Y}" / f"{when:%m}"
    path = folder / f"{when:%Y-%m-%d}-{slug}.{'yaml' if as_yaml else 'md'}"
    text = render(title, when, category, config.default_source, slug, as_yaml)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as fh:  # never overwrite an editor's work
            fh.write(text)
    except FileExistsError:
        reporter.note(f"文件已存在，没有覆盖：{_shown(path)}\n请直接编辑它，或换一个标题 / 用 --date 指定别的日期。")
        return 1
    sys.stdout.write(_shown(path) + "\n")
    sys.stdout.flush()
    reporter.note("已新建公告（草稿），请用编辑器打开上面的文件填写正文；"
                  f"预览：python build.py serve{site_opt}；写好后把 draft: true 改成 draft: false 才会发布，"
                  f"发布前检查：python build.py check{site_opt}")
    return 0


def _quoted(arg: str) -> str:
    return f'"{arg}"' if any(ch in arg for ch in " \t&()[]{};'") else arg


def _shown(path: Path) -> str:
    try:
        return path.relative_to(Path(os.getcwd()).resolve()).as_posix()
    except ValueError:  # outside the working directory
        return str(path)
