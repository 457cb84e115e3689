"""Where site.yaml's messages come from: the file name, the line of a key and the one unknown-key
warning with the nearest known key as a suggestion (MkDocs style).  Every section parser of
:mod:`builder.config` uses these, so a message about site.yaml looks the same whichever section it is in."""

from __future__ import annotations

import difflib
import re

from ..diagnostics import Diagnostics

CONFIG_FILE = "site.yaml"


def nearest(key: str, known: set[str]) -> str:
    match = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.5)
    return f"，是不是想写“{match[0]}”？" if match else "，请删除或改正它"


def unknown_key(diags: Diagnostics, line: int, key, known: set[str], where: str = "") -> None:
    """The one unknown-key warning of site.yaml, with the nearest known key as a suggestion
    (``where``: the section, e.g. "home 中有", "" at the top level)."""
    diags.warning(CONFIG_FILE, line, "config-unknown-key", f"{where}未知的配置项“{key}”{nearest(str(key), known)}")


def key_line(text: str, key: str, start: int = 1) -> int:
    """Line of ``key:`` in a YAML text (best effort, for messages only)."""
    pattern = re.compile(r"^\s*-?\s*" + re.escape(str(key)) + r"\s*:")
    for no, line in enumerate(text.split("\n")[start - 1:], start):
        if pattern.match(line):
            return no
    return 0
