"""Text pasted from Word/WPS into a Markdown body: paragraphs, numbered lines and the 落款.

A document copied out of Word arrives as one line per paragraph with no blank
lines between them, often indented with full-width spaces (``　　``), with
numbered lines (``1.请…``, ``（一）…``, ``一、…``) and a 落款 (issuer and date)
on its last lines.  Markdown would join such a block into one paragraph, and an
indentation of four spaces would become a code block.

:func:`prepare` rewrites only the blocks that show one of these signs, so a body
written as Markdown (blank lines between paragraphs) is passed through unchanged
and renders to the same bytes.  It also finds the 落款 (:class:`Closing`), which
the page shows right-aligned and the broadcast scripts can use as their close.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IDEOGRAPHIC_SPACE = "\u3000"
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# Lines Markdown gives a meaning of their own: lists, headings, quotes, tables, HTML, definitions.
_STRUCTURE = re.compile(r"^ {0,3}(?:[-*+][ \t]|\d{1,9}[.)](?:[ \t]|$)|#|>|\||<|\[[^\]]*\]:|(?:[-*_][ \t]*){3,}$)")
_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]")
_INDENT = re.compile(r"^[ \t\u3000]+")
_PASTE_INDENT = re.compile(r"^(?:\u3000| {2,}|\t)")
_HAN_NUM = "一二三四五六七八九十百零〇"
# Numbered lines of Chinese documents (not Markdown lists): 1.请 1、 1．（一） 一、 (1) 第一条
NUMBERED = re.compile(
    rf"^(?:\d{{1,3}}(?:[.．](?![\d \t])|、)|[（(](?:[{_HAN_NUM}]{{1,3}}|\d{{1,3}})[)）]|[{_HAN_NUM}]{{1,3}}、"
    rf"|第[{_HAN_NUM}\d]{{1,4}}[条章节款项部分])"
)
_SENTENCE_END = re.compile(r"[。！？；：!?;:…][”’」』）)】]*$")
_DATE_LINE = re.compile(
    rf"^(?:(?P<y>\d{{4}})\s*年\s*(?P<m>\d{{1,2}})\s*月\s*(?P<d>\d{{1,2}})\s*日"
    rf"|[〇零一二三四五六七八九]{{4}}年[{_HAN_NUM}]{{1,3}}月[{_HAN_NUM}]{{1,3}}日)$"
)
_ISSUER = re.compile(r"^[^\s。，；：！？,;:!?、“”\"'《》#*\[\]<>|()（）]{2,30}$")
_ISSUER_WORDS = re.compile(r"(?:政府|委员会|委|局|办公室|办|厅|部|处|中心|公司|院|所|站|队|会|社|镇|乡|街道|村|社区|组|小组|指挥部|集团|银行|学校|医院|法院|检察院|联合会|协会|支行|分公司|管委会|党委|党组|人大|政协|纪委|监委|宣传部|组织部|供电公司|自来水公司)$")
MAX_ISSUERS = 3


@dataclass(frozen=True, slots=True)
class Closing:
    """A notice's 落款: who issued it, and when (as written)."""

    issuers: tuple[str, ...]
    date_text: str  # e.g. 2026年11月28日
    year: int = 0  # 0 when the date is written in Chinese numerals
    month: int = 0
    day: int = 0


@dataclass(frozen=True)
class Prepared:
    source: str  # the Markdown to render
    closing: Closing | None  # the 落款, when the body ends with one
    closing_split: bool  # the 落款 lines were removed from ``source`` (render them after the body)
    cleaned: tuple[str, ...]  # what was changed, in Chinese, for the editor


def _is_date(line: str) -> re.Match | None:
    return _DATE_LINE.match(line.strip(" \t\u3000"))


def _is_issuer(line: str) -> bool:
    text = line.strip(" \t\u3000")
    return bool(_ISSUER.match(text)) and not NUMBERED.match(text) and not _DATE_LINE.match(text) \
        and bool(_ISSUER_WORDS.search(text))


def _closing(lines: list[str]) -> Closing | None:
    """A 落款 at the end of ``lines`` (non-blank, in order): issuer lines then a date line."""
    if len(lines) < 2:
        return None
    m = _is_date(lines[-1])
    if not m:
        return None
    issuers: list[str] = []
    for line in reversed(lines[:-1]):
        if len(issuers) == MAX_ISSUERS or not _is_issuer(line):
            break
        issuers.insert(0, line.strip(" \t\u3000"))
    if not issuers:
        return None
    return Closing(tuple(issuers), lines[-1].strip(" \t\u3000"),
                   int(m["y"] or 0), int(m["m"] or 0), int(m["d"] or 0))


def find_closing(body: str) -> Closing | None:
    """The 落款 of a body, whether its lines are adjacent or separated by blank lines."""
    lines = [line for line in body.split("\n")[-12:] if line.strip(" \t\u3000")]
    return _closing(lines[-(MAX_ISSUERS + 1):])


