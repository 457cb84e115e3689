"""Atomic publish: SIGKILL at random moments, the output lock, the fallback swap and mount points.

The kill test is the proof behind docs/reliability.md: whatever moment a build
dies at, ``output/`` is exactly the complete old tree or the complete new one.
"""

from __future__ import annotations

import errno
import fcntl
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURE_EPOCH, REPO, run_build
from support.gensite import write_site
from support.processes import LOCK_WAIT, StderrLines
from support.trees import SUMMARY, leftovers, tree_digest

KILL_TRIALS = int(os.environ.get("KILL_TRIALS", "24"))
SEED = 20240601


def _env() -> dict:
    return {**os.environ, "SOURCE_DATE_EPOCH": FIXTURE_EPOCH}


# build.py with the thresholds for big sites lowered to one file: the staging folder is linked by a
# forked child and the previous site is kept as the next build's staging folder (publish.Staging).
_AS_BIG_SITE = r"""
import os, sys
sys.path.insert(0, sys.argv.pop(1))
from builder import cli, pipeline, publish
pipeline.PREFETCH_MIN = publish.SPARE_MIN = 1
code = cli.main(sys.argv[1:], exits_after=True)
sys.stderr.flush()
os._exit(code)
"""


def _start(site: Path, output: Path, *extra: str, as_big: bool = False) -> subprocess.Popen:
    # own session: SIGKILL goes to the build and any worker processes it started
    command = ["-c", _AS_BIG_SITE, str(REPO)] if as_big else [str(REPO / "build.py")]
    return subprocess.Popen([sys.executable, *command, "--site", str(site), "--output", str(output),
                             *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env(),
                            start_new_session=True)


def _timed_build(site: Path, output: Path, as_big: bool = False) -> tuple[float, float]:
    """Build once with -v; return (seconds until pages start being written, total seconds)."""
    started = time.perf_counter()
    proc = _start(site, output, "-v", as_big=as_big)
    render_at = None
    for raw in proc.stderr:
        if render_at is None and "生成页面" in raw.decode("utf-8", "replace"):
            render_at = time.perf_counter() - started
    assert proc.wait() == 0
    total = time.perf_counter() - started
    return (render_at if render_at is not None else 0.0), total


@pytest.fixture(scope="module")
def two_sites(tmp_path_factory):
    """Two versions of a 300-notice site (B renames the site and deletes three notices) and their reference trees."""
    base = tmp_path_factory.mktemp("kill")
    site_a = write_site(base / "site-a", 300, title="甲县人民政府")
    site_b = write_site(base / "site-b", 300, title="乙县人民政府", skip=frozenset({5, 6, 7}))
    assert run_build("--site", str(site_a), "--output", str(base / "ref-a")).returncode == 0
    render_at, total = min(_timed_build(site_b, base / f"ref-b{n}") for n in range(2))  # the second one is warm
    shutil.move(base / "ref-b0", base / "ref-b")
    refs = {"A": tree_digest(base / "ref-a"), "B": tree_digest(base / "ref-b")}
    assert refs["A"] != refs["B"] and "2021/06/notice-0005.html" in refs["A"]
    assert "2021/06/notice-0005.html" not in refs["B"]
    return {"A": site_a, "B": site_b}, refs, render_at, total, base


@pytest.mark.parametrize("as_big", [False, True], ids=["staged-fresh", "staged-in-kept-site"])
def test_sigkill_at_random_moments_leaves_old_or_new_tree(two_sites, as_big):
    """``as_big``: the path of big sites (linked by a child, staged in the kept previous site), where a
    kill can also land while the kept site is brought up to date or retired; half the trials."""
    sites, refs, render_at, total, base = two_sites
    output = base / ("work-big" if as_big else "work") / "output"
    output.parent.mkdir()
    assert run_build("--site", str(sites["A"]), "--output", str(output)).returncode == 0
    if as_big:  # how long a build takes that switches this output between the sites (and stages in it)
        _timed_build(sites["B"], output, as_big)
        render_at, total = _timed_build(sites["A"], output, as_big)
    state = "A"
    rng = random.Random(SEED)
    broken, killed, finished, kept_old, got_new = [], 0, 0, 0, 0
    trials = KILL_TRIALS // 2 if as_big else KILL_TRIALS
    for trial in range(trials):
        target = "B" if state == "A" else "A"
        # half the moments anywhere in the build, half while pages are written and swapped in
        # (the kept-site runs reach later: there a build also cleans up after the killed one before it)
        late = total * (1.6 if as_big else 1.0)
        delay = rng.uniform(0, total * 1.05) if trial % 2 == 0 else rng.uniform(render_at, late)
        started = time.perf_counter()
        proc = _start(sites[target], output, as_big=as_big)
        try:
            proc.wait(timeout=delay)
            finished += 1
            # a build that beat the kill tells us how long builds take right now
            elapsed = time.perf_counter() - started
            render_at, total = render_at * min(1.0, elapsed / total), min(total, elapsed)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            killed += 1
        proc.stderr.close()
        digest = tree_digest(output)
        match = next((name for name, ref in refs.items() if digest == ref), None)
        if match is None:
            broken.append((trial, round(delay, 3), None if digest is None else len(digest)))
        else:
            kept_old += match == state
            got_new += match != state
            state = match
    # the next build cleans up whatever the killed ones left behind
    last = _start(sites["B"], output, as_big=as_big)
    assert last.wait(timeout=300) == 0, last.stderr.read().decode("utf-8", "replace")
    last.stderr.close()
    assert tree_digest(output) == refs["B"]
    assert leftovers(output) == ([".output.spare"] if as_big else [])
    line = (f"atomic publish{' (staged in the kept previous site)' if as_big else ''}: {trials} SIGKILL trials "
            f"over a {total:.2f} s build ({killed} killed mid-build, {finished} finished first); afterwards "
            f"complete old tree {kept_old}x, complete new tree {got_new}x, broken outputs: {len(broken)}")
    SUMMARY.append(line)
    print(line)
    assert killed >= trials // 2, "the kills should mostly land while the build is running"
    assert broken == [], f"output neither the old nor the new tree after these kills: {broken}"


# --- the lock ------------------------------------------------------------------------------------------


def test_second_build_waits_for_the_lock_and_says_so(two_sites, tmp_path):
    sites, refs, *_ = two_sites
    output = tmp_path / "output"
    assert run_build("--site", str(sites["A"]), "--output", str(output)).returncode == 0
    lock_path = tmp_path / ".output.lock"
    with open(lock_path, "a+b") as held:  # stands in for another build that is publishing right now
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = _start(sites["B"], output)
        stderr = StderrLines(proc)
        stderr.wait_for(LOCK_WAIT, 120, "the second build did not wait")
        time.sleep(0.3)
        assert proc.poll() is None  # still waiting
        assert tree_digest(output) == refs["A"]  # and has touched nothing
    assert proc.wait(timeout=120) == 0
    stderr.join()
    assert tree_digest(output) == refs["B"]
    assert leftovers(output) == []


def test_two_concurrent_builds_leave_one_complete_tree(two_sites, tmp_path):
    sites, refs, *_ = two_sites
    output = tmp_path / "output"
    procs = [_start(sites[name], output) for name in ("A", "B")]
    codes = [p.wait(timeout=300) for p in procs]
    for p in procs:
        p.stderr.close()
    assert codes == [0, 0]
    assert tree_digest(output) in (refs["A"], refs["B"])
    assert leftovers(output) == []


# --- the two-rename fallback ---------------------------------------------------------------------------

_CRASH_BETWEEN_RENAMES = r"""
import os, signal, sys
sys.path.insert(0, sys.argv[1])
from builder import publish, cli
publish.exchange = lambda a, b: False        # a file system without RENAME_EXCHANGE
real_replace = os.replace
def replace(src, dst):
    real_replace(src, dst)
    if str(dst).endswith(".old"):            # output/ moved aside, new tree not yet in place
        os.kill(os.getpid(), signal.SIGKILL)
publish.os.replace = replace
sys.exit(cli.main(sys.argv[2:]))
"""


def test_kill_between_the_two_renames_is_recovered(two_sites, tmp_path):
    sites, refs, *_ = two_sites
    output = tmp_path / "output"
    assert run_build("--site", str(sites["A"]), "--output", str(output)).returncode == 0
    crashed = subprocess.run([sys.executable, "-c", _CRASH_BETWEEN_RENAMES, str(REPO), "--site", str(sites["B"]),
                              "--output", str(output)], env=_env(), capture_output=True, timeout=300)
    assert crashed.returncode == -signal.SIGKILL
    assert not output.exists() and tree_digest(tmp_path / ".output.old") == refs["A"]
    # the next build puts the old site back first, even though it then fails on a broken notice
    broken = tmp_path / "site-broken"
    shutil.copytree(sites["B"], broken)
    (broken / "content" / "broken.md").write_text("---\ntitle: 缺少日期\n---\n正文\n", encoding="utf-8")
    failed = run_build("--site", str(broken), "--output", str(output))
    assert failed.returncode == 1 and "content/broken.md" in failed.stderr
    assert tree_digest(output) == refs["A"] and leftovers(output) == []
    good = run_build("--site", str(sites["B"]), "--output", str(output))
    assert good.returncode == 0, good.stderr
    assert tree_digest(output) == refs["B"] and leftovers(output) == []


def test_fallback_swap_without_rename_exchange(two_sites, tmp_path, monkeypatch):
    from builder import cli, publish

    sites, refs, *_ = two_sites
    output = tmp_path / "output"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FIXTURE_EPOCH)
    assert cli.main(["--site", str(sites["A"]), "--output", str(output)]) == 0
    monkeypatch.setattr(publish, "exchange", lambda a, b: False)
    assert cli.main(["--site", str(sites["B"]), "--output", str(output)]) == 0
    assert tree_digest(output) == refs["B"] and leftovers(output) == []


