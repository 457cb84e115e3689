"""Spoken-text normalization for village loudspeaker (村村响 / 应急广播) scripts.

Turns written notice text into what a Mandarin news announcer would say:
Arabic numerals become Chinese readings, symbols and units are spelled out,
bylines and brackets disappear, and URLs/e-mails are spelled (``mode="speak"``)
or removed with a warning (``mode="script"``).

The work is done by an ordered pipeline of named rewrite passes.  Every pass is
a function ``(text, ctx) -> text`` that only looks at its input and the
per-call context; all regular expressions are compiled once at import time and
no module-level state is ever mutated.

Public API: :class:`SpeechNote`, :func:`normalize`, :func:`to_spoken`,
:func:`has_unspoken` and :func:`main` (the ``speak`` command line tool).
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from dataclasses import dataclass, field
from typing import Callable, Iterable

__all__ = ["SpeechNote", "normalize", "to_spoken", "has_unspoken", "main", "PASS_NAMES"]


@dataclass(frozen=True)
class SpeechNote:
    """A warning about something that could not be read aloud as written."""

    code: str  # e.g. "url-removed", "email-removed"
    message: str  # Simplified Chinese, for editors
    text: str  # the offending fragment


# ---------------------------------------------------------------------------
# Number readings
# ---------------------------------------------------------------------------

_DIGITS_PLAIN = "零一二三四五六七八九"  # years, event names, decimals
_DIGITS_YAO = "零幺二三四五六七八九"  # phone numbers, hotlines, codes
_PLACES = ("", "十", "百", "千")
_SECTION_UNITS = ("", "万", "亿", "万亿")
_MAX_CARDINAL_DIGITS = 16  # beyond this a digit run is read digit by digit


def _digits(s: str, *, yao: bool = True) -> str:
    """Read a string of ASCII digits one by one (other characters are kept)."""
    table = _DIGITS_YAO if yao else _DIGITS_PLAIN
    return "".join(table[ord(c) - 48] if "0" <= c <= "9" else c for c in s)


def _section_to_cn(n: int) -> str:
    """Read 1..9999 (no leading-zero marker)."""
    out: list[str] = []
    pending_zero = False
    for place in (3, 2, 1, 0):
        d = (n // 10**place) % 10
        if d == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(_DIGITS_PLAIN[d] + _PLACES[place])
    return "".join(out)


def _int_to_cn(n: int, *, liang: bool = False) -> str:
    """Cardinal reading of a non-negative integer.

    ``liang`` asks for 两 when n == 2 (a quantity before a classifier).  A
    leading 2 in the 千/万/亿 place is always 两 (2000 → 两千, 20000 → 两万),
    a leading 2 in the 十/百 place stays 二 (20 → 二十, 200 → 二百).
    """
    if n == 0:
        return "零"
    if n == 2 and liang:
        return "两"
    sections: list[int] = []
    while n:
        sections.append(n % 10000)
        n //= 10000
    parts: list[str] = []
    gap = False
    for i in range(len(sections) - 1, -1, -1):
        sec = sections[i]
        if sec == 0:
            gap = bool(parts)
            continue
        if parts and (gap or sec < 1000):
            parts.append("零")
        parts.append(_section_to_cn(sec) + _SECTION_UNITS[i])
        gap = False
    s = "".join(parts)
    if s.startswith("一十"):
        s = s[1:]
    elif s.startswith("二") and len(s) > 1 and s[1] in "千万亿":
        s = "两" + s[1:]
    return s


def _number_to_cn(num: str, *, liang: bool = False) -> str:
    """Read an integer or decimal string (e.g. "35", "2.5", "0.05")."""
    whole, _, frac = num.partition(".")
    if len(whole) > _MAX_CARDINAL_DIGITS:
        head = _digits(whole, yao=False)
    else:
        head = _int_to_cn(int(whole or "0"), liang=liang and not frac)
    if frac:
        return head + "点" + _digits(frac, yao=False)
    return head


def _strip_num(num: str) -> str:
    """Drop leading zeros of an integer string ("05" → "5")."""
    return num.lstrip("0") or "0"


# ---------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------

# Words after which a bare "2" is read 两 (a quantity, or a clock hour).
_LIANG_WORDS = (
    "个月 个 人次 人 名 位 例 天 小时 时 点 分钟 秒钟 周 星期 年 次 批 台 辆 架 艘 件 条 项 家 所 座 栋 幢 户 "
    "只 头 匹 种 类 场 份 本 张 块 支 套 吨 公斤 千克 克 斤 米 公里 千米 亩 公顷 平方米 平方公里 "
    "立方米 升 毫升 倍 元 角 岁 万 千 亿 百 起 处 轮 针 剂 遍 趟 组 队 枚 颗 株 棵 间 盒 瓶 袋 箱 包 "
    "篇 首 部 届 节 道 片 根 把 门 笔 口 眼 车道 千瓦 千伏 毫米 厘米"
).split()
_LIANG_ALT = "|".join(sorted(_LIANG_WORDS, key=len, reverse=True))

# Anything that shows a digit run is an amount, not a phone number/hotline.
_QUANTITY_ALT = _LIANG_ALT + r"|年|月|日|号|%|‰|℃|°|度|多|余|级|层|楼|期|分|秒|[A-Za-z]|[.,][0-9]|到[0-9]"
_RE_LIANG_AFTER = re.compile(
    rf"\s*(?:{_LIANG_ALT}|到\s*[0-9]+(?:\.[0-9]+)?\s*(?:{_LIANG_ALT}))"
)

_HOTLINES = r"110|112|114|119|120|122|12110|12121|12122|123\d\d|95598|96110"

_PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

# Units written after a number.  Order matters: longer spellings first.
_UNITS: tuple[tuple[str, str], ...] = (
    ("μg/m³", "微克每立方米"), ("μg/m3", "微克每立方米"), ("ug/m³", "微克每立方米"),
    ("ug/m3", "微克每立方米"), ("mg/m³", "毫克每立方米"), ("mg/m3", "毫克每立方米"),
    ("kg/m³", "公斤每立方米"), ("m³/s", "立方米每秒"), ("m3/s", "立方米每秒"),
    ("km/h", "公里每小时"), ("mm/h", "毫米每小时"), ("mg/L", "毫克每升"), ("m/s", "米每秒"),
    ("L/s", "升每秒"), ("t/h", "吨每小时"),
    ("km²", "平方公里"), ("km2", "平方公里"), ("kW·h", "千瓦时"), ("kWh", "千瓦时"),
    ("kV", "千伏"), ("KV", "千伏"), ("kv", "千伏"), ("kW", "千瓦"), ("KW", "千瓦"), ("kw", "千瓦"),
    ("MW", "兆瓦"), ("MHz", "兆赫"), ("Hz", "赫兹"), ("hPa", "百帕"), ("kPa", "千帕"), ("MPa", "兆帕"),
    ("dB", "分贝"), ("km", "公里"), ("KM", "公里"), ("Km", "公里"), ("㎞", "公里"),
    ("kg", "公斤"), ("KG", "公斤"), ("Kg", "公斤"), ("㎏", "公斤"), ("mg", "毫克"), ("μg", "微克"),
    ("mm", "毫米"), ("㎜", "毫米"), ("cm", "厘米"), ("㎝", "厘米"), ("mL", "毫升"), ("ml", "毫升"),
    ("m²", "平方米"), ("㎡", "平方米"), ("m2", "平方米"), ("m³", "立方米"), ("m3", "立方米"),
    ("ms", "毫秒"), ("mAh", "毫安时"), ("mA", "毫安"), ("kHz", "千赫"), ("GHz", "吉赫"), ("μm", "微米"),
    ("nm", "纳米"), ("kcal", "千卡"),
    ("min", "分钟"), ("°C", "摄氏度"), ("℃", "摄氏度"), ("℉", "华氏度"), ("°", "度"),
    ("m", "米"), ("g", "克"), ("t", "吨"), ("L", "升"), ("h", "小时"), ("W", "瓦"), ("V", "伏"),
)
_UNIT_MAP = dict(_UNITS)

# Denominators of "price per …" rates (3.5元/公斤 → 每公斤三点五元).
_PER_WORDS = {
    "人次": "人次", "人": "人", "户": "户", "公斤": "公斤", "千克": "千克", "kg": "公斤", "斤": "斤",
    "吨": "吨", "t": "吨", "亩": "亩", "平方米": "平方米", "平米": "平方米", "㎡": "平方米",
    "m²": "平方米", "立方米": "立方米", "方": "方", "m³": "立方米", "次": "次", "天": "天", "日": "日",
    "月": "月", "年": "年", "小时": "小时", "周": "周", "件": "件", "个": "个", "台": "台", "只": "只",
    "头": "头", "辆": "辆", "份": "份", "张": "张", "千瓦时": "千瓦时", "度": "度", "间": "间",
    "晚": "晚", "床": "床", "袋": "袋", "瓶": "瓶", "盒": "盒", "箱": "箱", "包": "包",
}
_PER_ALT = "|".join(re.escape(k) for k in sorted(_PER_WORDS, key=len, reverse=True))

_ROMAN = {
    "I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10,
    "XI": 11, "XII": 12,
}
# Unicode enclosed / Roman numerals → value.
_ENCLOSED: dict[str, int] = {}
for _start, _count, _base in (
    (0x2460, 20, 1),  # ①..⑳
    (0x2474, 20, 1),  # ⑴..⒇
    (0x2488, 20, 1),  # ⒈..⒛
    (0x3251, 15, 21),  # ㉑..㉟
    (0x32B1, 15, 36),  # ㊱..㊿
    (0x2776, 10, 1),  # ❶..❿
    (0x2780, 10, 1),  # ➀..➉
    (0x278A, 10, 1),  # ➊..➓
    (0x24F5, 10, 1),  # ⓵..⓾
    (0x2160, 12, 1),  # Ⅰ..Ⅻ
    (0x2170, 12, 1),  # ⅰ..ⅻ
):
    for _i in range(_count):
        _ENCLOSED[chr(_start + _i)] = _base + _i
_ENCLOSED["⓪"] = 0
del _start, _count, _base, _i

# Full-width ASCII that is converted; Chinese punctuation that has a
# full-width code point (！（），：；？～) is left alone.
_FULLWIDTH_KEEP = set("！（），：；？～")
_FULLWIDTH_TABLE = {
    cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in _FULLWIDTH_KEEP
}
_FULLWIDTH_TABLE.update({ord("−"): "-", ord("﹣"): "-", ord("\u2010"): "-", ord("\u2011"): "-"})

_CN_NUM = "零一二两三四五六七八九十百千万亿"

# ---------------------------------------------------------------------------
# Per-call context
# ---------------------------------------------------------------------------


@dataclass
class _Context:
    """State of one ``normalize`` call (never shared between calls)."""

    mode: str
    had_digits: bool = False  # the input contained Arabic digits
    notes: list[SpeechNote] = field(default_factory=list)
    protected: list[str] = field(default_factory=list)

    def protect(self, spoken: str) -> str:
        """Hide finished text from later passes behind a private-use character."""
        self.protected.append(spoken)
        return chr(0xF0000 + len(self.protected) - 1)


_RE_PLACEHOLDER = re.compile("[\U000F0000-\U000FFFFD]")


def _restore(text: str, ctx: _Context) -> str:
    if not ctx.protected:
        return text
    return _RE_PLACEHOLDER.sub(lambda m: ctx.protected[ord(m.group()) - 0xF0000], text)


def _protect_keep(text: str, ctx: _Context, keep: Iterable[str]) -> str:
    for word in sorted({w for w in keep if w}, key=len, reverse=True):
        if word in text:
            text = text.replace(word, ctx.protect(word))
    return text


# ---------------------------------------------------------------------------
# Passes
# ---------------------------------------------------------------------------

_RE_FW_BETWEEN_DIGITS = re.compile(r"(?<=[0-9])[：．](?=[0-9])")
_RE_ROMAN_ASCII = re.compile(
    r"(?<![A-Za-z])(XII|XI|IX|X|VIII|VII|VI|IV|V|III|II|I)(?=\s*(?:级|类|期|型|度|档|区))"
)
_RE_ENCLOSED = re.compile("[" + "".join(sorted(_ENCLOSED)) + "]")


def pass_fullwidth(text: str, ctx: _Context) -> str:
    """Full-width digits/letters/symbols → ASCII; circled & Roman numerals → Chinese."""
    text = text.translate(_FULLWIDTH_TABLE)
    text = _RE_FW_BETWEEN_DIGITS.sub(lambda m: ":" if m.group() == "：" else ".", text)
    text = _RE_ENCLOSED.sub(lambda m: _int_to_cn(_ENCLOSED[m.group()]), text)
    if "I" in text or "V" in text or "X" in text:
        text = _RE_ROMAN_ASCII.sub(lambda m: _int_to_cn(_ROMAN[m.group(1)]), text)
    return text


_RE_BYLINE = re.compile(
    r"[ \t]*[（(]\s*[^（）()\n]{0,12}?"
    r"(?:(?:本报|本台|本网|特约|实习|见习)?记者(?!站|节|证|会|们)|通讯员|实习生|撰稿|供稿|摄影|摄像"
    r"|(?:责任)?编辑\s*[:：]|责编|审核\s*[:：]|校对\s*[:：]|(?:图片|信息)?来源\s*[:：]|文\s*/|图\s*/)"
    r"[^（）()\n]{0,40}[)）][ \t]*"
)


def pass_bylines(text: str, ctx: _Context) -> str:
    """Drop bracketed bylines: （记者 张三）, (通讯员 李四), （来源：…）."""
    if "记" not in text and "讯" not in text and "稿" not in text and "摄" not in text \
            and "编" not in text and "审" not in text and "校" not in text and "源" not in text \
            and "/" not in text and "实" not in text:
        return text
    return _RE_BYLINE.sub("", text)


_URL_CHARS = r"A-Za-z0-9\-._~/?#=&%+:@"
_RE_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_RE_URL = re.compile(
    rf"(?:https?://[{_URL_CHARS}]+"
    rf"|(?<![A-Za-z0-9@.])(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    rf"\.(?:com|cn|net|org|gov|edu|info|top|vip|xyz|io|cc|tv|mil)(?![A-Za-z0-9-])"
    rf"(?::[0-9]+)?(?:/[{_URL_CHARS}]*)?)",
    re.IGNORECASE,
)
_SPELL_SYMBOLS = {
    ".": "点", "@": "艾特", "/": "斜杠", "-": "杠", "_": "下划线", ":": "冒号", "?": "问号",
    "=": "等于", "&": "和", "%": "百分号", "#": "井号", "~": "波浪号", "+": "加",
}
_RE_SCHEME = re.compile(r"^https?://", re.IGNORECASE)
_RE_DANGLING_LABEL = re.compile(r"[：:]\s*(?=[，。；！？、）)]|$)")


def _spell(fragment: str) -> str:
    fragment = _RE_SCHEME.sub("", fragment).rstrip("/")
    return "".join(
        _DIGITS_YAO[ord(c) - 48] if "0" <= c <= "9" else _SPELL_SYMBOLS.get(c, c) for c in fragment
    )


def pass_urls_emails(text: str, ctx: _Context) -> str:
    """Spell out (speak) or remove with a note (script) e-mail addresses and URLs."""
    if "." not in text:
        return text

    def replace(kind: str) -> Callable[[re.Match[str]], str]:
        def repl(m: re.Match[str]) -> str:
            raw = m.group()
            trail = ""
            while raw and raw[-1] in ".,:;?!)-":
                raw, trail = raw[:-1], raw[-1] + trail
            if ctx.mode == "script":
                label = "邮箱" if kind == "email" else "网址"
                ctx.notes.append(
                    SpeechNote(
                        f"{kind}-removed",
                        f"{label}“{raw}”不便于广播朗读，已从稿件中删除，请改用口语说明（如“详见政府网站”）。",
                        raw,
                    )
                )
                return trail
            return ctx.protect(_spell(raw)) + trail

        return repl

    text = _RE_EMAIL.sub(replace("email"), text)
    text = _RE_URL.sub(replace("url"), text)
    if ctx.mode == "script" and ctx.notes:
        text = _RE_DANGLING_LABEL.sub("", text)
    return text


_RE_EVENT = re.compile(r"(?<![0-9.])([0-9]{1,2})\s*[·•・‧]\s*([0-9]{1,2})(?![0-9.])")
_RE_NO = re.compile(r"(?<![A-Za-z])N[Oo]\s*[.:：]?\s*([0-9]+)|(?<![A-Za-z])no\.\s*([0-9]+)")
_RE_HASH = re.compile(r"(?<![0-9])([0-9]+)\s*#")
_CURRENCY = {
    "¥": "元", "￥": "元", "$": "美元", "US$": "美元", "USD": "美元", "€": "欧元", "EUR": "欧元",
    "£": "英镑", "GBP": "英镑", "₩": "韩元", "KRW": "韩元", "CNY": "人民币", "RMB": "人民币",
    "HKD": "港元", "HK$": "港元", "A$": "澳元", "AU$": "澳元", "AUD": "澳元", "JPY": "日元", "円": "日元",
}
_CURRENCY_ALT = "|".join(re.escape(c) for c in sorted(_CURRENCY, key=len, reverse=True))
_RE_MONEY = re.compile(
    rf"(?<![A-Za-z])({_CURRENCY_ALT})\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(万|亿)?\s*(元)?"
)
# 2019·2·10 (a date written with middle dots; before event names such as 7·20).
_RE_DOT_DATE = re.compile(
    r"(?<![0-9.])((?:1[0-9]|20)[0-9]{2})\s*[·•・]\s*(0?[1-9]|1[0-2])\s*[·•・]\s*(0?[1-9]|[12][0-9]|3[01])(?![0-9.])"
)
# Eras written in Latin letters: 2934ad, 1234b.c., 1823年3月bc → 公元 / 公元前.
_RE_ERA = re.compile(
    r"(?<![0-9])([0-9]{1,4})(年(?:[0-9]{1,2}月)?(?:[0-9]{1,2}日)?)?\s*(a\.d\.|ad|b\.c\.|bc)(?![A-Za-z])",
    re.IGNORECASE,
)


# Cheap tests that let most sentences skip the two patterns above.
_RE_ERA_HINT = re.compile(r"[0-9年月日]\s*[aAbB]\.?[dDcC]")
_RE_MONEY_HINT = re.compile(r"[¥￥$€£₩円]|[A-Z]{3}\s*[0-9]")


def _money(m: re.Match[str]) -> str:
    amount = m.group(2)
    if "." in amount:  # ¥1,200.50 → 1200.5元
        amount = amount.rstrip("0").rstrip(".")
    return amount + (m.group(3) or "") + _CURRENCY[m.group(1)]


def pass_markers(text: str, ctx: _Context) -> str:
    """Event names (7·20), No.3, 3#楼, currency signs (¥200 → 200元, HKD13.5 → 13.5港元), eras."""
    if "·" in text or "•" in text or "・" in text:
        text = _RE_DOT_DATE.sub(lambda m: f"{m.group(1)}年{m.group(2)}月{m.group(3)}日", text)
        text = _RE_EVENT.sub(lambda m: _digits(m.group(1), yao=False) + _digits(m.group(2), yao=False), text)
    text = _RE_NO.sub(lambda m: _int_to_cn(int(m.group(1) or m.group(2))) + "号", text)
    text = _RE_HASH.sub(r"\1号", text)
    if _RE_ERA_HINT.search(text):
        text = _RE_ERA.sub(
            lambda m: ("公元前" if m.group(3).lower().startswith("b") else "公元")
            + _digits(m.group(1), yao=False) + (m.group(2) or "年"),
            text,
        )
    if _RE_MONEY_HINT.search(text):
        text = _RE_MONEY.sub(_money, text)
    return text


