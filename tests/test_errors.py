"""One deliberately broken notice per error class: Chinese message, file, line, exit 1, old output kept."""

from __future__ import annotations

import shutil

import pytest
import yaml

from conftest import BROKEN, copy_site, run_build

EXPECTED = yaml.safe_load((BROKEN / "expected.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def good_build(tmp_path_factory):
    site = copy_site(tmp_path_factory.mktemp("errors") / "site")
    out = site / "output"
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 0, result.stderr
    snapshot = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    return site, out, snapshot


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_notice_is_reported_and_output_untouched(good_build, name):
    site, out, snapshot = good_build
    target = site / "content" / "2022" / "05" / name
    shutil.copy(BROKEN / name, target)
    try:
        result = run_build("--site", str(site), "--output", str(out))
    finally:
        target.unlink()
    expected = EXPECTED[name]
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    location = f"content/2022/05/{name}:{expected['line']}"
    lines = [l for l in result.stderr.splitlines() if l.startswith(location + ":")]
    assert lines, f"no message at {location}:\n{result.stderr}"
    assert any(expected["message"] in l for l in lines), result.stderr
    assert "构建失败" in result.stderr and "输出目录未作任何改动" in result.stderr
    after = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == snapshot


def test_every_error_is_reported_at_once(tmp_path):
    site = copy_site(tmp_path / "site")
    for name in ("date-format.md", "title-missing.md", "category-unknown.md"):
        shutil.copy(BROKEN / name, site / "content" / name)
    result = run_build("check", "--site", str(site))
    assert result.returncode == 1
    for name in ("date-format.md", "title-missing.md", "category-unknown.md"):
        assert f"content/{name}:" in result.stderr
    assert "共 3 个错误" in result.stderr


def test_duplicate_slug_names_both_files(tmp_path):
    site = copy_site(tmp_path / "site")
    shutil.copy(BROKEN / "slug-duplicate.md", site / "content" / "2022" / "05" / "dup.md")
    result = run_build("check", "--site", str(site))
    assert result.returncode == 1
    assert "content/2022/05/dup.md:4: 与 content/2022/05/meeting.md 会生成同一个页面" in result.stderr
    assert "content/2022/05/meeting.md:1: 与 content/2022/05/dup.md 会生成同一个页面" in result.stderr


def test_gbk_file_is_read_with_warning(tmp_path):
    site = copy_site(tmp_path / "site")
    text = "---\ntitle: 记事本保存的公告\ndate: 2022-05-04\n---\n\n这是用 ANSI 编码保存的正文。\n"
    (site / "content" / "gbk.md").write_bytes(text.encode("gbk"))
    result = run_build("--site", str(site), "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "content/gbk.md:2: 警告：文件是 GBK/GB18030 编码" in result.stderr
    assert "这是用 ANSI 编码保存的正文" in (tmp_path / "out/2022/05/gbk.html").read_text(encoding="utf-8")
    strict = run_build("check", "--strict", "--site", str(site))
    assert strict.returncode == 1


def test_bom_and_crlf_are_accepted(tmp_path):
    site = copy_site(tmp_path / "site")
    text = "---\r\ntitle: Windows 记事本\r\ndate: 2022-05-04 08:00\r\n---\r\n\r\n第一行\r\n第二行\r\n"
    (site / "content" / "win.md").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = run_build("--site", str(site), "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out/2022/05/win.html").read_text(encoding="utf-8")
    assert "第一行第二行" in html and "Windows 记事本" in html


def test_unknown_field_suggests_nearest(tmp_path):
    site = copy_site(tmp_path / "site")
    (site / "content" / "typo.md").write_text("---\ntitle: 拼错字段\ndate: 2022-05-04\ncatgory: 通知公告\n---\n\n正文\n",
                                               encoding="utf-8")
    result = run_build("check", "--site", str(site))
    assert result.returncode == 0
    assert "content/typo.md:4: 警告：未知字段“catgory”，是不是想写“category”？" in result.stderr


def test_config_errors_name_the_key(tmp_path):
    site = copy_site(tmp_path / "site")
    config = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(config.replace("page_size: 3", "page_size: 三\npage_sise: 3"), encoding="utf-8")
    result = run_build("check", "--site", str(site))
    assert result.returncode == 1
    assert "site.yaml:8: 配置项“page_size”应当是不小于 1 的整数，现在是“三”" in result.stderr
    assert "未知的配置项“page_sise”，是不是想写“page_size”？" in result.stderr
