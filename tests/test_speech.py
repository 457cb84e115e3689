"""Tests for builder.speech (spoken-text normalization for loudspeaker scripts)."""

from __future__ import annotations

import io
import re
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.speech import SpeechNote, has_unspoken, main, normalize, to_spoken

GOLDEN = Path(__file__).parent / "golden" / "speech.tsv"
ARABIC_DIGIT = re.compile(r"[0-9０-９]")


def load_golden() -> list[tuple[str, str, str]]:
    rows = []
    for lineno, line in enumerate(GOLDEN.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        category, written, spoken = line.split("\t")
        rows.append((f"{lineno}:{category}", written, spoken))
    return rows


CASES = load_golden()


# --- golden table -----------------------------------------------------------


@pytest.mark.parametrize(("case_id", "written", "spoken"), CASES, ids=[c[0] for c in CASES])
def test_golden(case_id: str, written: str, spoken: str) -> None:
    assert to_spoken(written) == spoken


def test_golden_pass_rate() -> None:
    """Report the pass rate of the whole table in one line (and require 100%)."""
    failures = [(w, s, to_spoken(w)) for _, w, s in CASES if to_spoken(w) != s]
    passed = len(CASES) - len(failures)
    print(f"\nspeech golden: {passed}/{len(CASES)} passed ({passed / len(CASES):.1%})")
    assert len(CASES) >= 170
    assert not failures, failures[:5]


def test_golden_table_is_well_formed() -> None:
    categories = {c.split(":", 1)[1] for c, _, _ in CASES}
    for required in (
        "year", "duration", "date", "isodate", "time", "liang", "er", "phone", "hotline",
        "postcode", "room", "plate", "docnum", "decimal", "version", "percent", "permille",
        "range", "negtemp", "unit", "money", "fraction", "thousands", "roman", "circled",
        "fullwidth", "event", "byline", "bracket", "quote", "url", "email", "chinese",
    ):
        assert required in categories, required
    # Every spoken form is itself free of unspeakable characters.
    for case_id, _, spoken in CASES:
        assert has_unspoken(spoken) == [], case_id


# --- output invariants -----------------------------------------------------------

FORBIDDEN = re.compile(r"[0-9０-９%‰℃~～/()（）\[\]【】〔〕《》<>「」『』“”‘’\"']")

_TOKENS = (
    list("0123456789０１２３４５６７８９")
    + ["%", "‰", "℃", "°C", "~", "～", "-", "—", "至", "/", ".", ",", ":", "：", "·", "．"]
    + ["年", "月", "日", "号", "时", "点", "分", "个", "人", "万", "亿", "元", "第", "室"]
    + ["km", "kg", "m", "mm", "㎡", "m²", "L", "t", "kV", "km/h", "元/公斤", "¥", "#", "+"]
    + ["，", "。", "、", "（", "）", "(", ")", "【", "】", "“", "”", " ", "No.", "PM", "G", "Ⅳ", "①"]
)


@settings(max_examples=300, deadline=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join))
def test_no_arabic_digit_survives(text: str) -> None:
    start = time.perf_counter()
    spoken, notes = normalize(text)
    assert time.perf_counter() - start < 0.1
    assert not ARABIC_DIGIT.search(spoken), (text, spoken)
    assert not FORBIDDEN.search(spoken), (text, spoken)
    assert notes == []


@settings(max_examples=200, deadline=500)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_never_raises_on_arbitrary_text(text: str) -> None:
    spoken, _ = normalize(text)
    assert not ARABIC_DIGIT.search(spoken)


@settings(max_examples=100, deadline=500)
@given(st.text(alphabet="各乡镇街道要高度重视防汛工作确保群众安全一二三十百，。、；：！？", max_size=40))
def test_chinese_without_digits_is_unchanged(text: str) -> None:
    assert to_spoken(text) == text


def test_chinese_numerals_and_dashes_unchanged() -> None:
    text = "十一—十二月，第一——第三阶段，一是……二是……"
    assert to_spoken(text) == text


def test_long_input_is_fast() -> None:
    text = "（记者 张三）2022年5月4日14:30，全县新增病例2例，接种率达95%，咨询电话0375-2345678。" * 200
    start = time.perf_counter()
    spoken = to_spoken(text)
    assert time.perf_counter() - start < 2.0
    assert not ARABIC_DIGIT.search(spoken)


_ADVERSARIAL = ("1-", "-1", "1.", "12:00", "1/", "1,", "1年", "1·", "（1", "1a", "¥1", "08-", "电话1", "1后",
                "公元1", "1ad", "1:1-", "下午1:00")