_RE_PHONE_PATTERNS = (
    # (0375)2345678
    re.compile(r"[（(]\s*(0[0-9]{2,3})\s*[)）]\s*[-—]?\s*([0-9]{7,8})(?![0-9])"),
    # 0375-2345678, 0375-2345678-801
    re.compile(r"(?<![0-9.])0[0-9]{2,3}\s*[-—]\s*[0-9]{7,8}(?:\s*[-—]\s*[0-9]{1,5})?(?![0-9])"),
    # 400-123-4567 / 800 123 4567
    re.compile(r"(?<![0-9.])[48]00\s*[-—]?\s*(?:[0-9]{3}\s*[-—]?\s*[0-9]{4}|[0-9]{4}\s*[-—]?\s*[0-9]{3})(?![0-9])"),
    # 138-1234-5678 / 138 1234 5678 / 13812345678
    re.compile(r"(?<![0-9.])1[3-9][0-9](?:[- ]?[0-9]{4}){2}(?![0-9.])"),
    # ID card number
    re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])"),
)
_RE_CODE_CONTEXT = re.compile(
    r"(?=[电热手座传号拨Qq微邮身编账卡工尾分转验批订单运学准序代密])"  # fast first-character test
    r"(电话|热线|手机号?|座机|传真|号码|拨打|QQ群?|qq群?|微信号?|邮编|邮政编码|身份证号?|编号|账号|卡号|工号"
    r"|尾号|分机号?|转|验证码|批号|批次号|订单号|单号|运单号|学号|准考证号|序列号|代码|密码)"
    r"((?:[：:\s]|是|为)*)"
    rf"([0-9][0-9\- ]*[0-9])(?![0-9.])(?!\s*(?:{_QUANTITY_ALT}))"
)
# Thirteen digits and more cannot be an amount anyone says (account, card, ID numbers):
# read digit by digit.  Shorter runs are amounts unless a word such as 电话 precedes them.
_RE_LONG_RUN = re.compile(rf"(?<![0-9.,¥￥$])[0-9]{{13,}}(?![0-9.,])(?!\s*(?:{_QUANTITY_ALT}))")
_RE_HOTLINE = re.compile(rf"(?<![0-9.,第A-Za-z])(?:{_HOTLINES})(?![0-9.,])(?!\s*(?:{_QUANTITY_ALT}))")
_RE_PLATE = re.compile(
    rf"([{_PLATE_PROVINCES}])\s*([A-Z])\s*[·•]?\s*([A-Z0-9]{{5,6}})(?![A-Za-z0-9])"
)
_RE_DOC_NUMBER = re.compile(
    r"[〔［\[（(【]\s*((?:19|20)[0-9]{2})\s*[〕］\]）)】]\s*(?:([0-9]+)\s*号)?"
)
_RE_ROOM = re.compile(r"(?<![0-9.])([0-9]{3,4})(?=\s*(?:室|房间|会议室|办公室|教室|诊室|接种室|号房|房))")
_STAKE = r"K[0-9]+\s*\+\s*[0-9]+"
_RE_STAKE_RANGE = re.compile(rf"(?<=[0-9])\s*(?:-|—{{1,2}}|–|~|～|〜)\s*(?=K[0-9]+\s*\+)")
_RE_STAKE = re.compile(rf"(?<![A-Za-z])K([0-9]+)\s*\+\s*([0-9]+)(?![0-9.])")
_RE_LETTER_CODE = re.compile(r"(?<![A-Za-z])(?!PM[0-9])([A-Z]{1,4})([0-9]+)(?![0-9.])")


