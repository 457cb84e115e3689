"""The search stage: notices indexed in shards, what a query finds, output deterministic, incremental = cold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURE_SITE, REPO, run_build
from support.gensite import copy_example_site
from support.searchreader import Index


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def stage_log(stages: list[str]):
    """A reporter class that appends every stage name to ``stages``."""
    from builder.report import Reporter

    class Stages(Reporter):
        def stage(self, name):
            stages.append(name)

    return Stages


def test_index_covers_notices_only_and_is_byte_identical_across_builds(tmp_path):
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name / "output"
        result = run_build("--site", str(FIXTURE_SITE), "--output", str(out))
        assert result.returncode == 0, result.stderr
        assert "警告" not in result.stderr
        outputs.append(tree(out))
    first, second = outputs
    listing = json.loads(first["search/index.json"])
    assert [s["name"] for s in listing["shards"]] == ["2022-05"]  # May to July: one shard
    index = Index(tmp_path / "a" / "output")
    published = sorted(p for p in first if p.startswith("2022/") and p.endswith(".html"))
    docs = index.docs("2022-05")
    assert [d[0] for d in docs] == published  # one record per notice page, none for list pages
    assert listing["shards"][0]["docs"] == len(published) == len(index.lengths("2022-05"))
    assert all(d[1] and d[2].startswith("2022-") for d in docs)  # title and date of each
    buckets = listing["shards"][0]["buckets"]
    assert {p for p in first if p.startswith("search/2022-05/") and p.endswith(".bin")} == {
        f"search/2022-05/{b}.bin" for b in range(buckets)} | {"search/2022-05/lengths.bin"}
    assert first == second


def test_build_without_numpy_warns_in_chinese_and_succeeds(tmp_path):
    out = tmp_path / "output"
    code = ("import sys; sys.modules['numpy'] = None; sys.argv[1:] = " + repr(["--site", str(FIXTURE_SITE),
            "--output", str(out)]) + "; from builder.cli import main; sys.exit(main())")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            encoding="utf-8", env={"SOURCE_DATE_EPOCH": "1656648000", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "警告：未安装 numpy" in result.stderr and "pip install -r requirements.txt" in result.stderr
    assert (out / "search.html").exists() and not (out / "search").exists()
    assert "网站地图" in (out / "search.html").read_text(encoding="utf-8")


def test_a_notice_template_without_the_search_body_builds_with_a_warning(tmp_path):
    """A site's own notice.html that dropped data-search-body: the build says what to do, and the index
    it writes is valid and finds nothing (rather than the whole page, menus and footer included)."""
    import shutil

    site = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, site)
    template = (REPO / "templates" / "notice.html").read_text(encoding="utf-8")
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates" / "notice.html").write_text(template.replace(" data-search-body", ""), encoding="utf-8")
    out = tmp_path / "out"
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert "警告：公告页中没有带 data-search-body 属性的正文元素" in result.stderr
    assert "templates/notice.html" in result.stderr
    index = Index(out)
    assert [s["docs"] for s in index.listing["shards"]] == [0]
    assert index.search("会议") == [] and index.search("水") == []


def test_a_query_finds_every_page_that_contains_it_and_ranks_title_hits_first(tmp_path):
    """Any run of characters copied out of a notice finds it -- inside a word a dictionary segmenter
    keeps whole (防控 in 疫情防控), one character, digits, full-width letters -- and a page with the
    words in its title comes before one that only mentions them."""
    from builder.searchindex import page_text

    out = tmp_path / "out"
    assert run_build("--site", str(copy_example_site(tmp_path / "site")), "--output", str(out),
                     env={"SOURCE_DATE_EPOCH": "1795838400"}).returncode == 0
    index = Index(out)
    texts = {}
    for page in sorted(out.glob("[0-9]*/[0-9]*/*.html")):
        found = page_text(page.read_text(encoding="utf-8"))
        if found is not None:
            import unicodedata

            texts[page.relative_to(out).as_posix()] = unicodedata.normalize("NFKC", found[0] + "\n" + found[1]).lower()
    assert sorted(texts) == sorted(d[0] for s in index.listing["shards"] for d in index.docs(s["name"]))
    assert len(texts) >= 9
    for query in ("停水", "防控", "疫情防控", "舞钢市", "水", "2022", "寒潮蓝色预警"):
        containing = {p for p, text in texts.items() if query in text}
        found = set(index.search(query))
        assert containing and containing <= found, (query, containing, found)
        if len(query) <= 2:
            assert found == containing, query  # one term: exactly the pages that contain it
    assert index.search("２０２２") == index.search("2022")  # full-width digits are the same digits
    assert index.search("火星探测") == []
    assert index.search("停水")[0] == "2022/06/tingshui-jianshelu.html"
    assert {p.rsplit("/", 1)[1] for p in index.search("疫情防控")[:2]} == {"meeting-report.html", "yimiao-jiezhong.html"}


def test_page_text_is_what_the_reader_sees():
    from builder.searchindex import page_text

    page = ('<html><h1>站名</h1><article class="article" data-search-body>'
            '<p class="banner">有效期至 <time datetime="2022-06-03T08:00:00+08:00">6月3日</time></p>'
            '<h1 class="t">关于<em>停水</em>的通知 &amp; 说明</h1>'
            '<p class="meta">发布时间：<time datetime="2022-06-01T08:00:00+08:00">2022-06-01 08:00</time></p>'
            '<div data-search-ignore><div>打印</div><button>关闭</button></div>'
            '<p><strong>会议</strong>强调，要<a href="x">落实</a>。</p><p>第二段</p>'
            '<!-- 注释不算 --></article><footer>页脚</footer></html>')
    title, text, date = page_text(page)
    assert title == "关于停水的通知 & 说明" and date == "2022-06-03"  # without PubDate: the first <time>
    assert page_text('<meta name="PubDate" content="2022-06-01 08:00">' + page)[2] == "2022-06-01"
    assert "会议强调，要落实。" in text  # inline tags join a word; block tags separate paragraphs
    assert "打印" not in text and "关闭" not in text and "注释" not in text and "页脚" not in text
    assert "站名" not in text and "停水" not in text  # the title is indexed apart (it weighs more)
    assert "第二段" in text and "\n第二段" in text
    assert page_text("<html><p>没有正文元素</p></html>") is None
    # an ignored element never closed hides the rest, as a browser would nest it; nothing hangs
    assert page_text('<article data-pagefind-body><p>正文</p><div data-pagefind-ignore><p>工具'
                     '</article>')[1].strip() == "正文"


def test_terms_follow_the_search_pages_normalization():
    """NFKC and lower case (what the browser does to a query) -- the fast table lookup agrees with
    unicodedata for every kind of character, including those that expand or combine."""
    import random
    import unicodedata

    import numpy as np

    from builder.searchindex import codes, terms

    pool = [chr(c) for c in [*range(0x20, 0x250), *range(0x3000, 0x3100), *range(0xFF00, 0xFFF0),
                             *range(0x4E00, 0x4E40), *range(0x1100, 0x1110), *range(0xAC00, 0xAC08),
                             *range(0x2150, 0x2190), *range(0x2460, 0x2470), *range(0xF900, 0xF908)]]
    pool += ["\u0301", "\u3099", "\uff9e", "İ", "𝐀", "\U00020000", "℃", "Ⅳ", "㈠", "㎡", "Σ", "ﬁ", "\u1161"]
    rng = random.Random(7)
    for _ in range(5000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 12)))
        expected = np.frombuffer(unicodedata.normalize("NFKC", text).lower().encode("utf-32-le"), dtype=np.uint32)
        assert np.array_equal(codes(text), expected), repr(text)
    found, length = terms("Ｗｉ-Fi，停水")
    pairs = {(int(t) >> 16, int(t) & 0xFFFF) for t in found}
    assert length == 6  # w i f i 停 水
    assert {(ord("w"), ord("i")), (ord("停"), ord("水")), (ord("水"), 0)} <= pairs
    assert (ord("i"), ord("f")) not in pairs  # the hyphen separates


def test_preview_keeps_the_last_index_and_a_real_build_reindexes(tmp_path, monkeypatch):
    """serve's preview does not re-index on every save."""
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
    before = {p: b for p, b in tree(out).items() if p.startswith("search/")}
    notice = next(p for p in sorted((site / "content").rglob("*.md")))
    notice.write_text(notice.read_text(encoding="utf-8") + "\n补充说明：本次修改只为测试。\n", encoding="utf-8")
    build(preview, Reporter())
    assert len(runs) == 1  # the edit did not re-index
    assert {p: b for p, b in tree(out).items() if p.startswith("search/")} == before
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


