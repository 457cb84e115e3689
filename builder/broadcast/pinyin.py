"""Tone-numbered pinyin for spoken text, honouring the site's pronunciation lexicon.

Used by SSML (``<phoneme>`` for lexicon words) and by audio rendering
(espeak-ng's ``cmn-latn-pinyin`` voice reads tone-numbered pinyin).
"""

from __future__ import annotations

import re

from .settings import PronunciationLexicon

HAN = re.compile(r"[\u3400-\u9fff]")
PAUSE_LONG = "。！？；"
PAUSE_SHORT = "，、："


def segments(text: str, lexicon: PronunciationLexicon) -> list[tuple[str, tuple[str, ...] | None]]:
    """Split ``text`` into (chunk, lexicon syllables) pairs; syllables is None outside lexicon words."""
    words = lexicon.longest_first()
    out: list[tuple[str, tuple[str, ...] | None]] = []
    plain = ""
    i = 0
    while i < len(text):
        for word in words:
            if text.startswith(word, i):
                if plain:
                    out.append((plain, None))
                    plain = ""
                out.append((word, lexicon.words[word]))
                i += len(word)
                break
        else:
            plain += text[i]
            i += 1
    if plain:
        out.append((plain, None))
    return out


def _plain_pinyin(chunk: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin  # ~0.2 s of dictionaries, only when audio is made

    return lazy_pinyin(chunk, style=Style.TONE3, neutral_tone_with_five=True, errors=lambda s: list(s))


def to_tone3(text: str, lexicon: PronunciationLexicon) -> str:
    """Spoken Chinese -> "quan2 ti3 cun1 min2 , ..." for espeak-ng (punctuation becomes pauses)."""
    tokens: list[str] = []
    for chunk, syllables in segments(text, lexicon):
        pieces = list(syllables) if syllables else _plain_pinyin(chunk)
        for piece in pieces:
            if piece in PAUSE_LONG or piece == "\n":
                tokens.append(".")
            elif piece in PAUSE_SHORT:
                tokens.append(",")
            elif piece.strip() and re.match(r"^[a-zü]+[1-5]$", piece.replace("v", "ü")):
                tokens.append(piece.replace("ü", "v"))
            elif piece.isalnum() and piece.isascii():
                tokens.append(piece.lower())
    text = " ".join(tokens)
    return re.sub(r"\s+([,.])", r"\1", text)