# --- output/ is a mount point --------------------------------------------------------------------------


def _fake_mount(monkeypatch, output: Path) -> None:
    real = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p) == output.resolve() or real(p))


def test_mount_point_is_synchronised_and_reported(two_sites, tmp_path, monkeypatch, capsys):
    from builder import cli

    sites, refs, *_ = two_sites
    output = tmp_path / "output"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FIXTURE_EPOCH)
    assert cli.main(["--site", str(sites["A"]), "--output", str(output)]) == 0
    # files and folders of an older site that the new one does not have, and a file where a folder must go
    (output / "stale-folder" / "deep").mkdir(parents=True)
    (output / "stale-folder" / "deep" / "old.html").write_text("旧页面", encoding="utf-8")
    shutil.rmtree(output / "tags")
    (output / "tags").write_text("这里原来是一个文件", encoding="utf-8")
    inode = output.stat().st_ino
    _fake_mount(monkeypatch, output)
    capsys.readouterr()
    assert cli.main(["--site", str(sites["B"]), "--output", str(output)]) == 0
    err = capsys.readouterr().err
    assert "是挂载点，无法整体替换，已逐个文件同步" in err
    assert output.stat().st_ino == inode  # the mounted folder itself was not replaced
    assert tree_digest(output) == refs["B"] and leftovers(output) == []


