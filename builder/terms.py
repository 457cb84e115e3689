"""错敏字 term lists (``terms.yaml``): loading, validation and fast matching.

All exact terms of a site (banned, typos, sensitive, official names) are
compiled into one trie-shaped regular expression, so a text is scanned once
whatever the list size (the regex engine skips positions whose character
starts no term).  Near misses of official names (edit distance 1) are found
from exact "anchor" pieces of each name: one edit leaves at least one half of
a name intact, so only positions where a half occurs are compared.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import yamlio
from .config.terms import KINDS, Term, line_of, parse_terms  # noqa: F401 - KINDS, Term: the lists' vocabulary
from .diagnostics import Diagnostics

if TYPE_CHECKING:
    from .config import SiteConfig

TERMS_FILE = "terms.yaml"
_HAN = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff]+$")


@dataclass(frozen=True)
class Hit:
    start: int  # offset in the scanned text
    end: int
    kind: str  # banned | typo | sensitive | name-near-miss
    found: str  # the text as written
    term: Term


@dataclass
class TermList:
    terms: dict[str, Term] = field(default_factory=dict)
    names: tuple[str, ...] = ()
    _exact: re.Pattern | None = None
    _anchors: re.Pattern | None = None
    _anchor_trie: dict = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.terms

    def compile(self) -> "TermList":
        self._exact = _trie_regex(self.terms) if self.terms else None
        anchors: dict[str, list[tuple[str, int]]] = {}
        for name in self.names:
            n = len(name)
            if n < 3 or not _HAN.match(name):
                continue  # two-character names have too many innocent neighbours
            if n == 3:  # a person's name: the surname stays, one given-name character differs
                anchors.setdefault(name[0], []).append((name, 0))
            else:
                half = n // 2
                anchors.setdefault(name[:half], []).append((name, 0))
                anchors.setdefault(name[half:], []).append((name, half))
        trie: dict = {}
        for piece, owners in anchors.items():
            node = trie
            for ch in piece:
                node = node.setdefault(ch, {})
            node[""] = owners
        self._anchor_trie = trie
        self._anchors = re.compile("(?=" + _trie_pattern(_plain_trie(anchors)) + ")") if anchors else None
        return self

    def scan(self, text: str, allow: frozenset[str] = frozenset()) -> list[Hit]:
        """Every banned word, typo, unallowed sensitive word and near-miss official name in ``text``."""
        if self._exact is None:
            return []
        hits: list[Hit] = []
        taken: list[tuple[int, int]] = []  # spans of exact terms (names included): no near miss inside
        for m in self._exact.finditer(text):
            term = self.terms[m.group()]
            taken.append(m.span())
            if term.kind == "name" or (term.kind == "sensitive" and term.text in allow):
                continue
            hits.append(Hit(m.start(), m.end(), term.kind, m.group(), term))
        if self._anchors is not None:
            hits.extend(self._near_misses(text, taken, allow))
        hits.sort(key=lambda h: (h.start, h.end))
        return hits

    def _near_misses(self, text: str, taken: list[tuple[int, int]], allow: frozenset[str]) -> list[Hit]:
        found: list[Hit] = []
        spans: list[tuple[int, int]] = list(taken)
        starts = [s for s, _ in taken]  # exact matches come in text order
        for m in self._anchors.finditer(text):
            p = m.start()
            k = bisect.bisect_right(starts, p) - 1
            if k >= 0 and taken[k][1] >= p + 2:
                continue  # inside an exact term: every window around p would overlap it
            node = self._anchor_trie
            owners: list[tuple[str, int]] = []
            for ch in text[p:p + 32]:
                node = node.get(ch)
                if node is None:
                    break
                owners.extend(node.get("", ()))
            for name, offset in owners:
                window = _near_window(text, p - offset, name)
                if window is None:
                    continue
                start, end = window
                written = text[start:end]
                if (written in self.terms or written in allow
                        or any(start < e and s < end for s, e in spans)):
                    continue
                spans.append((start, end))
                found.append(Hit(start, end, "name-near-miss", written, self.terms[name]))
        return found


def _near_window(text: str, start: int, name: str) -> tuple[int, int] | None:
    """A span near ``start`` that is one edit away from ``name`` (Han characters only)."""
    n = len(name)
    if n == 3:
        candidates = [(start, n)]
    else:
        candidates = [(start, n), (start, n - 1), (start, n + 1), (start - 1, n + 1), (start + 1, n - 1)]
    for s, length in candidates:
        if s < 0 or s + length > len(text):
            continue
        window = text[s:s + length]
        if window != name and _HAN.match(window) and _one_edit(window, name):
            if n == 3 and window[0] != name[0]:
                continue
            return s, s + length
    return None


def _one_edit(a: str, b: str) -> bool:
    if len(a) == len(b):
        return sum(1 for x, y in zip(a, b) if x != y) == 1
    if abs(len(a) - len(b)) != 1:
        return False
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1:]


def _plain_trie(words) -> dict:
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True
    return trie


def _trie_pattern(node: dict) -> str:
    end = "" in node
    branches = [re.escape(ch) + _trie_pattern(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 and not end else "(?:" + "|".join(branches) + ")"
    if end:
        body = "(?:" + body + ")?" if len(branches) == 1 else body + "?"
    return body


def _trie_regex(words) -> re.Pattern:
    """One regex matching the longest listed word at each position."""
    return re.compile(_trie_pattern(_plain_trie(words)))


# --- loading -------------------------------------------------------------------------------------


def load_term_list(site_dir: Path, config: SiteConfig, diags: Diagnostics) -> TermList:
    """Read ``terms.yaml`` and add the ``terms:`` section of site.yaml (validated when site.yaml was
    loaded; its messages are reported here); problems go to ``diags``."""
    lexicon = TermList()
    from .ownership import site_file

    path = site_file(site_dir, TERMS_FILE)  # a terms.yaml symlinked out of the site is not read
    if path is not None and path.is_file():
        try:
            text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
        except UnicodeDecodeError:
            diags.error(TERMS_FILE, 0, "terms-encoding", "terms.yaml 不是 UTF-8 编码，请用 UTF-8 重新保存")
            text = ""
        if text:
            try:
                data = yamlio.load(text)
            except yamlio.YamlProblem as exc:
                diags.error(TERMS_FILE, exc.line, "terms-yaml", exc.message, exc.column)
                data = None
            _merge(lexicon, parse_terms(data, TERMS_FILE, text, diags), TERMS_FILE, text, diags)
    _merge(lexicon, config.report("terms", diags), "site.yaml", config.file.text, diags)
    return lexicon.compile()


def _merge(lexicon: TermList, found: tuple[Term, ...], rel: str, text: str, diags: Diagnostics) -> None:
    """Add one list's terms: the first of two different entries for a word wins; one-character
    terms (other than banned) are refused."""
    for term in found:
        old = lexicon.terms.get(term.text)
        if old is not None and old != term:
            diags.warning(rel, line_of(text, term.text), "terms-duplicate",
                          f"“{term.text}”在词表中出现了两次（{_KIND_NAME[old.kind]}、{_KIND_NAME[term.kind]}），以第一次为准")
        elif len(term.text) < 2 and term.kind != "banned":
            diags.error(rel, line_of(text, term.text), "terms-too-short",
                        f"“{term.text}”只有一个字，会误报大量正常文字；请写成至少两个字的词语")
        else:
            lexicon.terms[term.text] = term
        if term.kind == "name":
            lexicon.names = lexicon.names + (term.text,)


_KIND_NAME = {"banned": "禁用词", "typo": "错别字", "name": "规范名称", "sensitive": "敏感词"}


def message(hit: Hit) -> tuple[str, str]:
    """(code, Chinese message) for a hit."""
    term = hit.term
    if hit.kind == "typo":
        return "term-typo", f"错别字“{hit.found}”，应为“{term.suggestion}”"
    if hit.kind == "banned":
        extra = f"：{term.hint}" if term.hint else "，请删除或改写"
        return "term-banned", f"禁用词“{hit.found}”{extra}"
    if hit.kind == "sensitive":
        extra = f"（{term.hint}）" if term.hint else ""
        return "term-sensitive", (f"敏感词“{hit.found}”{extra}需要审核确认：确认无误后，在头信息中加上 "
                                  f"allow: [{hit.found}]")
    return "term-name", (f"“{hit.found}”与规范名称“{term.text}”只差一个字，请核对；"
                         f"如果确实不是同一名称，在头信息中加上 allow: [{hit.found}]")
