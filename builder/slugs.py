"""ASCII slugs for URLs: explicit slug, ASCII file stem, or pinyin of a Chinese stem."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_ASCII_SAFE = re.compile(r"[^a-z0-9]+")
_VALID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 120


class SlugProblem(ValueError):
    pass


def is_ascii(text: str) -> bool:
    return text.isascii()


@lru_cache(maxsize=4096)
def _pinyin_words(text: str) -> tuple[str, ...]:
    from pypinyin import Style, lazy_pinyin

    return tuple(lazy_pinyin(text, style=Style.NORMAL, errors="default", v_to_u=False, strict=False))


def preload() -> None:
    """Load pypinyin now (about 0.3 s of dictionaries), e.g. before forking workers that will need it."""
    _pinyin_words("预载")


# Slugs already computed (persisted by the build cache, so that an incremental build
# does not pay for loading pypinyin's dictionaries just to re-derive tag URLs).
memo: dict[str, str] = {}


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by ``-``; Han characters become toneless pinyin."""
    known = memo.get(text)
    if known is not None:
        return known
    memo[text] = slug = _slugify(text)
    return slug


def _slugify(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip()
    parts: list[str] = []
    for chunk in re.split(r"([\u3400-\u9fff\uf900-\ufaff]+)", text):
        if not chunk:
            continue
        if re.match(r"[\u3400-\u9fff\uf900-\ufaff]", chunk):
            parts.extend(_pinyin_words(chunk))
        else:  # Latin with accents keeps its letters: café -> cafe
            parts.append("".join(c for c in unicodedata.normalize("NFKD", chunk) if not unicodedata.combining(c)))
    slug = _ASCII_SAFE.sub("-", " ".join(parts).lower()).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rstrip("-")
    return slug


def check_explicit(slug: str) -> str:
    """Validate a slug written by an editor; it must be a single safe path segment."""
    if not isinstance(slug, str) or not slug.strip():
        raise SlugProblem("slug 不能为空，请只用小写英文字母、数字和 -，例如 tingshui-tongzhi")
    raw = slug.strip()
    if "/" in raw or "\\" in raw or ".." in raw or raw.startswith("."):
        raise SlugProblem(f"slug“{raw}”含有 / \\ 或 ..，会把页面写到网站目录之外，请只用小写英文字母、数字和 -")
    cleaned = slugify(raw)
    if not cleaned or not _VALID.match(cleaned):
        raise SlugProblem(f"slug“{raw}”无效，请只用小写英文字母、数字和 -")
    return cleaned


def from_stem(stem: str) -> str:
    """Slug derived from a file name stem (ASCII kept, Chinese transliterated)."""
    return slugify(stem) or "notice"
