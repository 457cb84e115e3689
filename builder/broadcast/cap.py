"""CAP 1.2 (OASIS Common Alerting Protocol) alerts for approved 蓝色 … 红色 scripts.

Element order and values follow the OASIS CAP 1.2 specification (tests validate
every file against the OASIS XSD):
alert = identifier, sender, sent, status, msgType, [source], scope, [restriction],
[addresses], [code]*, [note], [references], [incidents], info*;
info = language, category+, event, [responseType]*, urgency, severity, certainty,
[audience], [eventCode]*, [effective], [onset], [expires], [senderName], [headline],
[description], [instruction], [web], [contact], [parameter]*, [resource]*, area*;
area = areaDesc, [polygon]*, [circle]*, [geocode]*, [altitude], [ceiling].

Versions.  The identifier names one version of an alert: sender, slug, start of
validity and a digest of everything a consumer acts on (level, headline, text,
instruction, area, validity).  A changed warning therefore gets a new identifier;
when the previous version is known -- the CAP file the previous build published in
``output/broadcast/`` (read as data, never executed) -- the new one is
``msgType Update`` whose ``references`` lists every earlier version.  On a fresh
machine (no previous output) a changed warning is sent as a new ``Alert``.
Rebuilding an unchanged version keeps its ``sent`` time and references.

Ending.  Once a warning's validity window is over, or its notice is withdrawn,
the file becomes a ``Cancel``: its own identifier, ``sent`` at the moment the warning
ended (not the build's clock: two builds of the same input agree), its own validity
(24 hours from then, so it is in force when it arrives), an all-clear headline and
description, and references to every version.

Drafts awaiting review get no CAP file at all (never ``Actual``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import lxml.etree

from .. import urls
from ..cache import digest
from .script import Script
from .speech import to_spoken

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
SEVERITY = {"红色": "Extreme", "橙色": "Severe", "黄色": "Moderate", "蓝色": "Minor"}
URGENCY = {"红色": "Immediate", "橙色": "Immediate", "黄色": "Expected", "蓝色": "Expected"}
CERTAINTY = "Likely"
CANCEL_VALID = timedelta(hours=24)  # how long a Cancel (all clear) stays in force
# (keywords in title/body, CAP category); first match wins, default Safety.
# CAP 1.2: Met = "Meteorological (inc. flood)"; Geo = geophysical (landslide, earthquake).
CATEGORIES = (
    (("寒潮", "暴雨", "暴雪", "大风", "高温", "冰雹", "雷电", "大雾", "霜冻", "道路结冰", "干旱", "气象", "台风",
      "洪水", "山洪", "防汛", "汛情", "洪涝", "内涝", "积涝", "水文", "强降雨", "降雨"), "Met"),
    (("地质灾害", "滑坡", "泥石流", "崩塌", "地震"), "Geo"),
    (("火灾", "森林火险", "消防", "秸秆"), "Fire"),
    (("疫情", "传染", "病例", "核酸", "疫苗", "食物中毒"), "Health"),
    (("交通", "道路", "封闭", "绕行"), "Transport"),
    (("停水", "停电", "停气", "供水", "供电"), "Infra"),
    (("污染", "水质", "空气质量"), "Env"),
)
MAX_PREVIOUS_BYTES = 512 * 1024  # a previous CAP file larger than this is not ours: ignored


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


def version_digest(script: Script, area: str) -> str:
    """8 hex digits of what a consumer acts on (level, headline, text, instruction, area, validity):
    a new value means a new version of the alert.  The contact number is not part of it."""
    return digest("cap", script.level, script.title, script.body_text, script.key, area,
                  cap_time(script.valid_from), cap_time(script.valid_until), script.issuer)[:8]


def identifier(script: Script, sender: str, area: str) -> str:
    return f"{sender}.{script.slug}.{script.valid_from:%Y%m%d%H%M}.{version_digest(script, area)}"


@dataclass(frozen=True)
class Published:
    """What the previous build published for an alert (read from its CAP file)."""

    identifier: str
    sender: str
    sent: str
    msg_type: str
    references: tuple[str, ...]  # "sender,identifier,sent" triples


def read_published(path: Path) -> Published | None:
    """The previous build's CAP file, parsed as data (no entities, no network, size-capped), or None."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_PREVIOUS_BYTES:
            return None
        parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        root = lxml.etree.fromstring(path.read_bytes(), parser)
    except (OSError, lxml.etree.XMLSyntaxError, ValueError):
        return None
    q = "{" + CAP_NS + "}"
    ident, sender, sent, msg_type = (root.findtext(q + name) or ""
                                     for name in ("identifier", "sender", "sent", "msgType"))
    if root.tag != q + "alert" or not ident or not sent or msg_type not in ("Alert", "Update", "Cancel"):
        return None
    refs = tuple((root.findtext(q + "references") or "").split())
    return Published(ident, sender, sent, msg_type, refs)


def _parse_cap_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("-00:00", "+00:00"))
    except ValueError:
        return None


def _first_sent(script: Script) -> datetime:
    """``sent`` of a version known from no previous file: the notice's publication time."""
    return script.notice_date