def _blocks(lines: list[str]) -> list[tuple[int, int, bool]]:
    """(start, end, in_code) ranges of consecutive non-blank lines; fenced code is one opaque block."""
    blocks: list[tuple[int, int, bool]] = []
    index, total = 0, len(lines)
    while index < total:
        if not lines[index].strip(" \t\u3000"):
            index += 1
            continue
        fence = _FENCE.match(lines[index])
        if fence:
            mark = fence.group(1)
            end = index + 1
            while end < total and not lines[end].lstrip(" ").startswith(mark[0] * len(mark)):
                end += 1
            blocks.append((index, min(end + 1, total), True))
            index = end + 1
            continue
        start = index
        while index < total and lines[index].strip(" \t\u3000") and not _FENCE.match(lines[index]):
            index += 1
        blocks.append((start, index, False))
    return blocks


def prepare(body: str) -> Prepared:
    """Split Word-pasted blocks into paragraphs; find the 落款.  Clean Markdown is returned unchanged."""
    if "\n" not in body.strip() and not body.startswith((IDEOGRAPHIC_SPACE, "    ", "\t")):
        return Prepared(body, None, False, ())
    lines = body.split("\n")
    blocks = _blocks(lines)
    out: list[str] = []
    position = 0
    indents = merged = numbered = 0
    closing: Closing | None = None
    split = False
    after_list = False
    for number, (start, end, code) in enumerate(blocks):
        out.extend(lines[position:start])
        position = end
        block = lines[start:end]
        if code:
            out.extend(block)
            after_list = False
            continue
        structural = any(_STRUCTURE.match(line) for line in block)
        continuation = after_list and block[0].startswith(("    ", "\t"))  # a list item's next paragraph
        if structural or continuation:
            out.extend(block)
            after_list = continuation or any(_LIST_ITEM.match(line) for line in block)
            continue
        after_list = False
        last = number == len(blocks) - 1
        tail = _closing(block) if last else None
        prose = block[: len(block) - len(tail.issuers) - 1] if tail else block
        indented = any(_PASTE_INDENT.match(line) for line in block)
        numbered_here = sum(1 for line in prose[1:] if NUMBERED.match(line.lstrip(" \t\u3000")))
        sentence_breaks = sum(1 for line in prose[:-1] if _SENTENCE_END.search(line.rstrip(" \t\u3000"))
                              and not line.endswith("  "))
        pasted = indented or numbered_here or sentence_breaks or (tail is not None and len(block) > 1)
        if not pasted:
            out.extend(block)
            continue
        if tail is not None:
            closing, split = tail, True
        cleaned_lines = []
        for line in prose:
            stripped = _INDENT.sub("", line)
            if stripped != line:
                indents += 1
            cleaned_lines.append(stripped.rstrip(" \t\u3000"))
        numbered += numbered_here
        merged += max(0, len(prose) - 1)
        for index, line in enumerate(cleaned_lines):
            if index:
                out.append("")
            out.append(line)
    out.extend(lines[position:])
    cleaned: list[str] = []
    if indents:
        cleaned.append(f"去掉了 {indents} 行行首的空格或全角空格缩进（缩进不会变成代码块）")
    if merged:
        extra = f"，其中 {numbered} 行是“1.”“（一）”“一、”这样的编号行" if numbered else ""
        cleaned.append(f"把 {merged} 处没有空行的换行当作分段{extra}")
    if cleaned and split and closing is not None:
        cleaned.append(f"把最后的落款（{'、'.join(closing.issuers)}，{closing.date_text}）右对齐显示")
    if not cleaned and not split:
        return Prepared(body, find_closing(body), False, ())
    while out and not out[-1].strip():
        out.pop()
    return Prepared("\n".join(out) + "\n", closing, split, tuple(cleaned))


_INNER_FULLWIDTH = re.compile(r"(?<=[^\s\u3000])\u3000{2,}(?=[^\s\u3000])")
_STRAIGHT_QUOTE = re.compile(r'(?<=[\u4e00-\u9fff])"(?=[\u4e00-\u9fff])')


def paste_signs(body: str) -> tuple[str, ...]:
    """Signs of a paste that are left as written: full-width spaces inside lines, mixed quotes."""
    signs: list[str] = []
    inner = sum(1 for line in body.split("\n") if _INNER_FULLWIDTH.search(line.strip(" \t\u3000")))
    if inner:
        signs.append(f"有 {inner} 行的文字中间夹着连续的全角空格（　　），多半是把几段粘成了一段，请在那里分段")
    if ("“" in body or "”" in body) and _STRAIGHT_QUOTE.search(body):
        signs.append("中文引号“”和英文直引号\"混用，请统一改成中文引号“”")
    return tuple(signs)
