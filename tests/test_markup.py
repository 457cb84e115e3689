"""Markdown rendering details that editors notice."""

from __future__ import annotations

from pathlib import Path

import pytest
from markdown.treeprocessors import InlineProcessor

from builder import markup

REPO = Path(__file__).resolve().parent.parent
SAMPLES = [
    "普通中文段落，没有任何标记。\n第二行接着写。",
    "**会议强调，**要求落实。*强调*与_下划线_和__粗体__。",
    "行尾两个空格  \n换行；`代码`；\\*转义\\*；&amp; 实体；&copy;",
    "[链接](http://example.com) ![图](a.png \"说明\") <http://auto.link> <a@b.cn>",
    "<span>行内 HTML</span> 与 <!-- 注释 --> 文字",
    "脚注[^1]\n\n[^1]: 说明",
    "1. 一是\n2. 二是\n\n- 列表 **粗体**\n",
    "| 表头 | 列 |\n|---|:-:|\n| *a* | b |",
]


def _reference():
    md = markup._build_markdown()
    md.treeprocessors.register(InlineProcessor(md), "inline", 20)
    return md


@pytest.mark.parametrize("source", SAMPLES + [p.read_text(encoding="utf-8").split("---", 2)[-1]
                                              for p in sorted((REPO / "content").rglob("*.md"))])
def test_quick_inline_pass_changes_nothing(source):
    fast, ref = markup._build_markdown(), _reference()
    assert fast.convert(source) == ref.convert(source)


def test_summary_counts_han_characters_as_words():
    text = "一" * 50 + " English words here " + "二" * 100
    summary = markup.summarize(text, 60)
    assert summary.endswith("……")
    assert summary.count("一") == 50 and "English words here" in summary and summary.count("二") == 7


def test_short_paragraph_is_not_cut():
    assert markup.summarize("停水通知。", 120) == "停水通知。"


def test_control_characters_never_reach_output():
    rendered = markup.render("标题\x07正文\x00")
    assert "\x07" not in rendered.html and "\x00" not in rendered.html