def test_busy_output_falls_back_to_sync(two_sites, tmp_path, monkeypatch, capsys):
    """A bind mount on the same device is invisible to ismount(); renameat2 then says EBUSY."""
    from builder import cli, publish

    sites, refs, *_ = two_sites
    output = tmp_path / "output"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FIXTURE_EPOCH)
    assert cli.main(["--site", str(sites["A"]), "--output", str(output)]) == 0

    def busy(a, b):
        raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(a))

    monkeypatch.setattr(publish, "exchange", busy)
    capsys.readouterr()
    assert cli.main(["--site", str(sites["B"]), "--output", str(output)]) == 0
    assert "是挂载点" in capsys.readouterr().err
    assert tree_digest(output) == refs["B"] and leftovers(output) == []


def test_a_previous_sites_folder_its_deleter_still_holds_is_left_to_it(tmp_path):
    """A big previous site is deleted by a detached process; the next build must not delete the
    same files again on its own time while that process is at work, but must delete what a
    killed deleter left."""
    from builder.publish import Staging

    output = tmp_path / "output"
    output.mkdir()
    trash = tmp_path / ".output.trash-1-1"
    (trash / "2022" / "05").mkdir(parents=True)
    (trash / "2022" / "05" / "a.html").write_text("旧", encoding="utf-8")
    deleter = os.open(trash, os.O_RDONLY)  # what the deleter holds while it works
    fcntl.flock(deleter, fcntl.LOCK_EX)
    try:
        Staging(output).recover()
        assert trash.exists()
    finally:
        os.close(deleter)
    Staging(output).recover()  # the deleter died: its folder goes now
    assert not trash.exists() and output.is_dir()


