"""政府信息公开目录: the formal documents (notices with ``doc``) browsable by facet, and 解读 links.

Built from the loaded :class:`Site` only (a pure function of it): the catalogue
lists every published document by 主题分类 (``doc.topic``), 发文机关
(``doc.issuer``), 年份 (year written, else published) and 体裁 (``doc.genre``, or
the kind of document its title ends with: 通知, 意见, 办法...).

A 解读 (interpretation) names the document it explains with ``interprets:`` (the
document's file, as a relative path), or is recognised by a title containing
“解读” that links to a document.  The document page lists its 相关解读 and the
解读 page links its 原文件.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import slugs

FOLDER = "xxgk"
INDEX = f"{FOLDER}/index.html"
FACETS = (("topic", "主题分类"), ("issuer", "发文机关"), ("year", "年份"), ("genre", "体裁"))
GENRES = ("实施细则", "实施方案", "工作方案", "通知", "通告", "公告", "意见", "办法", "规定", "决定", "方案", "批复",
          "报告", "规划", "细则", "条例", "命令", "决议", "公报", "函", "纪要", "规则", "指南")


def genre_of(title: str, written: str = "") -> str:
    """The document type: ``doc.genre`` when written, else the type the title ends with, else 其他."""
    if written:
        return written
    core = re.sub(r"[（(][^）)]*[）)]$", "", title.strip())
    for name in GENRES:
        if core.endswith(name):
            return "方案" if name in ("实施方案", "工作方案") else "细则" if name == "实施细则" else name
    return "其他"


@dataclass
class Facet:
    kind: str  # topic | issuer | year | genre
    label: str  # 主题分类 ...
    values: list[tuple[str, str, list]] = field(default_factory=list)  # (value, page path, entries)


@dataclass
class Catalogue:
    documents: list  # published entries with doc, newest first
    facets: list[Facet]
    interpretations: dict[str, list]  # document source -> 解读 entries (newest first)
    originals: dict[str, object]  # 解读 source -> document entry

    def page_for(self, kind: str, value: str) -> str:
        for facet in self.facets:
            if facet.kind == kind:
                for v, path, _entries in facet.values:
                    if v == value:
                        return path
        return ""


def _facet_value(entry, kind: str) -> str:
    doc = entry.notice.doc
    if kind == "topic":
        return doc.topic or "未分类"
    if kind == "issuer":
        return doc.issuer or "未注明"
    if kind == "year":
        return str((doc.written or entry.notice.date).year)
    return genre_of(entry.notice.title, doc.genre)


def build(site) -> Catalogue:
    documents = [e for e in site.entries if e.notice.doc is not None and e.status == "published"]
    facets = []
    for kind, label in FACETS:
        groups: dict[str, list] = {}
        for entry in documents:
            groups.setdefault(_facet_value(entry, kind), []).append(entry)
        order = sorted(groups, reverse=True) if kind == "year" else sorted(groups, key=lambda v: (-len(groups[v]), v))
        used: set[str] = set()
        facet = Facet(kind, label)
        for value in order:
            base = value if kind == "year" else (slugs.slugify(value) or kind)
            slug, n = base, 2
            while slug in used:
                slug, n = f"{base}-{n}", n + 1
            used.add(slug)
            facet.values.append((value, f"{FOLDER}/{kind}/{slug}.html", groups[value]))
        facets.append(facet)
    by_source = {e.notice.source: e for e in site.entries if e.status == "published"}
    interpretations: dict[str, list] = {}
    originals: dict[str, object] = {}
    for entry in site.entries:
        if entry.status != "published":
            continue
        target = entry.notice.interprets
        if not target and "解读" in entry.notice.title:
            target = next((t for _ref, t in entry.notice.links
                           if t in by_source and by_source[t].notice.doc is not None), "")
        original = by_source.get(target) if target else None
        if original is None or original is entry:
            continue
        originals[entry.notice.source] = original
        interpretations.setdefault(original.notice.source, []).append(entry)
    return Catalogue(documents, facets, interpretations, originals)