def _code_digits(s: str) -> str:
    return _digits(re.sub(r"[\s\-—()（）]", "", s), yao=True)


_RE_PHONE_GROUPS = re.compile(r"[0-9]+")


def _landline(m: re.Match[str]) -> str:
    """0375-2345678 → 零三七五，二三四五六七八 (a pause after the area code; -801 → 转八零幺)."""
    groups = _RE_PHONE_GROUPS.findall(m.group())
    out = _digits(groups[0]) + "，" + _digits(groups[1])
    if len(groups) > 2:
        out += "转" + _digits(groups[2])
    return out


def _grouped(m: re.Match[str]) -> str:
    """400-123-4567 → 四零零，幺二三，四五六七 (a pause between the written groups)."""
    return "，".join(_digits(g) for g in _RE_PHONE_GROUPS.findall(m.group()))


# (pattern index → reader): landlines and 400/800 numbers get pauses, the rest none.
_PHONE_READERS: tuple[Callable[[re.Match[str]], str], ...] = (
    _landline, _landline, _grouped,
    lambda m: _code_digits(m.group()), lambda m: _code_digits(m.group()),
)


def pass_phone_and_codes(text: str, ctx: _Context) -> str:
    """Phone numbers, hotlines, postcodes, QQ/ID numbers: digit by digit, 1 as 幺."""
    for rx, reader in zip(_RE_PHONE_PATTERNS, _PHONE_READERS):
        text = rx.sub(reader, text)
    text = _RE_CODE_CONTEXT.sub(lambda m: m.group(1) + m.group(2) + _code_digits(m.group(3)), text)
    text = _RE_HOTLINE.sub(lambda m: _digits(m.group()), text)
    return _RE_LONG_RUN.sub(lambda m: _digits(m.group()), text)


