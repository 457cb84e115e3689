"""The Pagefind search stage: notices indexed, output deterministic, and a build without Pagefind still succeeds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURE_SITE, REPO, run_build
from support.gensite import copy_example_site
from builder.search import pagefind_available


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def stage_log(stages: list[str]):
    """A reporter class that appends every stage name to ``stages``."""
    from builder.report import Reporter

    class Stages(Reporter):
        def stage(self, name):
            stages.append(name)

    return Stages


@pytest.mark.skipif(not pagefind_available(), reason="pagefind[extended] is not installed")
def test_index_covers_notices_only_and_is_byte_identical_across_builds(tmp_path):
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name / "output"
        result = run_build("--site", str(FIXTURE_SITE), "--output", str(out))
        assert result.returncode == 0, result.stderr
        assert "Pagefind" not in result.stderr
        outputs.append(tree(out))
    first, second = outputs
    index = sorted(p for p in first if p.startswith("pagefind/"))
    assert json.loads(first["pagefind/shards.json"]) == {"shards": ["2022-05"]}  # May to July: one shard
    assert "pagefind/2022-05/pagefind.js" in index and "pagefind/2022-05/pagefind-entry.json" in index
    assert any(p.startswith("pagefind/2022-05/index/zh-cn_") for p in index)  # a Chinese index
    assert not any("pagefind-ui" in p for p in index)  # Pagefind's own UI bundles are not published
    fragments = [p for p in index if p.startswith("pagefind/2022-05/fragment/")]
    published = [p for p in first if p.startswith("2022/") and p.endswith(".html")]
    assert len(fragments) == len(published)  # one record per notice page, none for list pages
    assert first == second


def test_build_without_pagefind_warns_in_chinese_and_succeeds(tmp_path):
    out = tmp_path / "output"
    code = ("import sys; sys.modules['pagefind'] = None; sys.argv[1:] = " + repr(["--site", str(FIXTURE_SITE),
            "--output", str(out)]) + "; from builder.cli import main; sys.exit(main())")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            encoding="utf-8", env={"SOURCE_DATE_EPOCH": "1656648000", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "警告：未安装 Pagefind" in result.stderr and "pip install 'pagefind[extended]'" in result.stderr
    assert (out / "search.html").exists() and not (out / "pagefind").exists()
    assert "网站地图" in (out / "search.html").read_text(encoding="utf-8")


@pytest.mark.skipif(not pagefind_available(), reason="pagefind[extended] is not installed")
def test_preview_keeps_the_last_index_and_a_real_build_reindexes(tmp_path, monkeypatch):
    """serve's preview does not re-run Pagefind on every save (75 s at 10,000 notices)."""
    import shutil
    from datetime import datetime, timezone

    from builder import search
    from builder.pipeline import BuildOptions, build
    from builder.report import Reporter

    site = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, site)
    out = tmp_path / "preview"
    now = datetime(2022, 7, 1, tzinfo=timezone.utc)
    runs = []
    real = search.build_shards
    monkeypatch.setattr(search, "build_shards", lambda d, *a: runs.append(d) or real(d, *a))
    preview = BuildOptions(site_dir=site, output_dir=out, now=now, fresh_search=False)
    build(preview, Reporter())
    before = {p: b for p, b in tree(out).items() if p.startswith("pagefind/")}
    notice = next(p for p in sorted((site / "content").rglob("*.md")))
    notice.write_text(notice.read_text(encoding="utf-8") + "\n补充说明：本次修改只为测试。\n", encoding="utf-8")
    build(preview, Reporter())
    assert len(runs) == 1  # the edit did not re-index
    assert {p: b for p, b in tree(out).items() if p.startswith("pagefind/")} == before
    build(BuildOptions(site_dir=site, output_dir=out, now=now), Reporter())
    assert len(runs) == 2  # a real build notices the index is stale


