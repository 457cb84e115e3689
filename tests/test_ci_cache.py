"""A CI run that restores the last build cache and output (Actions cache, GitLab cache) stays incremental.

The restore creates every file anew (new inodes, the checkout gives new content mtimes), so
the builder must recognise its own output by content stamps, and still equal a cold build."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

from conftest import REPO, run_build
from test_incremental import tree

EXAMPLE_EPOCH = "1795838400"


def checkout(dest: Path) -> Path:
    """A fresh checkout of the example site: new files, new mtimes (as git clone makes them)."""
    dest.mkdir(parents=True)
    shutil.copytree(REPO / "content", dest / "content", copy_function=shutil.copyfile)
    for name in ("site.yaml", "pronunciations.yaml", "terms.yaml"):
        shutil.copyfile(REPO / name, dest / name)
    return dest


def save_cache(site: Path, archive: Path) -> None:
    with tarfile.open(archive, "w") as tar:  # what actions/cache and GitLab's cache do: an archive
        tar.add(site / ".cache" / "notice-pipeline", arcname=".cache/notice-pipeline")
        tar.add(site / "output", arcname="output")


def restore_cache(site: Path, archive: Path) -> None:
    with tarfile.open(archive) as tar:
        tar.extractall(site, filter="data")


def test_a_restored_cache_keeps_the_next_scheduled_run_incremental(tmp_path):
    env = {"SOURCE_DATE_EPOCH": EXAMPLE_EPOCH}
    first = checkout(tmp_path / "workspace")  # a runner's workspace path is the same every run
    done = run_build("--site", str(first), "--output", str(first / "output"), env=env)
    assert done.returncode == 0, done.stderr
    archive = tmp_path / "cache.tar"
    save_cache(first, archive)
    shutil.rmtree(first)

    # The next scheduled run: a new checkout with one notice edited, the cache restored.
    second = checkout(tmp_path / "workspace")
    notice = second / "content" / "2022" / "07" / "wenti-baoming.md"
    notice.write_text(notice.read_text(encoding="utf-8") + "\n报名截止时间另行通知。\n", encoding="utf-8")
    restore_cache(second, archive)
    again = run_build("--site", str(second), "--output", str(second / "output"), "-v", env=env)
    assert again.returncode == 0, again.stderr
    assert "写入页面 1 个" in again.stderr, again.stderr  # only the edited notice's page is rendered
    assert "生成站内搜索索引（1 / 3 个分片，" in again.stderr, again.stderr  # and its search shard indexed

    cold = tmp_path / "cold"
    assert run_build("--site", str(second), "--output", str(cold), "--no-cache", env=env).returncode == 0
    assert tree(second / "output") == tree(cold)


def test_an_output_changed_after_the_build_is_not_trusted(tmp_path):
    env = {"SOURCE_DATE_EPOCH": EXAMPLE_EPOCH}
    first = checkout(tmp_path / "workspace")
    assert run_build("--site", str(first), "--output", str(first / "output"), env=env).returncode == 0
    archive = tmp_path / "cache.tar"
    save_cache(first, archive)
    shutil.rmtree(first)
    second = checkout(tmp_path / "workspace")
    restore_cache(second, archive)
    (second / "output" / "contact.html").write_text("被改动的页面", encoding="utf-8")
    again = run_build("--site", str(second), "--output", str(second / "output"), env=env)
    assert again.returncode == 0, again.stderr
    cold = tmp_path / "cold"
    assert run_build("--site", str(second), "--output", str(cold), "--no-cache", env=env).returncode == 0
    assert tree(second / "output") == tree(cold)


def test_a_fresh_checkout_reparses_only_the_edited_notice(tmp_path):
    """New mtimes and inodes everywhere: the notices cache recognises unchanged files by their bytes."""
    from datetime import datetime, timezone

    from builder.pipeline import BuildOptions, build
    from builder.report import Reporter

    now = datetime.fromtimestamp(int(EXAMPLE_EPOCH), tz=timezone.utc)
    first = checkout(tmp_path / "workspace")
    build(BuildOptions(site_dir=first, output_dir=first / "output", now=now), Reporter())
    archive = tmp_path / "cache.tar"
    save_cache(first, archive)
    shutil.rmtree(first)
    second = checkout(tmp_path / "workspace")
    notice = second / "content" / "2026" / "11" / "shangdian-tingdian.md"
    notice.write_text(notice.read_text(encoding="utf-8").replace("停电", "计划停电", 1), encoding="utf-8")
    restore_cache(second, archive)
    result = build(BuildOptions(site_dir=second, output_dir=second / "output", now=now), Reporter())
    assert result.parsed == 1 and result.rendered >= 1