def pass_plates_rooms_docs(text: str, ctx: _Context) -> str:
    """Licence plates, 文号 (舞政〔2022〕12号), rooms, road stakes, letter+digit codes (G107)."""
    text = _RE_PLATE.sub(
        lambda m: m.group(1) + m.group(2) + _digits(m.group(3))
        if any(c.isdigit() for c in m.group(3)) else m.group(),
        text,
    )
    text = _RE_DOC_NUMBER.sub(
        lambda m: _digits(m.group(1), yao=False)
        + (_int_to_cn(int(m.group(2))) + "号" if m.group(2) else ""),
        text,
    )
    text = _RE_ROOM.sub(lambda m: _digits(m.group(1)), text)
    if "K" in text and "+" in text:  # road stakes: K15+200 → K十五加二百
        text = _RE_STAKE_RANGE.sub("到", text)
        text = _RE_STAKE.sub(
            lambda m: "K" + _int_to_cn(int(m.group(1))) + "加" + _int_to_cn(int(m.group(2))), text
        )
    return _RE_LETTER_CODE.sub(lambda m: m.group(1) + _digits(m.group(2)), text)


_RE_THOUSANDS = re.compile(r"(?<![0-9,])[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])")


def pass_thousands(text: str, ctx: _Context) -> str:
    """1,234,567 → 1234567."""
    return _RE_THOUSANDS.sub(lambda m: m.group().replace(",", ""), text)


_RE_ISO_DATE = re.compile(
    r"(?<![0-9.])((?:19|20)[0-9]{2})\s*([-/.])\s*(0?[1-9]|1[0-2])\s*\2\s*(0?[1-9]|[12][0-9]|3[01])"
    r"(?![0-9.])\s*(日|号)?"
)
_RE_YEAR_MONTH = re.compile(r"(?<![0-9.])((?:19|20)[0-9]{2})\s*[-/]\s*(0[1-9]|1[0-2])(?![0-9.\-/])")