def test_output_is_checked_against_the_record_by_a_child_process_and_a_dropped_check_leaves_no_process(
        tmp_path, monkeypatch):
    """An incremental build compares output/ with the manifest's record of it (what it verifies) in a
    forked child while it loads the site: the child finds what a walk here finds (files changed or
    removed, whether the folder is exactly the recorded one), a check the build no longer needs stops
    its child, and without fork the check happens in the build itself."""
    from builder.cache import Manifest, damaged_files, written_files
    from builder.publish import OutputCheck

    out = tmp_path / "out"
    pages = ("index.html", "2022/05/a.html", "2022/05/b.html", "空 文件.html")
    for rel in (*pages, "search/2022-05/1.bin"):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(rel, encoding="utf-8")
    (out / "link.html").symlink_to(tmp_path)  # listed as the link itself, never followed
    manifest = Manifest(pages={p: "k" for p in pages}, files={"search/2022-05/1.bin": "k"},
                        written=written_files(out))
    assert len(manifest.written) == 6

    same = OutputCheck(out, manifest)
    assert same._child is not None and same._child.started
    assert same.restored() is True and same.damaged() == [] and same.damaged() is same.damaged()
    same.close()

    (out / "2022/05/b.html").write_text("被改过的页面", encoding="utf-8")
    (out / "空 文件.html").unlink()
    walked = damaged_files(out, manifest)
    assert walked == ["2022/05/b.html", "空 文件.html"]
    changed = OutputCheck(out, manifest)
    assert changed.damaged() == walked and changed.restored() is False

    dropped = OutputCheck(out, manifest)
    pid = dropped._child._pid
    dropped.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no process left behind

    unrecorded = OutputCheck(out, Manifest(pages=manifest.pages))
    assert unrecorded._child is None and unrecorded.damaged() is None and unrecorded.restored() is False

    monkeypatch.delattr(os, "fork")
    here = OutputCheck(out, manifest)
    assert not here._child.started and here.damaged() == walked and here.restored() is False


# --- the previous site kept as the next build's staging folder ---------------------------------------


def _spare_builds(tmp_path, monkeypatch):
    """The example site built three times (cold, then two edits) with the thresholds for big sites
    lowered to one file: the third build stages in the site the second one swapped out."""
    from datetime import datetime, timezone

    from builder import pipeline, publish
    from builder.pipeline import BuildOptions, build
    from builder.report import Reporter
    from support.gensite import copy_example_site

    monkeypatch.setattr(pipeline, "PREFETCH_MIN", 1)
    monkeypatch.setattr(publish, "SPARE_MIN", 1)
    monkeypatch.setattr(publish, "BACKGROUND_DELETE", 10**9)  # deleted here: the test sees the end state
    site = copy_example_site(tmp_path / "site")
    out = tmp_path / "out"
    now = datetime(2026, 11, 29, tzinfo=timezone.utc)
    notice = site / "content" / "2022" / "07" / "yimiao-jiezhong.md"

    def edit_and_build(words: str, **extra) -> None:
        notice.write_text(notice.read_text(encoding="utf-8") + f"\n{words}\n", encoding="utf-8")
        build(BuildOptions(site_dir=site, output_dir=out, now=now, **extra), Reporter())

    def cold() -> dict:
        ref = tmp_path / f"cold-{len(list(tmp_path.glob('cold-*')))}"
        build(BuildOptions(site_dir=site, output_dir=ref, now=now, use_cache=False), Reporter())
        return tree_digest(ref)

    build(BuildOptions(site_dir=site, output_dir=out, now=now), Reporter())
    edit_and_build("补充说明：接种点周日照常开放。")
    return site, out, tmp_path / ".out.spare", edit_and_build, cold