def test_shards_keep_months_whole_stay_within_a_year_and_grow_past_the_browser_limit():
    from builder.search import MAX_SHARDS, SHARD_PAGES, plan_shards, shard_size

    pages = [(f"{y}/{m:02d}/n{i}.html", f"k{i}") for y in (2021, 2022) for m in range(1, 13) for i in range(100)]
    shards = plan_shards(pages, size=250)
    assert [s.name for s in shards][:5] == ["2021-01", "2021-03", "2021-05", "2021-07", "2021-09"]
    assert all(s.months[0][:4] == s.months[-1][:4] and s.pages <= 250 for s in shards)
    assert sum(s.pages for s in shards) == len(pages)
    assert plan_shards([("2021/01/big.html", "a")] * 300, size=250)[0].pages == 300  # a month never splits
    edited = [(p, "changed" if p == "2022/05/n3.html" else k) for p, k in pages]
    changed = [a.name for a, b in zip(shards, plan_shards(edited, size=250)) if a.key != b.key]
    assert changed == ["2022-05"]  # one edit, one shard to re-index
    assert shard_size(10_000) == SHARD_PAGES and -(-100_000 // shard_size(100_000)) <= MAX_SHARDS


@pytest.mark.skipif(not pagefind_available(), reason="pagefind[extended] is not installed")
def test_a_changed_search_stage_reindexes_every_shard(tmp_path, monkeypatch):
    """The search stage's fingerprint (builder/search.py and what it imports, the search: section) is
    part of every shard's key: an upgraded builder never carries over shards its old code indexed."""
    from dataclasses import replace
    from datetime import datetime, timezone

    from builder import pipeline
    from builder.pipeline import BuildOptions, build

    site = copy_example_site(tmp_path / "site")
    stages: list[str] = []
    Stages = stage_log(stages)

    options = BuildOptions(site_dir=site, output_dir=tmp_path / "out", now=datetime(2026, 11, 29, tzinfo=timezone.utc))
    build(options, Stages())
    # what a changed builder/search.py does to the fingerprints: the whole builder's (no fast path) and the search stage's
    real, real_fp = pipeline.stage_fingerprints, pipeline.render_fingerprint
    monkeypatch.setattr(pipeline, "render_fingerprint", lambda *a, **k: real_fp(*a, **k) + "-new-search-code")
    monkeypatch.setattr(pipeline, "stage_fingerprints",
                        lambda *a, **k: replace(real(*a, **k), search=real(*a, **k).search + "-new-search-code"))
    stages.clear()
    build(options, Stages())
    assert "生成站内搜索索引（3 / 3 个分片）" in stages, stages


def test_busy_months_grow_shards_up_to_the_memory_budget_not_past_it():
    """~300 notices a month: one month per 500-page shard would make 96 shards for the browser to merge."""
    from builder.search import MAX_SHARDS, PAGEFIND_BASE_MB, PAGEFIND_PAGE_MB, largest_shard, plan_shards

    def site(per_month: int) -> list[tuple[str, str]]:
        return [(f"{y}/{m:02d}/n{i}.html", "k") for y in range(2019, 2027) for m in range(1, 13)
                for i in range(per_month)]

    def memory_mb(shard) -> float:
        return PAGEFIND_BASE_MB + PAGEFIND_PAGE_MB * shard.pages

    busy = plan_shards(site(300))  # 28,800 notices
    assert len(busy) <= MAX_SHARDS and all(memory_mb(s) <= 1024 for s in busy), [s.pages for s in busy]
    assert len(plan_shards(site(300), size=500)) == 96  # what the page count alone gave
    # ~1,000 a month (96,000 notices): two months would not fit one process's budget, so the
    # browser limit gives way; a bigger budget (search.memory_mb) buys fewer, bigger shards.
    huge = plan_shards(site(1000))
    assert len(huge) == 96 and all(s.pages == 1000 for s in huge)
    assert largest_shard(1024) < 2000
    roomy = plan_shards(site(1000), budget_mb=4096)
    assert len(roomy) <= MAX_SHARDS and all(memory_mb(s) <= 4096 for s in roomy)
    # a month over the budget alone is split into shards of its own, each within the budget
    month = [("2024/06/n%d.html" % i, "k") for i in range(3000)]
    parts = plan_shards([("2024/05/a.html", "k"), *month, ("2024/07/z.html", "k")])
    assert [s.name for s in parts] == ["2024-05", "2024-06-p1", "2024-06-p2", "2024-06-p3", "2024-07"]
    assert all(memory_mb(s) <= 1024 for s in parts) and sum(s.pages for s in parts[1:4]) == 3000
    assert all(sum(s.holds(p) for s in parts) == 1 for p, _k in month)  # every page in exactly one part
    assert parts[1].glob().startswith("2024/06/{n") and len(parts[1].glob()) < 30_000
    edited = [(p, "changed" if p == "2024/06/n7.html" else k) for p, k in month]
    assert sum(a.key != b.key for a, b in zip(plan_shards(month), plan_shards(edited))) == 1
    # a file name that a glob would misread keeps its month whole
    odd = [*month[:-1], ("2024/06/a,b.html", "k")]
    assert [s.pages for s in plan_shards(odd)] == [3000]


@pytest.mark.skipif(not pagefind_available(), reason="pagefind[extended] is not installed")
def test_a_month_too_big_for_one_pagefind_is_indexed_in_parts_and_an_edit_reindexes_one(tmp_path, monkeypatch):
    """With room for one page per Pagefind process, the example site's months of two notices
    are indexed in parts: every notice is found in exactly one part, an edit re-indexes
    only its part (ahead of planning), and the output equals a cold build's."""
    import gzip
    from datetime import datetime, timezone

    from builder import search
    from builder.pipeline import BuildOptions, build
    from builder.report import Reporter

    monkeypatch.setattr(search, "largest_shard", lambda budget_mb=0: 1)
    site = copy_example_site(tmp_path / "site")
    stages: list[str] = []
    Stages = stage_log(stages)

    now = datetime(2026, 11, 29, tzinfo=timezone.utc)
    out, cold = tmp_path / "out", tmp_path / "cold"
    build(BuildOptions(site_dir=site, output_dir=out, now=now), Stages())
    listed = json.loads((out / "pagefind" / "shards.json").read_text())["shards"]
    parts = [n for n in listed if n.startswith("2026-11-p")]
    assert len(parts) >= 2 and any(n.startswith("2022-07-p") for n in listed), listed

    def urls(shard: str) -> list[str]:
        found = []
        for fragment in sorted((out / "pagefind" / shard / "fragment").iterdir()):
            found.append(json.loads(gzip.decompress(fragment.read_bytes())[len(b"pagefind_dcd"):])["url"])
        return found

    indexed = [u for n in parts for u in urls(n)]
    pages = sorted(p.relative_to(out).as_posix() for p in (out / "2026" / "11").glob("*.html"))
    published = [p for p in pages if "data-pagefind-body" in (out / p).read_text(encoding="utf-8")]
    assert sorted(u.lstrip("/") for u in indexed) == sorted(published)
    assert len(published) == 2

    inodes = {p: os.stat(out / p).st_ino for p in tree(out) if p.startswith("pagefind/")}
    notice = site / "content" / "2026" / "11" / "shangdian-tingdian.md"
    notice.write_text(notice.read_text(encoding="utf-8") + "\n另据通知，停电片区独一无二试验词。\n", encoding="utf-8")
    stages.clear()
    taken = []
    real_take = search.EarlyIndex.take
    monkeypatch.setattr(search.EarlyIndex, "take", lambda self, shard, *a: taken.append(
        (shard.name, real_take(self, shard, *a))) or taken[-1][1])
    build(BuildOptions(site_dir=site, output_dir=out, now=now), Stages())
    assert any(s.startswith(f"生成站内搜索索引（1 / {len(listed)} 个分片，1 个已在编辑检查前开始") for s in stages), stages
    assert [ok for name, ok in taken if name in parts] == [True]  # the part indexed ahead was the one needed
    after = tree(out)
    rewritten = {p.split("/")[1] for p in inodes if p in after and os.stat(out / p).st_ino != inodes[p]}
    assert len(rewritten - {"shards.json"}) == 1 and rewritten - {"shards.json"} <= set(parts), rewritten
    build(BuildOptions(site_dir=site, output_dir=cold, now=now, use_cache=False), Reporter())
    assert after == tree(cold)


@pytest.mark.skipif(not pagefind_available(), reason="pagefind[extended] is not installed")
def test_one_edit_reindexes_one_shard_and_equals_a_cold_build(tmp_path):
    """The example site spans 2020-2026 (three shards); editing the oldest notice re-indexes its
    shard only, and the incremental output, index included, is byte-identical to a cold build."""

    site = copy_example_site(tmp_path / "site")
    out, cold = tmp_path / "out", tmp_path / "cold"
    env = {"SOURCE_DATE_EPOCH": "1795838400"}
    assert run_build("--site", str(site), "--output", str(out), env=env).returncode == 0
    inodes = {p: os.stat(out / p).st_ino for p in tree(out) if p.startswith("pagefind/")}
    notice = site / "content" / "2020" / "03" / "shuiziyuan-guanli.md"
    notice.write_text(notice.read_text(encoding="utf-8") + "\n本办法另行补充说明。\n", encoding="utf-8")
    again = run_build("--site", str(site), "--output", str(out), "-v", env=env)
    assert again.returncode == 0, again.stderr
    # the edited notice's shard was indexed while the build planned its pages (search.EarlyIndex)
    assert "生成站内搜索索引（1 / 3 个分片，1 个已在编辑检查前开始）" in again.stderr
    assert not list(tmp_path.glob(".out.search-*"))  # its scratch folder is gone
    after = tree(out)
    rewritten = {p.split("/")[1] for p in inodes if p in after and os.stat(out / p).st_ino != inodes[p]}
    assert rewritten <= {"2020-03", "shards.json"}
    assert run_build("--site", str(site), "--output", str(cold), "--no-cache", env=env).returncode == 0
    assert after == tree(cold)


@pytest.mark.skipif(not pagefind_available(), reason="pagefind[extended] is not installed")
def test_an_early_index_is_used_only_if_it_indexed_exactly_the_pages_written(tmp_path):
    """search.EarlyIndex indexes a shard before the build has written its pages; the result is taken
    only when every page of the shard's months is the same as in the final folder, else the shard is
    indexed again (a stale early index must never be published)."""
    import shutil

    from builder.search import EarlyIndex, SearchIndex, build_shards, plan_shards

    out = tmp_path / "out"
    assert run_build("--site", str(FIXTURE_SITE), "--output", str(out)).returncode == 0
    notices = sorted(p.relative_to(out).as_posix() for p in out.glob("[0-9]*/[0-9]*/*.html"))
    [shard] = plan_shards([(p, "") for p in notices])
    members = {shard.name: notices}
    edited = notices[0]
    fresh = {edited: (out / edited).read_bytes().replace("</h1>".encode(), "独一无二的新词</h1>".encode(), 1)}
    assert fresh[edited] != (out / edited).read_bytes()

    def final_site(name: str, extra: dict[str, bytes] = {}) -> Path:
        site = tmp_path / name
        shutil.copytree(out, site, ignore=shutil.ignore_patterns("pagefind"))
        for rel, data in {**fresh, **extra}.items():
            (site / rel).write_bytes(data)
        return site

    def early_index(site: Path) -> tuple[bool, SearchIndex]:
        early, result = EarlyIndex(out), SearchIndex()
        early.start([shard], members, fresh, out)
        try:
            return early.take(shard, site, result), result
        finally:
            early.close()
            assert not early.dir.exists()

    # the same pages: taken, and the same bundle as indexing the final folder itself
    same = final_site("same")
    taken, result = early_index(same)
    assert taken and result.pages == len(notices) and result.files == len(
        [p for p in tree(same) if p.startswith("pagefind/")])
    reference = final_site("reference")
    build_shards(reference, [shard])
    assert tree(same / "pagefind") == tree(reference / "pagefind")

    # another page of the shard changed after the early start, or a page was added: not taken
    other = notices[-1]
    changed = final_site("changed", {other: (out / other).read_bytes().replace(b"</h1>", b"!</h1>", 1)})
    assert early_index(changed) == (False, SearchIndex()) and not (changed / "pagefind").exists()
    added = final_site("added", {edited.rpartition("/")[0] + "/new-page.html": fresh[edited]})
    assert early_index(added)[0] is False


@pytest.mark.skipif(not pagefind_available(), reason="pagefind[extended] is not installed")
def test_closing_an_early_index_stops_pagefind_and_removes_its_scratch_folder(tmp_path):
    from builder.search import EarlyIndex, plan_shards

    out = tmp_path / "out"
    assert run_build("--site", str(FIXTURE_SITE), "--output", str(out)).returncode == 0
    notices = sorted(p.relative_to(out).as_posix() for p in out.glob("[0-9]*/[0-9]*/*.html"))
    [shard] = plan_shards([(p, "") for p in notices])
    early = EarlyIndex(out)
    early.start([shard], {shard.name: notices}, {}, out)
    _shard, _site, future = early._runs[shard.name]
    while not early._processes and not future.done():  # until Pagefind runs
        pass
    early.close()
    assert not list(tmp_path.glob(".out.search-*"))
    assert all(process.poll() is not None for process in early._processes)
    # what a killed build left (a folder, a planted link) is deleted, never written through
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / ".out.search-1-1").symlink_to(elsewhere)
    (tmp_path / ".out.search-2-2" / "2022-05").mkdir(parents=True)
    again = EarlyIndex(out)
    again.start([shard], {shard.name: notices}, {}, out)
    assert again.started == {shard.name}
    again.close()
    assert list(elsewhere.iterdir()) == [] and not list(tmp_path.glob(".out.search-*"))