def test_busy_months_grow_shards_up_to_the_largest_shard_not_past_it():
    """~300 notices a month: shards grow so that a query fetches from at most MAX_SHARDS of them;
    a month bigger than the largest shard is indexed in parts of its own."""
    from builder.search import LARGEST_SHARD, MAX_SHARDS, plan_shards

    def site(per_month: int) -> list[tuple[str, str]]:
        return [(f"{y}/{m:02d}/n{i}.html", "k") for y in range(2019, 2027) for m in range(1, 13)
                for i in range(per_month)]

    busy = plan_shards(site(300))  # 28,800 notices
    assert len(busy) <= MAX_SHARDS and all(s.pages <= LARGEST_SHARD for s in busy), [s.pages for s in busy]
    assert len(plan_shards(site(300), size=500)) == 96  # what the page count alone gave
    huge = plan_shards(site(1000))  # 96,000 notices
    assert len(huge) <= MAX_SHARDS and all(s.pages <= LARGEST_SHARD for s in huge), [s.pages for s in huge]
    # a month over the largest shard is split into shards of its own, each within it
    month = [("2024/06/n%d.html" % i, "k") for i in range(2 * LARGEST_SHARD + 1)]
    parts = plan_shards([("2024/05/a.html", "k"), *month, ("2024/07/z.html", "k")])
    assert [s.name for s in parts] == ["2024-05", "2024-06-p1", "2024-06-p2", "2024-06-p3", "2024-07"]
    assert all(s.pages <= LARGEST_SHARD for s in parts) and sum(s.pages for s in parts[1:4]) == len(month)
    assert all(sum(s.holds(p) for s in parts) == 1 for p, _k in month)  # every page in exactly one part
    edited = [(p, "changed" if p == "2024/06/n7.html" else k) for p, k in month]
    assert sum(a.key != b.key for a, b in zip(plan_shards(month), plan_shards(edited))) == 1
    # any file name a build may make, commas and braces included
    odd = [*month[:-1], ("2024/06/a,{b}.html", "k")]
    assert sum(s.pages for s in plan_shards(odd)) == len(month)


