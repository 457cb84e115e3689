"""Whole-build behaviour: determinism, atomic replacement, CLI contract."""

from __future__ import annotations

import hashlib
import shutil

from conftest import FIXTURE_SITE, REPO, copy_site, run_build


def tree_digest(out) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def test_two_builds_are_byte_identical(tmp_path):
    a = run_build("--site", str(FIXTURE_SITE), "--output", str(tmp_path / "a"))
    b = run_build("--site", str(FIXTURE_SITE), "--output", str(tmp_path / "b"), "--jobs", "2",
                  env={"TZ": "America/New_York", "LANG": "C"}, cwd=tmp_path)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")


def test_successful_build_replaces_output_completely(tmp_path):
    site = copy_site(tmp_path / "site")
    out = tmp_path / "out"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    (out / "stale.html").write_text("old", encoding="utf-8")
    (site / "content/2022/05/news-1.md").unlink()
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    assert not (out / "stale.html").exists()
    assert not (out / "2022/05/news-1.html").exists()
    assert (out / "2022/05/news-2.html").exists()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")]
    assert leftovers in ([], [".out.lock"])


def test_failed_build_leaves_output_untouched(tmp_path):
    site = copy_site(tmp_path / "site")
    out = tmp_path / "out"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    before = tree_digest(out)
    (site / "content/bad.md").write_text("---\ntitle: 坏\ndate: 明天\n---\n", encoding="utf-8")
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 1
    assert "content/bad.md:3: 日期格式无法识别“明天”" in result.stderr
    assert tree_digest(out) == before


def test_summary_line(tmp_path):
    result = run_build("--site", str(FIXTURE_SITE), "--output", str(tmp_path / "o"))
    assert result.returncode == 0
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith("构建完成：发布公告 11 篇，草稿 1 篇，定时 1 篇（最近一篇 2022-07-05 08:00 发布），已过期 1 篇；")
    assert "写入页面" in summary and "用时" in summary


def test_check_writes_nothing(tmp_path):
    site = copy_site(tmp_path / "site")
    result = run_build("check", "--site", str(site))
    assert result.returncode == 0, result.stderr
    assert "检查通过" in result.stderr
    assert not (site / "output").exists()


def test_cli_usage(tmp_path):
    assert run_build("--version").stdout.startswith("Notice Pipeline ")
    helped = run_build("--help")
    assert helped.returncode == 0 and "check" in helped.stdout
    assert run_build("build", "--no-such-option").returncode == 2


def test_base_url_override_and_drafts(tmp_path):
    out = tmp_path / "o"
    result = run_build("--site", str(FIXTURE_SITE), "--output", str(out), "--base-url", "https://example.org/x")
    assert result.returncode == 0
    assert '<link rel="canonical" href="https://example.org/x/2022/05/meeting.html">' in (
        out / "2022/05/meeting.html").read_text(encoding="utf-8")


def test_example_site_builds_without_warnings(tmp_path):
    """The README's first command: the example site builds clean, meeting report as specified."""
    out = tmp_path / "example"
    result = run_build("--output", str(out), "--strict", env={"SOURCE_DATE_EPOCH": "1795838400"})  # 2026-11-28
    assert result.returncode == 0, result.stderr
    assert "警告" not in result.stderr
    html = (out / "2022/05/meeting-report.html").read_text(encoding="utf-8")
    seed = (REPO.parent / "shared/seeds/meeting-report.txt")
    if not seed.exists():
        seed = REPO / "content/2022/05/meeting-report.md"
    assert "发布时间：<time datetime=\"2022-05-04T12:00:00+08:00\">2022-05-04 12:00</time>" in html
    assert "作者：董颜丽 张宗展" in html
    assert "记者董颜丽" not in html and "下一篇:刘文祥" not in html
    for paragraph in ("5月4日中午,在收看了省委", "就如何做好下一阶段的疫情防控工作", "五是加强领导",
                      "市委副书记孟宪强主持会议", "对开展全员核酸检测及进一步做好疫情防控工作进行了具体安排部署。"):
        assert paragraph in html
    assert html.count("<p>") >= 10


def test_the_collector_is_back_on_after_a_build_unless_the_process_exits_right_after(tmp_path):
    """Builds pause the cyclic garbage collector; ``serve`` and library callers get it back, the
    command line (build.py, which leaves with os._exit) does not pay for a last full collection."""
    import gc

    from builder.cli import main

    gc.enable()
    try:
        args = ["build", "--site", str(FIXTURE_SITE), "--output", str(tmp_path / "out")]
        assert main(args) == 0 and gc.isenabled()
        assert main(args, exits_after=True) == 0 and not gc.isenabled()
    finally:
        gc.enable()