@pytest.mark.skipif(not pagefind_available(), reason="pagefind[extended] is not installed")
def test_a_reindex_reuses_published_index_files_only_when_they_hold_what_their_names_say(tmp_path):
    """An incremental build seeds a shard's new bundle with the published bundle's content-named files
    (Pagefind then neither compresses nor writes them again): the result is the bundle an index from
    nothing gives, without the files the new index no longer names, and a published file whose bytes do
    not match its name, or a planted link, is never reused or followed."""
    import gzip
    import shutil

    from builder.search import build_shards, plan_shards

    out = tmp_path / "out"
    assert run_build("--site", str(FIXTURE_SITE), "--output", str(out)).returncode == 0
    notices = sorted(p.relative_to(out).as_posix() for p in out.glob("[0-9]*/[0-9]*/*.html"))
    [shard] = plan_shards([(p, "") for p in notices])
    bundle = out / "pagefind" / shard.name
    edited = notices[0]
    new_page = (out / edited).read_bytes().replace("</h1>".encode(), "独一无二的新词</h1>".encode(), 1)

    def site_with_edit(name: str) -> Path:
        site = tmp_path / name
        shutil.copytree(out, site, ignore=shutil.ignore_patterns("pagefind"))
        (site / edited).write_bytes(new_page)
        return site

    reference = site_with_edit("reference")
    build_shards(reference, [shard])  # from nothing
    expected = tree(reference / "pagefind" / shard.name)
    published = tree(bundle)
    fragments = sorted((bundle / "fragment").iterdir())
    assert set(published) - set(expected) and set(published) & set(expected)  # some files go, some stay

    seeded = site_with_edit("seeded")
    build_shards(seeded, [shard], published=out)
    assert tree(seeded / "pagefind" / shard.name) == expected  # no stale file of the old index left
    assert tree(bundle) == published  # nothing written through the links
    reused = [f for f in fragments if (seeded / "pagefind" / shard.name / "fragment" / f.name).exists()]
    assert reused and all(os.path.samefile(f, seeded / "pagefind" / shard.name / "fragment" / f.name)
                          for f in reused)

    # a published file the new index would reuse, its bytes replaced under the same name, and another
    # replaced by a link to a file outside: the shard is indexed again from nothing
    forged = reused[0]
    forged.write_bytes(gzip.compress(b'pagefind_dcd{"url":"/forged.html","content":"forged"}'))
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not an index file")
    planted = reused[1]
    planted.unlink()
    planted.symlink_to(outside)
    again = site_with_edit("again")
    build_shards(again, [shard], published=out)
    assert tree(again / "pagefind" / shard.name) == expected
    assert outside.read_bytes() == b"not an index file"


