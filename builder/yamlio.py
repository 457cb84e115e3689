"""YAML loading with libyaml when available, and editor-friendly error messages."""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

try:  # libyaml is ~10x faster than the pure-Python loader
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader  # type: ignore[assignment]

# A document with more nodes than this is rejected before construction
# (billion-laughs style alias bombs expand during construction).
MAX_ALIASES = 100
# Limits on the loaded value: nesting depth, and node count with every alias expanded
# (PyYAML shares aliased objects, so a bomb only explodes when something walks or prints it).
MAX_DEPTH = 64
MAX_NODES = 100_000


class YamlProblem(Exception):
    """A YAML document that could not be read; ``line`` is 1-based within the document."""

    def __init__(self, line: int, message: str, column: int = 0):
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message


@dataclass(frozen=True)
class Pitfall:
    """A value that parsed, but not as the editor meant (``0701`` became 449)."""

    line: int  # 1-based within the document
    column: int  # 1-based
    code: str
    key: str  # the mapping key the value belongs to ("" inside lists at the top)
    raw: str  # the value as written
    message: str


# Chinese names editors type instead of the English field names.
CHINESE_KEYS = {
    "标题": "title", "题目": "title", "日期": "date", "发布日期": "date", "发布时间": "date", "时间": "date",
    "栏目": "category", "分类": "category", "标签": "tags", "关键词": "tags", "作者": "author", "记者": "author",
    "责任编辑": "editor", "编辑": "editor", "来源": "source", "摘要": "summary", "级别": "level",
    "预警级别": "level", "草稿": "draft", "定时发布": "publish_at", "发布于": "publish_at", "过期时间": "expires",
    "有效期至": "expires", "更新时间": "updated", "图片": "image", "题图": "image", "图片说明": "image_caption",
    "附件": "attachments", "正文": "body", "内容": "body", "广播": "broadcast", "广播稿": "broadcast",
    "审核": "reviews", "三审": "reviews", "转载": "reprint",
}

_FULLWIDTH_KEY = re.compile(r"^\s*[^\s:：#][^:：]*：")
_NO_SPACE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*):(?![\s/])(\S.*)$")
_ALIAS = re.compile(r"(?:^|[\s\[{,])\*[^\s,\]}]+")


def load(text: str):
    """Parse one YAML document; raise :class:`YamlProblem` with a Chinese message."""
    return load_with_pitfalls(text)[0]


def load_with_pitfalls(text: str) -> tuple[object, list[Pitfall]]:
    """Parse one YAML document and list values YAML 1.1 reads differently than an editor expects."""
    if "\t" in text:
        for no, line in enumerate(text.split("\n"), 1):
            stripped = line.lstrip(" ")
            if stripped.startswith("\t"):
                raise YamlProblem(no, "缩进使用了制表符（Tab），YAML 只允许空格缩进，请把行首的 Tab 换成空格")
    if len(_ALIAS.findall(text)) > MAX_ALIASES:
        raise YamlProblem(1, f"YAML 引用（*别名）超过 {MAX_ALIASES} 个，疑似恶意内容，已拒绝读取")
    if _bracket_depth(text) > MAX_DEPTH:
        _check_flow_depth(text)
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 0
        if _too_deep(exc):
            raise YamlProblem(line, _DEEP_MESSAGE, column) from None
        line, message = explain(text, line, exc)
        raise YamlProblem(line, message, column) from None
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise YamlProblem(1, f"YAML 格式错误：{exc}") from None
    except RecursionError:
        raise YamlProblem(1, "YAML 嵌套层次过深，请简化内容") from None
    finally:
        loader.dispose()
    _check_shape(data)  # before walking the node graph: aliases would make the walk explode too
    pitfalls: list[Pitfall] = []
    _walk(node, "", pitfalls, set())
    return data, pitfalls


_DEEP_MESSAGE = f"YAML 嵌套超过 {MAX_DEPTH} 层（[ ] 或 {{ }} 套得太深），疑似恶意内容，已拒绝读取；头信息里的字段通常只需一两层"


def _bracket_depth(text: str) -> int:
    """Upper bound of the flow nesting depth (brackets inside quotes counted too): a cheap pre-check."""
    depth = best = 0
    for ch in re.findall(r"[\[\]{}]", text):
        if ch in "[{":
            depth += 1
            best = max(best, depth)
        elif depth:
            depth -= 1
    return best


