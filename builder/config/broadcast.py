"""The ``broadcast:`` and ``regions:`` sections of site.yaml, validated once when site.yaml is loaded.

Chinese messages name the key and its line in site.yaml.  The result is a frozen
:class:`BroadcastSettings` on ``SiteConfig.broadcast``; its messages are kept with the
config and reported by the broadcast stage (see :mod:`builder.config`).  The pronunciation
lexicon the section names is a file of its own, read by :mod:`builder.broadcast.settings`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..diagnostics import Diagnostics
from .messages import CONFIG_FILE, key_line, unknown_key

DEFAULT_SLOTS = ("07:00", "12:00", "18:00")
SLOT_RE = re.compile(r"^([01]?[0-9]|2[0-3])[:：]([0-5][0-9])$")
CODE_RE = re.compile(r"^[0-9]{12}$")
PINYIN_SYLLABLE_RE = re.compile(r"^(?:[a-zü]|v)+[1-5]$")
HAN_RE = re.compile(r"[\u3400-\u9fff]")
# CAP 1.2: sender without spaces, commas, < or &; here a conservative ASCII set
SENDER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$")
ALPHABET_RE = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,39}$")

BROADCAST_KEYS = {
    "enabled", "attention", "issuer", "contact", "locality", "limits", "rates", "repeat", "slots", "valid_days",
    "encoding", "lexicon", "keep", "cap_sender", "ssml_alphabet", "audio_rate_factor", "auto_draft",
}
LIMIT_KEYS = {"daily", "emergency", "sentence"}
RATE_KEYS = {"daily", "emergency"}
REPEAT_KEYS = {"daily", "emergency"}
ENCODINGS = ("utf-8", "gb18030")
REGION_KEYS = {"name", "code", "townships", "villages"}


@dataclass(frozen=True)
class Region:
    name: str
    code: str  # 12-digit 统计用区划代码
    kind: str  # "county", "township" or "village"
    parent: str = ""  # name of the enclosing region ("" for the county)


@dataclass(frozen=True)
class Regions:
    county: Region | None
    items: tuple[Region, ...] = ()  # townships then villages, in declaration order

    def find(self, name_or_code: str) -> Region | None:
        for region in ((self.county,) if self.county else ()) + self.items:
            if name_or_code in (region.name, region.code):
                return region
        return None

    def ancestors(self, region: Region) -> list[Region]:
        """The region itself and every enclosing region, innermost first."""
        chain = [region]
        while chain[-1].parent:
            parent = self.find(chain[-1].parent)
            if parent is None:
                break
            chain.append(parent)
        return chain


@dataclass(frozen=True)
class PronunciationLexicon:
    """Site pronunciation lexicon: word -> tone-numbered pinyin syllables."""

    words: dict = field(default_factory=dict)  # str -> tuple[str, ...]

    def longest_first(self) -> list[str]:
        return sorted(self.words, key=lambda w: (-len(w), w))

    def found_in(self, text: str) -> list[str]:
        return [w for w in sorted(self.words) if w in text]


@dataclass(frozen=True)
class BroadcastSettings:
    enabled: bool = True  # false: a site without loudspeakers gets no scripts at all
    auto_draft: bool = True  # false: no automatic drafts; only hand-written scripts
    attention: str = "全体村民请注意"
    issuer: str = ""  # default issuer when a notice has no source
    contact: str = ""  # default contact phone
    locality: str = ""  # replaces 我市/我县/本市 in automatic drafts, e.g. 舞钢市
    limit_daily: int = 300
    limit_emergency: int = 120
    sentence_chars: int = 25
    rate_daily: int = 190  # 字/分
    rate_emergency: int = 170
    repeat_daily: int = 2
    repeat_emergency: int = 3
    slots: tuple[str, ...] = DEFAULT_SLOTS
    valid_days: int = 7
    encoding: str = "utf-8"  # "gb18030" also writes a GB18030 copy of every script
    lexicon_path: str = "pronunciations.yaml"
    lexicon_named: bool = False  # site.yaml names the lexicon: a missing file is an error
    keep: tuple[str, ...] = ()  # words left as written by the spoken-text normalizer
    cap_sender: str = ""
    ssml_alphabet: str = "x-pinyin"
    audio_rate_factor: float = 0.82  # espeak-ng -s per 字/分 (calibrated for cmn-latn-pinyin)
    regions: Regions = field(default_factory=lambda: Regions(None))
    lexicon: PronunciationLexicon = field(default_factory=PronunciationLexicon)

    def limit(self, emergency: bool) -> int:
        return self.limit_emergency if emergency else self.limit_daily

    def rate(self, emergency: bool) -> int:
        return self.rate_emergency if emergency else self.rate_daily

    def repeat(self, emergency: bool) -> int:
        return self.repeat_emergency if emergency else self.repeat_daily


def normalize_slot(value) -> str | None:
    """"7:00" / "07：00" / 420 (YAML sexagesimal 7:00) -> "07:00"; None when invalid."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return f"{value // 60:02d}:{value % 60:02d}"  # PyYAML 1.1 reads 7:00 as 420
    if not isinstance(value, str):
        return None
    m = SLOT_RE.match(value.strip())
    return f"{int(m.group(1)):02d}:{m.group(2)}" if m else None


def parse_broadcast(text: str, raw, raw_regions, phone: str, source: str, domain: str,
                    diags: Diagnostics) -> BroadcastSettings:
    """Validate ``broadcast:`` (``raw``) and ``regions:`` (``raw_regions``) of site.yaml (``text``, for
    line numbers); ``phone``, ``source`` and ``domain`` are the defaults the site section gives.
    The lexicon is not read here (``lexicon`` stays empty, ``lexicon_path`` names it)."""
    rel = CONFIG_FILE
    start = key_line(text, "broadcast") or 1

    def err(key: str, message: str, code: str = "broadcast-config") -> None:
        diags.error(rel, key_line(text, key, start) or start, code, message)

    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        err("broadcast", "broadcast 应当写成缩进的字段，例如：\n  broadcast:\n    attention: 全体村民请注意")
        raw = {}
    for key in raw:
        if key not in BROADCAST_KEYS:
            unknown_key(diags, key_line(text, str(key), start) or start, key, BROADCAST_KEYS, "broadcast 中有")

    def text_value(key: str, default: str, src: dict = raw, where: str = "broadcast.") -> str:
        value = src.get(key, default)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            err(key, f"配置项“{where}{key}”应当是一行文字")
            return default
        return str(value).strip()

    def number(key: str, default: int, src: dict, where: str, lo: int, hi: int) -> int:
        value = src.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            section_key = where.split(".")[-2] if where.count(".") > 1 else key
            line = key_line(text, key, key_line(text, section_key, start) or start)
            where_line = line if src is raw else (key_line(text, section_key, start) or start)
            if src is not raw and line and line - where_line < 4:
                where_line = line  # nested block style: the key's own line
            diags.error(rel, where_line, "broadcast-config",
                        f"配置项“{where}{key}”应当是 {lo} 到 {hi} 之间的整数，现在是“{value}”")
            return default
        return value

    def section(key: str, known: set[str]) -> dict:
        value = raw.get(key) or {}
        if not isinstance(value, dict):
            err(key, f"配置项“broadcast.{key}”应当写成 {{daily: …, emergency: …}} 这样的字段")
            return {}
        for sub in value:
            if sub not in known:
                unknown_key(diags, key_line(text, key, start) or start, sub, known, f"broadcast.{key} 中有")
        return value

    limits = section("limits", LIMIT_KEYS)
    rates = section("rates", RATE_KEYS)
    repeat = section("repeat", REPEAT_KEYS)

    slots: list[str] = []
    raw_slots = raw.get("slots", list(DEFAULT_SLOTS))
    if not isinstance(raw_slots, list):
        raw_slots = [raw_slots]
    for item in raw_slots:
        slot = normalize_slot(item)
        if slot is None:
            err("slots", f"broadcast.slots 中的播出时间“{item}”格式不对，请写成带引号的 \"07:00\"")
        else:
            slots.append(slot)

    encoding = text_value("encoding", "utf-8").lower().replace("_", "-")
    if encoding in ("utf8",):
        encoding = "utf-8"
    if encoding not in ENCODINGS:
        err("encoding", f"broadcast.encoding 只能是 {' 或 '.join(ENCODINGS)}，现在是“{encoding}”")
        encoding = "utf-8"

    keep = raw.get("keep") or []
    if isinstance(keep, str):
        keep = [keep]
    if not isinstance(keep, list) or not all(isinstance(k, (str, int)) for k in keep):
        err("keep", "broadcast.keep 应当是一组词语，例如 keep: [5G, G107国道]")
        keep = []

    factor = raw.get("audio_rate_factor", 0.82)
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0.3 <= factor <= 3:
        err("audio_rate_factor", f"broadcast.audio_rate_factor 应当是 0.3 到 3 之间的数，现在是“{factor}”")
        factor = 0.82

    contact = text_value("contact", phone)
    if contact and not is_phone(contact):
        err("contact", f"broadcast.contact 应当是电话号码（如 0375-8123456 或 12345），现在是“{contact}”")
        contact = ""

    regions = load_regions(text, raw_regions, diags)
    lexicon_path = text_value("lexicon", "pronunciations.yaml")

    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        err("enabled", "broadcast.enabled 只能写 true 或 false")
        enabled = True
    cap_sender = text_value("cap_sender", domain or "notice-pipeline")
    if not SENDER_RE.match(cap_sender):
        err("cap_sender", f"broadcast.cap_sender“{cap_sender}”不能用作 CAP 预警消息的发送方标识：只能包含英文字母、数字和 . - _ : @ /，"
                          "不能有空格、逗号、< 或 &，最长 128 个字符（建议用网站域名，如 wugang.example）")
        cap_sender = "notice-pipeline"
    alphabet = text_value("ssml_alphabet", "x-pinyin") or "x-pinyin"
    if not ALPHABET_RE.match(alphabet):
        err("ssml_alphabet", f"broadcast.ssml_alphabet“{alphabet}”不是有效的音标名：请写 x-pinyin（默认）、ipa，"
                             "或平台要求的名称（如 py，文件中写作 x-py），只能用英文字母、数字和 - . _")
        alphabet = "x-pinyin"
    elif alphabet != "ipa" and not alphabet.startswith("x-"):
        alphabet = "x-" + alphabet  # SSML 1.1: an alphabet other than ipa is named x-…
    auto_draft = raw.get("auto_draft", True)
    if not isinstance(auto_draft, bool):
        err("auto_draft", "broadcast.auto_draft 只能写 true（没有手写稿的公告自动摘编草稿，待审核）或 false（不自动摘编）")
        auto_draft = True
    return BroadcastSettings(
        enabled=enabled,
        auto_draft=auto_draft,
        attention=text_value("attention", "全体村民请注意") or "全体村民请注意",
        issuer=text_value("issuer", source),
        contact=contact,
        locality=text_value("locality", regions.county.name if regions.county else ""),
        limit_daily=number("daily", 300, limits, "broadcast.limits.", 20, 3000),
        limit_emergency=number("emergency", 120, limits, "broadcast.limits.", 20, 3000),
        sentence_chars=number("sentence", 25, limits, "broadcast.limits.", 8, 200),
        rate_daily=number("daily", 190, rates, "broadcast.rates.", 60, 400),
        rate_emergency=number("emergency", 170, rates, "broadcast.rates.", 60, 400),
        repeat_daily=number("daily", 2, repeat, "broadcast.repeat.", 1, 5),
        repeat_emergency=number("emergency", 3, repeat, "broadcast.repeat.", 1, 5),
        slots=tuple(sorted(set(slots))) or DEFAULT_SLOTS,
        valid_days=number("valid_days", 7, raw, "broadcast.", 1, 366),
        encoding=encoding,
        lexicon_path=lexicon_path,
        lexicon_named="lexicon" in raw,
        keep=tuple(str(k) for k in keep),
        cap_sender=cap_sender,
        ssml_alphabet=alphabet,
        audio_rate_factor=float(factor),
        regions=regions,
    )


PHONE_RE = re.compile(r"^(?:[（(]?0[0-9]{2,3}[)）]?[-—\s]?[0-9]{7,8}(?:-[0-9]{1,5})?|1[3-9][0-9][-\s]?[0-9]{4}[-\s]?[0-9]{4}"
                      r"|[48]00[-\s]?[0-9]{3}[-\s]?[0-9]{4}|1[0-9]{2,4}|9[0-9]{4}|[0-9]{7,8})$")


def is_phone(value: str) -> bool:
    return bool(PHONE_RE.match(value.strip()))


def load_regions(text: str, raw, diags: Diagnostics) -> Regions:
    """``regions:`` -> county, townships and villages with 12-digit codes."""
    rel = CONFIG_FILE
    start = key_line(text, "regions") or 1
    if raw is None:
        return Regions(None)

    def line_of(value: str) -> int:
        if value:
            for no, line in enumerate(text.split("\n")[start - 1:], start):
                if value in line:
                    return no
        return start

    def err(where: str, message: str) -> None:
        diags.error(rel, line_of(where), "regions-config", message)

    if not isinstance(raw, dict):
        err("", "regions 应当写成：\n  regions:\n    name: 舞钢市\n    code: \"410481000000\"\n    townships:\n      - {name: 垭口街道, code: \"410481001000\"}")
        return Regions(None)
    seen: dict[str, str] = {}
    items: list[Region] = []

    def region(item, kind: str, parent: Region | None) -> Region | None:
        if not isinstance(item, dict):
            err(str(item), f"regions 中的“{item}”应当写成 {{name: 名称, code: \"十二位区划代码\"}}")
            return None
        for key in item:
            if key not in REGION_KEYS:
                unknown_key(diags, line_of(f"{key}"), key, REGION_KEYS, "regions 中有")
        name = str(item.get("name") or "").strip()
        code = item.get("code")
        code = f"{code:012d}" if isinstance(code, int) and not isinstance(code, bool) else str(code or "").strip()
        if not name:
            err(code, f"regions 中代码为“{code}”的地区缺少 name（名称）")
            return None
        if not CODE_RE.match(code):
            err(name, f"地区“{name}”的行政区划代码“{code}”应当是 12 位数字（如 \"410481001000\"），请用英文引号括起来")
            return None
        if kind == "county" and not code.endswith("000000"):
            err(name, f"县级地区“{name}”的代码“{code}”后六位应当是 000000")
        if kind == "township" and (code.endswith("000000") or not code.endswith("000")):
            err(name, f"乡镇（街道）“{name}”的代码“{code}”第七到九位不能全为 0，后三位应当是 000")
        if kind == "village" and code.endswith("000"):
            err(name, f"村（社区）“{name}”的代码“{code}”后三位不能是 000")
        if parent is not None:
            prefix = 6 if parent.kind == "county" else 9
            if code[:prefix] != parent.code[:prefix]:
                err(name, f"地区“{name}”的代码“{code}”与上级“{parent.name}”（{parent.code}）的前 {prefix} 位不一致")
        for key in (name, code):
            if key in seen:
                err(name, f"地区名称或代码“{key}”重复声明（已用于“{seen[key]}”）")
        seen[name] = name
        seen[code] = name
        return Region(name, code, kind, parent.name if parent else "")

    county = region(raw, "county", None)
    townships = raw.get("townships") or []
    if not isinstance(townships, list):
        err("townships", "regions.townships 应当是乡镇（街道）列表")
        townships = []
    villages: list[Region] = []
    for item in townships:
        town = region(item, "township", county)
        if town is None:
            continue
        items.append(town)
        raw_villages = item.get("villages") or []
        if not isinstance(raw_villages, list):
            err(town.name, f"“{town.name}”的 villages 应当是村（社区）列表")
            continue
        for v in raw_villages:
            village = region(v, "village", town)
            if village is not None:
                villages.append(village)
    return Regions(county, tuple(items + villages))
