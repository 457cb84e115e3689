"""Broadcast stage: scripts, automatic drafts, playlists, index.json, SSML, GB18030, pages, CLI, validation."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import lxml.etree
import lxml.html
import pytest

from builder.broadcast.draft import count_chars, split_long, split_sentences, trim
from builder.speech import has_unspoken
from conftest import FIXTURE_SITE, REPO, copy_site, read, run_build

# The example site "at" 2026-11-28 09:00 Beijing time: the 寒潮 blue warning is in force,
# the 尚店镇 power cut is upcoming (29th), every 2022 notice has expired.
EXAMPLE_NOW = datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc)
EXAMPLE_EPOCH = str(int(EXAMPLE_NOW.timestamp()))
ARABIC = re.compile(r"[0-9０-９]")
SSML = "{http://www.w3.org/2001/10/synthesis}"


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("example") / "output"
    result = run_build("--output", str(out), "--strict", env={"SOURCE_DATE_EPOCH": EXAMPLE_EPOCH})
    assert result.returncode == 0, result.stderr
    assert "警告" not in result.stderr
    return out


@pytest.fixture(scope="module")
def index(example) -> dict:
    return json.loads(read(example / "broadcast/index.json"))


def body_of(entry: dict) -> str:
    """The body paragraph of a script (the paragraph right after the issuer/title line)."""
    lines = entry["text"].split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("现在播送"))
    return lines[start + 1]


# --- pure helpers ------------------------------------------------------------------


def test_count_chars_ignores_punctuation():
    assert count_chars("请注意，现在播送。“通知”（一）") == 10


def test_long_sentences_are_split_at_commas():
    sentence = "因供水管网改造施工，六月十日八点到十八点，建设路两侧居民小区、朝阳社区和北关社区临时停水，请大家提前储水。"
    parts = split_long(sentence, 25)
    assert len(parts) >= 2
    assert all(p.endswith("，") for p in parts[:-1]) and parts[-1].endswith("。")
    assert "".join(parts) == sentence  # clause commas stay commas: no fragments closed by a full stop
    assert all(count_chars(p) <= 25 for p in parts)
    assert split_sentences("第一句。第二句！\n第三句", 25) == ["第一句。", "第二句！", "第三句。"]


def test_trim_keeps_whole_sentences_then_cuts_at_a_comma():
    sentences = ["一二三四五六七八九十。", "甲乙丙丁戊己庚辛，壬癸子丑寅卯。"]
    assert trim(sentences, 10) == ["一二三四五六七八九十。"]
    assert trim(sentences, 19) == ["一二三四五六七八九十。", "甲乙丙丁戊己庚辛。"]


# --- the example site --------------------------------------------------------------


def test_every_published_notice_has_a_script_with_all_files(example, index):
    scripts = index["scripts"]
    # published notices of the example site; the draft and the scheduled notice get none
    # on air: the hand-written scripts and the meeting report's draft, which 李明 approved; the other
    # notices' drafts were never approved (and have expired), so they are in no output
    assert set(scripts) == {"meeting-report", "tingshui-jianshelu", "hanchao-lanse-yujing", "shangdian-tingdian"}
    required = {"title", "url", "level", "regions", "valid_from", "valid_until", "repeat", "slots", "chars",
                "seconds", "auto", "text", "files"}
    for slug, entry in scripts.items():
        assert required <= set(entry), slug
        for name in entry["files"]:
            assert (example / "broadcast" / name).is_file(), name
        assert f"{slug}.txt" in entry["files"] and f"{slug}.ssml" in entry["files"]
        assert all(re.match(r"^\d{12}$", r["code"]) for r in entry["regions"])
        assert entry["seconds"] == round(count_chars(entry["text"]) * 60 / entry["rate"])
    assert scripts["hanchao-lanse-yujing"]["url"] == "https://www.wugang.example/2026/11/hanchao-lanse-yujing.html"
    assert scripts["shangdian-tingdian"]["regions"] == [{"name": "尚店镇", "code": "410481101000"}]
    assert scripts["tingshui-jianshelu"]["slots"] == ["07:00", "12:00", "18:00"]


def test_meeting_report_automatic_draft(example, index):
    entry = index["scripts"]["meeting-report"]
    assert entry["auto"] is True and entry["level"] == "日常" and entry["repeat"] == 2
    body = body_of(entry)
    assert 40 <= count_chars(body) == entry["chars"] <= 300
    assert "舞钢市" in body
    # concrete instructions kept
    for phrase in ("非必要不返舞", "口罩佩戴", "核酸检测", "报备"):
        assert phrase in body, phrase
    # political preamble and officials' business dropped
    for phrase in ("贯彻落实", "省委", "第十七次", "党的二十大", "阻击战", "朱志骞", "主持会议", "压实"):
        assert phrase not in entry["text"], phrase
    assert entry["review"] == {"status": "已审核", "reviewed_by": "李明"}
    txt = read(example / "broadcast/meeting-report.txt")
    assert txt == entry["text"] + "\n"  # review state is metadata, never in the text read aloud
    assert txt.startswith("全体村民请注意！")
    # the body is read twice (repeat 2); every breath (clause between pauses) is at most 25 字 and
    # long sentences keep their commas: no clause is cut off by a full stop as a fragment
    assert entry["text"].count(body) == 2 and "现在重复播送一遍。" in entry["text"]
    for clause in re.split(r"[，。！？；、：]", body):
        assert count_chars(clause) <= 25, clause
    for sentence in re.findall(r"[^。！？]+[。！？]", body):
        assert count_chars(sentence) >= 6, sentence


def test_script_structure(index):
    text = index["scripts"]["shangdian-tingdian"]["text"].split("\n")
    assert text[0] == "全体村民请注意！"
    assert text[1].startswith("现在播送国网舞钢市供电公司二零二六年十一月二十六日发布的通知。")
    assert "关于尚店镇部分村组计划停电的通知" in text[1]
    assert text[3].startswith("再提醒一遍：")
    assert text[4] == "联系电话：零三七五，八幺三五六七八。"
    assert text[5] == "现在重复播送一遍。" and text[6] == text[2]
    assert text[-1] == "国网舞钢市供电公司，二零二六年十一月二十六日。"


def test_emergency_script_limits_repetitions_and_cap(example, index):
    entry = index["scripts"]["hanchao-lanse-yujing"]
    assert entry["level"] == "蓝色" and entry["auto"] is False and entry["repeat"] == 3
    body = body_of(entry)
    assert count_chars(body) == entry["chars"] <= 120
    assert entry["text"].count(body) == 3
    assert entry["text"].count("现在重复播送一遍。") == 2
    assert entry["text"].startswith("全体村民请注意！\n全体村民请注意！\n")
    assert entry["rate"] == 170 and entry["immediate"] is True
    assert "hanchao-lanse-yujing.cap.xml" in entry["files"]
    assert "零下三摄氏度" in body and "幺幺九" in body


def test_emergency_is_first_in_its_days_playlist(example, index):
    days = index["playlists"]
    assert list(days) == ["2026-11-28", "2026-11-29", "2026-11-30"]
    assert days["2026-11-28"]["scripts"] == ["hanchao-lanse-yujing", "shangdian-tingdian"]
    assert days["2026-11-29"]["scripts"][0] == "hanchao-lanse-yujing"
    # the power cut is only in the 尚店镇 playlist, not in 垭口街道's
    regions = days["2026-11-28"]["regions"]
    assert regions["410481101000"]["scripts"] == ["hanchao-lanse-yujing", "shangdian-tingdian"]
    assert regions["410481001000"]["scripts"] == ["hanchao-lanse-yujing"]
    daily = read(example / "broadcast/daily/2026-11-28.txt")
    assert daily.startswith("舞钢市人民政府广播播单：二零二六年十一月二十八日\n播放范围：全域总表")
    assert "\n共两条" in daily
    first, second = daily.index("第一条："), daily.index("第二条：")
    assert daily[first:second].startswith("第一条：蓝色预警，播放范围：全域，")
    assert daily[second:].startswith("第二条：日常，播放范围：尚店镇，")
    assert "关于尚店镇部分村组计划停电的通知" in daily[second:]
    assert "合计约" in daily
    assert (example / "broadcast/daily/2026-11-28-410481101000.txt").is_file()


def test_expired_notice_is_in_no_playlist(example, index):
    assert index["scripts"]["tingshui-jianshelu"]["expired"] is True
    listed = set()
    for day in index["playlists"].values():
        listed.update(day["scripts"])
        for region in day["regions"].values():
            listed.update(region["scripts"])
    assert "tingshui-jianshelu" not in listed and "meeting-report" not in listed
    for path in (example / "broadcast/daily").iterdir():
        assert "建设路" not in read(path), path.name


def test_no_arabic_digit_in_any_script(example, index):
    for entry in index["scripts"].values():
        assert not ARABIC.search(entry["text"]), entry["title"]
        assert has_unspoken(entry["text"]) == [], entry["title"]
    for path in sorted((example / "broadcast").rglob("*.txt")):
        text = path.read_bytes().decode("gb18030" if path.name.endswith(".gb18030.txt") else "utf-8")
        assert not ARABIC.search(text), path.name


def test_gb18030_copy(example):
    utf8 = (example / "broadcast/hanchao-lanse-yujing.txt").read_bytes()
    legacy = (example / "broadcast/hanchao-lanse-yujing.gb18030.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        legacy.decode("utf-8")
    assert legacy.decode("gb18030") == utf8.decode("utf-8").replace("\n", "\r\n")


def test_ssml_is_well_formed_with_breaks_and_phonemes(example, index):
    for slug in index["scripts"]:
        root = lxml.etree.fromstring((example / f"broadcast/{slug}.ssml").read_bytes())
        assert root.tag == f"{SSML}speak" and root.get("version") == "1.1"
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-CN"
    root = lxml.etree.fromstring((example / "broadcast/hanchao-lanse-yujing.ssml").read_bytes())
    text = "".join(root.itertext())
    breaks = root.findall(f".//{SSML}break")
    assert sum(1 for b in breaks if b.get("time") == "500ms") == len(re.findall("[。！？]", text))
    assert sum(1 for b in breaks if b.get("time") == "300ms") == len(re.findall("[，、：]", text))
    phonemes = {p.text: p.get("ph") for p in root.iter(f"{SSML}phoneme")}
    assert phonemes["重复播送"] == "chong2 fu4 bo1 song4"
    assert phonemes["舞钢"] == "wu3 gang1"
    assert all(p.get("alphabet") == "x-pinyin" for p in root.iter(f"{SSML}phoneme"))
    # text content is the script itself
    assert text.replace("\n", "") == index["scripts"]["hanchao-lanse-yujing"]["text"].replace("\n", "")


def test_notice_page_links_to_its_script(example):
    tree = lxml.html.fromstring(read(example / "2026/11/hanchao-lanse-yujing.html"))
    hrefs = tree.xpath('//p[@class="broadcast-link"]/a/@href')
    assert "../../broadcast/hanchao-lanse-yujing.txt" in hrefs and "../../broadcast/index.html" in hrefs
    # a draft has no page and no script
    assert not (example / "broadcast/dongji-anquan-draft.txt").exists()


def test_broadcaster_page(example):
    tree = lxml.html.fromstring(read(example / "broadcast/index.html"))
    assert tree.get("lang") == "zh-CN"
    assert tree.findtext(".//h1") == "村村响广播稿"
    today = tree.xpath('//section[@aria-labelledby="today-heading"]')[0]
    cards = today.xpath('.//article[contains(@class,"script-card")]')
    assert [c.xpath('.//h3')[0].text_content().split() for c in cards][0][:2] == ["蓝色预警", "舞钢市气象台发布寒潮蓝色预警"]
    assert "level-blue" in cards[0].get("class")  # colour AND text
    assert cards[0].xpath('.//span[contains(@class,"level-tag")]')[0].text == "蓝色预警"
    assert cards[0].xpath('.//button[@data-copy="script-hanchao-lanse-yujing"]')
    assert cards[0].xpath('.//button[@data-print-script]')
    assert tree.xpath('//button[@data-action="print"]')
    assert "约 2分" in cards[0].text_content()
    assert "注音" in cards[0].text_content() and "chóng fù" in cards[0].text_content()
    # the meeting report's draft is listed with its reviewer
    assert "草稿经 李明 审核" in tree.xpath('//section[@aria-labelledby="all-heading"]')[0].text_content()
    assert (example / "static/js/broadcast.js").is_file() and (example / "static/css/broadcast.css").is_file()
    sitemap = read(example / "sitemap.xml")
    assert "<loc>https://www.wugang.example/broadcast/index.html</loc>" in sitemap


def test_cap_cancel_once_the_warning_has_ended(tmp_path):
    out = tmp_path / "later"
    later = str(int(datetime(2026, 11, 30, 13, 0, tzinfo=timezone.utc).timestamp()))  # 21:00 Beijing
    result = run_build("--output", str(out), env={"SOURCE_DATE_EPOCH": later})
    assert result.returncode == 0, result.stderr
    ns = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
    root = lxml.etree.parse(str(out / "broadcast/hanchao-lanse-yujing.cap.xml")).getroot()
    assert root.findtext("c:msgType", namespaces=ns) == "Cancel"
    ident = root.findtext("c:identifier", namespaces=ns)
    assert re.fullmatch(r"wugang\.example\.hanchao-lanse-yujing\.202611271630\.[0-9a-f]{8}\.cancel", ident)
    # its own sent time (the end of validity, 20:00) and its own validity (a day), so it is not expired
    # on arrival; fresh machine, so the version it cancels is the one this notice describes
    assert root.findtext("c:sent", namespaces=ns) == "2026-11-30T20:00:00+08:00"
    assert root.findtext("c:info/c:expires", namespaces=ns) == "2026-12-01T20:00:00+08:00"
    assert root.findtext("c:references", namespaces=ns) == (
        f"wugang.example,{ident[:-len('.cancel')]},2026-11-27T16:30:00+08:00")
    data = json.loads(read(out / "broadcast/index.json"))
    assert data["playlists"] == {}


# --- CLI ---------------------------------------------------------------------------


def test_speak_command_argument_and_stdin():
    result = run_build("speak", "5月4日14:30，新增病例2例，咨询电话0375-2345678。")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "五月四日下午两点三十分，新增病例两例，咨询电话零三七五，二三四五六七八。\n"
    batch = subprocess.run([sys.executable, str(REPO / "build.py"), "speak"], input="2022年\n95%\n\n拨打110\n",
                           capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert batch.returncode == 0
    assert batch.stdout.split("\n") == ["二零二二年", "百分之九十五", "", "拨打幺幺零", ""]
    assert "speak" in run_build("--help").stdout


# --- validation --------------------------------------------------------------------

BAD_NOTICE = """---
title: 关于测试广播字段的通知
date: 2022-06-20 10:00
category: 通知公告
broadcast:
  script: 请大家注意安全。
  level: 紫色
  regions: [火星村]
  slots: [早上]
  repeat: 9
  contact: 打电话