def _check_flow_depth(text: str) -> None:
    """Walk the parser's events and stop as soon as nesting gets too deep (libyaml is slow on such input)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=SafeLoader):
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    line = event.start_mark.line + 1 if event.start_mark else 1
                    raise YamlProblem(line, _DEEP_MESSAGE)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        if _too_deep(exc):  # libyaml >= 0.2.5 as bundled by PyYAML 6.0.4 stops at its own limit first
            mark = exc.problem_mark or exc.context_mark
            raise YamlProblem(mark.line + 1 if mark else 1, _DEEP_MESSAGE, mark.column + 1 if mark else 0) from None
        return  # the real load reports the syntax error with a proper message
    except yaml.YAMLError:
        return


def _too_deep(exc: yaml.MarkedYAMLError) -> bool:
    """libyaml's own nesting limit (English "exceeded maximum nesting depth"), reported however it is worded."""
    return "nesting depth" in (exc.problem or "") or "nesting depth" in (exc.context or "")


def _check_shape(value) -> None:
    """Reject values nested deeper than MAX_DEPTH, self-referencing, or over MAX_NODES once aliases expand.

    Iterative post-order walk; shared (aliased) containers are measured once and
    their expanded size reused, so a billion-laughs document is rejected in
    time linear in its text.
    """
    if not isinstance(value, (dict, list)):
        return
    memo: dict[int, int] = {}
    open_ids: set[int] = set()
    stack: list[list] = [[value, iter(_children(value)), 1]]
    open_ids.add(id(value))
    while stack:
        frame = stack[-1]
        child = next(frame[1], _DONE)
        if child is _DONE:
            stack.pop()
            open_ids.discard(id(frame[0]))
            memo[id(frame[0])] = frame[2]
            if stack:
                stack[-1][2] += frame[2]
                if stack[-1][2] > MAX_NODES:
                    raise YamlProblem(1, _BOMB_MESSAGE)
            continue
        if not isinstance(child, (dict, list)):
            frame[2] += 1
            continue
        known = memo.get(id(child))
        if known is not None:
            frame[2] += known
            if frame[2] > MAX_NODES:
                raise YamlProblem(1, _BOMB_MESSAGE)
            continue
        if id(child) in open_ids:
            raise YamlProblem(1, "YAML 引用（*别名）指向了自身，形成无限循环，已拒绝读取")
        if len(stack) >= MAX_DEPTH:
            raise YamlProblem(1, _DEEP_MESSAGE)
        open_ids.add(id(child))
        stack.append([child, iter(_children(child)), 1])


_DONE = object()
_BOMB_MESSAGE = (f"YAML 展开后超过 {MAX_NODES} 个值（“十亿笑声”式的 &锚点/*别名 炸弹），疑似恶意内容，已拒绝读取；"
                 "公告头信息不需要使用 & 和 *")


def _children(value) -> list:
    if isinstance(value, dict):
        return [*value.keys(), *value.values()]
    return value


_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"


