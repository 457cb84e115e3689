"""Editors' real files (issue 14): Notepad files, safe defaults, typo guards.

Each case copies one fixture from tests/fixtures/editors/ into a copy of the
fixture site and runs ``build.py`` as an editor would.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO, copy_site, run_build

EDITORS = REPO / "tests" / "fixtures" / "editors"


def _site_with(tmp_path: Path, *names: str, folder: str = "content/2022/05") -> Path:
    site = copy_site(tmp_path / "site")
    for name in names:
        shutil.copy(EDITORS / name, site / folder / name)
    return site


def test_notepad_ansi_file_with_crlf_builds_with_the_warning(tmp_path):
    site = _site_with(tmp_path, "gbk-crlf.md")
    assert b"\r\n" in (site / "content/2022/05/gbk-crlf.md").read_bytes()
    result = run_build("--site", str(site), "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "content/2022/05/gbk-crlf.md:2: 警告：文件是 GBK/GB18030 编码" in result.stderr
    page = (tmp_path / "out/2022/05/gbk-crlf.html").read_text(encoding="utf-8")
    assert "<p>冬季是用电高峰，请注意用电安全。</p>" in page
    assert '<p class="closing">测试县供电公司<br>2022年5月20日</p>' in page


def _add_empty_column(site: Path, extra: str = "") -> str:
    config = (site / "site.yaml").read_text(encoding="utf-8")
    config = config.replace("  - {name: 应急管理, slug: yjgl}",
                            "  - {name: 应急管理, slug: yjgl}\n  - {name: 空栏目, slug: kong}") + extra
    (site / "site.yaml").write_text(config, encoding="utf-8")
    return config


def test_empty_column_is_a_warning_naming_the_setting_that_makes_it_an_error(tmp_path):
    site = copy_site(tmp_path / "site")
    _add_empty_column(site)
    result = run_build("--site", str(site), "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    [line] = [l for l in result.stderr.splitlines() if "空栏目" in l]
    assert line.startswith("site.yaml:") and "警告" in line and "check: {empty_columns: error}" in line

    _add_empty_column(copy_site(tmp_path / "strict"), "check: {empty_columns: error}\n")
    refused = run_build("check", "--site", str(tmp_path / "strict"))
    assert refused.returncode == 1 and "空白栏目" in refused.stderr
    assert "检查未通过：共 1 个错误" in refused.stderr and "构建失败" not in refused.stderr


def test_site_defaults_to_the_current_folder_and_nowhere_else(tmp_path):
    site = copy_site(tmp_path / "site")
    here = run_build("check", cwd=site)  # no --site: the folder holding site.yaml
    assert here.returncode == 0, here.stderr
    assert "检查通过：11 篇公告" in here.stderr  # the fixture site, not the example (9)
    made = run_build("new", "停水通知", "--date", "2022-05-04 08:00", cwd=site)
    assert made.returncode == 0 and (site / made.stdout.strip()).is_file()
    assert "--site" not in made.stderr  # not given, not repeated
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for command in (["check"], ["build"], ["new", "停水通知"]):
        refused = run_build(*command, cwd=elsewhere)
        assert refused.returncode == 2
        assert "没有 site.yaml" in refused.stderr and "--site" in refused.stderr
    assert list(elsewhere.iterdir()) == []
    assert not list((REPO / "content").rglob("*ting-shui-tong-zhi*"))  # never the project's example


def test_check_writes_nothing_under_the_site(tmp_path):
    site = copy_site(tmp_path / "site")
    before = sorted(p.relative_to(site).as_posix() for p in site.rglob("*"))
    result = run_build("check", "--site", str(site))
    assert result.returncode == 0, result.stderr
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*")) == before
    # after a build, check uses (reads) the build's cache and still writes nothing
    assert run_build("--site", str(site)).returncode == 0
    cache = {p: p.stat().st_mtime_ns for p in (site / ".cache").rglob("*")}
    assert run_build("check", "--site", str(site)).returncode == 0
    assert {p: p.stat().st_mtime_ns for p in (site / ".cache").rglob("*")} == cache
