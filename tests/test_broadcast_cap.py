"""CAP 1.2 alerts checked element by element against the OASIS CAP 1.2 specification."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import lxml.etree
import pytest

from conftest import run_build

NS = "urn:oasis:names:tc:emergency:cap:1.2"
Q = "{" + NS + "}"

# (element, required, repeatable) in the order CAP 1.2 §3.2 prescribes.
ALERT = [("identifier", 1, 0), ("sender", 1, 0), ("sent", 1, 0), ("status", 1, 0), ("msgType", 1, 0),
         ("source", 0, 0), ("scope", 1, 0), ("restriction", 0, 0), ("addresses", 0, 0), ("code", 0, 1),
         ("note", 0, 0), ("references", 0, 0), ("incidents", 0, 0), ("info", 0, 1)]
INFO = [("language", 0, 0), ("category", 1, 1), ("event", 1, 0), ("responseType", 0, 1), ("urgency", 1, 0),
        ("severity", 1, 0), ("certainty", 1, 0), ("audience", 0, 0), ("eventCode", 0, 1), ("effective", 0, 0),
        ("onset", 0, 0), ("expires", 0, 0), ("senderName", 0, 0), ("headline", 0, 0), ("description", 0, 0),
        ("instruction", 0, 0), ("web", 0, 0), ("contact", 0, 0), ("parameter", 0, 1), ("resource", 0, 1),
        ("area", 0, 1)]
AREA = [("areaDesc", 1, 0), ("polygon", 0, 1), ("circle", 0, 1), ("geocode", 0, 1), ("altitude", 0, 0),
        ("ceiling", 0, 0)]
VALUES = {
    "status": {"Actual", "Exercise", "System", "Test", "Draft"},
    "msgType": {"Alert", "Update", "Cancel", "Ack", "Error"},
    "scope": {"Public", "Restricted", "Private"},
    "category": {"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
                 "CBRNE", "Other"},
    "responseType": {"Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None"},
    "urgency": {"Immediate", "Expected", "Future", "Past", "Unknown"},
    "severity": {"Extreme", "Severe", "Moderate", "Minor", "Unknown"},
    "certainty": {"Observed", "Likely", "Possible", "Unlikely", "Unknown"},
}
CAP_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


def check_sequence(element, spec) -> list:
    """Children of ``element`` follow ``spec``: known names, CAP order, required present, no repeats."""
    names = [child.tag for child in element if isinstance(child.tag, str)]
    assert all(n.startswith(Q) for n in names), names  # every element in the CAP namespace
    local = [n[len(Q):] for n in names]
    order = [name for name, _, _ in spec]
    assert all(n in order for n in local), f"unknown element in {local}"
    positions = [order.index(n) for n in local]
    assert positions == sorted(positions), f"wrong order: {local}"
    for name, required, repeatable in spec:
        count = local.count(name)
        if required:
            assert count >= 1, f"missing required <{name}>"
        if not repeatable:
            assert count <= 1, f"<{name}> repeated"
    return local


def validate(root) -> None:
    assert root.tag == Q + "alert"
    check_sequence(root, ALERT)
    for name in ("status", "msgType", "scope"):
        assert root.findtext(Q + name) in VALUES[name], name
    ident = root.findtext(Q + "identifier")
    sender = root.findtext(Q + "sender")
    assert ident and not re.search(r"[\s,<&]", ident)
    assert sender and not re.search(r"[\s,<&]", sender)
    assert CAP_TIME.match(root.findtext(Q + "sent"))
    if root.findtext(Q + "msgType") in ("Update", "Cancel"):
        refs = root.findtext(Q + "references").split(" ")
        assert all(len(r.split(",")) == 3 and CAP_TIME.match(r.split(",")[2]) for r in refs)
    infos = root.findall(Q + "info")
    assert infos
    for info in infos:
        check_sequence(info, INFO)
        for name in ("category", "responseType"):
            for value in info.findall(Q + name):
                assert value.text in VALUES[name], (name, value.text)
        for name in ("urgency", "severity", "certainty"):
            assert info.findtext(Q + name) in VALUES[name], name
        for name in ("effective", "onset", "expires"):
            if info.find(Q + name) is not None:
                assert CAP_TIME.match(info.findtext(Q + name)), name
        for area in info.findall(Q + "area"):
            check_sequence(area, AREA)
            for geocode in area.findall(Q + "geocode"):
                assert [c.tag for c in geocode] == [Q + "valueName", Q + "value"]


@pytest.fixture(scope="module")
def example_cap(tmp_path_factory):
    out = tmp_path_factory.mktemp("cap") / "output"
    epoch = str(int(datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc).timestamp()))
    result = run_build("--output", str(out), env={"SOURCE_DATE_EPOCH": epoch})
    assert result.returncode == 0, result.stderr
    return out


def test_emergency_cap_alert_is_valid(example_cap):
    path = example_cap / "broadcast/hanchao-lanse-yujing.cap.xml"
    root = lxml.etree.parse(str(path)).getroot()
    validate(root)
    assert root.nsmap[None] == NS
    assert root.findtext(Q + "status") == "Actual" and root.findtext(Q + "msgType") == "Alert"
    info = root.find(Q + "info")
    assert info.findtext(Q + "language") == "zh-CN"
    assert info.findtext(Q + "severity") == "Minor"  # 蓝色
    assert info.findtext(Q + "category") == "Met" and info.findtext(Q + "event") == "寒潮"
    assert info.findtext(Q + "effective") == "2026-11-27T16:30:00+08:00"
    assert info.findtext(Q + "expires") == "2026-11-30T20:00:00+08:00"
    assert info.findtext(Q + "headline") == "舞钢市气象台发布寒潮蓝色预警"
    description = info.findtext(Q + "description")
    assert "零下三摄氏度" in description
    assert "全体村民请注意" not in description and "重复播送" not in description  # the message once
    assert not re.search(r"[0-9]", description)
    area = info.find(Q + "area")
    assert area.findtext(Q + "areaDesc") == "舞钢市"
    assert area.find(Q + "geocode").findtext(Q + "value") == "410481000000"


def test_only_warnings_get_cap(example_cap):
    caps = sorted(p.name for p in (example_cap / "broadcast").glob("*.cap.xml"))
    assert caps == ["hanchao-lanse-yujing.cap.xml"]


@pytest.mark.parametrize(("level", "severity"), [("红色", "Extreme"), ("橙色", "Severe"), ("黄色", "Moderate"),
                                                  ("蓝色", "Minor")])
def test_severity_per_level(tmp_path, level, severity):
    from conftest import copy_site

    site = copy_site(tmp_path / "site")
    (site / "content/2022/06/warning.md").write_text(
        f"---\ntitle: 暴雨{level}预警\ndate: 2022-06-30 08:00\nexpires: 2022-07-02 08:00\ncategory: 应急管理\n"
        f"level: {level}\nbroadcast: 预计未来24小时有暴雨，请远离河道。\n---\n\n预计未来24小时有暴雨，请远离河道。\n",
        encoding="utf-8")
    out = tmp_path / "out"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    root = lxml.etree.parse(str(out / "broadcast/warning.cap.xml")).getroot()
    validate(root)
    assert root.find(Q + "info").findtext(Q + "severity") == severity
    assert root.find(Q + "info").findtext(Q + "event") == "暴雨"
