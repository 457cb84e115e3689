"""Issue 11 on a fixture site of real-style notices: the review gate, drafts that keep the facts,
where to play, asserted on the files a broadcaster and a TTS box actually get.

tests/fixtures/broadcast is built "at" 2026-06-10 09:00 Beijing time:
- tingshui-sichu     停水 for four places, automatic draft (awaiting review), Word-style 落款
- renshi-renmian     人事任免 whose body is a salutation, a lead-in and appointments: no draft at all
- baoyu-chengse-yujing  hand-written 橙色 warning for 尚店镇、八台镇、武功乡
- zhaopin            hand-written script giving its own number 0375-8121234
- fangnishui         pasted from Word (full-width indents, numbered lines, 0375－8126688转803, 落款)
- dafeng-yujing      hand-written 蓝色 warning (upgraded in place to 黄色 by the CAP tests)
- leidian-yujing     黄色 warning with an automatic draft (awaiting review)
- shanhong-yujing    山洪 warning for 杨庄乡
- tingdian           hand-written, starts on the 11th (即将播出)
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import lxml.html
import pytest

from conftest import REPO, read, run_build

SITE = REPO / "tests" / "fixtures" / "broadcast"
NOW = datetime(2026, 6, 10, 1, 0, tzinfo=timezone.utc)  # 09:00 Beijing
EPOCH = str(int(NOW.timestamp()))
DEFAULT_PHONE = "零三七五，八幺二三四五六"  # site.yaml broadcast.contact 0375-8123456, spoken
PENDING_SLUGS = ["leidian-yujing", "tingshui-sichu", "fangnishui"]  # emergency first, then newest


def build(site: Path, out: Path, *args: str, epoch: str = EPOCH):
    result = run_build("--site", str(site), "--output", str(out), *args, env={"SOURCE_DATE_EPOCH": epoch})
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("gate") / "output"
    result = build(SITE, out)
    return out, result.stderr


@pytest.fixture(scope="module")
def out(built) -> Path:
    return built[0]


@pytest.fixture(scope="module")
def index(out) -> dict:
    return json.loads(read(out / "broadcast/index.json"))


def copy(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    return site


def read_aloud_files(out: Path) -> list[Path]:
    """Every file a machine reads aloud: scripts (UTF-8 and GB18030), SSML, playlists."""
    base = out / "broadcast"
    return sorted(list(base.glob("*.txt")) + list(base.glob("*.ssml")) + list((base / "daily").glob("*.txt")))


def text_of(path: Path) -> str:
    return path.read_bytes().decode("gb18030" if path.name.endswith(".gb18030.txt") else "utf-8")


def listed_anywhere(index: dict) -> set[str]:
    found = set()
    for day in index["playlists"].values():
        found.update(day["scripts"])
        for region in day["regions"].values():
            found.update(region["scripts"])
    return found


# --- 1. the review gate ------------------------------------------------------------------


def test_unreviewed_drafts_are_nowhere_on_air(out, index):
    assert list(index["pending"]) == PENDING_SLUGS
    on_air = listed_anywhere(index)
    for slug in PENDING_SLUGS:
        assert slug not in index["scripts"] and slug not in on_air
        assert not list((out / "broadcast").glob(f"{slug}.*")), slug  # no txt, gb18030, ssml, cap, wav
        for path in (out / "broadcast/daily").iterdir():
            assert index["pending"][slug]["text"].split("\n")[2] not in text_of(path)
    # the pending warning has no CAP alert at all (never Actual)
    assert not (out / "broadcast/leidian-yujing.cap.xml").exists()
    # no 下载广播稿 link on the public page of a pending draft; there is one for a written script
    assert 'class="broadcast-link"' not in read(out / "2026/06/leidian-yujing.html")
    assert 'class="broadcast-link"' not in read(out / "2026/06/tingshui-sichu.html")
    page = lxml.html.fromstring(read(out / "2026/06/zhaopin.html"))
    assert page.xpath('//p[@class="broadcast-link"]/a/@href')[0] == "../../broadcast/zhaopin.txt"


def test_nothing_read_aloud_mentions_review(out):
    files = read_aloud_files(out)
    assert len(files) > 20 and any(p.name.endswith(".gb18030.txt") for p in files)
    for path in files:
        text = text_of(path)
        for word in ("自动生成", "待审核", "审核", "草稿"):
            assert word not in text, (path.name, word)


def test_review_state_is_metadata(index):
    assert index["scripts"]["zhaopin"]["review"] == {"status": "手写稿"}
    pending = index["pending"]["tingshui-sichu"]
    assert pending["review"]["status"] == "待审核" and re.fullmatch(r"[0-9a-f]{8}", pending["review"]["review_code"])
    assert pending["source"] == "content/2026/06/tingshui-sichu.md"


def test_broadcaster_page_lists_pending_with_emergencies_first(out, index):
    tree = lxml.html.fromstring(read(out / "broadcast/index.html"))
    section = tree.xpath('//section[@aria-labelledby="pending-heading"]')[0]
    cards = section.xpath('.//article[contains(@class,"pending-card")]')
    titles = [c.xpath(".//h3")[0].text_content().split()[-1] for c in cards]
    assert titles == ["舞钢市气象台发布雷电黄色预警", "关于建设路等区域临时停水的通知", "关于做好夏季防溺水工作的紧急通知"]
    first = cards[0]
    assert "黄色预警" in first.xpath('.//span[contains(@class,"level-tag")]')[0].text
    assert "预计未来六小时全市将出现雷电活动" in first.text_content()  # its text, to review
    code = index["pending"]["leidian-yujing"]["review"]["review_code"]
    assert first.xpath('.//pre[@class="approval"]')[0].text_content() == (
        f"broadcast:\n  status: 已审核\n  reviewed_by: 审核人姓名\n  review_code: {code}")
    assert "有 3 篇稿件待审核，其中预警 1 篇" in tree.xpath('//p[@class="pending-alert"]')[0].text_content()
    # 今日播出 holds only scripts on air
    today = tree.xpath('//section[@aria-labelledby="today-heading"]')[0].text_content()
    assert "雷电黄色预警" not in today and "暴雨橙色预警" in today


def test_check_lists_pending_drafts_as_notices(tmp_path):
    site = copy(tmp_path)
    result = run_build("check", "--site", str(site), env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    err = result.stderr
    assert re.search(r"content/2026/06/leidian-yujing\.md:\d+: 提示：广播稿待审核（黄色预警），不会播出", err)
    assert re.search(r"content/2026/06/tingshui-sichu\.md:\d+: 提示：广播稿待审核，不会播出.*review_code: [0-9a-f]{8}", err)
    assert "content/2026/06/renshi-renmian.md:7: 提示：没有生成广播稿草稿" in err
    assert "4 条提示" in err
    # notices never fail a build, not even --strict (the Word-paste warning would: leave that notice out)
    (site / "content/2026/06/fangnishui.md").unlink()
    strict = run_build("check", "--site", str(site), "--strict", env={"SOURCE_DATE_EPOCH": EPOCH})
    assert strict.returncode == 0, strict.stderr
    assert "提示：广播稿待审核" in strict.stderr


def approve(site: Path, slug: str, code: str, who: str = "王芳") -> Path:
    path = site / f"content/2026/06/{slug}.md"
    text = read(path)
    head, rest = text.split("\n---\n", 1)
    path.write_text(f"{head}\nbroadcast:\n  status: 审核通过\n  reviewed_by: {who}\n  review_code: {code}\n---\n{rest}",
                    encoding="utf-8")
    return path


def test_approved_draft_goes_on_air_until_the_body_changes(tmp_path, index):
    site = copy(tmp_path)
    code = index["pending"]["tingshui-sichu"]["review"]["review_code"]
    path = approve(site, "tingshui-sichu", code)
    out = tmp_path / "out"
    build(site, out)
    data = json.loads(read(out / "broadcast/index.json"))
    entry = data["scripts"]["tingshui-sichu"]
    assert entry["review"] == {"status": "已审核", "reviewed_by": "王芳"}
    assert "tingshui-sichu" not in data["pending"]
    assert read(out / "broadcast/tingshui-sichu.txt") == entry["text"] + "\n"
    assert entry["text"] == index["pending"]["tingshui-sichu"]["text"]  # exactly what was reviewed
    assert "tingshui-sichu" in data["playlists"]["2026-06-10"]["scripts"]
    assert 'class="broadcast-link"' in read(out / "2026/06/tingshui-sichu.html")
    # someone edits the body afterwards: the draft changes, so it is off air again until re-approved
    path.write_text(read(path).replace("18:00", "20:00"), encoding="utf-8")
    result = build(site, out)
    assert re.search(r"tingshui-sichu\.md:\d+: 警告：广播稿草稿在审核后有变化（审核码 " + code, result.stderr)
    data = json.loads(read(out / "broadcast/index.json"))
    assert "tingshui-sichu" not in data["scripts"] and "tingshui-sichu" in data["pending"]
    assert not (out / "broadcast/tingshui-sichu.txt").exists()
    assert "tingshui-sichu" not in listed_anywhere(data)


def test_approved_warning_draft_gets_an_actual_cap(tmp_path, index):
    site = copy(tmp_path)
    approve(site, "leidian-yujing", index["pending"]["leidian-yujing"]["review"]["review_code"])
    out = tmp_path / "out"
    build(site, out)
    cap = read(out / "broadcast/leidian-yujing.cap.xml")
    assert "<status>Actual</status>" in cap
    assert json.loads(read(out / "broadcast/index.json"))["playlists"]["2026-06-10"]["scripts"][0] == "baoyu-chengse-yujing"


def test_bad_review_fields_are_errors_with_file_and_line(tmp_path):
    site = copy(tmp_path)
    path = site / "content/2026/06/tingshui-sichu.md"
    text = read(path).replace("expires: 2026-06-11 20:00\n",
                              "expires: 2026-06-11 20:00\nbroadcast:\n  status: 可以\n")
    path.write_text(text, encoding="utf-8")
    bad = site / "content/2026/06/leidian-yujing.md"
    bad.write_text(read(bad).replace("level: 黄色\n", "level: 黄色\nbroadcast: {status: 已审核}\n"), encoding="utf-8")
    result = run_build("check", "--site", str(site), env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 1
    assert ("content/2026/06/tingshui-sichu.md:8: broadcast.status“可以”无法识别，只能写“已审核”（审核通过，可以播出）"
            "或“待审核”（暂不播出）") in result.stderr
    assert "content/2026/06/leidian-yujing.md:7: broadcast.status 写了“已审核”，请同时写上审核人" in result.stderr
    assert "Traceback" not in result.stderr


def test_hand_written_script_marked_pending_waits(tmp_path):
    site = copy(tmp_path)
    path = site / "content/2026/06/zhaopin.md"
    path.write_text(read(path).replace("broadcast: |\n", "broadcast:\n  status: 待审核\n  script: |\n")
                    .replace("\n  舞钢市公益性", "\n    舞钢市公益性").replace("\n  报名时间", "\n    报名时间"),
                    encoding="utf-8")
    out = tmp_path / "out"
    build(site, out)
    data = json.loads(read(out / "broadcast/index.json"))
    assert "zhaopin" in data["pending"] and "zhaopin" not in data["scripts"]
    assert data["pending"]["zhaopin"]["review"]["reason"] == "手写稿标为待审核（status: 待审核）"


def test_auto_drafts_can_be_switched_off(tmp_path):
    site = copy(tmp_path)
    config = site / "site.yaml"
    config.write_text(read(config).replace("  locality: 舞钢市\n", "  locality: 舞钢市\n  auto_draft: false\n"),
                      encoding="utf-8")
    out = tmp_path / "out"
    result = build(site, out)
    data = json.loads(read(out / "broadcast/index.json"))
    assert data["pending"] == {} and "待审核" not in result.stderr
    assert set(data["scripts"]) == {"baoyu-chengse-yujing", "zhaopin", "dafeng-yujing", "shanhong-yujing", "tingdian"}


def test_ended_drafts_nobody_approved_are_not_composed_but_approved_ones_are_still_verified(tmp_path, monkeypatch):
    """A draft whose window has ended is shown nowhere unless approved: no 待审核 / 没有生成 notice,
    no composing; an approved one is in the archive, so its review code is still checked."""
    site = copy(tmp_path)
    old = site / "content/2026/05/old-tingshui.md"
    old.parent.mkdir()
    old.write_text("---\ntitle: 关于人民路临时停水的通知\ndate: 2026-05-20 09:00\n---\n\n"
                   "因管道抢修，5月21日9:00—17:00人民路沿线临时停水，请居民提前储水。\n", encoding="utf-8")
    (site / "content/2026/05/old-renshi.md").write_text(
        read(site / "content/2026/06/renshi-renmian.md").replace("2026-06-09 10:00", "2026-05-20 10:00"),
        encoding="utf-8")
    out = tmp_path / "out"
    then = build(site, out, epoch=str(int(datetime(2026, 5, 20, 6, 0, tzinfo=timezone.utc).timestamp())))
    assert re.search(r"old-tingshui\.md:\d+: 提示：广播稿待审核", then.stderr)
    assert "old-renshi.md:7: 提示：没有生成广播稿草稿" in then.stderr
    code = json.loads(read(out / "broadcast/index.json"))["pending"]["old-tingshui"]["review"]["review_code"]

    now = build(site, out).stderr  # 2026-06-10: both windows ended long ago
    assert "old-tingshui" not in now and "old-renshi" not in now
    data = json.loads(read(out / "broadcast/index.json"))
    assert "old-tingshui" not in data["pending"] and "old-tingshui" not in data["scripts"]
    assert "old-tingshui" not in read(out / "broadcast/index.html")

    from builder.broadcast import draft, script
    from builder.site import load_site

    composed = []
    compose = draft.compose_draft
    monkeypatch.setattr(draft, "compose_draft", lambda body, *a: composed.append(body) or compose(body, *a))
    plan = script.plan(load_site(site, now=NOW))
    # the three drafts awaiting review and renshi-renmian (in its window, nothing to draft); not the two ended ones
    assert len(plan.pending()) == len(PENDING_SLUGS) and len(composed) == len(PENDING_SLUGS) + 1
    assert not [body for body in composed if "人民路沿线" in body]
    monkeypatch.undo()

    old.write_text(read(old).replace("---\n\n", f"broadcast: {{status: 已审核, reviewed_by: 王芳, review_code: {code}}}\n---\n\n"),
                   encoding="utf-8")
    build(site, out)
    data = json.loads(read(out / "broadcast/index.json"))
    assert data["scripts"]["old-tingshui"]["expired"] is True  # in the archive, exactly as approved
    assert read(out / "broadcast/old-tingshui.txt") == data["scripts"]["old-tingshui"]["text"] + "\n"
    old.write_text(read(old).replace("17:00", "18:00"), encoding="utf-8")
    stale = build(site, out).stderr
    assert re.search(r"old-tingshui\.md:\d+: 警告：广播稿草稿在审核后有变化（审核码 " + code, stale)
    assert not (out / "broadcast/old-tingshui.txt").exists()


def test_editing_a_notice_but_not_its_script_rewrites_no_broadcast_file(tmp_path):
    """The broadcast files are keyed by the script itself: a body edit under a hand-written script
    re-renders the notice page only -- not the script, index.json or the broadcaster page."""
    site = copy(tmp_path)
    out = tmp_path / "out"
    build(site, out)
    files = ["broadcast/index.html", "broadcast/index.json", "broadcast/zhaopin.txt", "broadcast/zhaopin.ssml"]
    inodes = {f: (out / f).stat().st_ino for f in files}
    path = site / "content/2026/06/zhaopin.md"
    path.write_text(read(path) + "\n报名表可在市人社局网站下载。\n", encoding="utf-8")
    build(site, out)
    assert "报名表可在市人社局网站下载" in read(out / "2026/06/zhaopin.html")
    assert {f: (out / f).stat().st_ino for f in files} == inodes


def test_cap_files_of_unchanged_warnings_are_not_read_or_made_again(tmp_path, monkeypatch):
    from builder.broadcast import outputs
    from builder.pipeline import BuildOptions, build as build_here
    from builder.report import Reporter

    site = copy(tmp_path)
    out = tmp_path / "out"
    build(site, out)
    caps = {p.name: p.read_bytes() for p in (out / "broadcast").glob("*.cap.xml")}
    assert len(caps) == 3
    opened = []
    real = outputs.read_published
    monkeypatch.setattr(outputs, "read_published", lambda path: opened.append(path.name) or real(path))
    path = site / "content/2026/06/zhaopin.md"
    path.write_text(read(path) + "\n报名表可在市人社局网站下载。\n", encoding="utf-8")
    build_here(BuildOptions(site_dir=site, output_dir=out, now=NOW), Reporter())
    assert opened == []
    path = site / "content/2026/06/dafeng-yujing.md"
    path.write_text(read(path).replace("level: 蓝色", "level: 黄色"), encoding="utf-8")
    build_here(BuildOptions(site_dir=site, output_dir=out, now=NOW), Reporter())
    assert opened == ["dafeng-yujing.cap.xml"]  # the changed warning: an Update of the published version
    assert "<msgType>Update</msgType>" in read(out / "broadcast/dafeng-yujing.cap.xml")
    assert {p.name: p.read_bytes() for p in (out / "broadcast").glob("*.cap.xml")
            if p.name != "dafeng-yujing.cap.xml"} == {k: v for k, v in caps.items() if k != "dafeng-yujing.cap.xml"}


def test_scripts_composed_over_both_cores_equal_those_composed_in_one(monkeypatch):
    from builder.broadcast import script
    from builder.site import load_site

    site = load_site(SITE, now=NOW)
    serial = script.plan(site)
    monkeypatch.setattr(script, "PARALLEL_COMPOSE", 0)
    parallel = script.plan(site)
    assert parallel.scripts == serial.scripts and parallel.diagnostics == serial.diagnostics
    assert len(serial.scripts) == 8


# --- 2. drafts that keep the facts ---------------------------------------------------------


def body_line(text: str) -> str:
    return text.split("\n")[2 if not text.startswith("全体村民请注意！\n全体村民请注意！") else 3]


def test_four_places_are_all_in_the_draft(index):
    body = body_line(index["pending"]["tingshui-sichu"]["text"])
    assert "共四处" in body
    for place in ("建设路", "人民路至跃进路段", "湖滨大道", "朝阳社区、北关社区", "跃进路"):
        assert place in body, place
    # numbers from the notice itself: full-width hyphen and the 5-digit hotline
    assert "零三七五，八幺二三三七七" in body and "幺二三四五" in body
    assert DEFAULT_PHONE not in index["pending"]["tingshui-sichu"]["text"]


def test_salutation_only_notice_gets_no_draft(out, index):
    assert "renshi-renmian" not in index["scripts"] and "renshi-renmian" not in index["pending"]
    assert not list((out / "broadcast").glob("renshi-renmian*"))


def test_hand_written_script_keeps_its_own_number(index):
    text = index["scripts"]["zhaopin"]["text"]
    assert "零三七五，八幺二幺二三四" in text
    assert DEFAULT_PHONE not in text  # never a second, different number
    assert "联系电话" not in text  # the script already gives its number


def test_word_pasted_notice_keeps_phone_extension_and_closes_with_its_issuer(index):
    text = index["pending"]["fangnishui"]["text"]
    assert "零三七五，八幺二六六八八转八零三" in text
    assert text.endswith("舞钢市教育局，二零二六年六月九日。")
    body = body_line(text)
    assert "舞钢市教育局" not in body and "各位家长" not in body  # 落款 and salutation are not body sentences
    assert "不要让孩子私自到河道、水库、坑塘游泳戏水" in body


def test_draft_closes_with_the_notices_closing(index):
    assert index["pending"]["tingshui-sichu"]["text"].endswith("舞钢市自来水有限公司，二零二六年六月九日。")


# --- 4. where to play ------------------------------------------------------------------------


ITEM = re.compile(r"^第[一二三四五六七八九十]+条：(日常|蓝色预警|黄色预警|橙色预警|红色预警)，播放范围：([^，]+)，")


def test_every_playlist_item_states_where_and_when(out):
    items = 0
    for path in sorted((out / "broadcast/daily").glob("*.txt")):
        lines = text_of(path).split("\n")
        assert lines[1].startswith("播放范围："), path.name
        for line in lines:
            if re.match(r"^第[一二三四五六七八九十]+条：", line):
                assert ITEM.match(line) and "播出时段：" in line, (path.name, line)
                items += 1
    assert items > 10


def test_regional_warning_is_labelled_in_the_county_playlist(out, index):
    county = text_of(out / "broadcast/daily/2026-06-10.txt")
    line = next(l for l in county.split("\n") if l.startswith("第一条："))
    assert line.startswith("第一条：橙色预警，播放范围：尚店镇、八台镇、武功乡，立即播出")
    day = index["playlists"]["2026-06-10"]
    assert day["items"][0] == {"script": "baoyu-chengse-yujing", "level": "橙色", "area": "尚店镇、八台镇、武功乡",
                               "regions": [{"name": "尚店镇", "code": "410481101000"},
                                           {"name": "八台镇", "code": "410481102000"},
                                           {"name": "武功乡", "code": "410481200000"}],
                               "start": "立即", "slots": ["12:00", "18:00"]}
    regions = day["regions"]
    for code in ("410481101000", "410481102000", "410481200000"):
        assert regions[code]["scripts"][0] == "baoyu-chengse-yujing"
    assert "baoyu-chengse-yujing" not in regions["410481001000"]["scripts"]  # 垭口街道
    assert "baoyu-chengse-yujing" not in regions["410481201000"]["scripts"]  # 杨庄乡
    assert "shanhong-yujing" in regions["410481201000"]["scripts"]
    town = text_of(out / "broadcast/daily/2026-06-10-410481201000.txt")
    assert town.split("\n")[1] == "播放范围：杨庄乡" and "暴雨橙色预警" not in town


def test_upcoming_lists_scripts_that_start_later(out):
    tree = lxml.html.fromstring(read(out / "broadcast/index.html"))
    upcoming = tree.xpath('//section[@aria-labelledby="upcoming-heading"]')[0]
    text = upcoming.text_content()
    assert "关于八台镇计划停电的通知" in text and "播放范围：八台镇" in text
    today = tree.xpath('//section[@aria-labelledby="today-heading"]')[0]
    assert "关于八台镇计划停电的通知" not in today.text_content()
    for item in today.xpath('.//p[@class="play-when"]'):
        assert item.text_content().startswith("播放范围：")


@pytest.mark.browser
def test_broadcaster_page_with_pending_drafts_has_no_wcag_violations(out):
    """The 待审核 list (cards, approval snippet, the alert at the top) in real Chromium with axe-core."""
    from browser.test_axe import run_axe
    from support.browser import launch_chromium, serve_directory

    axe = REPO / "node_modules" / "axe-core" / "axe.min.js"
    assert axe.exists(), "node_modules/axe-core is missing: run `bash tools/setup.sh --dev` (npm ci)"
    with serve_directory(out) as base, launch_chromium() as browser:
        for width in (1280, 375):
            page = browser.new_page(viewport={"width": width, "height": 900})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base + "broadcast/index.html")
            assert page.locator(".pending-card").count() == 3
            assert run_axe(page, str(axe)) == []
            page.evaluate("document.documentElement.classList.add('contrast')")
            assert run_axe(page, str(axe), ("color-contrast-enhanced",)) == []
            # the approval snippet never overflows the page on a phone
            assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
            assert errors == []
            page.close()
