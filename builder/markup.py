"""Markdown to safe HTML, with Chinese-aware line joining, figures and summaries.

One Python-Markdown instance is reused per process (``reset()`` between
documents): building the extension pipeline costs more than a small notice.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

import nh3

from .paste import Closing, prepare

CJK = r"\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3200-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_CJK_BREAK = re.compile(rf"(?<=[{CJK}])[ \t]*\n[ \t]*|[ \t]*\n[ \t]*(?=[{CJK}])")
_INLINE_TRIGGER = re.compile(r"[*_`\[\]!<>&\\]|  \n|\x02|\x03")
_MARKUP_IN_TEXT = re.compile(r"[&<>\x02\x03]")  # entities, tags, stash placeholders
_STASH = re.compile(r"\x02wzxhzdk:\d+\x03")  # Python-Markdown's raw-HTML placeholders
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_HAN_OR_WORD = re.compile(rf"[{CJK}]|[^\s{CJK}]+")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del",
    "div", "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "scope", "style"},
    "ol": {"start"},
    "time": {"datetime"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _only_image(p: etree.Element) -> bool:
    return (len(p) == 1 and p[0].tag == "img" and not (p.text or "").strip()
            and not (p[0].tail or "").strip())


def _figure(p: etree.Element) -> etree.Element:
    img = p[0]
    img.tail = None
    figure = etree.Element("figure")
    figure.append(img)
    caption = img.get("title") or img.get("alt")
    if caption:
        cap = etree.SubElement(figure, "figcaption")
        cap.text = caption
    return figure


def _build_markdown():
    """Python-Markdown is imported on first use: a build served from the cache never needs it."""
    import markdown
    from markdown.extensions import Extension
    from markdown.extensions.toc import (TocTreeprocessor, remove_fnrefs, render_inner_html, slugify_unicode,
                                         strip_tags, unique)
    from markdown.treeprocessors import InlineProcessor, Treeprocessor

    class _QuickInline(InlineProcessor):
        """Skip the inline pass for text with no character any inline pattern starts with.

        Python-Markdown tries each of its ~15 inline patterns on every text node; most
        sentences of a notice contain none of ``* _ ` [ ] ! < > & \\``, two trailing spaces
        or a stash placeholder, so for them the pass is a no-op costing a third of the
        render time.  The output is identical (tested on the benchmark corpus).
        """

        def _InlineProcessor__handleInline(self, data, patternIndex=0):  # noqa: N802 - overrides a private
            if patternIndex == 0 and not _INLINE_TRIGGER.search(data):
                return data
            return InlineProcessor._InlineProcessor__handleInline(self, data, patternIndex)

    class _NoticeTree(Treeprocessor):
        """Post-inline pass: join CJK soft breaks, shift headings, wrap captioned images."""

        def run(self, root: etree.Element) -> None:
            self.md.first_paragraph = ""  # type: ignore[attr-defined]
            for el in root.iter():
                if el.text and "\n" in el.text and el.tag not in ("pre", "code"):
                    el.text = _CJK_BREAK.sub("", el.text)
                if el.tail and "\n" in el.tail:
                    el.tail = _CJK_BREAK.sub("", el.tail)
            # the notice title is the page's only <h1>: the body's headings become h2, h3... by rank,
            # so "### 接种对象" under the title is an h2 and no level is skipped (HTML validity, WCAG 1.3.1)
            headings = [el for el in root.iter() if el.tag in _HEADINGS]
            ranks = {level: 2 + rank for rank, level in enumerate(sorted({el.tag for el in headings}))}
            previous = 1
            for el in headings:
                previous = min(6, ranks[el.tag], previous + 1)
                el.tag = "h" + str(previous)
            for parent in list(root.iter()):
                for index, child in enumerate(list(parent)):
                    if child.tag == "p" and _only_image(child):
                        parent[index] = _figure(child)
            for el in root.iter("p"):
                text = _STASH.sub("", "".join(el.itertext())).strip()
                if text:
                    self.md.first_paragraph = text  # type: ignore[attr-defined]
                    break

    class _HeadingIds(TocTreeprocessor):
        """The ``toc`` extension's heading ids, without building a table of contents nobody uses.

        Ids are computed exactly as ``toc`` does (same slugify, same de-duplication); a heading
        of plain text takes a shortcut around rendering its inner HTML.  This halves the
        extension's share of a notice's render time.  ``[TOC]`` markers are not replaced.
        """

        def run(self, doc: etree.Element) -> None:
            used_ids = {el.attrib["id"] for el in doc.iter() if "id" in el.attrib}
            for el in doc.iter():
                if isinstance(el.tag, str) and self.header_rgx.match(el.tag):
                    self.set_level(el)
                    if "id" in el.attrib:
                        continue
                    if len(el) == 0 and not _MARKUP_IN_TEXT.search(el.text or ""):
                        name = " ".join((el.text or "").split())
                    else:
                        name = strip_tags(render_inner_html(remove_fnrefs(el), self.md))
                    el.attrib["id"] = unique(self.slugify(html.unescape(name), self.sep), used_ids)

    class _NoticeExtension(Extension):
        def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - library API
            md.treeprocessors.register(_NoticeTree(md), "notice", 5)

    md = markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", "footnotes", "toc", _NoticeExtension()],
        extension_configs={"toc": {"slugify": slugify_unicode, "toc_depth": "2-4"}},
        output_format="html",
    )
    md.treeprocessors.register(_QuickInline(md), "inline", 20)
    md.parser.blockprocessors.deregister("code")  # notices never contain code: indentation is not a code block
    heading_ids = _HeadingIds.__new__(_HeadingIds)
    heading_ids.__dict__.update(md.treeprocessors["toc"].__dict__)  # the configured slugify, separator…
    md.treeprocessors.register(heading_ids, "toc", 5)
    return md


_md = None


def _instance():
    global _md
    if _md is None:
        _md = _build_markdown()
    return _md


@dataclass(frozen=True)
class Rendered:
    html: str
    first_paragraph: str
    closing: Closing | None = None  # the 落款 (issuer and date) the body ends with
    cleaned: tuple[str, ...] = ()  # what was done to a Word-pasted body (see builder.paste)


def closing_html(closing: Closing) -> str:
    """The 落款 as the page shows it: right-aligned, issuers then the date, one per line."""
    lines = [html.escape(line, quote=False) for line in closing.issuers + (closing.date_text,)]
    return '<p class="closing">' + "<br>".join(lines) + "</p>"


def render(source: str) -> Rendered:
    md = _instance()
    md.reset()
    source = _CONTROL.sub("", source)  # invalid in HTML and XML, and Markdown's own placeholders
    prepared = prepare(source)
    try:
        html = md.convert(prepared.source)
    except RecursionError:
        html = "<p>" + nh3.clean_text(source) + "</p>"
        return Rendered(html, "")
    body = sanitize(html)
    if prepared.closing_split and prepared.closing is not None:
        body = (body + "\n" if body else "") + closing_html(prepared.closing)
    return Rendered(body, getattr(md, "first_paragraph", ""), prepared.closing, prepared.cleaned)


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
        filter_style_properties={"text-align"},
    )


def plain(text: str) -> str:
    """Text safe for attributes, feeds and XML: no control characters, single spaces."""
    return re.sub(r"\s+", " ", _CONTROL.sub("", text)).strip()


def summarize(text: str, limit: int) -> str:
    """Cut plain text after ``limit`` words, each Han character counting as one."""
    text = plain(text)
    count = 0
    for match in _HAN_OR_WORD.finditer(text):
        count += 1
        if count > limit:
            return text[: match.start()].rstrip(" ，、；：,;:") + "……"
    return text
