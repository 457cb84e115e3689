"""CAP 1.2 that consumers can trust, and SSML that TTS platforms can parse: asserted on the files
of real builds (the example site, tests/fixtures/broadcast, and a warning upgraded in place over
several builds), every CAP file validated against the OASIS CAP 1.2 XSD and every SSML file
against the W3C SSML schema (tests/schemas, sources in tests/schemas/README.md)."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import lxml.etree
import pytest

from conftest import REPO, read, run_build
from test_broadcast_gate import EPOCH, SITE

SCHEMAS = REPO / "tests" / "schemas"
Q = "{urn:oasis:names:tc:emergency:cap:1.2}"
EXAMPLE_EPOCH = str(int(datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc).timestamp()))
VALIDATED = {"cap": 0, "ssml": 0}


@pytest.fixture(scope="module")
def cap_schema():
    return lxml.etree.XMLSchema(lxml.etree.parse(str(SCHEMAS / "CAP-v1.2.xsd")))


@pytest.fixture(scope="module")
def ssml_schema():
    return lxml.etree.XMLSchema(lxml.etree.parse(str(SCHEMAS / "ssml" / "synthesis.xsd")))


def epoch(hours: float) -> str:
    return str(int(EPOCH) + int(hours * 3600))


def build(site: Path, out: Path, when: str = EPOCH) -> None:
    result = run_build("--site", str(site), "--output", str(out), env={"SOURCE_DATE_EPOCH": when})
    assert result.returncode == 0, result.stderr


def alert(out: Path, slug: str):
    return lxml.etree.parse(str(out / f"broadcast/{slug}.cap.xml")).getroot()


def validate_all(out: Path, cap_schema, ssml_schema) -> tuple[int, int]:
    caps = sorted((out / "broadcast").glob("*.cap.xml"))
    ssmls = sorted((out / "broadcast").glob("*.ssml"))
    for path in caps:
        assert cap_schema.validate(lxml.etree.parse(str(path))), (path.name, cap_schema.error_log.last_error)
    for path in ssmls:
        assert ssml_schema.validate(lxml.etree.parse(str(path))), (path.name, ssml_schema.error_log.last_error)
    VALIDATED["cap"] += len(caps)
    VALIDATED["ssml"] += len(ssmls)
    return len(caps), len(ssmls)


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory):
    """The fixture site built three times: as committed; after 大风 蓝色 -> 黄色 (one hour later);
    once more unchanged; then two days later, when every warning has ended."""
    base = tmp_path_factory.mktemp("versions")
    site = base / "site"
    shutil.copytree(SITE, site)
    out = base / "output"
    snapshots = {}
    build(site, out, epoch(0))
    snapshots["first"] = read(out / "broadcast/dafeng-yujing.cap.xml")
    path = site / "content/2026/06/dafeng-yujing.md"
    path.write_text(read(path).replace("大风蓝色预警", "大风黄色预警").replace("level: 蓝色", "level: 黄色")
                    .replace("6级阵风", "8级阵风"), encoding="utf-8")
    build(site, out, epoch(1))
    snapshots["upgraded"] = read(out / "broadcast/dafeng-yujing.cap.xml")
    build(site, out, epoch(1.5))
    snapshots["rebuilt"] = read(out / "broadcast/dafeng-yujing.cap.xml")
    build(site, out, epoch(48))
    snapshots["ended"] = read(out / "broadcast/dafeng-yujing.cap.xml")
    snapshots["ended-again"] = None
    build(site, out, epoch(49))
    snapshots["ended-again"] = read(out / "broadcast/dafeng-yujing.cap.xml")
    return out, snapshots


def root_of(text: str):
    return lxml.etree.fromstring(text.encode("utf-8"))


def test_upgrade_in_place_is_an_update_referencing_the_previous_version(upgraded, cap_schema):
    _, snap = upgraded
    first, second = root_of(snap["first"]), root_of(snap["upgraded"])
    for root in (first, second):
        assert cap_schema.validate(root), cap_schema.error_log.last_error
    assert first.findtext(Q + "msgType") == "Alert" and first.find(Q + "references") is None
    assert first.find(Q + "info").findtext(Q + "severity") == "Minor"
    assert second.findtext(Q + "msgType") == "Update"
    assert second.findtext(Q + "identifier") != first.findtext(Q + "identifier")  # unique per version
    assert second.findtext(Q + "sent") == "2026-06-10T10:00:00+08:00"  # its own sent time
    assert second.findtext(Q + "references") == ",".join(
        [first.findtext(Q + "sender"), first.findtext(Q + "identifier"), first.findtext(Q + "sent")])
    info = second.find(Q + "info")
    assert info.findtext(Q + "severity") == "Moderate" and info.findtext(Q + "headline") == "舞钢市气象台发布大风黄色预警"
    assert "八级阵风" in info.findtext(Q + "description")
    # an unchanged rebuild keeps the version exactly (same identifier, same sent)
    assert snap["rebuilt"] == snap["upgraded"]


def test_end_of_validity_is_a_proper_cancel(upgraded, cap_schema):
    _, snap = upgraded
    versions = [root_of(snap["first"]), root_of(snap["upgraded"])]
    cancel = root_of(snap["ended"])
    assert cap_schema.validate(cancel), cap_schema.error_log.last_error
    assert cancel.findtext(Q + "msgType") == "Cancel" and cancel.findtext(Q + "status") == "Actual"
    assert cancel.findtext(Q + "identifier") not in {v.findtext(Q + "identifier") for v in versions}
    # sent when the warning ended (its expires, 06-11 06:00) -- a fact of the input, not the build clock
    assert cancel.findtext(Q + "sent") == "2026-06-11T06:00:00+08:00"
    assert cancel.findtext(Q + "references").split(" ") == [
        f"{v.findtext(Q + 'sender')},{v.findtext(Q + 'identifier')},{v.findtext(Q + 'sent')}" for v in versions]
    info = cancel.find(Q + "info")
    assert info.findtext(Q + "responseType") == "AllClear" and info.findtext(Q + "urgency") == "Past"
    assert info.findtext(Q + "effective") == "2026-06-11T06:00:00+08:00"
    assert info.findtext(Q + "expires") == "2026-06-12T06:00:00+08:00"  # its own validity: in force when sent
    assert info.findtext(Q + "headline") == "舞钢市气象台大风黄色预警已解除"
    assert info.findtext(Q + "description") == "舞钢市气象台六月十日发布的大风黄色预警已于六月十一日解除。"
    assert info.find(Q + "instruction") is None
    # later builds keep the same Cancel
    assert snap["ended-again"] == snap["ended"]


def test_fresh_machine_cancel_references_the_version_it_can_reconstruct(tmp_path, cap_schema):
    out = tmp_path / "out"
    build(SITE, out, epoch(48))
    cancel = alert(out, "dafeng-yujing")
    assert cap_schema.validate(cancel)
    ident = cancel.findtext(Q + "identifier")
    assert cancel.findtext(Q + "references") == f"wugang.example,{ident[:-len('.cancel')]},2026-06-10T06:00:00+08:00"


def test_description_is_the_message_once_and_instruction_the_actions(tmp_path):
    out = tmp_path / "out"
    build(SITE, out)
    info = alert(out, "baoyu-chengse-yujing").find(Q + "info")
    description = info.findtext(Q + "description")
    assert "全体村民请注意" not in description and "重复播送" not in description and "联系电话" not in description
    assert description.count("降雨量将达五十毫米以上") == 1
    assert info.findtext(Q + "instruction") == "请沿河、低洼地带群众及时转移。"
    area = info.find(Q + "area")
    assert area.findtext(Q + "areaDesc") == "尚店镇、八台镇、武功乡"
    assert [g.findtext(Q + "value") for g in area.findall(Q + "geocode")] == [
        "410481101000", "410481102000", "410481200000"]


def test_floods_and_rainstorms_are_met(tmp_path):
    out = tmp_path / "out"
    build(SITE, out)
    for slug in ("shanhong-yujing", "baoyu-chengse-yujing", "dafeng-yujing"):
        assert alert(out, slug).find(Q + "info").findtext(Q + "category") == "Met", slug


def test_a_hostile_previous_file_is_read_as_data_only(tmp_path):
    out = tmp_path / "out"
    build(SITE, out)
    path = out / "broadcast/dafeng-yujing.cap.xml"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE alert [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                    '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&x;</identifier>'
                    '<sent>2026-06-10T06:00:00+08:00</sent><msgType>Alert</msgType></alert>\n', encoding="utf-8")
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    (site / "content/2026/06/dafeng-yujing.md").write_text(
        read(site / "content/2026/06/dafeng-yujing.md").replace("6级阵风", "7级阵风"), encoding="utf-8")
    build(site, out, epoch(1))
    text = read(path)
    assert "root:" not in text and "passwd" not in text
    assert "<msgType>Alert</msgType>" in text  # the unusable previous file is ignored


def test_cap_sender_and_alphabet_are_validated(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    config = site / "site.yaml"
    text = read(config).replace("cap_sender: wugang.example", "cap_sender: 舞钢 市, 气象台")
    text = text.replace("  encoding: gb18030\n", "  encoding: gb18030\n  ssml_alphabet: pin yin\n")
    config.write_text(text, encoding="utf-8")
    lines = text.split("\n")
    result = run_build("check", "--site", str(site), env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 1
    sender_line = next(i for i, l in enumerate(lines, 1) if l.startswith("  cap_sender:"))
    alphabet_line = next(i for i, l in enumerate(lines, 1) if l.startswith("  ssml_alphabet:"))
    assert f"site.yaml:{sender_line}: broadcast.cap_sender“舞钢 市, 气象台”不能用作 CAP 预警消息的发送方标识" in result.stderr
    assert f"site.yaml:{alphabet_line}: broadcast.ssml_alphabet“pin yin”不是有效的音标名" in result.stderr


def test_vendor_alphabet_py_gives_valid_ssml(tmp_path, ssml_schema):
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    config = site / "site.yaml"
    config.write_text(read(config).replace("  encoding: gb18030\n", "  encoding: gb18030\n  ssml_alphabet: py\n"),
                      encoding="utf-8")
    (site / "pronunciations.yaml").write_text("舞钢: wu3 gang1\n", encoding="utf-8")
    out = tmp_path / "out"
    build(site, out)
    root = lxml.etree.parse(str(out / "broadcast/zhaopin.ssml"))
    phonemes = root.findall(".//{http://www.w3.org/2001/10/synthesis}phoneme")
    assert phonemes and all(p.get("alphabet") == "x-py" for p in phonemes)
    assert ssml_schema.validate(root), ssml_schema.error_log.last_error
    # the bare vendor name itself is what the W3C schema rejects
    for p in phonemes:
        p.set("alphabet", "py")
    assert not ssml_schema.validate(root)


def test_every_cap_and_ssml_file_is_schema_valid(tmp_path, upgraded, cap_schema, ssml_schema):
    """Every CAP and SSML file of the example site, the fixture site and the upgraded/ended site."""
    example = tmp_path / "example"
    result = run_build("--output", str(example), env={"SOURCE_DATE_EPOCH": EXAMPLE_EPOCH})
    assert result.returncode == 0, result.stderr
    later = tmp_path / "example-later"
    result = run_build("--output", str(later), env={"SOURCE_DATE_EPOCH": str(int(EXAMPLE_EPOCH) + 3 * 86400)})
    assert result.returncode == 0, result.stderr
    fixture = tmp_path / "fixture"
    build(SITE, fixture)
    counts = [validate_all(out, cap_schema, ssml_schema) for out in (example, later, fixture, upgraded[0])]
    caps, ssmls = sum(c for c, _ in counts), sum(s for _, s in counts)
    assert caps >= 8 and ssmls >= 15
    print(f"\nschema-valid: {caps} CAP files (OASIS CAP 1.2 XSD), {ssmls} SSML files (W3C SSML XSD), 0 errors")


def test_withdrawn_warning_is_cancelled_and_off_air(tmp_path, cap_schema):
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    out = tmp_path / "out"
    build(site, out, epoch(0))
    first = alert(out, "baoyu-chengse-yujing")
    path = site / "content/2026/06/baoyu-chengse-yujing.md"
    path.write_text(read(path).replace("expires: 2026-06-11 08:00\n",
                                       "expires: 2026-06-11 08:00\nwithdrawn:\n  date: 2026-06-10 09:30\n"
                                       "  reason: 预警信息有误，以气象台最新发布为准\n"), encoding="utf-8")
    build(site, out, epoch(1))
    cancel = alert(out, "baoyu-chengse-yujing")
    assert cap_schema.validate(cancel), cap_schema.error_log.last_error
    assert cancel.findtext(Q + "msgType") == "Cancel"
    assert cancel.findtext(Q + "sent") == "2026-06-10T09:30:00+08:00"  # the withdrawal
    assert cancel.findtext(Q + "references") == ",".join(
        [first.findtext(Q + "sender"), first.findtext(Q + "identifier"), first.findtext(Q + "sent")])
    info = cancel.find(Q + "info")
    assert info.findtext(Q + "headline") == "舞钢市气象台暴雨橙色预警已撤回"
    assert info.findtext(Q + "responseType") == "AllClear"
    import json

    data = json.loads(read(out / "broadcast/index.json"))
    assert "baoyu-chengse-yujing" not in data["scripts"]
    for day in data["playlists"].values():
        assert "baoyu-chengse-yujing" not in day["scripts"]
        assert all("baoyu-chengse-yujing" not in r["scripts"] for r in day["regions"].values())
    assert not (out / "broadcast/baoyu-chengse-yujing.txt").exists()
    assert not (out / "broadcast/baoyu-chengse-yujing.ssml").exists()