def test_a_month_too_big_for_one_shard_is_indexed_in_parts_and_an_edit_reindexes_one(tmp_path, monkeypatch):
    """With room for one page per shard, the example site's months of two notices
    are indexed in parts: every notice is found in exactly one part, an edit re-indexes
    only its part (ahead of planning), and the output equals a cold build's."""
    from datetime import datetime, timezone

    from builder import search
    from builder.pipeline import BuildOptions, build
    from builder.report import Reporter

    monkeypatch.setattr(search, "largest_shard", lambda: 1)
    site = copy_example_site(tmp_path / "site")
    stages: list[str] = []
    Stages = stage_log(stages)

    now = datetime(2026, 11, 29, tzinfo=timezone.utc)
    out, cold = tmp_path / "out", tmp_path / "cold"
    build(BuildOptions(site_dir=site, output_dir=out, now=now), Stages())
    listed = [s["name"] for s in json.loads((out / "search" / "index.json").read_text())["shards"]]
    parts = [n for n in listed if n.startswith("2026-11-p")]
    assert len(parts) >= 2 and any(n.startswith("2022-07-p") for n in listed), listed

    indexed = [d[0] for n in parts for d in Index(out).docs(n)]
    pages = sorted(p.relative_to(out).as_posix() for p in (out / "2026" / "11").glob("*.html"))
    published = [p for p in pages if "data-search-body" in (out / p).read_text(encoding="utf-8")]
    assert sorted(indexed) == sorted(published)
    assert len(published) == 2

    inodes = {p: os.stat(out / p).st_ino for p in tree(out) if p.startswith("search/")}
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
    assert len(rewritten - {"index.json"}) == 1 and rewritten - {"index.json"} <= set(parts), rewritten
    assert Index(out).search("独一无二试验词") == ["2026/11/shangdian-tingdian.html"]
    build(BuildOptions(site_dir=site, output_dir=cold, now=now, use_cache=False), Reporter())
    assert after == tree(cold)