@pytest.mark.parametrize(
    "text",
    ["1" * 20000, "1" * 20000 + "%", "1" * 20000 + "元/人", "1" * 20000 + "#"]
    + [piece * (20000 // len(piece)) for piece in _ADVERSARIAL],
)
def test_long_digit_runs_are_linear(text: str) -> None:
    """20,000 characters in well under a second (a quadratic pattern would take minutes).

    Ratios between 20,000 and 80,000 characters: ``python benchmarks/speak_throughput.py --scaling``."""
    start = time.perf_counter()
    spoken = to_spoken(text)
    assert time.perf_counter() - start < 1.0
    assert not ARABIC_DIGIT.search(spoken)


# --- modes and notes ---------------------------------------------------------------


def test_script_mode_removes_url_with_note() -> None:
    spoken, notes = normalize("详情请登录www.wugang.gov.cn查询。", mode="script")
    assert spoken == "详情请登录查询。"
    assert notes == [
        SpeechNote(code="url-removed", message=notes[0].message, text="www.wugang.gov.cn")
    ]
    assert "网址" in notes[0].message


def test_script_mode_removes_email_with_note() -> None:
    spoken, notes = normalize("投稿邮箱：wgsxcb@163.com。咨询电话12345。", mode="script")
    assert spoken == "投稿邮箱。咨询电话幺二三四五。"
    assert [n.code for n in notes] == ["email-removed"]
    assert notes[0].text == "wgsxcb@163.com"


def test_speak_mode_spells_url_without_notes() -> None:
    spoken, notes = normalize("网址：https://www.hnwg.gov.cn/a_b/2022")
    assert spoken == "网址：www点hnwg点gov点cn斜杠a下划线b斜杠二零二二"
    assert notes == []


def test_script_mode_lines_end_cleanly() -> None:
    """A line ending in a colon or comma ends there: the script closes it with 。, never "：。"."""
    spoken, _ = normalize("对以下路段临时停水：\n湖滨大道、跃进路\n营业厅（工作日8:30—17:30）\n24小时抢修热线", mode="script")
    assert spoken.split("\n") == [
        "对以下路段临时停水", "湖滨大道、跃进路", "营业厅，工作日早上八点三十分到下午五点三十分", "二十四小时抢修热线",
    ]
    # speak mode keeps what is written
    assert to_spoken("各乡镇、县直各单位：") == "各乡镇、县直各单位："


def test_clause_commas_stay_commas() -> None:
    text = "因管网改造，5月6日8:00-18:00停水，请居民提前储水。"
    assert to_spoken(text).count("，") == 2 and to_spoken(text).count("。") == 1


def test_phone_pause_becomes_ssml_break() -> None:
    """The pause after an area code is a comma in the text and a <break> in SSML."""
    from builder.broadcast.settings import PronunciationLexicon
    from builder.broadcast.ssml import _inline

    spoken = to_spoken("咨询电话0375-8123377")
    assert spoken == "咨询电话零三七五，八幺二三三七七"
    ssml = _inline(spoken, PronunciationLexicon({}), "x-pinyin")
    assert re.search(r"零三七五，<break time=\"[0-9]+ms\"/>八幺二三三七七", ssml), ssml


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError):
        normalize("文本", mode="shout")


# --- keep lexicon ------------------------------------------------------------------


def test_keep_words_untouched() -> None:
    text = "G107国道沿线实现5G覆盖，共2个基站。"
    assert to_spoken(text) == "G幺零七国道沿线实现五G覆盖，共两个基站。"
    assert to_spoken(text, keep=["5G", "G107国道"]) == "G107国道沿线实现5G覆盖，共两个基站。"
    spoken, _ = normalize(text, mode="script", keep={"5G"})
    assert "5G" in spoken


def test_keep_overlapping_words_prefers_longest() -> None:
    assert to_spoken("COVID-19疫苗和19人", keep=["COVID-19", "19"]) == "COVID-19疫苗和19人"
    assert to_spoken("2号线和12号线", keep=["12号线"]) == "二号线和12号线"


def test_has_unspoken() -> None:
    assert has_unspoken("五月四日，接种率百分之九十五。") == []
    assert has_unspoken("2022年达到95%（预计）") == ["2022", "95", "%", "（", "）"]
    assert has_unspoken("实现5G覆盖", keep=["5G"]) == []
    assert has_unspoken("实现５G覆盖") == ["５"]


# --- CLI ---------------------------------------------------------------------------


def test_cli_with_argument(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["5月4日14:30，新增病例2例。"]) == 0
    assert capsys.readouterr().out == "五月四日下午两点三十分，新增病例两例。\n"


def test_cli_keep_and_script_mode(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--mode", "script", "--keep", "5G", "5G网络，详见www.a.gov.cn。"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "5G网络，详见。\n"
    assert "url-removed" in captured.err


def test_cli_batch_from_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data = "停水时间为8:00-18:00。\n气温-3～5℃\n\n拨打12345\n".encode("utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="latin-1"))
    assert main([]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "停水时间为早上八点到晚上六点。",
        "气温零下三到五摄氏度",
        "",
        "拨打幺二三四五",
    ]


def test_cli_batch_from_text_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("2人\n3/4\n"))
    monkeypatch.setattr(sys, "argv", ["speak"])
    assert main() == 0
    assert capsys.readouterr().out == "两人\n四分之三\n"


def test_cli_runs_as_module(tmp_path: Path) -> None:
    import subprocess

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-m", "builder.speech"],
        input="下午2:30\n".encode("utf-8"),
        capture_output=True,
        cwd=root,
        env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C", "PATH": ""},
        check=True,
    )
    assert proc.stdout.decode("utf-8") == "下午两点三十分\n"


# --- public TN suites (development set) ------------------------------------------------


def _devset_module():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "tn_devset.py"
    spec = importlib.util.spec_from_file_location("tn_devset", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("tn_devset", module)  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_public_tn_suites_every_failure_is_classified(capsys: pytest.CaptureFixture[str]) -> None:
    """Every row of the WeTextProcessing/NeMo suites we read differently is in classification.tsv,
    none of them is a known error, and the pass rates do not fall below what we reached."""
    devset = _devset_module()
    assert devset.main(["--show", "error", "--show", "unclassified"]) == 0
    out = capsys.readouterr().out
    rates = dict(re.findall(r"^(\w+): \d+/\d+ in-scope rows read as expected \(([0-9.]+)%\)", out, re.M))
    assert float(rates["wetextprocessing"]) >= 90.0 and float(rates["nemo"]) >= 93.0, out
    assert "[error]" not in out and "[unclassified]" not in out, out
