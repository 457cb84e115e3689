"""forked_map and halved: the same results, in order, as a plain map; closures work (nothing is pickled but results)."""

from __future__ import annotations

import os
import time

import pytest

from builder.workers import Aside, forked_map, halved


def test_forked_map_equals_map_and_keeps_order():
    offset = 7  # captured by a closure that could not be pickled
    items = list(range(1000))
    pids = forked_map(lambda i: os.getpid(), items, jobs=2, threshold=10, chunk=100)
    assert forked_map(lambda i: i * i + offset, items, jobs=2, threshold=10, chunk=37) == [i * i + offset for i in items]
    assert os.getpid() not in pids  # really ran in workers


def test_small_inputs_run_in_this_process():
    assert forked_map(lambda i: os.getpid(), [1, 2, 3], jobs=2, threshold=10) == [os.getpid()] * 3


class Job:  # a result marshal cannot send: encoded by the child, decoded here
    def __init__(self, value, pid):
        self.value, self.pid = value, pid


def test_halved_equals_map_with_blocks_from_both_processes():
    offset = 3
    items = list(range(601))

    def job(i):  # ~0.6 s in all: the child is surely running before this process has taken every block
        time.sleep(0.001)
        return Job(i * i + offset, os.getpid())

    jobs = halved(job, items, lambda j: (j.value, j.pid), lambda plain: Job(*plain), threshold=10, block=50)
    assert [j.value for j in jobs] == [i * i + offset for i in items]
    pids = [jobs[start].pid for start in range(0, 601, 50)]
    assert all(j.pid == pids[i // 50] for i, j in enumerate(jobs))  # each block from one process
    assert len(set(pids)) == 2 and os.getpid() in pids


def test_halved_lets_the_faster_process_take_more_blocks():
    """The processes take blocks from a shared counter: when the child is slow (here: busy elsewhere),
    this process does most of the work instead of waiting for half of it."""
    parent = os.getpid()

    def slow_in_child(i):
        time.sleep(0.01 if os.getpid() != parent else 0.001)
        return os.getpid()

    done = halved(slow_in_child, list(range(400)), lambda v: v, lambda v: v, threshold=10, block=10)
    assert done.count(parent) >= 300 and len(set(done)) == 2


def test_halved_maps_here_when_the_child_fails_and_raises_what_this_process_raises():
    parent = os.getpid()

    def fails_in_child(i):
        if os.getpid() != parent:
            raise RuntimeError("child")
        return i

    assert halved(fails_in_child, list(range(100)), lambda v: v, lambda v: v, threshold=10) == list(range(100))

    def fails_here(i):
        if os.getpid() == parent:
            raise ValueError("here")
        time.sleep(0.005)  # a slow child: this process takes a block long before the child has taken all 1,000
        return i

    # one item a block (with a few blocks, a child scheduled first could take them all)
    with pytest.raises(ValueError):
        halved(fails_here, list(range(1000)), lambda v: v, lambda v: v, threshold=10, block=1)


def test_halved_below_the_threshold_or_with_one_job_runs_here():
    assert halved(lambda i: os.getpid(), [1, 2, 3], lambda v: v, lambda v: v, threshold=10) == [os.getpid()] * 3
    assert halved(lambda i: os.getpid(), list(range(50)), lambda v: v, lambda v: v, 1, threshold=10) == [os.getpid()] * 50


def test_pages_keyed_half_in_a_child_rebuild_exactly_what_changed(tmp_path, monkeypatch):
    """Planning keys half of the pages in a forked child (large sites): forced here on the example
    site, an edit re-renders the same pages and the output equals a cold build's."""
    from datetime import datetime, timezone

    from support.gensite import copy_example_site
    from builder import workers
    from builder.pipeline import BuildOptions, build
    from builder.report import Reporter

    site = copy_example_site(tmp_path / "site")
    now = datetime(2026, 11, 29, tzinfo=timezone.utc)
    out = tmp_path / "out"
    build(BuildOptions(site_dir=site, output_dir=out, now=now), Reporter())
    real, calls = workers.halved, []
    monkeypatch.setattr(workers, "halved", lambda fn, items, encode, decode, jobs=None: calls.append(len(items))
                        or real(fn, items, encode, decode, 2, threshold=1))
    notice = site / "content" / "2022" / "07" / "yimiao-jiezhong.md"
    notice.write_text(notice.read_text(encoding="utf-8") + "\n补充说明：接种点周日照常开放。\n", encoding="utf-8")
    result = build(BuildOptions(site_dir=site, output_dir=out, now=now), Reporter())
    assert calls and 0 < result.rendered < calls[0] / 2  # not everything re-rendered
    monkeypatch.setattr(workers, "halved", real)
    cold = tmp_path / "cold"
    build(BuildOptions(site_dir=site, output_dir=cold, now=now, use_cache=False), Reporter())

    def tree(root):
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    assert tree(out) == tree(cold)


def test_aside_computes_in_a_child_while_this_process_works():
    parent = os.getpid()
    aside = Aside(lambda: [os.getpid(), sum(range(10_000))], list, lambda plain: ("decoded", plain), jobs=2)
    assert aside.forked
    here = sum(range(1000))  # this process goes on meanwhile
    tag, (pid, total) = aside.result()
    assert tag == "decoded" and pid != parent and total == 49_995_000 and here == 499_500


def test_aside_computes_here_with_one_job_or_a_failed_child_and_raises_here():
    parent = os.getpid()
    one = Aside(os.getpid, int, int, jobs=1)
    assert not one.forked and one.result() == parent

    def fails_in_child():
        if os.getpid() != parent:
            raise RuntimeError("child")
        return "here"

    assert Aside(fails_in_child, str, str, jobs=2).result() == "here"

    def fails_everywhere():
        raise ValueError("bad")

    with pytest.raises(ValueError):
        Aside(fails_everywhere, str, str, jobs=2).result()


def test_a_closed_aside_leaves_no_process():
    import time

    aside = Aside(lambda: time.sleep(60), str, str, jobs=2)
    pid = aside._child._pid
    started = time.perf_counter()
    aside.close()
    assert time.perf_counter() - started < 5
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_build_stops_on_an_error_the_checks_found_aside(tmp_path, monkeypatch):
    """The editorial checks run in a forked child while pages are planned: a 错敏字 error it finds
    still stops the build (nothing published), and the cache file it had to ignore is reported."""
    from datetime import datetime, timezone

    from support.gensite import copy_example_site
    from builder import workers
    from builder.cache import BuildCache
    from builder.diagnostics import BuildError
    from builder.pipeline import BuildOptions, build
    from builder.report import Reporter

    site = copy_example_site(tmp_path / "site")
    now = datetime(2026, 11, 29, tzinfo=timezone.utc)
    out = tmp_path / "out"
    build(BuildOptions(site_dir=site, output_dir=out, now=now, jobs=2), Reporter())
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    forked = []
    real = workers.Aside

    class Watched(real):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            forked.append(self.forked)

    monkeypatch.setattr(workers, "Aside", Watched)
    checks_file = next(BuildCache(site, out).dir.glob("checks*"))
    checks_file.write_bytes(b"not a cache file")
    notice = site / "content" / "2022" / "07" / "yimiao-jiezhong.md"
    notice.write_text(notice.read_text(encoding="utf-8") + "\n请各村攻府工作人员做好登记。\n", encoding="utf-8")
    notes = []

    class Listening(Reporter):
        def note(self, text):
            notes.append(text)

    with pytest.raises(BuildError) as failed:
        build(BuildOptions(site_dir=site, output_dir=out, now=now, jobs=2), Listening())
    assert forked and all(forked)
    assert any(d.path.endswith("yimiao-jiezhong.md") and "攻府" in d.message and d.level == "error"
               for d in failed.value.diagnostics)
    assert any(checks_file.name in n for n in notes)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_forked_result_may_run_at_a_lower_priority(tmp_path):
    """The output/ check waits for idle cycles: its child runs ``nice`` steps lower, this process
    does not; its answer is the one made here."""
    from builder.cache import Manifest, written_files
    from builder.publish import OutputCheck
    from builder.workers import ForkedResult

    here = os.nice(0)
    assert ForkedResult(lambda: os.nice(0), nice=19).result() == min(19, here + 19)
    assert ForkedResult(lambda: os.nice(0)).result() == here
    assert os.nice(0) == here
    (tmp_path / "2022/05").mkdir(parents=True)
    for name in ("index.html", "2022/05/a.html", "2022/05/图.png"):
        (tmp_path / name).write_bytes(b"x" * len(name))
    manifest = Manifest(pages={"index.html": "k", "2022/05/a.html": "k"}, files={"2022/05/图.png": "k"},
                        written=written_files(tmp_path))
    assert OutputCheck(tmp_path, manifest).damaged() == [] and len(manifest.written) == 3
    (tmp_path / "2022/05/图.png").write_bytes(b"y")
    assert OutputCheck(tmp_path, manifest).damaged() == ["2022/05/图.png"]