def _year(y: str) -> str:
    return _digits(y, yao=False) + "年"


_RE_ISO_DATE_RANGE = re.compile(
    r"(?<=[0-9])\s*(?:—{1,2}|–|~|～|〜|-)\s*"
    r"(?=(?:19|20)[0-9]{2}\s*[-/.]\s*[0-9]{1,2}\s*[-/.]\s*[0-9]{1,2}(?![0-9]))"
)


_NOT_AMOUNT = rf"(?![0-9.\-/:])(?!\s*(?:{_QUANTITY_ALT}))"
# 08-08-2008, 08/08/2008 (month, day, year)
_RE_MDY = re.compile(
    r"(?<![0-9.\-/:])(0?[1-9]|1[0-2])([-/.])(0?[1-9]|[12][0-9]|3[01])\2((?:19|20)[0-9]{2})(?![0-9.\-/])"
)
# 12/2/2, 12.2.3 (two-digit year, month, day)
_RE_YY_DATE = re.compile(
    r"(?<![0-9A-Za-z./\-:])([0-9]{2})([/.])(0?[1-9]|1[0-2])\2(0?[1-9]|[12][0-9]|3[01])(?![0-9./\-])(?!\s*版)"
)
# 2008.08, 1985.03生, 2019.09—2022.06 (year and month with a dot)
_RE_DOT_YEAR_MONTH = re.compile(rf"(?<![0-9.])((?:19|20)[0-9]{{2}})\.(0[1-9]|1[0-2]){_NOT_AMOUNT}")
# 08-2008, 08/2008, 08.2008 (month and year)
_RE_MONTH_YEAR = re.compile(rf"(?<![0-9.\-/:])(0[1-9]|1[0-2])[-/.]((?:19|20)[0-9]{{2}}){_NOT_AMOUNT}")
# 08-08, 08/08, 08.08 (month and day, at least one written with a leading zero)
_RE_MONTH_DAY = re.compile(
    rf"(?<![0-9.\-/:A-Za-z])(0[1-9]|1[0-2])([-/.])(0[1-9]|[12][0-9]|3[01]){_NOT_AMOUNT}"
)
# 二零二四年三月五日-3.8 → …到三月八日 (the end of a range written short)
_RE_SHORT_DATE_END = re.compile(
    r"(?<=日)\s*(—{1,2}|–|~|～|〜|-|至)\s*(0?[1-9]|1[0-2])[-/.](0?[1-9]|[12][0-9]|3[01])(?![0-9./\-])"
)


def _month_day(month: str, day: str) -> str:
    return _int_to_cn(int(month)) + "月" + _int_to_cn(int(day)) + "日"


def _short_month_day(m: re.Match[str]) -> str:
    if m.group(1)[0] != "0" and m.group(3)[0] != "0":
        return m.group()  # 10-20: a range, not a date
    return _month_day(m.group(1), m.group(3))


def pass_iso_dates(text: str, ctx: _Context) -> str:
    """2022-05-04, 2022/5/4, 2022.05.04 → 二零二二年五月四日; 2008.08, 08-08, 12/2/2, 08-08-2008."""
    if "-" not in text and "/" not in text and "." not in text:
        return text  # every written date form below has one of these separators
    text = _RE_ISO_DATE_RANGE.sub("到", text)
    text = _RE_ISO_DATE.sub(
        lambda m: _year(m.group(1))
        + _int_to_cn(int(m.group(3))) + "月"
        + _int_to_cn(int(m.group(4))) + (m.group(5) or "日"),
        text,
    )
    if "日" in text:
        text = _RE_SHORT_DATE_END.sub(
            lambda m: ("至" if m.group(1) == "至" else "到") + _month_day(m.group(2), m.group(3)), text
        )
    text = _RE_MDY.sub(lambda m: _year(m.group(4)) + _month_day(m.group(1), m.group(3)), text)
    text = _RE_YY_DATE.sub(lambda m: _year(m.group(1)) + _month_day(m.group(3), m.group(4)), text)
    if "." in text:
        text = _RE_DOT_YEAR_MONTH.sub(lambda m: _year(m.group(1)) + _int_to_cn(int(m.group(2))) + "月", text)
    text = _RE_MONTH_YEAR.sub(lambda m: _year(m.group(2)) + _int_to_cn(int(m.group(1))) + "月", text)
    text = _RE_MONTH_DAY.sub(_short_month_day, text)
    return _RE_YEAR_MONTH.sub(lambda m: _year(m.group(1)) + _int_to_cn(int(m.group(2))) + "月", text)


_RANGE_LEFT_SUFFIX = (
    r"%|‰|℃|°C|小时|公里|公斤|毫米|厘米|分钟|个月|[年月日号时点分秒万亿千百元度米天个人岁周倍吨亩克升次级]"
    r"|km|kg|mm|cm|kV|kW|m|t|h|L"
)
_RE_RANGE = re.compile(
    rf"([0-9](?:{_RANGE_LEFT_SUFFIX})?)\s*(?:-|—{{1,2}}|–|~|～|〜)\s*(?=-?\s*[0-9])"
)


def pass_ranges(text: str, ctx: _Context) -> str:
    """3-5天, 20～25℃, 5月4日—10日, 2022-2023年度, 8:00—12:00 → 到 (a written 至 stays 至)."""
    return _RE_RANGE.sub(r"\1到", text)


_RE_NEGATIVE = re.compile(r"(?<![0-9A-Za-z])-(?:(?=[0-9]|百分之|千分之)|\s+(?=[0-9]))")
_TEMPERATURE_WORDS = ("气温", "温度", "低温", "高温", "最低", "最高", "水温", "地温", "体感")
_RE_TEMPERATURE_AHEAD = re.compile(
    r"[0-9]+(?:\.[0-9]+)?\s*(?:到\s*-?\s*[0-9]+(?:\.[0-9]+)?\s*)?(?:℃|°C|°|摄氏度|度)"
)
_RE_PERCENT_AHEAD = re.compile(r"[0-9]+(?:\.[0-9]+)?\s*[%‰]")


def pass_negatives(text: str, ctx: _Context) -> str:
    """-5℃ / 气温-3 → 零下; -1.5亿, -3.5%, -1/3 → 负; a minus followed by a space is a dash (dropped)."""
    if "-" not in text:
        return text

    def repl(m: re.Match[str]) -> str:
        if m.end() - m.start() > 1:  # "- 5": a list dash
            return ""
        if _RE_TEMPERATURE_AHEAD.match(text, m.end()) or text.endswith(_TEMPERATURE_WORDS, 0, m.start()):
            return "零下"
        return "负"

    return _RE_NEGATIVE.sub(repl, text)


