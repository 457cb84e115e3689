"""The shape of a 错敏字 term list: the ``terms:`` section of site.yaml (validated once when site.yaml is
loaded; the checks stage reports its messages, see :mod:`builder.config`) and the same validation for
``terms.yaml``, a file of its own that :mod:`builder.terms` reads when the checks run."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..diagnostics import Diagnostics
from .messages import nearest

KINDS = ("banned", "typos", "names", "sensitive")


@dataclass(frozen=True)
class Term:
    text: str
    kind: str  # banned | typo | name | sensitive
    suggestion: str = ""  # typo: the right spelling; banned: what to write instead
    hint: str = ""  # banned/sensitive: why


def line_of(text: str, needle: str) -> int:
    index = text.find(str(needle))
    return text.count("\n", 0, index) + 1 if index >= 0 else 0


def parse_terms(data, rel: str, text: str, diags: Diagnostics, where: str = "") -> tuple[Term, ...]:
    """The terms of one term list (``data``: its parsed mapping; ``text``: its text, for line numbers),
    in the order written; shape problems go to ``diags``.  Duplicates and one-character terms are
    judged when the lists are merged (:func:`builder.terms.load_term_list`)."""
    if data is None:
        return ()
    if not isinstance(data, dict):
        diags.error(rel, 1, "terms-type", f"{where or '词表'}应当包含 banned、typos、names、sensitive 几个部分，"
                                          "例如：\ntypos:\n  攻府: 政府")
        return ()
    for key in data:
        if key not in KINDS:
            diags.warning(rel, line_of(text, f"{key}:"), "terms-unknown-key",
                          f"词表中未知的部分“{where}{key}”{nearest(str(key), set(KINDS))}")
    found: list[Term] = []
    typos = data.get("typos") or {}
    if isinstance(typos, list):  # also accept "- 攻府→政府" lines
        pairs = {}
        for item in typos:
            parts = re.split(r"\s*(?:→|->|=>)\s*", str(item), maxsplit=1)
            if len(parts) == 2:
                pairs[parts[0]] = parts[1]
            else:
                diags.error(rel, line_of(text, str(item)), "terms-type",
                            f"typos 中的“{item}”应当写成“错误写法: 正确写法”，例如 攻府: 政府")
        typos = pairs
    if not isinstance(typos, dict):
        diags.error(rel, line_of(text, "typos:"), "terms-type", "typos 应当写成“错误写法: 正确写法”，每行一条，例如 攻府: 政府")
        typos = {}
    for wrong, right in typos.items():
        if not isinstance(wrong, str) or not isinstance(right, str) or not wrong.strip() or not right.strip():
            diags.error(rel, line_of(text, str(wrong)), "terms-type",
                        f"typos 中的“{wrong}”应当写成“错误写法: 正确写法”，两边都是文字")
            continue
        found.append(Term(wrong.strip(), "typo", suggestion=right.strip()))

    for kind, term_kind in (("banned", "banned"), ("sensitive", "sensitive"), ("names", "name")):
        items = data.get(kind) or []
        if not isinstance(items, list):
            diags.error(rel, line_of(text, f"{kind}:"), "terms-type",
                        f"{kind} 应当是一个列表，每行一条，以“- ”开头")
            continue
        for item in items:
            word, hint = item, ""
            if isinstance(item, dict):
                word, hint = item.get("term", ""), str(item.get("hint", "") or "")
            if not isinstance(word, str) or not word.strip():
                diags.error(rel, line_of(text, str(word)), "terms-type",
                            f"{kind} 中的“{word}”应当是文字，或写成 {{term: 词语, hint: 说明}}")
                continue
            found.append(Term(word.strip(), term_kind, hint=hint.strip()))
    return tuple(found)
