"""SSML 1.1 for a loudspeaker script: pauses as <break>, lexicon words as <phoneme>.

500 ms after every sentence end, 300 ms after every comma-like pause, one
<p> per part of the script.  Lexicon words get
``<phoneme alphabet="x-pinyin" ph="chong2 fu4">重复</phoneme>`` (the
alphabet name is configurable: ``broadcast.ssml_alphabet``).
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from .script import Script
from .settings import PronunciationLexicon
from .pinyin import segments

SSML_NS = "http://www.w3.org/2001/10/synthesis"
SENTENCE_BREAK = "500ms"
COMMA_BREAK = "300ms"


def _inline(text: str, lexicon: PronunciationLexicon, alphabet: str) -> str:
    out: list[str] = []
    for chunk, syllables in segments(text, lexicon):
        if syllables:
            out.append(f"<phoneme alphabet={quoteattr(alphabet)} ph={quoteattr(' '.join(syllables))}>"
                       f"{escape(chunk)}</phoneme>")
            continue
        for ch in chunk:
            out.append(escape(ch))
            if ch in "。！？；":
                out.append(f'<break time="{SENTENCE_BREAK}"/>')
            elif ch in "，、：":
                out.append(f'<break time="{COMMA_BREAK}"/>')
    return "".join(out)


def ssml_document(script: Script, lexicon: PronunciationLexicon, alphabet: str = "x-pinyin") -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<speak version="1.1" xmlns="{SSML_NS}" xml:lang="zh-CN">']
    for paragraph in script.paragraphs():
        lines.append(f"<p>{_inline(paragraph, lexicon, alphabet)}</p>")
    lines.append("</speak>")
    return ("\n".join(lines) + "\n").encode("utf-8")
