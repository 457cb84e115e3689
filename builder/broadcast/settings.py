"""The broadcast stage's settings: ``SiteConfig.broadcast`` (validated when site.yaml was loaded, see
:mod:`builder.config.broadcast`) plus the pronunciation lexicon it names, a file of its own read here."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .. import yamlio
from ..config import SiteConfig
from ..config.broadcast import (  # noqa: F401 - the broadcast stage's names for its settings
    HAN_RE, PINYIN_SYLLABLE_RE, BroadcastSettings, PronunciationLexicon, Region, Regions, is_phone, normalize_slot,
)
from ..config.messages import CONFIG_FILE, key_line
from ..diagnostics import Diagnostics


def load_broadcast_settings(root: Path, config: SiteConfig, diags: Diagnostics) -> BroadcastSettings:
    """``broadcast:``/``regions:`` as validated at load time (their messages are reported here, by the
    stage that uses them) plus the pronunciation lexicon; problems go to ``diags``."""
    settings = config.report("broadcast", diags)
    lexicon = load_pronunciation_lexicon(root, settings.lexicon_path, diags, required=settings.lexicon_named)
    return replace(settings, lexicon=lexicon)


def load_pronunciation_lexicon(root: Path, rel: str, diags: Diagnostics, required: bool = False) -> PronunciationLexicon:
    """``pronunciations.yaml``: ``词语: chong2 fu4`` (one tone-numbered syllable per Han character)."""
    from ..ownership import site_file

    path = site_file(root, rel)
    if path is None:
        diags.error(CONFIG_FILE, 0, "lexicon-outside",
                    f"broadcast.lexicon 指定的注音词表“{rel}”不在站点目录内（绝对路径、../ 或指向别处的链接），"
                    "出于安全原因不予读取；请把词表放进站点目录，写相对路径，例如 lexicon: data/pron.yaml")
        return PronunciationLexicon()
    if not path.is_file():
        if required:
            diags.error(CONFIG_FILE, 0, "lexicon-missing",
                        f"broadcast.lexicon 指定的注音词表“{rel}”不存在，请创建该文件或删除这一项")
        return PronunciationLexicon()
    try:
        text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
        data = yamlio.load(text)
    except UnicodeDecodeError:
        diags.error(rel, 0, "lexicon-encoding", "注音词表不是 UTF-8 编码，请用 UTF-8 重新保存")
        return PronunciationLexicon()
    except yamlio.YamlProblem as exc:
        diags.error(rel, exc.line, "lexicon-yaml", exc.message, exc.column)
        return PronunciationLexicon()
    if data is None:
        return PronunciationLexicon()
    if not isinstance(data, dict):
        diags.error(rel, 1, "lexicon-type", "注音词表应当一行一个词，写成“词语: chong2 fu4”")
        return PronunciationLexicon()
    words: dict[str, tuple[str, ...]] = {}
    for word, value in data.items():
        word = str(word).strip()
        line = key_line(text, word) or 1
        if not isinstance(value, str):
            diags.error(rel, line, "lexicon-value", f"“{word}”的注音应当是带声调数字的拼音，例如 {word}: chong2 fu4")
            continue
        syllables = tuple(s.lower().replace("u:", "ü") for s in value.split())
        bad = [s for s in syllables if not PINYIN_SYLLABLE_RE.match(s)]
        han = HAN_RE.findall(word)
        if bad:
            diags.error(rel, line, "lexicon-value",
                        f"“{word}”的注音“{value}”中“{bad[0]}”不是带声调数字的拼音音节（如 chong2、lv4、zhang3）")
            continue
        if len(syllables) != len(han) or len(han) != len(word):
            diags.error(rel, line, "lexicon-value",
                        f"“{word}”有 {len(word)} 个字，注音却有 {len(syllables)} 个音节；请每个汉字写一个音节，用空格分开")
            continue
        words[word] = syllables
    return PronunciationLexicon(words)