_YEAR_SUFFIX = r"年|届|级|学年|赛季|财年|学期|版|款"
_RE_YEAR = re.compile(
    rf"(?<![0-9.])((?:19|20)[0-9]{{2}})(?=\s*(?:{_YEAR_SUFFIX}|到\s*(?:19|20)[0-9]{{2}}\s*(?:{_YEAR_SUFFIX}|年度)))"
)
# 1368年, 1823年3月: a year before 1900 (not a duration such as 1000年历史 or 近1500年)
_RE_OLD_YEAR = re.compile(r"(?<![0-9.])(1[0-8][0-9]{2})(?=\s*年(?!历史|之久|时间|左右|以上|以来|多|余))")
_DURATION_BEFORE = ("近", "约", "长达", "历时", "用", "达", "超过", "将近", "经过", "花了", "共", "有")
# 公元前202年, 公元2934年, 纪元2013年
_RE_ERA_YEAR = re.compile(r"(公元前?|纪元)\s*([0-9]{1,4})(?=\s*年)")
# 2022—2023学年 → 二零二二至二零二三学年 (the range pass wrote 到)
_RE_SEASON_RANGE = re.compile(r"((?:19|20)[0-9]{2})\s*到\s*((?:19|20)[0-9]{2})(?=\s*(?:学年|赛季))")
# 90后, 00后, 85后: generations, read digit by digit
_RE_GENERATION = re.compile(r"(?<![0-9.])([0-9][05])(?=后(?!面|来|续|期|果|方|边|天|年|再|才|将|就))")


def pass_years(text: str, ctx: _Context) -> str:
    """A 4-digit number 1900-2099 before 年 is a year: 2022年 → 二零二二年; 1368年, 公元前202年; 90后 → 九零后."""
    if "公元" in text or "纪元" in text:
        text = _RE_ERA_YEAR.sub(lambda m: m.group(1) + _digits(m.group(2), yao=False), text)
    if "学年" in text or "赛季" in text:
        text = _RE_SEASON_RANGE.sub(
            lambda m: _digits(m.group(1), yao=False) + "至" + _digits(m.group(2), yao=False), text
        )
    text = _RE_YEAR.sub(lambda m: _digits(m.group(1), yao=False), text)
    if "年" not in text:
        return _RE_GENERATION.sub(lambda m: _digits(m.group(1), yao=False), text) if "后" in text else text
    text = _RE_OLD_YEAR.sub(
        lambda m: m.group() if text.endswith(_DURATION_BEFORE, 0, m.start()) else _digits(m.group(1), yao=False),
        text,
    )
    if "后" in text:
        text = _RE_GENERATION.sub(lambda m: _digits(m.group(1), yao=False), text)
    return text


# Words saying which part of the day a clock time is in (the writer's own 12-hour form).
_DAYPART_LATE = ("下午", "晚上", "傍晚", "夜间", "夜里", "午后", "今晚", "明晚", "昨晚", "当晚", "深夜", "半夜",
                 "午夜", "中午")
_DAYPART_EARLY = ("上午", "早上", "早晨", "清晨", "凌晨", "今早", "明早", "当天早上")
_DAYPART_ALT = "|".join(sorted(_DAYPART_LATE + _DAYPART_EARLY, key=len, reverse=True))
_RE_TIME = re.compile(
    rf"((?:{_DAYPART_ALT})\s*)?(?<![0-9.])([0-9]{{1,2}}):([0-9]{{2}})(?::([0-9]{{2}}))?(?![0-9])"
    r"(?:\s*(?P<ampm>[aApP]\.?[mM]\.?)(?![A-Za-z]))?"
)
# What may stand between the two times of a range (到 was written by pass_ranges).
_RE_TIME_RANGE_GAP = re.compile(r"\s*(?:到|至)\s*(?:次日|第二天|翌日)?\s*")


_RE_RATIO = re.compile(r"(?<=[0-9])\s*:\s*(?=[0-9])")  # 1:1000 (not a clock time) → 一比一千
_SCORE_WORDS = ("比分", "战成", "比例", "配比", "比数")


def _is_score(text: str, start: int) -> bool:
    """比分定格在2:10: a score or ratio, not a clock time."""
    window = text[max(0, start - 8):start]
    return any(w in window for w in _SCORE_WORDS)


def _daypart(h: int, mi: int) -> tuple[str, int]:
    """The spoken part of the day and 12-hour hour of a 24-hour clock time."""
    if h == 0 and mi == 0:
        return "", 0  # 零点 (midnight) needs no 凌晨
    if h < 5:
        return "凌晨", h
    if h < 9:
        return "早上", h
    if h < 12:
        return "上午", h
    if h == 12:
        return "中午", 12
    if h < 18:
        return "下午", h - 12
    if h < 24:
        return "晚上", h - 12
    return "", h  # 24:00


def _clock(h: int, mi: int, sec: int) -> str:
    out = _int_to_cn(h, liang=True) + "点"
    if mi or sec:
        out += ("零" if 0 < mi < 10 else "") + _int_to_cn(mi) + "分"
    if sec:
        out += _int_to_cn(sec) + "秒"
    return out


def pass_times(text: str, ctx: _Context) -> str:
    """Clock times in the announcer's 12-hour form.

    15:30 → 下午三点三十分, 8:00到20:00 → 早上八点到晚上八点, 14:00到17:00 →
    下午两点到五点 (the second part of the day is said only when it changes);
    a written 下午/晚上/今晚 … is kept and the hour follows it (下午15:30 →
    下午三点三十分); 8:00 a.m. → 上午八点.  Times written with 时 (21时) are
    left to the number passes: official warnings say 二十一时.
    """
    if ":" not in text:
        return text
    previous: list[object] = [-1, ""]  # end of the last time read, its part of the day

    def repl(m: re.Match[str]) -> str:
        written, h, mi, s = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
        sec = int(s) if s is not None else 0
        if h > 24 or mi > 59 or sec > 59 or (written is None and _is_score(text, m.start())):
            return m.group()  # a score (比分2:10) is read with 比 below
        ampm = (m.group("ampm") or "").lower().replace(".", "")
        gap_start = previous[0]
        in_range = (
            isinstance(gap_start, int) and gap_start >= 0 and written is None
            and _RE_TIME_RANGE_GAP.fullmatch(text, gap_start, m.start()) is not None
        )
        if written:
            part = written.strip()
            hour = h - 12 if h > 12 and part in _DAYPART_LATE else h
            prefix = written
            said = "written:" + part
        elif ampm:
            if ampm == "am":
                part, hour = ("凌晨", 12) if h == 0 else ("上午", h)
            else:
                hour = h - 12 if h > 12 else h
                part = "中午" if hour == 12 else ("晚上" if hour >= 6 else "下午")
            prefix, said = part, part
        else:
            part, hour = _daypart(h, mi)
            prefix, said = part, part
            if in_range:
                before = str(previous[1])
                if before.startswith("written:"):
                    prefix, hour = "", (h - 12 if h > 12 else h)
                elif before == part:
                    prefix = ""
        previous[0], previous[1] = m.end(), said
        return prefix + _clock(hour, mi, sec)

    text = _RE_TIME.sub(repl, text)
    return _RE_RATIO.sub("比", text)