def _walk(node, key: str, out: list[Pitfall], seen: set, depth: int = 0) -> None:
    if depth > 50 or id(node) in seen:  # an aliased node is looked at once
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            _walk(v, str(k.value) if isinstance(k, yaml.ScalarNode) else key, out, seen, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _walk(item, key, out, seen, depth + 1)
    elif isinstance(node, yaml.ScalarNode) and not node.style:  # plain (C loader: "", Python: None)
        raw = node.value
        where = (node.start_mark.line + 1, node.start_mark.column + 1)
        name = f"“{key}”的值" if key else "值"
        if node.tag == _INT and re.match(r"^[-+]?0[0-9_]+$", raw):
            value = yaml.load(raw, Loader=SafeLoader)  # noqa: S506 - safe loader
            out.append(Pitfall(*where, "yaml-leading-zero", key, raw,
                               f"{name} {raw} 以 0 开头，YAML 会把它当作数字（八进制 {value}），前面的 0 会丢失；"
                               f"请用英文引号括起来：{key or '值'}: \"{raw}\""))
        elif node.tag == _INT and ":" in raw:
            value = yaml.load(raw, Loader=SafeLoader)  # noqa: S506 - safe loader
            out.append(Pitfall(*where, "yaml-sexagesimal", key, raw,
                               f"{name} {raw} 会被 YAML 当作六十进制数字 {value}，而不是时间；"
                               f"请用英文引号括起来：{key or '值'}: \"{raw}\"，或写完整的日期时间 2022-05-04 {raw}"))
        elif node.tag == _BOOL and raw.lower() not in ("true", "false"):
            meaning = "是（true）" if raw.lower() in ("yes", "y", "on") else "否（false）"
            out.append(Pitfall(*where, "yaml-bool-word", key, raw,
                               f"{name} {raw} 会被 YAML 当作是/否的{meaning}，而不是文字；"
                               f"如果这是文字，请用英文引号括起来：{key or '值'}: \"{raw}\"；如果是开关，请写 true 或 false"))


def key_hint(key: str) -> str:
    """The English field name for a Chinese one, for messages."""
    return CHINESE_KEYS.get(key.strip(), "")


def fix_hints(text: str) -> tuple[int, str] | None:
    """Line-level mistakes that make a mapping something else: ``标题：…``, ``title:关于``."""
    for no, src in enumerate(text.split("\n"), 1):
        if src.lstrip().startswith("#"):
            continue
        if _FULLWIDTH_KEY.match(src) and ":" not in src.split("：", 1)[0]:
            return no, _fullwidth_message(src.split("：", 1)[0].strip())
        m = _NO_SPACE.match(src)
        if m and not re.match(r"^\d", m.group(2)):
            return no, (f"“{m.group(1)}:”后面少了一个空格，YAML 不会把它当作字段；"
                        f"请在英文冒号后加一个空格：{m.group(1)}: {m.group(2)}")
    return None


def _fullwidth_message(key: str) -> str:
    english = key_hint(key)
    if english:
        return (f"“{key}”后面用了中文冒号“：”；字段名必须用英文，并且后面是英文冒号加空格，"
                f"请改成 {english}: 内容")
    return f"“{key}”后面用了中文冒号“：”，字段名后必须用英文冒号加空格，例如 {key}: 内容"


def explain(text: str, line: int, exc: Exception) -> tuple[int, str]:
    """Turn a PyYAML error into (line, advice an editor can act on)."""
    lines = text.split("\n")
    # PyYAML often reports the line after the real problem; look at both.
    candidates = [(i, lines[i - 1]) for i in (line, line - 1) if 0 < i <= len(lines)]
    for no, src in candidates:
        if _FULLWIDTH_KEY.match(src) and ":" not in src.split("：", 1)[0]:
            return no, _fullwidth_message(src.split("：", 1)[0].strip())
    for no, src in candidates:
        m = _NO_SPACE.match(src)
        if m and not re.match(r"^\d", m.group(2)):
            return no, (f"“{m.group(1)}:”后面少了一个空格，YAML 不会把它当作字段；"
                        f"请在英文冒号后加一个空格：{m.group(1)}: {m.group(2)}")
    for no, src in candidates:
        hint = value_hint(src)
        if hint:
            return no, hint
    for no, src in candidates:
        m = re.match(r"^\s*([^\s:#][^:]*):\s+(.*)$", src)
        if m and re.search(r":(\s|$)", m.group(2)) and not m.group(2).startswith(("'", '"', "|", ">")):
            key = m.group(1).strip()
            return no, (f"“{key}”的值里有英文冒号加空格，YAML 会误认为是新的字段；"
                        f"请把冒号改成中文冒号“：”，或用英文引号把整个值括起来，例如 {key}: \"{m.group(2)}\"")
    problem = getattr(exc, "problem", None) or str(exc)
    return line, f"YAML 格式错误（{problem}），请检查这一行的冒号、引号和缩进"


_KEY_VALUE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*):[ \t]+(\S.*?)\s*$")


def value_hint(src: str) -> str:
    """Advice for a one-line value YAML reads as something else: ``[转发]…``, ``{…}…``, ``"关于"两节"…"``, ``#…``."""
    m = _KEY_VALUE.match(src)
    if not m:
        return ""
    key, value = m.group(1), m.group(2)
    quoted = "'" + value.replace("'", "''") + "'"
    if value.startswith(("[", "{")) and not re.fullmatch(r"\[[^\]]*\]|\{[^}]*\}", value):
        bracket = "【】" if value.startswith("[") else "｛｝"
        return (f"“{key}”的值以英文{'方括号“[”' if value.startswith('[') else '花括号“{”'}开头，YAML 会把它当作"
                f"{'列表' if value.startswith('[') else '映射'}而读不懂后面的文字；请用英文单引号把整个值括起来："
                f"{key}: {quoted}，或改用中文括号{bracket}")
    if value.startswith('"') and value.count('"') > 2:
        inner = value[1:-1] if value.endswith('"') and len(value) > 1 else value[1:]
        if '"' in inner:
            fixed = re.sub(r'"([^"]*)"', r"“\1”", inner)
            return (f"“{key}”的值里有英文双引号，YAML 在第二个双引号处就认为值结束了；"
                    f"请把值里的引号改成中文引号：{key}: {fixed}，或外面改用英文单引号：{key}: '{inner}'")
    return ""


_COMMENT_VALUE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*):[ \t]+#(.*)$")


def comment_hint(src: str) -> str:
    """A value that starts with ``#`` (``title: #紧急#…``): YAML reads a comment and the value is empty."""
    m = _COMMENT_VALUE.match(src)
    if not m:
        return ""
    key, rest = m.group(1), "#" + m.group(2).rstrip()
    return (f"“{key}”的值以 # 开头，YAML 把 # 之后的内容当作注释，所以“{key}”是空的；"
            f"请用英文引号把整个值括起来：{key}: \"{rest}\"，或把 # 改成中文的＃或【】")
