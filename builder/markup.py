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
# The second branch starts only where a run of blanks starts: tried at every blank of a long
# run it cost O(run) each time (a 50 KB run of tabs took 25 s).
_CJK_BREAK = re.compile(rf"(?<=[{CJK}])[ \t]*\n[ \t]*|(?<![ \t])[ \t]*\n[ \t]*(?=[{CJK}])")
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


# --- bounds on Python-Markdown's super-linear paths (issue 12: hostile bodies) --------------------
#
# Python-Markdown looks for the closing "]" of every "[" by scanning to the end of the text
# node, and for the closing ")" of every "[text](" likewise; html.parser looks for the end of
# every "<" start tag.  A run of 16,000 "[" took 23 s.  The fixes keep the output identical
# for any input a person writes:
#   * the "]" matching each "[" is computed once per text node (a stack, as the counting
#     scan would find it) and looked up;
#   * a link destination and title longer than LINK_SPAN characters is not a link;
#   * when a body holds many "<" that open no tag (no ">" before the next "<" within
#     TAG_SPAN characters), those are written as &lt; before parsing, as they would be shown.

LINK_SPAN = 2048
TAG_SPAN = 1024
DANGLING_LT_LIMIT = 32
_BRACKET = re.compile(r"[\[\]]")
_LT = re.compile(rf"<(?![^<]{{0,{TAG_SPAN}}}>)")
_brackets: list = [None, {}]  # (text node, {index of "[": index of its "]"})


def _matching_pairs(data: str, pattern: re.Pattern, opener: str, cache: list) -> dict[int, int]:
    """{index of an opener: index of its closer} for one text node, in one stack pass (cached per node)."""
    if cache[0] is not data:
        stack: list[int] = []
        pairs: dict[int, int] = {}
        for m in pattern.finditer(data):
            if m.group() == opener:
                stack.append(m.start())
            elif stack:
                pairs[stack.pop()] = m.start()
        cache[0], cache[1] = data, pairs
    return cache[1]


def _bracket_pairs(data: str) -> dict[int, int]:
    return _matching_pairs(data, _BRACKET, "[", _brackets)


def _get_text(self, data: str, index: int):
    """LinkInlineProcessor.getText in O(1): the text between the "[" at index-1 and its "]"."""
    close = _bracket_pairs(data).get(index - 1)
    if close is None:
        return "", len(data), False
    return data[index:close], close + 1, True


_PAREN = re.compile(r"[()]")
_parens: list = [None, {}]
_slow_link_budget = [0]  # characters the library's own scan may still read in this body
SLOW_LINK_BUDGET = 1 << 21


def _paren_pairs(data: str) -> dict[int, int]:
    return _matching_pairs(data, _PAREN, "(", _parens)


def _bounded_get_link(original):
    """LinkInlineProcessor.getLink without its scan to the end of the text for every "[x](".

    Without quotes (no title) the library's answer is the ")" matching the "(" by counting,
    looked up here; with quotes its own scan runs over at most LINK_SPAN characters, and over
    at most SLOW_LINK_BUDGET characters per body in all."""
    def get_link(self, data: str, index: int):
        m = self.RE_LINK.match(data, pos=index)
        if not m or m.group(1):
            return original(self, data, index)  # "(" missing, or "(<url> 'title')": a regex answered
        close = _paren_pairs(data).get(index)
        end = close if close is not None else min(len(data), index + LINK_SPAN)
        if data.find('"', index, end) < 0 and data.find("'", index, end) < 0:
            if close is None:
                if end == len(data) or (data.find('"', end) < 0 and data.find("'", end) < 0):
                    return "", None, index, False
            else:
                return self.unescape(data[m.end():close]).strip(), None, close + 1, True
        window_end = min(len(data), index + LINK_SPAN)
        _slow_link_budget[0] -= window_end - index
        if _slow_link_budget[0] < 0:
            return "", None, index, False
        if window_end == len(data):
            return original(self, data, index)
        href, title, stop, handled = original(self, data[index:window_end], 0)
        return href, title, stop + index, handled
    return get_link


def _escape_dangling_lt(text: str) -> str:
    """Many "<" that open no tag (html.parser would rescan the rest of the text for each)."""
    if text.count("<") < DANGLING_LT_LIMIT or len(_LT.findall(text, 0)) < DANGLING_LT_LIMIT:
        return text
    return _LT.sub("&lt;", text)


INLINE_CHUNK = 4096
_CUT_AFTER = ("。", "！", "？", "\n", " ")