_RE_MONTH = re.compile(r"(?<![0-9.])(0?[1-9]|1[0-2])(?=\s*月)")
_RE_DAY = re.compile(r"(?<![0-9.])(0?[1-9]|[12][0-9]|3[01])(?=\s*[日号])")


def pass_months_days(text: str, ctx: _Context) -> str:
    """05月04日 → 五月四日 (months and days are plain numbers, 2 is 二)."""
    text = _RE_MONTH.sub(lambda m: _int_to_cn(int(m.group(1))), text)
    return _RE_DAY.sub(lambda m: _int_to_cn(int(m.group(1))), text)


_RE_PERCENT = re.compile(r"(?<![0-9])(?:([0-9]+(?:\.[0-9]+)?)\s*到\s*)?([0-9]+(?:\.[0-9]+)?)\s*([%‰])")
_PERCENT_WORD = {"%": "百分之", "‰": "千分之"}


def pass_percent(text: str, ctx: _Context) -> str:
    """95% → 百分之九十五, 5‰ → 千分之五, 10-20% → 百分之十到百分之二十."""
    def repl(m: re.Match[str]) -> str:
        word = _PERCENT_WORD[m.group(3)]
        out = word + _number_to_cn(m.group(2))
        if m.group(1):
            out = word + _number_to_cn(m.group(1)) + "到" + out
        return out

    return _RE_PERCENT.sub(repl, text)


_RE_RATE = re.compile(
    rf"(?<![0-9])([0-9]+(?:\.[0-9]+)?\s*(?:万|亿)?)\s*(元|块|次|人次|吨|公斤|千克|斤|立方米|方|度|千瓦时)"
    rf"((?:\s*/\s*(?:{_PER_ALT})(?![A-Za-z]))+)"
)
_RE_PHYSICAL_RATE = re.compile(
    r"(米|公里|千米|毫米|厘米|立方米|毫克|微克|克|公斤|升|吨)/(小时|秒|分钟|天|日|立方米|升)"
)
_UNIT_ALT = "|".join(re.escape(u) for u, _ in _UNITS)
_RE_UNIT = re.compile(rf"([0-9](?:\s*万|\s*亿)?)\s*({_UNIT_ALT})(?![A-Za-z0-9²³])")
_RE_LONE_UNIT = re.compile(r"℃|°C|℉")


def _rate_to_cn(m: re.Match[str]) -> str:
    pers = [p.strip() for p in m.group(3).split("/") if p.strip()]
    return "".join("每" + _PER_WORDS[p] for p in pers) + m.group(1) + m.group(2)


def pass_units(text: str, ctx: _Context) -> str:
    """3.5元/公斤 → 每公斤3.5元, 60km/h → 60公里每小时, 5kg → 5公斤, ℃ → 摄氏度."""
    if "/" in text:
        text = _RE_RATE.sub(_rate_to_cn, text)
    text = _RE_UNIT.sub(lambda m: m.group(1) + _UNIT_MAP[m.group(2)], text)
    if "/" in text:
        text = _RE_PHYSICAL_RATE.sub(r"\1每\2", text)
    return _RE_LONE_UNIT.sub(lambda m: _UNIT_MAP[m.group()], text)


_RE_FRACTION = re.compile(r"(?<![0-9./])([0-9]+)\s*/\s*([0-9]+)(?![0-9./])")


def pass_fractions(text: str, ctx: _Context) -> str:
    """1/3 → 三分之一."""
    if "/" not in text:
        return text
    return _RE_FRACTION.sub(
        lambda m: _int_to_cn(int(m.group(2))) + "分之" + _int_to_cn(int(m.group(1))), text
    )


_RE_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)*")


_ADDRESS_CHARS = set("村庄屯镇乡社区街路巷楼栋队")


def _read_number(m: re.Match[str]) -> str:
    token = m.group()
    parts = token.split(".")
    if len(parts) == 4 and all(len(p) <= 3 and int(p) <= 255 for p in parts):  # IP address 127.0.0.1
        return "点".join(_digits(p, yao=False) for p in parts)
    if len(parts) > 2:  # version 1.2.3
        return "点".join(_number_to_cn(_strip_num(p)) for p in parts)
    if len(parts) == 2:
        return _number_to_cn(token)
    if len(token) > 1 and token[0] == "0":  # 007, 0375: a code
        return _digits(token)
    if len(token) > _MAX_CARDINAL_DIGITS:
        return _digits(token)
    start = m.start()
    ordinal = start > 0 and m.string[start - 1] == "第"
    # 张庄村2组, 3号楼2单元: a number after a place name is a name, not a quantity
    ordinal = ordinal or (start > 0 and (m.string[start - 1] in _ADDRESS_CHARS or m.string[start - 1] == "±"))
    liang = (
        token == "2"
        and not ordinal
        and _RE_LIANG_AFTER.match(m.string, m.end()) is not None
    )
    return _int_to_cn(int(token), liang=liang)


def pass_numbers(text: str, ctx: _Context) -> str:
    """Remaining integers/decimals/versions: 35万 → 三十五万, 2人 → 两人, 2.0 → 二点零."""
    return _RE_NUMBER.sub(_read_number, text)


_SYMBOL_WORDS = {"+": "加", "×": "乘", "÷": "除以", "=": "等于", "&": "和", "≈": "约", "@": "艾特",
                 "≥": "大于等于", "≤": "小于等于", "°": "度", "±": "正负", "≠": "不等于"}
_RE_LE_GE = re.compile(r"([<>])\s*=")
_RE_SIMPLE_SYMBOL = re.compile("[" + re.escape("".join(_SYMBOL_WORDS)) + "]")
_RE_COMPARE = re.compile(rf"[<>]\s*(?=[{_CN_NUM}])")
_RE_CN_RANGE = re.compile(
    rf"(?<=[年月日号点分秒{_CN_NUM}])\s*(?:-|—{{1,2}}|–|~|～|〜)\s*(?=零下|[{_CN_NUM}])"
)
_RE_BRACKETS_QUOTES = re.compile(r"[()（）\[\]【】〔〕《》〈〉<>「」『』“”‘’\"'﹁﹂﹃﹄]")
_RE_SLASH = re.compile(r"\s*/\s*")
_RE_LEFTOVER = re.compile(r"[~～〜%‰*#|\\^]|(?<![A-Za-z])-|-(?![A-Za-z])")