def test_one_edit_reindexes_one_shard_and_equals_a_cold_build(tmp_path):
    """The example site spans 2020-2026 (three shards); editing the oldest notice re-indexes its
    shard only, and the incremental output, index included, is byte-identical to a cold build."""

    site = copy_example_site(tmp_path / "site")
    out, cold = tmp_path / "out", tmp_path / "cold"
    env = {"SOURCE_DATE_EPOCH": "1795838400"}
    assert run_build("--site", str(site), "--output", str(out), env=env).returncode == 0
    inodes = {p: os.stat(out / p).st_ino for p in tree(out) if p.startswith("search/")}
    notice = site / "content" / "2020" / "03" / "shuiziyuan-guanli.md"
    notice.write_text(notice.read_text(encoding="utf-8") + "\n本办法另行补充说明。\n", encoding="utf-8")
    again = run_build("--site", str(site), "--output", str(out), "-v", env=env)
    assert again.returncode == 0, again.stderr
    # the edited notice's shard was indexed while the build planned its pages (search.EarlyIndex)
    assert "生成站内搜索索引（1 / 3 个分片，1 个已在编辑检查前开始）" in again.stderr
    assert not list(tmp_path.glob(".out.search-*"))  # its scratch folder is gone
    after = tree(out)
    rewritten = {p.split("/")[1] for p in inodes if p in after and os.stat(out / p).st_ino != inodes[p]}
    assert rewritten <= {"2020-03", "index.json"}
    assert run_build("--site", str(site), "--output", str(cold), "--no-cache", env=env).returncode == 0
    assert after == tree(cold)


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
        shutil.copytree(out, site, ignore=shutil.ignore_patterns("search"))
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
        [p for p in tree(same) if p.startswith("search/")])
    reference = final_site("reference")
    build_shards(reference, [shard])
    assert tree(same / "search") == tree(reference / "search")

    # another page of the shard changed after the early start, or a page was added: not taken
    other = notices[-1]
    changed = final_site("changed", {other: (out / other).read_bytes().replace(b"</h1>", b"!</h1>", 1)})
    assert early_index(changed) == (False, SearchIndex()) and not (changed / "search").exists()
    added = final_site("added", {edited.rpartition("/")[0] + "/new-page.html": fresh[edited]})
    assert early_index(added)[0] is False


def test_closing_an_early_index_stops_its_process_and_removes_its_scratch_folder(tmp_path):
    from builder.search import EarlyIndex, plan_shards

    out = tmp_path / "out"
    assert run_build("--site", str(FIXTURE_SITE), "--output", str(out)).returncode == 0
    notices = sorted(p.relative_to(out).as_posix() for p in out.glob("[0-9]*/[0-9]*/*.html"))
    [shard] = plan_shards([(p, "") for p in notices])
    early = EarlyIndex(out)
    early.start([shard], {shard.name: notices}, {}, out)
    _shard, _site, future = early._runs[shard.name]
    while not early._processes and not future.done():  # until the index process runs
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


def test_an_edit_with_errors_fails_with_every_error_and_leaves_no_early_index_behind(tmp_path):
    """The early index starts before the editorial checks; when the checks (a 错敏字) and the broadcast
    plan (a bad broadcast field) both find errors, the one run reports both, exits 1, publishes nothing,
    and stops the early index process and deletes its scratch folder."""

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