@pytest.mark.skipif(not pagefind_available(), reason="pagefind[extended] is not installed")
def test_an_edit_with_errors_fails_with_every_error_and_leaves_no_early_index_behind(tmp_path):
    """The early index starts before the editorial checks; when the checks (a 错敏字) and the broadcast
    plan (a bad broadcast field) both find errors, the one run reports both, exits 1, publishes nothing,
    and stops Pagefind and deletes its scratch folder."""

    site = copy_example_site(tmp_path / "site")
    out = tmp_path / "out"
    env = {"SOURCE_DATE_EPOCH": "1795838400"}
    assert run_build("--site", str(site), "--output", str(out), env=env).returncode == 0
    before = tree(out)
    typo = site / "content" / "2020" / "03" / "shuiziyuan-guanli.md"
    typo.write_text(typo.read_text(encoding="utf-8") + "\n各单位要贯切落实本办法。\n", encoding="utf-8")
    bad = site / "content" / "2022" / "07" / "wenti-baoming.md"
    text = bad.read_text(encoding="utf-8")
    bad.write_text(text.replace("\n---", "\nbroadcast:\n  repeat: 9\n---", 1), encoding="utf-8")
    failed = run_build("--site", str(site), "--output", str(out), "-v", env=env)
    assert failed.returncode == 1
    assert "content/2020/03/shuiziyuan-guanli.md:" in failed.stderr and "贯彻落实" in failed.stderr
    assert "content/2022/07/wenti-baoming.md:" in failed.stderr and "broadcast.repeat" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert tree(out) == before
    assert not list(tmp_path.glob(".out.search-*"))
