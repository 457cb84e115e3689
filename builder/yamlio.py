"""YAML loading with libyaml when available, and editor-friendly error messages."""

from __future__ import annotations

import re

import yaml

try:  # libyaml is ~10x faster than the pure-Python loader
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader  # type: ignore[assignment]

# A document with more nodes than this is rejected before construction
# (billion-laughs style alias bombs expand during construction).
MAX_ALIASES = 100


class YamlProblem(Exception):
    """A YAML document that could not be read; ``line`` is 1-based within the document."""

    def __init__(self, line: int, message: str, column: int = 0):
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message


_FULLWIDTH_KEY = re.compile(r"^\s*[^\s:：#][^:：]*：")
_ALIAS = re.compile(r"(?:^|[\s\[{,])\*[^\s,\]}]+")


def load(text: str):
    """Parse one YAML document; raise :class:`YamlProblem` with a Chinese message."""
    if "\t" in text:
        for no, line in enumerate(text.split("\n"), 1):
            stripped = line.lstrip(" ")
            if stripped.startswith("\t"):
                raise YamlProblem(no, "缩进使用了制表符（Tab），YAML 只允许空格缩进，请把行首的 Tab 换成空格")
    if len(_ALIAS.findall(text)) > MAX_ALIASES:
        raise YamlProblem(1, f"YAML 引用（*别名）超过 {MAX_ALIASES} 个，疑似恶意内容，已拒绝读取")
    try:
        return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 0
        line, message = explain(text, line, exc)
        raise YamlProblem(line, message, column) from None
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise YamlProblem(1, f"YAML 格式错误：{exc}") from None
    except RecursionError:
        raise YamlProblem(1, "YAML 嵌套层次过深，请简化内容") from None


def explain(text: str, line: int, exc: Exception) -> tuple[int, str]:
    """Turn a PyYAML error into (line, advice an editor can act on)."""
    lines = text.split("\n")
    # PyYAML often reports the line after the real problem; look at both.
    candidates = [(i, lines[i - 1]) for i in (line, line - 1) if 0 < i <= len(lines)]
    for no, src in candidates:
        if _FULLWIDTH_KEY.match(src) and ":" not in src.split("：", 1)[0]:
            key = src.split("：", 1)[0].strip()
            return no, f"“{key}”后面用了中文冒号“：”，字段名后必须用英文冒号加空格，例如 {key}: 内容"
    for no, src in candidates:
        m = re.match(r"^\s*([^\s:#][^:]*):\s+(.*)$", src)
        if m and re.search(r":(\s|$)", m.group(2)) and not m.group(2).startswith(("'", '"', "|", ">")):
            key = m.group(1).strip()
            return no, (f"“{key}”的值里有英文冒号加空格，YAML 会误认为是新的字段；"
                        f"请把冒号改成中文冒号“：”，或用英文引号把整个值括起来，例如 {key}: \"{m.group(2)}\"")
    problem = getattr(exc, "problem", None) or str(exc)
    return line, f"YAML 格式错误（{problem}），请检查这一行的冒号、引号和缩进"
