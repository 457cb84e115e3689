"""Reading notice files: bytes -> text -> (front matter mapping, Markdown body).

This module knows about encodings, BOMs, line endings and the ``---``
delimiters.  It does not know what the fields mean (see :mod:`notice`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import yamlio
from .diagnostics import Diagnostics

MAX_BYTES = 5 * 1024 * 1024
MAX_LINE = 100_000
NOTICE_SUFFIXES = (".md", ".markdown", ".yaml", ".yml")
_TOP_KEY = re.compile(r"^([^\s#:：\-][^:：]*?)\s*:", re.M)


@dataclass(frozen=True)
class RawDoc:
    path: str  # site-relative, forward slashes
    kind: str  # "md" or "yaml"
    fields: dict
    body: str  # Markdown
    body_line: int  # 1-based line of the first body line in the file
    key_lines: dict  # top-level key -> 1-based line in the file
    text: str  # the decoded file (for line look-ups in later checks)


# Fields whose yes/no/on/off YAML reads as a boolean on purpose.
BOOL_KEYS = {"draft"}
_DELIMITER_LOOKALIKE = re.compile(r"^\s*(?:-{2,}|[—－―─-]{2,}|[—－―─]+|\s+-{3,})\s*$")


# Files that editors save with the wrong extension: magic bytes -> what the file really is.
_MAGIC = (
    (b"\x89PNG", "PNG 图片"), (b"\xff\xd8\xff", "JPEG 图片"), (b"GIF8", "GIF 图片"), (b"BM", "BMP 图片"),
    (b"RIFF", "WebP 图片或音视频文件"), (b"%PDF", "PDF 文档"),
    (b"PK\x03\x04", "压缩包或 Word/Excel/WPS 文档（.docx/.xlsx）"),
    (b"\xd0\xcf\x11\xe0", "旧版 Word/Excel/WPS 文档（.doc/.xls/.wps）"), (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"), (b"\x1f\x8b", "gzip 压缩包"), (b"ID3", "MP3 音频"),
)


def _looks_like_utf16(data: bytes) -> bool:
    """UTF-16 without a BOM: ASCII characters leave NUL bytes at every other position."""
    sample = data[:4096]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    return max(even, odd) >= max(2, len(sample) // 16) and min(even, odd) <= max(even, odd) // 20


def decode(data: bytes, rel: str, diags: Diagnostics) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (b"\x00" in data[:4096] and _looks_like_utf16(data)):
        diags.error(rel, 0, "encoding-utf16", "文件是 UTF-16 编码（记事本的“Unicode”），请另存为“UTF-8”编码")
        return None
    for magic, what in _MAGIC:
        if data.startswith(magic) and (b"\x00" in data[:4096] or magic in (b"\x89PNG", b"\xff\xd8\xff", b"%PDF")):
            diags.error(rel, 0, "binary-file",
                        f"这个文件实际上是{what}，不是文字公告；请把它改回原来的扩展名放在公告旁边，"
                        "再在公告中用 image 或 attachments 引用")
            return None
    if b"\x00" in data:
        diags.error(rel, 0, "binary-file", "文件含有空字节（NUL），不是文本文件；请确认没有把图片或文档误存为 .md / .yaml")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            line = data[: exc.start].count(b"\n") + 1
            diags.error(rel, line, "encoding-unknown",
                        "文件编码无法识别（既不是 UTF-8 也不是 GBK/GB18030），请用记事本打开后“另存为”，编码选择“UTF-8”")
            return None
        if _looks_like_mojibake(text):
            line = data[: exc.start].count(b"\n") + 1
            diags.error(rel, line, "encoding-unknown",
                        "文件编码无法识别（既不是 UTF-8 也不是 GBK/GB18030），请用记事本打开后“另存为”，编码选择“UTF-8”")
            return None
        line = data[: exc.start].count(b"\n") + 1
        diags.warning(rel, line, "encoding-gbk",
                      f"文件是 GBK/GB18030 编码（记事本的“ANSI”，第 {line} 行起出现非 UTF-8 的中文），已按 GB18030 读取；"
                      "请用记事本“另存为”，编码选择“UTF-8”")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_like_mojibake(text: str) -> bool:
    """Random bytes often decode as GB18030; real Chinese text is mostly common Han."""
    sample = text[:4000]
    odd = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t" or 0xE000 <= ord(ch) <= 0xF8FF
              or 0x80 <= ord(ch) < 0xA0 or 0x10000 <= ord(ch))
    return odd > max(2, len(sample) // 50)


def key_lines(text: str, first_line: int) -> dict:
    lines: dict = {}
    for m in _TOP_KEY.finditer(text):
        key = m.group(1).strip()
        if key not in lines:
            lines[key] = first_line + text.count("\n", 0, m.start())
    return lines


def size_ok(size: int, rel: str, diags: Diagnostics) -> bool:
    if size <= MAX_BYTES:
        return True
    diags.error(rel, 0, "file-too-large",
                f"文件大小 {size / 1048576:.1f} MB，超过 {MAX_BYTES // 1048576} MB 上限；图片和附件请单独存放，不要写进正文")
    return False


def read(data: bytes, rel: str, diags: Diagnostics) -> RawDoc | None:
    """Parse one notice file; every problem goes to ``diags``."""
    if not size_ok(len(data), rel, diags):
        return None
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        diags.error(rel, 0, "file-empty", "文件是空的，请填写标题、日期和正文，或删除这个文件")
        return None
    text = decode(data, rel, diags)
    if text is None:
        return None
    for no, line in enumerate(text.split("\n"), 1):
        if len(line) > MAX_LINE:
            diags.error(rel, no, "line-too-long", f"这一行有 {len(line)} 个字符，超过 {MAX_LINE} 的上限，请分段")
            return None
    kind = "yaml" if rel.endswith((".yaml", ".yml")) else "md"
    if kind == "yaml":
        return _read_yaml(text, rel, diags)
    return _read_markdown(text, rel, diags)


def _parse_mapping(fm: str, rel: str, first_line: int, diags: Diagnostics) -> dict | None:
    try:
        fields, found = yamlio.load_with_pitfalls(fm)
    except yamlio.YamlProblem as exc:
        diags.error(rel, exc.line + first_line - 1, "yaml-syntax", exc.message, exc.column)
        return None
    if fields is None:
        return {}
    if not isinstance(fields, dict):
        hint = yamlio.fix_hints(fm)
        if hint:
            diags.error(rel, hint[0] + first_line - 1, "front-matter-not-mapping", hint[1])
        elif isinstance(fields, list):
            diags.error(rel, first_line, "front-matter-not-mapping",
                        "头信息是一个列表（行首有 - ），但应当是“字段: 值”的形式：请去掉行首的“- ”，"
                        "每行写一个字段，例如 title: 关于停水的通知")
        else:
            diags.error(rel, first_line, "front-matter-not-mapping",
                        "头信息必须是“字段: 值”的形式（英文冒号加空格），每行一个字段，例如 title: 关于停水的通知")
        return None
    bad_values = False
    for pit in found:
        line = pit.line + first_line - 1
        if pit.code == "yaml-bool-word" and pit.key in BOOL_KEYS:
            continue
        diags.error(rel, line, pit.code, pit.message, pit.column)
        bad_values = True
    if bad_values:
        return None
    bad = [k for k in fields if not isinstance(k, str)]
    if bad:
        diags.error(rel, first_line, "front-matter-key",
                    f"字段名“{bad[0]}”不是文字；字段名请用 title、date 这样的英文名")
        return None
    return fields


def _read_markdown(text: str, rel: str, diags: Diagnostics) -> RawDoc | None:
    lines = text.split("\n")
    if lines[0].strip() != "---":
        diags.error(rel, 1, "front-matter-missing",
                    "文件第一行必须是 ---，然后是 title、date 等字段，再用一行 --- 结束，之后才是正文")
        return None
    end = None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            end = index
            break
    if end is None:
        for index in range(1, min(len(lines), 60)):
            if _DELIMITER_LOOKALIKE.match(lines[index]):
                diags.error(rel, index + 1, "front-matter-unclosed",
                            f"头信息没有结束：第 {index + 1} 行的“{lines[index].strip()}”不是结束标记；"
                            "请改成单独一行、顶格的三个英文减号 ---")
                return None
        diags.error(rel, 1, "front-matter-unclosed",
                    "头信息没有结束：第 1 行的 --- 找不到配对的结束行，请在最后一个字段之后、正文之前单独加一行 ---")
        return None
    fm = "\n".join(lines[1:end])
    fields = _parse_mapping(fm, rel, 2, diags)
    if fields is None:
        return None
    body = "\n".join(lines[end + 1:])
    return RawDoc(rel, "md", fields, body, end + 2, key_lines(fm, 2), text)


def _read_yaml(text: str, rel: str, diags: Diagnostics) -> RawDoc | None:
    # a YAML notice may also be written with a leading --- document marker
    fields = _parse_mapping(text, rel, 1, diags)
    if fields is None:
        return None
    body = fields.pop("body", "")
    lines = key_lines(text, 1)
    if body is None:
        body = ""
    if not isinstance(body, str):
        diags.error(rel, lines.get("body", 1), "body-type",
                    "body 应当是一段文字；多段正文请写成 body: | 然后换行缩进两个空格书写")
        return None
    return RawDoc(rel, "yaml", fields, body, lines.get("body", 1) + 1, lines, text)
