"""Every YAML pitfall an editor hits gets a Chinese message that says what to do, on the right line."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from builder.config import load_config
from builder.diagnostics import Diagnostics
from builder.notice import load_notice
from conftest import FIXTURE_SITE, copy_site, run_build

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def config():
    diags = Diagnostics()
    cfg = load_config(FIXTURE_SITE, diags)
    assert cfg is not None, diags.items
    return cfg


def load(config, text: str | bytes, name: str = "content/2022/05/t.md"):
    diags = Diagnostics()
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    notice = load_notice(data, name, config, lambda _p: None, diags)
    return notice, diags


def only_error(diags: Diagnostics):
    assert len(diags.errors) == 1, [d.format() for d in diags.items]
    return diags.errors[0]


def test_ascii_colon_inside_a_value(config):
    _, diags = load(config, "---\ntitle: 关于: 通知\ndate: 2022-05-04\n---\n正文\n")
    err = only_error(diags)
    assert err.line == 2
    assert "“title”的值里有英文冒号加空格" in err.message
    assert '例如 title: "关于: 通知"' in err.message


def test_tab_indent(config):
    _, diags = load(config, "---\ntitle: 标题\ndate: 2022-05-04\ntags:\n\t- 停水\n---\n正文\n")
    err = only_error(diags)
    assert err.line == 5
    assert "缩进使用了制表符（Tab）" in err.message and "换成空格" in err.message


def test_fullwidth_colon_after_a_chinese_key(config):
    _, diags = load(config, "---\ntitle: 标题\n日期：2022-05-04\ncategory: 通知公告\n---\n正文\n")
    err = only_error(diags)
    assert err.line == 3
    assert "“日期”后面用了中文冒号“：”" in err.message and "请改成 date: 内容" in err.message


def test_fullwidth_colon_on_the_only_line(config):
    # the whole front matter reads as one string: still pointed at the right line
    _, diags = load(config, "---\ntitle：关于停水的通知\n---\n正文\n")
    err = only_error(diags)
    assert err.line == 2
    assert "“title”后面用了中文冒号“：”" in err.message


def test_missing_space_after_colon(config):
    _, diags = load(config, "---\ntitle:关于停水的通知\n---\n正文\n")
    err = only_error(diags)
    assert err.line == 2
    assert "“title:”后面少了一个空格" in err.message and "title: 关于停水的通知" in err.message


def test_chinese_field_name_with_ascii_colon_gets_the_english_name(config):
    _, diags = load(config, "---\ntitle: 标题\ndate: 2022-05-04\n栏目: 通知公告\n---\n正文\n")
    warning = [d for d in diags.items if d.code == "unknown-field"]
    assert warning and warning[0].line == 4
    assert "字段名要用英文，请改成 category" in warning[0].message


@pytest.mark.parametrize("written", ["2022-05-04", "2022-05-04 00:00", "2022-05-04 00:00:00", "2022/05/04",
                                     "2022.5.4", "2022年5月4日", '"2022-05-04"', "2022-05-04T00:00:00+08:00"])
def test_date_spellings_yaml_reads_differently_all_mean_the_same_day(config, written):
    # PyYAML gives a date, a str or a datetime for these; all must be the same moment
    notice, diags = load(config, f"---\ntitle: 标题\ndate: {written}\n---\n正文\n")
    assert not diags.errors, [d.format() for d in diags.items]
    assert notice.date == datetime(2022, 5, 4, tzinfo=TZ)


def test_date_written_without_separators_is_a_number(config):
    _, diags = load(config, "---\ntitle: 标题\ndate: 20220504\n---\n正文\n")
    err = only_error(diags)
    assert err.line == 3
    assert "日期 20220504 被 YAML 读成了一个数字" in err.message and "写成 2022-05-04" in err.message


def test_leading_zero_number_is_read_as_octal(config):
    _, diags = load(config, "---\ntitle: 标题\ndate: 2022-05-04\nslug: 0701\n---\n正文\n")
    err = only_error(diags)
    assert (err.line, err.column) == (4, 7)
    assert "“slug”的值 0701 以 0 开头" in err.message and "八进制 449" in err.message
    assert 'slug: "0701"' in err.message


def test_quoted_leading_zero_is_fine(config):
    notice, diags = load(config, '---\ntitle: 标题\ndate: 2022-05-04\nslug: "0701"\n---\n正文\n')
    assert not diags.errors and notice.slug == "0701"


def test_clock_time_is_read_as_sexagesimal_number(config):
    _, diags = load(config, "---\ntitle: 标题\ndate: 2022-05-04\nsummary: 12:30\n---\n正文\n")
    err = only_error(diags)
    assert err.line == 4
    assert "12:30 会被 YAML 当作六十进制数字 750" in err.message and 'summary: "12:30"' in err.message


def test_yes_no_as_text_is_an_error(config):
    _, diags = load(config, "---\ntitle: No\ndate: 2022-05-04\n---\n正文\n")
    err = only_error(diags)
    assert err.line == 2
    assert "“title”的值 No 会被 YAML 当作是/否的否（false）" in err.message and 'title: "No"' in err.message


@pytest.mark.parametrize("written,draft", [("yes", True), ("no", False), ("true", True), ("是", True),
                                           ("否", False)])
def test_yes_no_shi_fou_for_a_switch(config, written, draft):
    notice, diags = load(config, f"---\ntitle: 标题\ndate: 2022-05-04\ndraft: {written}\n---\n正文\n")
    assert not diags.errors, [d.format() for d in diags.items]
    assert notice.draft is draft


def test_draft_with_other_words_says_what_to_write(config):
    _, diags = load(config, "---\ntitle: 标题\ndate: 2022-05-04\ndraft: 草稿\n---\n正文\n")
    err = only_error(diags)
    assert err.line == 4 and "只能写 true 或 false（是 / 否）" in err.message


def test_missing_closing_delimiter(config):
    _, diags = load(config, "---\ntitle: 标题\ndate: 2022-05-04\n\n正文第一段。\n")
    err = only_error(diags)
    assert err.line == 1
    assert "头信息没有结束" in err.message and "单独加一行 ---" in err.message


def test_closing_delimiter_typed_with_chinese_dashes(config):
    _, diags = load(config, "---\ntitle: 标题\ndate: 2022-05-04\n——\n正文第一段。\n")
    err = only_error(diags)
    assert err.line == 4
    assert "第 4 行的“——”不是结束标记" in err.message and "三个英文减号 ---" in err.message


def test_front_matter_that_is_a_list(config):
    _, diags = load(config, "---\n- title: 标题\n- date: 2022-05-04\n---\n正文\n")
    err = only_error(diags)
    assert err.line == 2 and "去掉行首的“- ”" in err.message


def test_front_matter_that_is_a_sentence(config):
    _, diags = load(config, "---\n关于停水的通知\n---\n正文\n")
    err = only_error(diags)
    assert err.line == 2 and "头信息必须是“字段: 值”的形式" in err.message


def test_gbk_saved_file_is_read_and_flagged_on_its_first_chinese_line(config):
    notice, diags = load(config, "---\ntitle: 记事本保存\ndate: 2022-05-04\n---\n正文\n".encode("gbk"))
    assert notice is not None and notice.title == "记事本保存"
    warning = [d for d in diags.items if d.code == "encoding-gbk"]
    assert warning and warning[0].line == 2
    assert "另存为" in warning[0].message and "UTF-8" in warning[0].message


def test_pitfall_message_reaches_the_editor_through_the_cli(tmp_path):
    site = copy_site(tmp_path / "site")
    (site / "content" / "oct.md").write_text("---\ntitle: 标题\ndate: 2022-05-04\nslug: 0701\n---\n正文\n",
                                             encoding="utf-8")
    result = run_build("check", "--site", str(site))
    assert result.returncode == 1
    assert "content/oct.md:4:7: “slug”的值 0701 以 0 开头" in result.stderr