_RE_BRACKETED = re.compile(r"([（(【\[])([^（）()【】\[\]\n]*)([)）】\]])")
_PAUSE_BEFORE = set("，。、；：！？,.;:!?…—\n")  # after these a bracket needs no pause of its own
_GLUE_CHARS = 5  # (街道), (试行), (星期五), (八到十级) are read straight on


def _bracket_pause(m: re.Match[str]) -> str:
    """A bracketed aside is read with a pause before and after it (never glued to the next words).

    Short round-bracket glosses stay glued: 各乡镇（街道）→ 各乡镇街道.
    """
    opening, inner, closing = m.groups()
    if opening in "（(" and len(inner.strip()) <= _GLUE_CHARS:
        return inner
    text, start, end = m.string, m.start(), m.end()
    before = "" if start == 0 or text[start - 1] in _PAUSE_BEFORE else "，"
    after = "" if end == len(text) or text[end] in _PAUSE_BEFORE else "，"
    inner = inner.strip().rstrip("，、；：,;:")
    return before + inner + after if inner else ""


def pass_symbols(text: str, ctx: _Context) -> str:
    """+ → 加; dashes between numbers → 到; brackets read as pauses, quotes dropped (words kept)."""
    if "=" in text:
        text = _RE_LE_GE.sub(lambda m: "≤" if m.group(1) == "<" else "≥", text)
    text = _RE_COMPARE.sub(lambda m: "小于" if m.group()[0] == "<" else "大于", text)
    text = _RE_SIMPLE_SYMBOL.sub(lambda m: _SYMBOL_WORDS[m.group()], text)
    if ctx.had_digits:  # a dash left between numbers we converted
        text = _RE_CN_RANGE.sub("到", text)
    if "（" in text or "(" in text or "【" in text or "[" in text:
        text = _RE_BRACKETED.sub(_bracket_pause, text)
    text = _RE_BRACKETS_QUOTES.sub("", text)
    if "/" in text:
        text = _RE_SLASH.sub("或", text)
    return _RE_LEFTOVER.sub("", text)


_RE_DIGIT = re.compile(r"[0-9]")
_RE_ANY_DIGIT = re.compile(r"[0-9０-９]")

# (name, pass, needs a digit to do anything)
PIPELINE: tuple[tuple[str, Callable[[str, _Context], str], bool], ...] = (
    ("fullwidth", pass_fullwidth, False),
    ("bylines", pass_bylines, False),
    ("urls_emails", pass_urls_emails, False),
    ("markers", pass_markers, True),
    ("phones_codes", pass_phone_and_codes, True),
    ("plates_rooms_docs", pass_plates_rooms_docs, True),
    ("thousands", pass_thousands, True),
    ("iso_dates", pass_iso_dates, True),
    ("ranges", pass_ranges, True),
    ("negatives", pass_negatives, True),
    ("years", pass_years, True),
    ("times", pass_times, True),
    ("months_days", pass_months_days, True),
    ("percent", pass_percent, True),
    ("units", pass_units, False),
    ("fractions", pass_fractions, True),
    ("numbers", pass_numbers, True),
    ("symbols", pass_symbols, False),
)
PASS_NAMES = tuple(name for name, _, _ in PIPELINE)

_MODES = ("speak", "script")
# In a script every line is said as a sentence of its own: a line that ends in a colon
# or a comma ends there (the caller closes it with 。), never with "：。".
_RE_LINE_END_PAUSE = re.compile(r"[ \t]*[：:，,、；;][ \t]*(?=\n|$)")


def normalize(
    text: str, *, mode: str = "speak", keep: Iterable[str] = ()
) -> tuple[str, list[SpeechNote]]:
    """Rewrite ``text`` into its spoken form.

    ``mode="speak"`` spells URLs/e-mails out; ``mode="script"`` removes them and
    reports a :class:`SpeechNote` for each.  Words in ``keep`` are left as is.
    """
    if mode not in _MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {_MODES}")
    ctx = _Context(mode=mode)
    text = _protect_keep(text, ctx, keep)
    ctx.had_digits = _RE_ANY_DIGIT.search(text) is not None
    for _name, fn, needs_digit in PIPELINE:
        if needs_digit and not _RE_DIGIT.search(text):
            continue
        text = fn(text, ctx)
    if mode == "script":
        text = _RE_LINE_END_PAUSE.sub("", text)
    return _restore(text, ctx), ctx.notes


def to_spoken(text: str, *, keep: Iterable[str] = ()) -> str:
    """The spoken form of ``text`` (``normalize(text, mode="speak")[0]``)."""
    return normalize(text, mode="speak", keep=keep)[0]


_RE_UNSPOKEN = re.compile(
    r"[0-9０-９]+|[%％‰℃~～/／()（）\[\]【】〔〕《》<>〈〉「」『』“”‘’\"']"
)


def has_unspoken(text: str, keep: Iterable[str] = ()) -> list[str]:
    """Fragments of ``text`` a loudspeaker reader cannot say as written.

    Returns leftover Arabic digit runs (ASCII or full-width) and symbols such as
    % ℃ / brackets and quote marks, ignoring anything inside ``keep`` words.
    """
    for word in sorted({w for w in keep if w}, key=len, reverse=True):
        text = text.replace(word, " ")
    return _RE_UNSPOKEN.findall(text)


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------


def _utf8_stream(stream: io.TextIOBase) -> io.TextIOBase:
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(encoding="utf-8")
        except (ValueError, io.UnsupportedOperation):  # pragma: no cover - already in use
            pass
    return stream


def _read_stdin() -> str:
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        return buffer.read().decode("utf-8", errors="replace")
    return sys.stdin.read()


def main(argv: list[str] | None = None) -> int:
    """``speak "文本"`` prints the spoken form; without text, reads stdin line by line."""
    parser = argparse.ArgumentParser(
        prog="speak", description="把通知文字转换为广播朗读文本（村村响／应急广播）。"
    )
    parser.add_argument("text", nargs="*", help="要转换的文字；省略时从标准输入逐行读取")
    parser.add_argument("--mode", choices=_MODES, default="speak",
                        help="speak：网址邮箱逐字读出；script：删除网址邮箱并提示")
    parser.add_argument("--keep", action="append", default=[], metavar="WORD",
                        help="保持原样的词（可重复），如 5G")
    args = parser.parse_args(argv)

    out = _utf8_stream(sys.stdout)
    err = _utf8_stream(sys.stderr)
    lines = [" ".join(args.text)] if args.text else _read_stdin().splitlines()
    for line in lines:
        spoken, notes = normalize(line, mode=args.mode, keep=args.keep)
        out.write(spoken + "\n")
        if notes:
            out.flush()
            for note in notes:
                err.write(f"提示[{note.code}]：{note.message}\n")
            err.flush()
    out.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
