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
