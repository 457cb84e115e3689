"""The ``search:`` (site search index) and ``xxgk:`` (政府信息公开) sections of site.yaml."""

from __future__ import annotations

from dataclasses import dataclass

from ..diagnostics import Diagnostics
from .messages import CONFIG_FILE, key_line, unknown_key

SEARCH_KEYS = {"enabled", "memory_mb"}
XXGK_KEYS = {"index_prefix"}


@dataclass(frozen=True)
class SearchSettings:
    """``search:`` — the site search index (builder/search.py)."""

    enabled: bool = True  # False only for ``search: {enabled: false}``
    memory_mb: int = 0  # all index processes of one build together; 0: the builder's default


@dataclass(frozen=True)
class XxgkSettings:
    """``xxgk:`` — 政府信息公开 (government information disclosure)."""

    index_prefix: str = ""  # 索引号 prefix of the automatic numbering ("" = no automatic numbering)


def _mapping(text: str, name: str, raw, example: str, known: set[str], diags: Diagnostics) -> tuple[dict, int]:
    """The section as a mapping (unknown keys warned about) and the line it starts on."""
    start = key_line(text, name) or 1
    if raw is None:
        return {}, start
    if not isinstance(raw, dict):
        diags.error(CONFIG_FILE, start, "config-type", f"{name} 应当写成缩进的字段，例如：\n{name}:\n  {example}")
        return {}, start
    for key in raw:
        if key not in known:
            unknown_key(diags, key_line(text, str(key), start) or start, key, known, f"{name} 中有")
    return raw, start


def parse_search(text: str, raw, diags: Diagnostics) -> SearchSettings:
    section, start = _mapping(text, "search", raw, "enabled: false", SEARCH_KEYS, diags)
    enabled = section.get("enabled", True)
    if not isinstance(enabled, bool):
        diags.error(CONFIG_FILE, key_line(text, "enabled", start) or start, "config-type",
                    "search.enabled 只能写 true 或 false")
        enabled = True
    budget = section.get("memory_mb", 0)
    if "memory_mb" in section and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 1):
        diags.error(CONFIG_FILE, key_line(text, "memory_mb", start) or start, "config-type",
                    f"配置项“search.memory_mb”应当是不小于 1 的整数（单位 MB），现在是“{budget}”")
        budget = 0
    return SearchSettings(enabled=enabled, memory_mb=budget)


def parse_xxgk(text: str, raw, diags: Diagnostics) -> XxgkSettings:
    section, start = _mapping(text, "xxgk", raw, "index_prefix: 机构代码", XXGK_KEYS, diags)
    prefix = section.get("index_prefix")
    if prefix is None:
        return XxgkSettings()
    if isinstance(prefix, bool) or not isinstance(prefix, (str, int)):
        diags.error(CONFIG_FILE, key_line(text, "index_prefix", start) or start, "config-type",
                    "配置项“xxgk.index_prefix”应当是文字（机构代码）")
        return XxgkSettings()
    return XxgkSettings(str(prefix).strip())