---

正文。
"""


def test_bad_broadcast_fields_are_reported_with_file_and_line(tmp_path):
    site = copy_site(tmp_path / "site")
    (site / "content/2022/06/bad-broadcast.md").write_text(BAD_NOTICE, encoding="utf-8")
    result = run_build("check", "--site", str(site))
    assert result.returncode == 1
    err = result.stderr
    rel = "content/2022/06/bad-broadcast.md"
    assert f"{rel}:7: broadcast.level“紫色”无法识别" in err
    assert f"{rel}:8: 地区“火星村”没有在 site.yaml 的 regions 中声明" in err
    assert f"{rel}:9: broadcast.slots 中的播出时间“早上”格式不对" in err
    assert f"{rel}:10: broadcast.repeat 应当是 1 到 5 之间的整数" in err
    assert f"{rel}:11: broadcast.contact 应当是一个电话号码" in err
    assert "Traceback" not in err


def test_broadcast_type_error_and_bad_site_config(tmp_path):
    site = copy_site(tmp_path / "site")
    (site / "content/2022/06/typed.md").write_text(
        "---\ntitle: 类型错误\ndate: 2022-06-20 10:00\nbroadcast: [1, 2]\n---\n\n正文。\n", encoding="utf-8")
    config = (site / "site.yaml").read_text(encoding="utf-8")
    config += ("broadcast:\n  limits: {daily: 五百}\n  encoding: big5\nregions:\n  name: 测试县\n"
               "  code: \"41000000000\"\n")
    (site / "site.yaml").write_text(config, encoding="utf-8")
    lines = config.split("\n")
    result = run_build("check", "--site", str(site))
    assert result.returncode == 1
    err = result.stderr
    assert "content/2022/06/typed.md:4: broadcast 应当是一段广播稿文字" in err
    limits_line = lines.index("  limits: {daily: 五百}") + 1
    assert f"site.yaml:{limits_line}: 配置项“broadcast.limits.daily”应当是 20 到 3000 之间的整数" in err
    assert f"site.yaml:{limits_line + 1}: broadcast.encoding 只能是 utf-8 或 gb18030" in err
    assert "行政区划代码“41000000000”应当是 12 位数字" in err


def test_hand_written_script_over_the_limit_warns_and_fails_under_strict(tmp_path):
    site = copy_site(tmp_path / "site")
    long_script = "请大家注意防汛安全，远离河道和水库。" * 12
    (site / "content/2022/06/long.md").write_text(
        f"---\ntitle: 很长的广播稿\ndate: 2022-06-20 10:00\nbroadcast: {long_script}\n---\n\n正文。\n",
        encoding="utf-8")
    result = run_build("--site", str(site), "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "超过日常广播" not in result.stderr  # 192 字: within the limit
    long_script = long_script * 2
    chars = count_chars(long_script)
    assert chars == 384
    (site / "content/2022/06/long.md").write_text(
        f"---\ntitle: 很长的广播稿\ndate: 2022-06-20 10:00\nbroadcast: {long_script}\n---\n\n正文。\n",
        encoding="utf-8")
    result = run_build("--site", str(site), "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert f"content/2022/06/long.md:4: 警告：广播稿正文有 {chars} 字，超过日常广播 300 字的上限" in result.stderr
    strict = run_build("--site", str(site), "--output", str(tmp_path / "out2"), "--strict")
    assert strict.returncode == 1
    assert f"content/2022/06/long.md:4: 广播稿正文有 {chars} 字" in strict.stderr
    assert not (tmp_path / "out2").exists()


def test_broadcast_false_means_no_script(tmp_path):
    site = copy_site(tmp_path / "site")
    (site / "content/2022/06/quiet.md").write_text(
        "---\ntitle: 不广播的公告\ndate: 2022-06-20 10:00\nbroadcast: false\n---\n\n正文。\n", encoding="utf-8")
    out = tmp_path / "out"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    assert not (out / "broadcast/quiet.txt").exists()
    assert (out / "broadcast/warning.txt").exists()
    assert 'class="broadcast-link"' not in read(out / "2022/06/quiet.html")


def test_fixture_site_orange_warning_leads_the_playlist(built_site):
    data = json.loads(read(built_site / "broadcast/index.json"))
    assert data["today"] == "2022-07-01"
    assert data["playlists"]["2022-07-01"]["scripts"][0] == "warning"
    warning = data["scripts"]["warning"]
    assert warning["level"] == "橙色" and warning["repeat"] == 3 and warning["chars"] <= 120
    assert warning["review"] == {"status": "已审核", "reviewed_by": "测试员"}
    assert (built_site / "broadcast/warning.cap.xml").is_file()
    # the expired 停水 notice's draft was never approved: in no output at all
    assert "tingshui" not in data["scripts"] and "tingshui" not in data["pending"]
    assert not (built_site / "broadcast/tingshui.txt").exists()
    assert FIXTURE_SITE.is_dir()