def _linked_here(monkeypatch) -> list[int]:
    """How many files each call of Staging._link_all in this process linked (a build that staged in
    the kept site links only what its child did not; one that could not links every file here)."""
    from builder import publish

    calls: list[int] = []
    real = publish.Staging._link_all

    def spy(self, files):
        calls.append(len(files))
        return real(self, files)

    monkeypatch.setattr(publish.Staging, "_link_all", spy)
    return calls


def test_an_edit_stages_in_the_kept_previous_site_and_publishes_what_a_cold_build_does(tmp_path, monkeypatch):
    site, out, spare, edit_and_build, cold = _spare_builds(tmp_path, monkeypatch)
    assert spare.is_dir() and tree_digest(spare) != tree_digest(out)  # the site before the last edit
    staged_in = os.stat(spare).st_ino
    linked = _linked_here(monkeypatch)
    edit_and_build("再次补充：请携带身份证。")
    assert os.stat(out).st_ino == staged_in  # the kept folder, brought up to date, is the output now
    assert linked and max(linked) < 5
    assert tree_digest(out) == cold()
    assert spare.is_dir() and leftovers(out) == [".out.spare"]
    shared = [p for p in out.rglob("*.html") if os.stat(p).st_ino == os.stat(spare / p.relative_to(out)).st_ino]
    assert len(shared) > 20  # unchanged pages are the same files in both


def test_whatever_was_done_to_the_kept_site_nothing_of_it_is_published(tmp_path, monkeypatch):
    """Files added, replaced or deleted in the kept folder, a folder there replaced by a link to a
    folder elsewhere: the next output is still exactly a cold build's, and nothing outside is touched."""
    site, out, spare, edit_and_build, cold = _spare_builds(tmp_path, monkeypatch)
    (spare / "stray.html").write_text("不该发布", encoding="utf-8")
    (spare / "junk" / "deep").mkdir(parents=True)
    (spare / "junk" / "deep" / "x.html").write_text("不该发布", encoding="utf-8")
    kept = spare / "index.html"
    kept.unlink()
    kept.write_text("被替换的首页", encoding="utf-8")  # a new file: another inode than output/'s
    (spare / "sitemap.xml").unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.html").write_text("外部文件", encoding="utf-8")
    folder = next(p for p in spare.iterdir() if p.is_dir() and p.name.isdigit())
    shutil.rmtree(folder)
    folder.symlink_to(elsewhere, target_is_directory=True)
    linked = _linked_here(monkeypatch)
    edit_and_build("第三次补充。")
    assert linked and max(linked) < 5  # the kept folder was put right, not given up on
    assert tree_digest(out) == cold()
    assert {p.name: p.read_text(encoding="utf-8") for p in elsewhere.iterdir()} == {"a.html": "外部文件"}


def test_a_kept_site_that_is_a_link_is_not_staged_in(tmp_path, monkeypatch):
    site, out, spare, edit_and_build, cold = _spare_builds(tmp_path, monkeypatch)
    elsewhere = tmp_path / "elsewhere"
    shutil.move(spare, elsewhere)
    spare.symlink_to(elsewhere, target_is_directory=True)
    before = tree_digest(elsewhere)
    edit_and_build("第三次补充。")
    assert tree_digest(out) == cold()
    assert tree_digest(elsewhere) == before  # never written through the link


def test_a_failed_refresh_falls_back_to_linking_everything(tmp_path, monkeypatch):
    """The child that brings the kept site up to date fails (here: every walk raises): the build links
    the whole output into a fresh staging folder as without a kept site."""
    from builder import publish

    site, out, spare, edit_and_build, cold = _spare_builds(tmp_path, monkeypatch)

    def broken(*args, **kwargs):
        raise publish.PublishError("walk failed")

    monkeypatch.setattr(publish, "_regular_files", broken)
    linked = _linked_here(monkeypatch)
    edit_and_build("第三次补充。")
    assert max(linked) > 20
    assert tree_digest(out) == cold()
