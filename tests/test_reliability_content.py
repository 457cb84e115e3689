"""Nothing lost: content/ is never written, `new` never overwrites, deleted notices vanish only on success."""

from __future__ import annotations

import pytest

from conftest import copy_site, run_build
from support.gensite import copy_example_site
from support.trees import tree_digest


def _site_digest(site):
    """Every file of the site except what the build owns (output/, its staging/lock files, and .cache/)."""
    digest = tree_digest(site)
    return {k: v for k, v in digest.items() if not k.split("/")[0].startswith(("output", ".output", ".cache"))}


EXAMPLE_ENV = {"SOURCE_DATE_EPOCH": "1795838400"}  # 2026-11-28: the example site's own time


def test_builds_never_write_into_the_site(tmp_path):
    site = copy_example_site(tmp_path / "site")
    before = _site_digest(site)
    for args in (("build",), ("build", "--drafts"), ("check",), ("build", "--strict")):
        result = run_build(*args, "--site", str(site), env=EXAMPLE_ENV)
        assert result.returncode in (0, 1), result.stderr
        assert _site_digest(site) == before, args
    broken = site / "content" / "broken.md"
    broken.write_text("---\ntitle: 坏公告\n---\n", encoding="utf-8")
    before = _site_digest(site)
    assert run_build("--site", str(site), env=EXAMPLE_ENV).returncode == 1
    assert _site_digest(site) == before
    assert (site / "output" / "index.html").is_file()


def test_deleted_notice_disappears_only_with_a_successful_build(tmp_path):
    site = copy_site(tmp_path / "site")
    out = tmp_path / "output"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    page, attachment = out / "2022/06/doc.html", out / "files/2022/06/form.txt"
    assert page.is_file() and attachment.is_file()
    (site / "content/2022/06/doc.md").unlink()
    (site / "content/2022/06/form.txt").unlink()
    broken = site / "content/2022/06/broken.md"
    broken.write_text("---\ntitle: 缺少日期\n---\n正文\n", encoding="utf-8")
    snapshot = tree_digest(out)
    failed = run_build("--site", str(site), "--output", str(out))
    assert failed.returncode == 1
    assert tree_digest(out) == snapshot  # the failed build removed nothing
    broken.unlink()
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    assert not page.exists() and not attachment.exists()
    assert "县政府关于印发管理办法的通知" not in (out / "index.html").read_text(encoding="utf-8")


def _has_new_command() -> bool:
    result = run_build("--help")
    return result.returncode == 0 and any(line.strip().startswith("new") for line in result.stdout.splitlines())


@pytest.mark.skipif(not _has_new_command(), reason="`build.py new` is being added on branch editor")
def test_new_never_overwrites(tmp_path):
    site = copy_site(tmp_path / "site")
    first = run_build("new", "关于停水的通知", "--site", str(site))
    assert first.returncode == 0, first.stderr
    after_first = _site_digest(site)
    created = [k for k in after_first if k.startswith("content/")]
    # the editor writes in the new file, then runs `new` with the same title again
    notices = sorted(site.glob("content/**/*.md"), key=lambda p: p.stat().st_mtime)
    edited = notices[-1]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n编辑已经写好的正文。\n", encoding="utf-8")
    kept = edited.read_bytes()
    second = run_build("new", "关于停水的通知", "--site", str(site))
    assert "Traceback" not in second.stderr
    assert edited.read_bytes() == kept  # never overwritten
    after_second = _site_digest(site)
    for rel in created:  # every file that existed is still there
        assert rel in after_second
    if second.returncode != 0:
        assert second.stderr.strip()  # refused with a message
    else:
        assert len(after_second) == len(after_first) + 1  # or wrote a second, differently named file