def cap_document(script: Script, sender: str, base_url: str, area_name: str, now: datetime,
                 previous: Published | None = None) -> bytes:
    """The CAP file of an approved emergency script, given what the previous build published."""
    area = "、".join(r.name for r in script.regions) or area_name
    ident = identifier(script, sender, area)
    tz = script.valid_from.tzinfo
    now = now.astimezone(tz).replace(microsecond=0)
    chain: list[str] = []  # every earlier version, oldest first
    if previous is not None and previous.sender != sender:
        previous = None  # another sender's alert (cap_sender changed): not a version of this one
    if previous is not None:
        chain = [r for r in previous.references]
        if previous.msg_type != "Cancel":
            own = f"{sender},{previous.identifier},{previous.sent}"
            if previous.identifier != ident and own not in chain:
                chain.append(own)

    if script.ended:
        cancel_id = ident + ".cancel"
        if previous is not None and previous.identifier == cancel_id:
            sent_text, refs = previous.sent, list(previous.references)
        else:
            # sent when the warning ended (the end of validity, or the withdrawal, which sets valid_until):
            # a fact of the input, so two builds agree; its own 24-hour validity keeps it in force on arrival
            sent_text = cap_time(script.valid_until.astimezone(tz).replace(microsecond=0))
            if previous is not None and previous.msg_type != "Cancel":
                refs = list(previous.references) + [f"{sender},{previous.identifier},{previous.sent}"]
            else:  # nothing published before (a fresh machine): the version this notice describes
                refs = [f"{sender},{ident},{cap_time(_first_sent(script))}"]
        return _document(script, sender, base_url, area, cancel_id, sent_text, "Cancel", refs, cancel=True)

    if previous is not None and previous.identifier == ident:
        sent_text, msg_type, refs = previous.sent, previous.msg_type, list(previous.references)
    elif previous is not None and previous.msg_type != "Cancel":
        prev_sent = _parse_cap_time(previous.sent)
        sent_dt = now if prev_sent is None else max(now, prev_sent + timedelta(seconds=1))
        sent_text, msg_type, refs = cap_time(sent_dt), "Update", chain
    else:
        sent_text, msg_type, refs = cap_time(_first_sent(script)), "Alert", []
    return _document(script, sender, base_url, area, ident, sent_text, msg_type, refs, cancel=False)


def _document(script: Script, sender: str, base_url: str, area: str, ident: str, sent: str, msg_type: str,
              refs: list[str], cancel: bool) -> bytes:
    def el(name: str, value: str, indent: int) -> str:
        return f"{'  ' * indent}<{name}>{escape(value)}</{name}>"

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<alert xmlns="{CAP_NS}">',
             el("identifier", ident, 1), el("sender", sender, 1), el("sent", sent, 1),
             el("status", "Actual", 1), el("msgType", msg_type, 1), el("scope", "Public", 1)]
    if refs:
        lines.append(el("references", " ".join(refs), 1))
    name = event(script)
    lines += ["  <info>", el("language", "zh-CN", 2), el("category", category(script), 2), el("event", name, 2)]
    if cancel:
        sent_dt = _parse_cap_time(sent)
        ended = "撤回" if script.withdrawn else "解除"
        lines += [el("responseType", "AllClear", 2), el("urgency", "Past", 2), el("severity", "Minor", 2),
                  el("certainty", "Observed", 2), el("effective", sent, 2),
                  el("expires", cap_time(sent_dt + CANCEL_VALID) if sent_dt else sent, 2),
                  el("senderName", script.issuer, 2),
                  el("headline", f"{script.issuer}{name}{script.level}预警已{ended}", 2),
                  el("description", _all_clear(script, name, ended), 2)]
    else:
        lines += [el("urgency", URGENCY[script.level], 2), el("severity", SEVERITY[script.level], 2),
                  el("certainty", CERTAINTY, 2), el("effective", cap_time(script.valid_from), 2),
                  el("expires", cap_time(script.valid_until), 2), el("senderName", script.issuer, 2),
                  el("headline", script.title, 2), el("description", script.body_text, 2)]
        if script.key:
            lines.append(el("instruction", script.key, 2))
    lines.append(el("web", urls.absolute(base_url, script.page), 2))
    if script.contact:
        lines.append(el("contact", script.contact, 2))
    lines.append("    <area>")
    lines.append(el("areaDesc", area, 3))
    for region in script.regions:
        lines += ["      <geocode>", el("valueName", "统计用区划代码", 4), el("value", region.code, 4), "      </geocode>"]
    lines += ["    </area>", "  </info>", "</alert>"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _all_clear(script: Script, name: str, ended: str) -> str:
    start = to_spoken(f"{script.valid_from.month}月{script.valid_from.day}日")
    if script.withdrawn:
        return f"{script.issuer}{start}发布的{name}{script.level}预警已撤回，请以最新发布的信息为准。"
    end = to_spoken(f"{script.valid_until.month}月{script.valid_until.day}日")
    return f"{script.issuer}{start}发布的{name}{script.level}预警已于{end}{ended}。"