def _pieces(data: str) -> list[str]:
    """``data`` cut into pieces of at most INLINE_CHUNK characters, after a sentence end, else
    a line end or a space in the second half of each piece; never inside a placeholder
    (\x02…\x03) or between a backslash and the character it escapes."""
    pieces = []
    start = 0
    while len(data) - start > INLINE_CHUNK:
        limit = start + INLINE_CHUNK
        cut = -1
        for mark in _CUT_AFTER:
            at = data.rfind(mark, start + INLINE_CHUNK // 2, limit)
            if at >= 0:
                cut = at + 1
                break
        if cut < 0:
            cut = limit
        opened = data.rfind("\x02", start, cut)
        if opened >= 0 and data.find("\x03", opened, cut) < 0 and opened > start:
            cut = opened
        run = cut
        while run > start and data[run - 1] == "\\":
            run -= 1
        if (cut - run) % 2 and cut - 1 > start:  # an odd run of backslashes escapes the next character
            cut -= 1
        pieces.append(data[start:cut])
        start = cut
    pieces.append(data[start:])
    return pieces


def _unique_ids():
    """toc's ``unique`` without walking _1, _2, … from the start for every repeated heading."""
    from markdown.extensions.toc import IDCOUNT_RE

    last: dict[str, str] = {}

    def unique(id_: str, ids: set[str]) -> str:
        start = id_
        id_ = last.get(start, id_)
        while id_ in ids or not id_:
            m = IDCOUNT_RE.match(id_)
            id_ = f"{m.group(1)}_{int(m.group(2)) + 1}" if m else f"{id_}_1"
        ids.add(id_)
        last[start] = id_
        return id_
    return unique, last


def _build_markdown():
    """Python-Markdown is imported on first use: a build served from the cache never needs it."""
    import markdown
    from markdown.inlinepatterns import LinkInlineProcessor

    if LinkInlineProcessor.getText is not _get_text:
        LinkInlineProcessor.getText = _get_text
        LinkInlineProcessor.getLink = _bounded_get_link(LinkInlineProcessor.getLink)
        from markdown.blockprocessors import HashHeaderProcessor

        _hash_test = HashHeaderProcessor.test

        def hash_test(self, parent, block):
            # the library searches the whole remaining block with a regex each time a line is split
            # off it (500 "- - -" lines: quadratic); a heading needs "#" at a line start
            return (block.startswith("#") or "\n#" in block) and _hash_test(self, parent, block)
        HashHeaderProcessor.test = hash_test
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
            if patternIndex == 0 and len(data) > INLINE_CHUNK:
                # Python-Markdown rebuilds the whole text after every match (O(matches x length)):
                # a very long paragraph is processed in pieces cut after a sentence or line end.
                handle = InlineProcessor._InlineProcessor__handleInline
                return "".join(handle(self, piece, 0) for piece in _pieces(data))
            return InlineProcessor._InlineProcessor__handleInline(self, data, patternIndex)

        def _InlineProcessor__processPlaceholders(self, data, parent, isText=True):  # noqa: N802, N803
            """The library's placeholder pass with the text between placeholders collected in a list
            and joined once per target: appending to ``tail`` one piece at a time cost
            O(length) per entity or escape (a run of 50,000 "&lt;" took minutes)."""
            from markdown import util

            result = []
            pending: list[str] = []

            def flush() -> None:
                if not pending:
                    return
                text = pending[0] if len(pending) == 1 else "".join(pending)
                pending.clear()
                if result:
                    node = result[-1][0]
                    node.tail = node.tail + text if node.tail else text
                elif not isText:
                    parent.tail = parent.tail + text if parent.tail else text
                else:
                    parent.text = parent.text + text if parent.text else text

            def link_text(text) -> None:
                if text:
                    pending.append(text)

            prefix = self._InlineProcessor__placeholder_prefix
            start = 0
            while data:
                index = data.find(prefix, start)
                if index != -1:
                    id_, end = self._InlineProcessor__findPlaceholder(data, index)
                    if id_ in self.stashed_nodes:
                        node = self.stashed_nodes.get(id_)
                        if index > 0:
                            link_text(data[start:index])
                        if not isinstance(node, str):  # an Element
                            for child in [node] + list(node):
                                if child.tail and child.tail.strip():
                                    self._InlineProcessor__processElementText(node, child, False)
                                if child.text and child.text.strip():
                                    self._InlineProcessor__processElementText(child, child)
                        else:  # just a string
                            link_text(node)
                            start = end
                            continue
                        start = end
                        flush()
                        result.append((node, self.ancestors[:]))
                    else:  # a wrong placeholder
                        end = index + len(prefix)
                        link_text(data[start:end])
                        start = end
                else:
                    text = data[start:]
                    if isinstance(data, util.AtomicString):
                        text = util.AtomicString(text)
                    link_text(text)
                    data = ""
            flush()
            return result

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
            unique, _last = _unique_ids()
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
    source = _escape_dangling_lt(source)
    _slow_link_budget[0] = SLOW_LINK_BUDGET
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


AMP_LIMIT = 1000  # "&amp;" in one body beyond which the sanitizer gets them as one character each


def sanitize(html: str) -> str:
    """nh3 (ammonia) with the site's allow-list.

    ammonia's time grows with the square of the number of "&amp;" in one text node (200,000
    took 2.4 s, 800,000 minutes): past AMP_LIMIT each is handed over as one private-use
    character absent from the text and put back afterwards (the same bytes out)."""
    if html.count("&amp;") > AMP_LIMIT:
        for code in range(0xE000, 0xF900):
            mark = chr(code)
            if mark not in html:
                return _clean(html.replace("&amp;", mark)).replace(mark, "&amp;")
    return _clean(html)


def _clean(html: str) -> str:
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
    cut = len(text) > limit * 64
    text = plain(text[: limit * 64])  # a "word" of a million characters is not read to its end
    count = 0
    for match in _HAN_OR_WORD.finditer(text):
        count += 1
        if count > limit:
            return text[: match.start()].rstrip(" ，、；：,;:") + "……"
        if match.end() > limit * 16:
            return text[: limit * 16].rstrip(" ，、；：,;:") + "……"
    return text.rstrip(" ，、；：,;:") + "……" if cut else text
