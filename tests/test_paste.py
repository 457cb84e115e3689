"""Bodies pasted from Word/WPS: every line its own paragraph, numbered lines apart, the 落款 right-aligned.

Fixtures: tests/fixtures/paste/*.md are bodies as an editor pastes them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html as lhtml

from builder import markup, paste, reader
from builder.config import load_config
from builder.diagnostics import Diagnostics
from builder.notice import load_notice

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "paste"


def _paragraphs(body_html: str) -> list[tuple[str, str]]:
    root = lhtml.fragment_fromstring(body_html, create_parent="div")
    return [(el.get("class") or "", el.text_content()) for el in root.iter("p", "pre", "code")]


def _body(name: str) -> str:
    return reader.decode((FIXTURES / name).read_bytes(), name, Diagnostics())


def test_word_paste_becomes_one_paragraph_per_line():
    rendered = markup.render(_body("word-paste.md"))
    paragraphs = _paragraphs(rendered.html)
    assert paragraphs == [
        ("", "各乡镇人民政府、街道办事处，市直各单位："),
        ("", "为做好今冬明春安全防范工作，现将有关事项通知如下："),
        ("", "1.请各单位高度重视，明确专人负责。"),
        ("", "2.请于12月1日前将排查情况报市应急管理局。"),
        ("", "（一）加强组织领导"),
        ("", "（二）落实工作责任"),
        ("", "一、总体要求"),
        ("", "二、工作任务"),
        ("", "这一段是用四个空格缩进的。"),
        ("", "特此通知。"),
        ("closing", "中共舞钢市委组织部舞钢市民政局2026年11月28日"),
    ]
    assert "<pre>" not in rendered.html and "\u3000" not in rendered.html
    # the 落款 keeps its lines: issuers and date separated by <br>
    assert '<p class="closing">中共舞钢市委组织部<br>舞钢市民政局<br>2026年11月28日</p>' in rendered.html
    assert rendered.closing == paste.Closing(("中共舞钢市委组织部", "舞钢市民政局"), "2026年11月28日", 2026, 11, 28)
    assert any("编号行" in c for c in rendered.cleaned) and any("缩进" in c for c in rendered.cleaned)


def test_crlf_paste_is_the_same_as_lf():
    rendered = markup.render(_body("word-paste-crlf.md"))
    assert [p for _c, p in _paragraphs(rendered.html)] == [
        "各村（社区）：", "接上级通知，12月1日全县开展消防演练。", "请各村提前告知村民。",
        "舞钢市应急管理局2026年11月28日"]
    assert rendered.closing.issuers == ("舞钢市应急管理局",)


def test_closing_on_adjacent_lines_is_right_aligned_without_other_changes():
    rendered = markup.render(_body("closing-only.md"))
    assert rendered.html.endswith('<p class="closing">国网舞钢市供电公司<br>2026年11月26日</p>')
    assert rendered.cleaned == ()  # a 落款 is the normal way to end a notice: nothing to warn about


def test_closing_separated_by_blank_lines_is_exposed_but_rendered_as_written():
    body = "特此通知。\n\n舞钢市自来水有限公司\n\n2022年6月8日\n"
    rendered = markup.render(body)
    assert rendered.closing == paste.Closing(("舞钢市自来水有限公司",), "2022年6月8日", 2022, 6, 8)
    assert 'class="closing"' not in rendered.html


@pytest.mark.parametrize("body", [
    "普通段落，没有落款。\n",
    "会议强调：\n\n1. 一是压实责任\n2. 二是加强督查\n",
    "- 第一项\n- 第二项\n\n    列表项的第二段（缩进四格）\n",
    "| 区域 | 时间 |\n|---|---|\n| 尚店村 | 8:00 |\n",
    "```\n原样\n  保留\n```\n",
    "第一句写在这里，\n第二行接着写同一段。\n",
])
def test_clean_markdown_is_left_alone(body):
    assert paste.prepare(body).source == body
    assert paste.prepare(body).cleaned == ()


def _all_bodies():
    for root in (REPO / "content", REPO / "tests" / "fixtures" / "site" / "content"):
        for path in sorted(root.rglob("*")):
            if path.suffix in (".md", ".yaml"):
                raw = reader.read(path.read_bytes(), path.name, Diagnostics())
                if raw is not None:
                    yield path, raw.body


def test_clean_example_and_fixture_notices_render_as_before(tmp_path):
    """Byte-identical output for notices that are already clean: only the ones whose 落款 lines
    used to merge ("舞钢市自来水有限公司2022年6月8日") change, and only there."""
    from tests.support.gensite import write_site

    write_site(tmp_path, 150, seed=3)
    bodies = list(_all_bodies())
    for path in sorted((tmp_path / "content").rglob("*.md")):
        raw = reader.read(path.read_bytes(), path.name, Diagnostics())
        bodies.append((path, raw.body))
    changed = []
    for path, body in bodies:
        prepared = paste.prepare(body)
        if prepared.source != body:
            changed.append(path.name)
            assert prepared.closing_split and prepared.cleaned == ()
    assert sorted(changed) == ["shangdian-tingdian.md", "tingshui-chaoyang.md", "tingshui-jianshelu.yaml"]


def test_check_warns_about_a_pasted_body_and_says_what_was_cleaned():
    config = load_config(REPO, Diagnostics())
    body = _body("word-paste.md")
    data = ("---\ntitle: 关于做好冬季安全工作的通知\ndate: 2026-11-28 09:00\ncategory: 通知公告\n---\n" + body).encode()
    diags = Diagnostics()
    notice = load_notice(data, "content/2026/11/paste.md", config, lambda p: None, diags)
    assert notice is not None and notice.closing.issuers == ("中共舞钢市委组织部", "舞钢市民政局")
    [warning] = [d for d in diags.items if d.code == "body-pasted"]
    assert warning.level == "warning" and warning.line == 6
    assert "去掉了 10 行行首的空格或全角空格缩进" in warning.message
    assert "编号行" in warning.message and "落款" in warning.message


def test_check_warns_about_mixed_quotes_and_full_width_gaps():
    config = load_config(REPO, Diagnostics())
    data = ("---\ntitle: 说明\ndate: 2026-11-28 09:00\n---\n" + _body("signs.md")).encode()
    diags = Diagnostics()
    load_notice(data, "content/2026/11/signs.md", config, lambda p: None, diags)
    [warning] = [d for d in diags.items if d.code == "body-paste-signs"]
    assert "连续的全角空格" in warning.message and "英文直引号" in warning.message
    assert warning.path == "content/2026/11/signs.md" and warning.line == 5
