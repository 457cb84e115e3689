"""Automatic draft composition: from a notice body to a short loudspeaker text.

Pure functions over text.  The draft keeps what a villager needs to hear —
who, what, when, where, and what to do (sentences with times, places, 请 /
要 / 务必 / 不得 / 禁止 and phone numbers) — and leaves out the political
preamble (精神, 部署, 讲话 …) and instructions addressed to officials.
Sentences are kept whole or by clauses, in document order, within a length
budget.  A draft goes on air only after a person approves it (see :mod:`.script`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html

BLOCK_TAGS = {"p", "li", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "dd", "dt", "figcaption"}
SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")
CLAUSE_SPLIT = re.compile(r"(?<=[，,：:])")
PUNCT = set("，。、；：！？,.;:!?（）()“”‘’\"'《》【】〔〕—…·- \u3000\t\n")

# Words marking a clause as political preamble or as addressed to officials.
POLITICAL = (
    "精神", "贯彻", "讲话", "指示", "思想", "作风", "党", "政治", "使命", "担当", "阻击战", "答卷", "堡垒",
    "模范", "勠力同心", "众志成城", "同频共振", "氛围", "典型", "舆情", "问责", "追责", "督导", "督查",
    "出席", "主持", "指出", "强调", "部署", "调度", "研判", "机制", "专班", "领导", "成果", "不折不扣",
    "以上率下", "靠前指挥", "亲力亲为", "底线", "压实", "高度重视", "重要性", "清醒认识", "克服", "麻痹",
    "松劲", "行动指南", "优良", "大好形势", "责任感", "紧迫感", "统筹", "系统思维", "环境", "凝聚",
    "应对", "台账", "底数", "有效的管控", "漏洞", "研究政策", "物资储备", "转运", "应管尽管", "检查验收",
    "政策告知", "有关内容", "情况汇报", "杜绝",
    "合力", "辛勤", "考验", "战场", "能力", "导向", "再安排", "常态化", "收看", "会议精神", "省委",
    "市委", "县委", "副书记", "市长", "县长", "书记", "同志", "讲", "要求", "认真", "扎实", "切实",
)
OFFICIALS = (
    "各级", "各部门", "有关部门", "主管部门", "部门要", "系统要", "各乡镇", "各单位", "党员干部", "主要领导",
    "指挥部", "各工作", "医护人员", "卫健", "院感", "教育系统", "行业主管", "政府", "办事处",
)
ACTION = ("请", "务必", "不得", "禁止", "严禁", "非必要不", "切勿", "不要", "尽量", "避免", "注意", "做好",
          "佩戴", "检测", "接种", "报备", "拨打", "携带", "关闭", "储水", "减少", "远离", "转移", "停水",
          "停电", "放假", "暂停", "需", "应当", "要")
# Digit runs are tried from their first digit only (``(?<!…)``): from every digit, a run of
# 20,000 digits cost O(run) each time (12 s); "现将…如下" spans at most 200 characters.
TIME_RE = re.compile(r"(?<![0-9０-９])[0-9０-９]+\s*(?:月|日|号|时|点|:|：)|[上下]午|早晨|晚上|凌晨|中午|今天|明天|即日起|期间|之前|以前|前")
PLACE_RE = re.compile(r"(?:路|街|村|社区|镇|乡|小区|医院|学校|广场|中心|市场|商超|公园|景点|水库|河道|路段|区域|卫生院)")
PHONE_RE = re.compile(r"(?:电话|热线|拨打)[：:\s]*[0-9（(][0-9\-－—（）() ]{2,}[0-9]|0[0-9]{2,3}[-－—][0-9]{7,8}"
                      r"|(?<![0-9])1[2-9][0-9]{9}(?![0-9])|(?<![0-9])[48]00[-－]?[0-9]{3}[-－]?[0-9]{3,4}(?![0-9])")
LOCAL_RE = re.compile(r"我市|本市|我县|本县|我区|本区")
MARKER_RE = re.compile(r"^\s*(?:[一二三四五六七八九十]+是|[0-9]+[.、．]|[（(][一二三四五六七八九十0-9]+[)）])\s*")
SALUTATION_RE = re.compile(r"^(?:尊敬的[^：:]{0,12}|各[^：:]{0,40}(?:政府|办事处|部门|单位|村民|居民)[^：:]{0,20})[：:]$")
_ORG = r"[^，。,]{2,30}?(?:公司|政府|办公室|中心|局|委员会|气象台|指挥部|办事处)"
_DATE = r"[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日"
SIGNATURE_RE = re.compile(rf"^(?:{_ORG}|{_DATE}|{_ORG}\s*{_DATE})。?$")
FRAMING_RE = re.compile(r"^(?:为了?|就|面对|根据|按照|围绕|对照|经)[^，,]*[，,]$|现将.{0,200}?如下|特此|如下[：:。]?$")
ENUMERATION_RE = re.compile(r"(?:[^、，,。：:；;]{2,14}、){2,}[^、，,。：:；;]{2,14}")  # 甲、乙、丙 (three or more)
STRONG = ("请", "务必", "不得", "禁止", "严禁", "非必要不", "切勿", "不要")
RESIDENT = ("群众", "居民", "村民", "市民", "用户", "人员", "家中", "户", "师生", "老人", "儿童", "返")


def _alternation(words) -> re.Pattern:
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


# One regex per word list: a single scan instead of one substring test per word.
POLITICAL_RE = _alternation(POLITICAL)
OFFICIALS_RE = _alternation(OFFICIALS)
ACTION_RE = _alternation(ACTION)
STRONG_RE = _alternation(STRONG)
RESIDENT_RE = _alternation(RESIDENT)
_DROP_RE = _alternation(OFFICIALS + POLITICAL)  # clauses addressed to officials or political preamble
_UNSPOKEN = {ord(ch): None for ch in PUNCT}


def count_chars(text: str) -> int:
    """Spoken length in 字: every character except punctuation and spaces."""
    return len(text.translate(_UNSPOKEN))


class FactList(str):
    """A block holding a whole list of places, roads, villages or times: kept whole, never cut."""


LIST_TAGS = {"ul", "ol", "table"}
_UNITS = (("时段", TIME_RE), ("处", PLACE_RE))
_CN_COUNT = "零一二三四五六七八九十"


def _count_word(n: int) -> str:
    if n <= 10:
        return _CN_COUNT[n]
    tens, ones = divmod(n, 10)
    if n >= 100:
        return str(n)
    return ("" if tens == 1 else _CN_COUNT[tens]) + "十" + (_CN_COUNT[ones] if ones else "")


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text) if re.search(r"[\u4e00-\u9fff]", text) else " ".join(text.split())


def _list_items(element) -> list[str]:
    """The items of an ol/ul (one per li) or a table (one per body row, cells joined by commas)."""
    items: list[str] = []
    if element.tag == "table":
        for row in element.iter("tr"):
            parent = row.getparent()
            cells = [c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]
            if (parent is not None and parent.tag == "thead") or (cells and all(c.tag == "th" for c in cells)):
                continue  # the header row labels the columns
            text = "，".join(t for t in (_flat(c.text_content()).strip("，,；;。") for c in cells) if t)
            if text:
                items.append(text)
        return items
    for li in element:
        if isinstance(li.tag, str) and li.tag == "li":
            text = MARKER_RE.sub("", _flat(li.text_content())).strip().rstrip("；;。，,、")
            if text:
                items.append(text)
    return items


def fact_list(lead: str, items: list[str]) -> str:
    """A lead ("对以下区域临时停水：") and every item as one sentence: "……，共四处：甲、乙、丙、丁。"."""
    lead = lead.rstrip("：:，, ")
    if len(items) == 1:
        return FactList((lead + "：" if lead else "") + items[0] + "。")
    short = all(count_chars(i) <= 14 and not re.search(r"[，,。；;]", i) for i in items)
    joined = ("、" if short else "；").join(items)
    unit = "项"
    for word, pattern in _UNITS:
        if sum(1 for i in items if pattern.search(i)) * 2 > len(items):
            unit = word
            break
    count = f"共{_count_word(len(items))}{unit}："
    return FactList((f"{lead}，{count}" if lead else count) + joined + "。")


def html_blocks(html: str) -> list[str]:
    """Plain text of each block (paragraph, list, table) of a rendered body.

    Headings are left out (they are labels, not sentences), and so is the 落款
    (``p.closing``: the script has its own close).  A list or table of places,
    roads, villages or times -- or any list after a paragraph ending in a colon --
    becomes one :class:`FactList` sentence holding every item.
    """
    if not html.strip():
        return []
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    blocks: list[str] = []
    for element in root.iter():
        tag = element.tag
        if not isinstance(tag, str) or (tag not in BLOCK_TAGS and tag not in LIST_TAGS):
            continue
        if any(isinstance(a.tag, str) and (a.tag in BLOCK_TAGS or a.tag in LIST_TAGS) for a in element.iterancestors()):
            continue  # nested: the outer block has the text
        if tag in LIST_TAGS:
            items = _list_items(element)
            if not items:
                continue
            lead = blocks[-1] if blocks and blocks[-1].endswith(("：", ":")) else ""
            factual = sum(1 for i in items if PLACE_RE.search(i) or TIME_RE.search(i)) * 2 > len(items)
            if lead or factual or tag == "table":
                if lead:
                    blocks.pop()
                blocks.append(fact_list(lead, items))
            else:  # a list of instructions: each item its own sentence
                blocks.extend(item + "。" for item in items)
            continue
        if "closing" in (element.get("class") or "").split() or tag.startswith("h"):
            continue
        text = _flat(element.text_content())
        if text:
            blocks.append(text)
    return blocks


@dataclass(frozen=True)
class Candidate:
    index: int
    text: str
    score: int
    action: bool
    whole: bool = False  # a fact list: always kept, never cut


def _clause_kind(clause: str) -> str:
    if FRAMING_RE.search(clause.strip()) or _DROP_RE.search(clause):
        return "drop"
    return "keep"


def _score(text: str) -> tuple[int, bool]:
    score = 0
    polite = text.replace("敬请谅解", "")
    strong = STRONG_RE.search(polite) is not None
    weak = not strong and ACTION_RE.search(polite) is not None
    if strong:
        score += 3
    elif weak:
        score += 1
    if TIME_RE.search(text):
        score += 2
    if PLACE_RE.search(text):
        score += 1
    if RESIDENT_RE.search(text):
        score += 1
    if PHONE_RE.search(text):
        score += 3
    return score, strong


def sentences_of(blocks: list[str]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, FactList):
            out.append(block)
            continue
        if SALUTATION_RE.match(block) or SIGNATURE_RE.match(block):
            continue
        for sentence in SENTENCE_END.split(block):
            sentence = MARKER_RE.sub("", sentence.strip())
            if sentence:
                out.append(sentence)
    return out


# A loudspeaker draft is chosen from the first MAX_SENTENCES sentences (a notice of 1 MB of
# "!" has a million): the draft's cost stays bounded whatever the body holds.
MAX_SENTENCES = 2000


def candidates(blocks: list[str], locality: str = "") -> list[Candidate]:
    """Sentences reduced to their useful clauses, scored; a fact list is kept whole."""
    found: list[Candidate] = []
    lead_given = False
    for index, sentence in enumerate(sentences_of(blocks)[:MAX_SENTENCES]):
        whole = isinstance(sentence, FactList)
        if locality:
            sentence = LOCAL_RE.sub(locality, sentence)
        if whole:
            score, action = _score(sentence)
            found.append(Candidate(index, sentence, score + 3, action, True))
            lead_given = lead_given or bool(TIME_RE.search(sentence))
            continue
        if ENUMERATION_RE.search(sentence) and PLACE_RE.search(sentence) and not _DROP_RE.search(sentence):
            # "停水范围：建设路、湖滨大道、朝阳社区、跃进路": an enumeration of places is kept whole
            text = sentence.strip().rstrip("。！？!?；;") + "。"
            score, action = _score(text)
            found.append(Candidate(index, text, score + 3, action, True))
            continue
        clauses = [c for c in CLAUSE_SPLIT.split(sentence) if c.strip()]
        kept = [c for c in clauses if _clause_kind(c) == "keep"]
        if not kept:
            continue
        text = "".join(kept).strip()
        text = text.lstrip("，,：:、")
        text = text.rstrip("，,：:、；;")  # not re.sub("[…]+$"): quadratic on a long run of commas
        text = text.rstrip("。！？!?")
        if count_chars(text) < 4:
            continue
        score, action = _score(text)
        if not lead_given and TIME_RE.search(text):
            score += 1  # the first dated sentence says what happens when
            lead_given = True
        if score < 3:
            continue
        # a sentence that lost most of its clauses to the filter is worth less
        if len(kept) < len(clauses) / 2:
            score -= 1
        found.append(Candidate(index, text + "。", score, action))
    return found


def select(found: list[Candidate], budget: int) -> list[Candidate]:
    """Every fact list, then the best-scoring sentences that fit in ``budget`` 字, in document order."""
    chosen = [c for c in found if c.whole]
    used = sum(count_chars(c.text) for c in chosen)
    for cand in sorted(found, key=lambda c: (-c.score, c.index)):
        if cand.whole:
            continue
        n = count_chars(cand.text)
        if used + n <= budget:
            chosen.append(cand)
            used += n
    return sorted(chosen, key=lambda c: c.index)


def compose_draft(body_html: str, summary: str, locality: str, budget: int) -> list[str]:
    """Sentences of an automatic draft (written form, not yet normalized)."""
    found = candidates(html_blocks(body_html), locality)
    chosen = select(found, budget)
    if not chosen and summary:
        text = LOCAL_RE.sub(locality, summary) if locality else summary
        chosen = select(candidates([text.rstrip("…") + "。"], locality), budget)
        if not chosen and substantive(text):
            chosen = [Candidate(0, text, 0, False)]
    return [c.text for c in chosen]


def substantive(text: str) -> bool:
    """Is there anything to hear besides a salutation (各乡镇人民政府…：), a heading or a 落款?"""
    rest = []
    for sentence in re.split(r"(?<=[。！？!?：:；;\n])", text):
        sentence = sentence.strip().rstrip("…")
        if not sentence or SALUTATION_RE.match(sentence) or SIGNATURE_RE.match(sentence):
            continue
        if sentence.endswith(("：", ":")) or (FRAMING_RE.search(sentence) and count_chars(sentence) <= 20):
            continue  # a lead-in ("经市人民政府研究决定：", "现将有关事项通知如下") says nothing alone
        rest.append(sentence)
    return count_chars("".join(rest)) >= 6


LABEL_RE = re.compile(r"^[^，。：:]{1,8}[：:]")


def key_action(sentences: list[str]) -> str:
    """The sentence that asks the most of residents (for repetition), or ''."""
    best, best_score = "", 0
    for sentence in sentences:
        sentence = LABEL_RE.sub("", sentence)
        strong = sum(sentence.count(w) for w in ("请", "务必", "不得", "禁止", "严禁", "非必要不", "切勿"))
        if strong > best_score:
            best, best_score = sentence, strong
    if best.endswith(("，", ",", "；", ";")):  # a piece of a long sentence split at a comma
        best = best.rstrip("，,；;") + "。"
    return best


def split_long(sentence: str, limit: int) -> list[str]:
    """Split a sentence longer than ``limit`` 字 at commas into several balanced pieces.

    The commas stay commas (the pieces still read as one sentence, never as fragments
    closed by a full stop); only the last piece carries the sentence end."""
    total = count_chars(sentence)
    if total <= limit:
        return [sentence]
    end = sentence[-1] if sentence[-1] in "。！？" else "。"
    body = sentence.rstrip("。！？")
    clauses = [c for c in re.split(r"(?<=[，,；;])", body) if c]
    pieces = -(-total // limit)  # ceil
    target = total / pieces
    out: list[str] = []
    current = ""
    for clause in clauses:
        size, extra = count_chars(current), count_chars(clause)
        if current and size + extra > limit and (size >= target * 0.6 or size + extra > limit * 1.6):
            out.append(current)
            current = ""
        current += clause
    if current:
        out.append(current.rstrip("，,；;") + end)
    return out


def split_sentences(text: str, limit: int) -> list[str]:
    """Sentences of a spoken text, each at most about ``limit`` 字."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        for sentence in SENTENCE_END.split(paragraph.strip()):
            sentence = sentence.strip()
            if not sentence:
                continue
            if sentence[-1] not in "。！？；;":
                sentence += "。"
            sentence = sentence[:-1] + "。" if sentence[-1] in "；;" else sentence
            out.extend(split_long(sentence, limit))
    return out


def trim(sentences: list[str], budget: int) -> list[str]:
    """Keep whole sentences from the start while they fit; cut the last at a comma if needed."""
    out: list[str] = []
    used = 0
    for sentence in sentences:
        n = count_chars(sentence)
        if used + n <= budget:
            out.append(sentence)
            used += n
            continue
        clauses = re.split(r"(?<=[，,])", sentence)
        part = ""
        for clause in clauses:
            if used + count_chars(part + clause) > budget:
                break
            part += clause
        if count_chars(part) >= 4:
            out.append(part.rstrip("，,") + "。")
        break
    return out
