"""Fuzzing with hypothesis: the parsers and text functions never raise unexpectedly and stay fast.

``derandomize=True`` makes every run explore the same examples (reproducible in CI);
the deadline bounds the time of each example.  Example counts are reported in
the pytest summary.
"""

from __future__ import annotations

import re
from collections import Counter

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder import markup, reader, slugs, speech
from builder.diagnostics import Diagnostics
from builder.notice import load_notice
from support.trees import SUMMARY

FUZZ = settings(max_examples=300, deadline=2000, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
RUNS: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    if RUNS:
        SUMMARY.append("fuzz (hypothesis, derandomized): " + ", ".join(f"{k} {v}" for k, v in sorted(RUNS.items()))
                       + f"; {sum(RUNS.values())} examples run")


# Pieces editors (and attackers) put into notice files.
_YAML_BITS = ["---\n", "...\n", "title: ", "date: ", "2022-05-04 12:30", "tags: ", "[", "]", "{", "}", ", ", ": ",
              "：", "\n", "  ", "- ", "&a ", "*a", "!!python/object:os.system ", "!!binary ", "|\n", ">\n", "'",
              '"', "#", "\t", "\ufeff", "\r\n", "通知", "slug: ", "image: ", "../", "\\", "C:\\", "%", "<script>",
              "attachments: ", "doc: ", "level: 红色", "? ", "<<: ", "~", "null", "1e999", "0x1F", "2022-13-45"]
_MD_BITS = ["# ", "## ", "**", "*", "_", "`", "```\n", "> ", "- ", "1. ", "|", "---", "\n", "\n\n", "[", "]", "(",
            ")", "![", "<", ">", "</", "script", "img", " onerror=", "javascript:", "&#", ";", "{: #id }", "[^1]",
            "[^1]: ", "    ", "中文", "，", "http://x.example/", '"', "'", "\\", "&amp;", "<!--", "-->", "\x00", "\x1b"]


@FUZZ
@given(st.binary(max_size=2000))
def test_reader_on_arbitrary_bytes(data: bytes) -> None:
    RUNS["reader(bytes)"] += 1
    diags = Diagnostics()
    raw = reader.read(data, "content/fuzz.md", diags)
    assert raw is not None or diags.has_errors()
    for d in diags.items:
        assert d.path == "content/fuzz.md" and d.message


@FUZZ
@given(st.lists(st.sampled_from(_YAML_BITS) | st.text(max_size=8), max_size=60).map("".join),
       st.sampled_from(["content/a.md", "content/a.yaml"]))
def test_reader_on_front_matter_shaped_text(text: str, rel: str) -> None:
    RUNS["reader(front matter)"] += 1
    diags = Diagnostics()
    raw = reader.read(text.encode("utf-8"), rel, diags)
    if raw is not None:
        assert isinstance(raw.fields, dict) and isinstance(raw.body, str)




@pytest.fixture(scope="module")
def config():
    from pathlib import Path

    from builder.config import load_config

    diags = Diagnostics()
    cfg = load_config(Path(__file__).parent / "fixtures" / "site", diags)
    assert cfg is not None
    return cfg


@FUZZ
@given(text=st.lists(st.sampled_from(_YAML_BITS) | st.text(max_size=8), max_size=60).map("".join))
def test_whole_notice_loader_never_raises(config, text: str) -> None:
    RUNS["load_notice"] += 1
    diags = Diagnostics()
    data = ("---\ntitle: 标题\ndate: 2022-05-04\n" + text + "\n---\n正文\n").encode("utf-8")
    notice = load_notice(data, "content/2022/05/fuzz.md", config, lambda rel: None, diags)
    assert notice is not None or diags.has_errors()


@FUZZ
@given(st.lists(st.sampled_from(_MD_BITS) | st.text(max_size=6), max_size=80).map("".join))
def test_markdown_rendering(source: str) -> None:
    RUNS["markup.render"] += 1
    rendered = markup.render(source)
    assert isinstance(rendered.html, str)
    if rendered.html.strip():
        for el in lxml.html.fragment_fromstring(rendered.html, create_parent="div").iter():
            assert el.tag not in ("script", "style", "iframe", "object", "embed", "svg", "form"), rendered.html
            for name, value in el.attrib.items():
                assert not name.lower().startswith("on"), rendered.html
                assert not re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(("javascript:", "data:",
                                                                                     "vbscript:")), rendered.html
    markup.summarize(rendered.first_paragraph, 120)


@FUZZ
@given(st.text(max_size=80))
def test_slug_functions(text: str) -> None:
    RUNS["slugs"] += 1
    for slug in (slugs.slugify(text), slugs.from_stem(text)):
        assert slug.isascii() and "/" not in slug and ".." not in slug and len(slug) <= slugs.MAX_SLUG
        assert slug == "" or re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug)
    assert slugs.from_stem(text) != ""
    try:
        explicit = slugs.check_explicit(text)
    except slugs.SlugProblem as exc:
        assert str(exc)
    else:
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", explicit)


_SPEECH_TOKENS = (list("0123456789０１２３４５６７８９") + ["%", "％", "‰", "℃", "°C", "~", "～", "-", "—", "/", ".", ",", ":",
                  "：", "·", "．", "+", "×", "¥", "$", "#", "No.", "km", "kg", "m", "mm", "cm", "㎡", "m²", "m³", "L",
                  "ml", "t", "kV", "kW", "km/h", "元", "万元", "亿", "元/公斤", "元/人", "个", "人", "次", "户", "岁",
                  "年", "月", "日", "号", "时", "点", "分", "秒", "第", "室", "层", "楼", "G", "K", "，", "。", "、",
                  "；", "！", "？", "（", "）", "(", ")", "【", "】", "“", "”", " ", "\n"])


@FUZZ
@given(st.lists(st.sampled_from(_SPEECH_TOKENS), max_size=50).map("".join), st.sampled_from(["speak", "script"]))
def test_normalizer_leaves_no_arabic_digit(text: str, mode: str) -> None:
    RUNS["speech(digits+units)"] += 1
    spoken, _notes = speech.normalize(text, mode=mode)
    assert not re.search(r"[0-9０-９]", spoken), (text, spoken)


@FUZZ
@given(st.text(max_size=120), st.sampled_from(["speak", "script"]))
def test_normalizer_on_any_text(text: str, mode: str) -> None:
    RUNS["speech(any text)"] += 1
    spoken, notes = speech.normalize(text, mode=mode)
    assert isinstance(spoken, str) and all(n.message for n in notes)
