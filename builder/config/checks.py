"""The ``check:`` and ``reprint_sources:`` sections of site.yaml (the editorial checks' settings),
validated once when site.yaml is loaded; the checks stage reports their messages (see :mod:`builder.config`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..diagnostics import Diagnostics
from .messages import key_line, unknown_key

CHECK_KEYS = {"require_reviews", "distinct_reviewers", "empty_columns"}


@dataclass(frozen=True)
class CheckSettings:
    """The ``check:`` section of site.yaml."""

    require_reviews: bool = False
    distinct_reviewers: bool = False
    empty_columns: str = "warning"  # error | warning | off
    reprint_sources: tuple[str, ...] = ()
    reprint_configured: bool = False


def parse_check(text: str, raw, sources, diags: Diagnostics) -> CheckSettings:
    """``check:`` (``raw``) and ``reprint_sources:`` (``sources``) of site.yaml (``text``, for line numbers)."""
    raw = raw or {}
    if not isinstance(raw, dict):
        diags.error("site.yaml", key_line(text, "check"), "config-type",
                    "check 应当写成缩进的字段，例如：\ncheck:\n  require_reviews: true")
        raw = {}
    for key in raw:
        if key not in CHECK_KEYS:
            unknown_key(diags, key_line(text, key), key, CHECK_KEYS, "check 中有")

    def flag(key: str) -> bool:
        value = raw.get(key, False)
        if not isinstance(value, bool):
            diags.error("site.yaml", key_line(text, key), "config-type", f"check.{key} 只能写 true 或 false")
            return False
        return value

    empty = raw.get("empty_columns", "warning")
    if empty is False:
        empty = "off"
    if empty not in ("error", "warning", "off"):
        diags.error("site.yaml", key_line(text, "empty_columns"), "config-value",
                    "check.empty_columns 只能是 error / warning / off")
        empty = "warning"
    names: tuple[str, ...] = ()
    if sources is not None:
        if isinstance(sources, list) and all(isinstance(s, str) and s.strip() for s in sources):
            names = tuple(s.strip() for s in sources)
        else:
            diags.error("site.yaml", key_line(text, "reprint_sources"), "config-type",
                        "reprint_sources 应当是允许转载的来源列表，例如：\nreprint_sources:\n  - 新华社\n  - 河南日报")
    return CheckSettings(require_reviews=flag("require_reviews"), distinct_reviewers=flag("distinct_reviewers"),
                         empty_columns=empty, reprint_sources=names, reprint_configured=sources is not None)
