"""site.yaml as one typed configuration: every section validated in one place, with the same kind of
message (file:line, the nearest known key); the sections of one stage reported by that stage."""

from __future__ import annotations

from conftest import copy_site, run_build

from builder.config import load_config
from builder.diagnostics import Diagnostics


def _site(tmp_path, extra: str):
    site = copy_site(tmp_path / "site")
    text = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(text + extra, encoding="utf-8")
    return site, len(text.splitlines())


def test_search_and_xxgk_keys_are_validated_with_lines_and_suggestions(tmp_path):
    site, n = _site(tmp_path, "\nsearch:\n  enabeld: false\n  memory_mb: 很多\nxxgk:\n  index_prefx: ABC\n"
                              "  index_prefix: [1, 2]\n")
    result = run_build("check", "--site", str(site))
    assert result.returncode == 1, result.stderr
    err = result.stderr
    assert f"site.yaml:{n + 3}: 警告：search 中有未知的配置项“enabeld”，是不是想写“enabled”？" in err
    assert f"site.yaml:{n + 4}: 配置项“search.memory_mb”应当是不小于 1 的整数（单位 MB），现在是“很多”" in err
    assert f"site.yaml:{n + 6}: 警告：xxgk 中有未知的配置项“index_prefx”，是不是想写“index_prefix”？" in err
    assert f"site.yaml:{n + 7}: 配置项“xxgk.index_prefix”应当是文字（机构代码）" in err


def test_search_section_of_the_wrong_type(tmp_path):
    site, n = _site(tmp_path, "\nsearch: 关闭\n")
    diags = Diagnostics()
    assert load_config(site, diags) is None
    assert [(d.line, d.message) for d in diags.errors] == [(n + 2, "search 应当写成缩进的字段，例如：\nsearch:\n  enabled: false")]
    site, n = _site(tmp_path / "b", "\nsearch:\n  enabled: 否\n")
    diags = Diagnostics()
    assert load_config(site, diags) is None
    assert [(d.line, d.message) for d in diags.errors] == [(n + 3, "search.enabled 只能写 true 或 false")]


def test_stage_sections_are_validated_at_load_and_reported_by_their_stage(tmp_path):
    site, n = _site(tmp_path, "\nbroadcast:\n  atention: 请注意\n  valid_days: 0\ncheck:\n  empty_colums: off\n"
                              "terms:\n  typo: {攻府: 政府}\n")
    diags = Diagnostics()
    config = load_config(site, diags)
    assert config is not None and not diags.items  # nothing yet: deploy, serve's config load are not stopped
    sections = dict(config.deferred)
    assert [d.message for d in sections["broadcast"]] == [
        "broadcast 中有未知的配置项“atention”，是不是想写“attention”？",
        "配置项“broadcast.valid_days”应当是 1 到 366 之间的整数，现在是“0”"]
    assert [d.message for d in sections["check"]] == ["check 中有未知的配置项“empty_colums”，是不是想写“empty_columns”？"]
    assert [d.message for d in sections["terms"]] == ["词表中未知的部分“terms.typo”，是不是想写“typos”？"]
    reported = Diagnostics()
    assert config.report("broadcast", reported).valid_days == 7
    assert [d.line for d in reported.items] == [n + 3, n + 4]
    # `check` runs both stages: each message once, and the broadcast error fails it.
    result = run_build("check", "--site", str(site))
    assert result.returncode == 1
    for message in ("未知的配置项“atention”", "broadcast.valid_days”应当是 1 到 366", "未知的配置项“empty_colums”",
                    "未知的部分“terms.typo”"):
        assert result.stderr.count(message) == 1, (message, result.stderr)


def test_base_url_option_moves_the_broadcast_defaults_with_it(tmp_path):
    site = copy_site(tmp_path / "site")
    config = load_config(site, Diagnostics())
    assert config.broadcast.cap_sender == "test.example"
    assert config.with_base_url("https://other.example/").broadcast.cap_sender == "other.example"
