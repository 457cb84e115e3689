"""CAP 1.2 (OASIS Common Alerting Protocol) alerts for 蓝色 … 红色 scripts.

Element order and values follow the OASIS CAP 1.2 specification:
alert = identifier, sender, sent, status, msgType, [source], scope, [restriction],
[addresses], [code]*, [note], [references], [incidents], info*;
info = language, category+, event, [responseType]*, urgency, severity, certainty,
[audience], [eventCode]*, [effective], [onset], [expires], [senderName], [headline],
[description], [instruction], [web], [contact], [parameter]*, [resource]*, area*;
area = areaDesc, [polygon]*, [circle]*, [geocode]*, [altitude], [ceiling].

msgType is ``Alert`` while the warning is in force and ``Cancel`` once its
validity window has ended (an editor lifts a warning early by moving
``expires``/``valid_until`` to the lifting time); a Cancel has its own
identifier and references the original alert.
"""

from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import escape

from .. import urls
from .script import Script

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
SEVERITY = {"红色": "Extreme", "橙色": "Severe", "黄色": "Moderate", "蓝色": "Minor"}
URGENCY = {"红色": "Immediate", "橙色": "Immediate", "黄色": "Expected", "蓝色": "Expected"}
CERTAINTY = "Likely"
# (keywords in title/body, CAP category); first match wins, default Safety.
CATEGORIES = (
    (("寒潮", "暴雨", "暴雪", "大风", "高温", "冰雹", "雷电", "大雾", "霜冻", "道路结冰", "干旱", "气象", "台风"), "Met"),
    (("洪水", "山洪", "地质灾害", "滑坡", "泥石流", "地震", "防汛"), "Geo"),
    (("火灾", "森林火险", "消防", "秸秆"), "Fire"),
    (("疫情", "传染", "病例", "核酸", "疫苗", "食物中毒"), "Health"),
    (("交通", "道路", "封闭", "绕行"), "Transport"),
    (("停水", "停电", "停气", "供水", "供电"), "Infra"),
    (("污染", "水质", "空气质量"), "Env"),
)


def cap_time(dt: datetime) -> str:
    """CAP dateTime: 2026-11-27T16:30:00+08:00 (no fractions; UTC written -00:00)."""
    text = dt.replace(microsecond=0).isoformat()
    return text[:-6] + "-00:00" if text.endswith("+00:00") else text


def category(script: Script) -> str:
    haystack = script.title + script.body_text
    for words, name in CATEGORIES:
        if any(w in haystack for w in words):
            return name
    return "Safety"


def event(script: Script) -> str:
    title = script.title
    for level in ("红色", "橙色", "黄色", "蓝色"):
        if level + "预警" in title:
            head = title.split(level + "预警")[0]
            head = head.split("发布")[-1].strip()
            if head:
                return head
    return title


def identifier(script: Script, sender: str) -> str:
    return f"{sender}.{script.slug}.{script.valid_from:%Y%m%d%H%M}"


def cap_document(script: Script, sender: str, base_url: str, area_name: str) -> bytes:
    original = identifier(script, sender)
    original_sent = cap_time(script.valid_from)
    cancel = script.expired
    ident = original + ".cancel" if cancel else original
    sent = cap_time(script.valid_until) if cancel else original_sent

    def el(name: str, value: str, indent: int) -> str:
        return f"{'  ' * indent}<{name}>{escape(value)}</{name}>"

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<alert xmlns="{CAP_NS}">',
             el("identifier", ident, 1), el("sender", sender, 1), el("sent", sent, 1),
             el("status", "Actual", 1), el("msgType", "Cancel" if cancel else "Alert", 1),
             el("scope", "Public", 1)]
    if cancel:
        lines.append(el("references", f"{sender},{original},{original_sent}", 1))
    lines += ["  <info>", el("language", "zh-CN", 2), el("category", category(script), 2),
              el("event", event(script), 2)]
    if cancel:
        lines.append(el("responseType", "AllClear", 2))
    lines += [el("urgency", "Past" if cancel else URGENCY[script.level], 2),
              el("severity", SEVERITY[script.level], 2), el("certainty", CERTAINTY, 2),
              el("effective", cap_time(script.valid_from), 2), el("expires", cap_time(script.valid_until), 2),
              el("senderName", script.issuer, 2), el("headline", script.title, 2),
              el("description", script.text, 2)]
    if script.key:
        lines.append(el("instruction", script.key, 2))
    lines.append(el("web", urls.absolute(base_url, script.page), 2))
    if script.contact:
        lines.append(el("contact", script.contact, 2))
    lines.append("    <area>")
    names = "、".join(r.name for r in script.regions) or area_name
    lines.append(el("areaDesc", names, 3))
    for region in script.regions:
        lines += ["      <geocode>", el("valueName", "统计用区划代码", 4), el("value", region.code, 4), "      </geocode>"]
    lines += ["    </area>", "  </info>", "</alert>"]
    return ("\n".join(lines) + "\n").encode("utf-8")
