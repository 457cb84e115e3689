"""Differential test of incremental builds: after every scripted change, the incremental
output must be byte-for-byte the output of a cold build of the same content."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conftest import FIXTURE_EPOCH, REPO, copy_site, run_build


def tree(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def epoch(text: str) -> str:
    return str(int(datetime.fromisoformat(text).astimezone(timezone.utc).timestamp()))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def assert_same_as_cold(site: Path, incremental: Path, tmp_path: Path, now: str, name: str,
                        options: tuple = ()) -> None:
    """The incremental output equals a cold build (new process, --no-cache) of the same content."""
    cold_dir = tmp_path / f"cold-{len(os.listdir(tmp_path))}"
    cold = run_build("--site", str(site), "--output", str(cold_dir), "--no-cache", *options,
                     env={"SOURCE_DATE_EPOCH": now})
    assert cold.returncode == 0, f"{name}: {cold.stderr}"
    got, want = tree(incremental), tree(cold_dir)
    assert got.keys() == want.keys(), f"{name}: files differ: {sorted(got.keys() ^ want.keys())[:10]}"
    different = [p for p in got if got[p] != want[p]]
    assert not different, f"{name}: {different[:10]} differ from a cold build"
    shutil.rmtree(cold_dir)


def _more_notices(site: Path) -> None:
    for i in range(30):
        (site / "content" / "2022" / "05" / f"extra-{i:02d}.md").write_text(
            f"---\ntitle: 补充公告{i}\ndate: 2022-05-{1 + i % 28:02d} {8 + i % 10:02d}:00\n"
            f"category: {['要闻动态', '通知公告', '应急管理'][i % 3]}\ntags: [标签{i % 4}]\n---\n\n补充公告{i}的正文。\n",
            encoding="utf-8")


STEPS = [
    ("edit a body", lambda s: edit(s / "content/2022/05/news-2.md", "要闻第2篇正文。", "要闻第2篇正文，已修改。")),
    ("retitle", lambda s: edit(s / "content/2022/05/news-3.md", "title: 要闻第3篇", "title: 要闻第三篇（更新）")),
    ("redate so prev/next change", lambda s: edit(s / "content/2022/05/news-1.md", "2022-05-11", "2022-05-30")),
    ("move to another column", lambda s: edit(s / "content/2022/05/news-4.md", "tags: [会议]",
                                             "category: 通知公告\ntags: [会议]")),
    ("change tags", lambda s: edit(s / "content/2022/05/meeting.md", "tags: [防汛, 会议]", "tags: [防汛, 汛期]")),
    ("delete a notice", lambda s: (s / "content/2022/05/extra-07.md").unlink()),
    ("add a notice", lambda s: (s / "content/2022/06/new.md").write_text(
        "---\ntitle: 新增公告\ndate: 2022-06-20 09:00\ntags: [会议]\n---\n\n新增正文。\n", encoding="utf-8")),
    ("replace an image", lambda s: (s / "content/2022/05/photo.png").write_bytes(
        (s / "content/2022/05/photo.png").read_bytes() + b"\x00")),
    ("edit a template", lambda s: (s / "templates").mkdir() or (s / "templates/404.html").write_text(
        (REPO / "templates/404.html").read_text(encoding="utf-8").replace("抱歉", "很抱歉"), encoding="utf-8")),
    ("edit site.yaml", lambda s: edit(s / "site.yaml", "phone: 0375-1234567", "phone: 0375-7654321")),
    ("add a notice whose draft awaits review", lambda s: (s / "content/2022/06/pending.md").write_text(
        "---\ntitle: 关于建设路临时停水的通知\ndate: 2022-06-30 10:00\ncategory: 通知公告\n---\n\n"
        "因供水管道维修，7月2日8:00—18:00建设路沿线临时停水，请居民提前储水。咨询电话：0375－8123377。\n",
        encoding="utf-8")),  # its broadcast window: 2022-06-30 10:00 to 2022-07-07 10:00
    ("time passes publish_at", None),  # 2022-07-05 08:00: the scheduled notice appears
    ("time passes expires", None),  # 2022-07-02: the 橙色 warning expires
    ("time passes: the unapproved draft's window ends", None),  # 待审核 no more, nothing composed
    ("the clock goes back: the draft awaits review again", None),  # SOURCE_DATE_EPOCH of an older commit
    ("nothing changes", lambda s: None),
]
CLOCK = {"time passes publish_at": epoch("2022-07-05T08:00:01+08:00"),
         "time passes expires": epoch("2022-07-06T00:00:00+08:00"),
         "time passes: the unapproved draft's window ends": epoch("2022-07-07T10:00:01+08:00"),
         "the clock goes back: the draft awaits review again": epoch("2022-07-06T00:00:00+08:00")}


# Every configuration the docs describe: (lines appended to site.yaml, extra build options).
CONFIGS = {
    "default": ("", ()),
    "broadcast-off": ("broadcast: {enabled: false}\n", ()),
    "search-off": ("search: {enabled: false}\n", ()),
    "both-off": ("broadcast: {enabled: false}\nsearch: {enabled: false}\n", ()),
    "drafts": ("", ("--drafts",)),
}


def _assert_pending_draft(out: Path, step: str) -> None:
    """The steps around the added notice really move its draft in and out of 待审核 (not a vacuous check)."""
    index = out / "broadcast" / "index.json"
    if not index.exists():  # broadcast switched off
        return
    pending = {item["source"] for item in json.loads(index.read_text(encoding="utf-8"))["pending"].values()}
    if step in ("add a notice whose draft awaits review", "the clock goes back: the draft awaits review again"):
        assert "content/2022/06/pending.md" in pending, step
    elif step == "time passes: the unapproved draft's window ends":
        assert "content/2022/06/pending.md" not in pending, step


def configured_site(tmp_path: Path, config: str) -> tuple[Path, tuple]:
    site = copy_site(tmp_path / "site")
    lines, options = CONFIGS[config]
    with open(site / "site.yaml", "a", encoding="utf-8") as f:
        f.write(lines)
    return site, options


@pytest.mark.slow
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_incremental_equals_cold_after_each_change(tmp_path, config):
    site, options = configured_site(tmp_path, config)
    _more_notices(site)
    incremental = tmp_path / "incremental"
    now = FIXTURE_EPOCH
    first = run_build("--site", str(site), "--output", str(incremental), *options, env={"SOURCE_DATE_EPOCH": now})
    assert first.returncode == 0, first.stderr
    for name, change in STEPS:
        if change is not None:
            change(site)
        now = CLOCK.get(name, now)
        inc = run_build("--site", str(site), "--output", str(incremental), *options, env={"SOURCE_DATE_EPOCH": now})
        assert inc.returncode == 0, f"{name}: {inc.stderr}"
        assert_same_as_cold(site, incremental, tmp_path, now, name, options)
        _assert_pending_draft(incremental, name)
        if name == "nothing changes":
            assert "内容没有变化" in inc.stderr
        elif name == "edit a body":
            # only the edited page is rendered again
            assert "写入页面 1 个" in inc.stderr, inc.stderr


@pytest.mark.slow
def test_rebuilds_in_one_process_equal_cold_builds(tmp_path):
    """serve builds again and again in one process, reusing what the last build saved
    (cache tables kept in memory, compiled templates): the output must still be a cold build's."""
    from builder.pipeline import BuildOptions, build
    from builder.report import Reporter

    site = copy_site(tmp_path / "site")
    _more_notices(site)
    incremental = tmp_path / "incremental"
    now = FIXTURE_EPOCH

    def in_process(when: str):
        moment = datetime.fromtimestamp(int(when), tz=timezone.utc)
        return build(BuildOptions(site_dir=site, output_dir=incremental, now=moment), Reporter())

    in_process(now)
    for name, change in STEPS:
        if change is not None:
            change(site)
        now = CLOCK.get(name, now)
        in_process(now)
        assert_same_as_cold(site, incremental, tmp_path, now, name)
        _assert_pending_draft(incremental, name)


def test_one_edit_writes_a_small_delta_of_the_scripts_cache(tmp_path):
    """The scripts table (one entry per notice) is not rewritten whole for one edit."""
    site = copy_site(tmp_path / "site")
    _more_notices(site)
    out = tmp_path / "out"
    cache = site / ".cache" / "notice-pipeline"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    base = (cache / "scripts.cache").read_bytes()
    for k, name in enumerate(["news-2.md", "extra-03.md"]):
        edit(site / "content/2022/05" / name, "正文", f"正文（第{k}次修改）")
        result = run_build("--site", str(site), "--output", str(out))
        assert result.returncode == 0, result.stderr
        assert (cache / "scripts.cache").read_bytes() == base
        assert (cache / "scripts-delta.cache").exists()
    assert_same_as_cold(site, out, tmp_path, FIXTURE_EPOCH, "two edits, scripts from base + delta")


def test_no_change_build_leaves_output_alone(tmp_path):
    site = copy_site(tmp_path / "site")
    out = tmp_path / "out"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    before = os.stat(out).st_ino
    page = out / "2022/05/meeting.html"
    mtime = page.stat().st_mtime_ns
    again = run_build("--site", str(site), "--output", str(out))
    assert again.returncode == 0 and "内容没有变化" in again.stderr
    assert os.stat(out).st_ino == before and page.stat().st_mtime_ns == mtime


def test_unchanged_pages_are_not_rewritten(tmp_path):
    site = copy_site(tmp_path / "site")
    out = tmp_path / "out"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    untouched = out / "2022/06/doc.html"
    inode = untouched.stat().st_ino
    edit(site / "content/2022/05/news-2.md", "要闻第2篇正文。", "改过的正文。")
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 0
    assert "改过的正文" in (out / "2022/05/news-2.html").read_text(encoding="utf-8")
    assert untouched.stat().st_ino == inode  # carried over as a hard link, bytes never rewritten


def test_corrupt_cache_is_ignored(tmp_path):
    site = copy_site(tmp_path / "site")
    out = tmp_path / "out"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    for file in (site / ".cache" / "notice-pipeline").rglob("*"):
        if file.is_file():
            file.write_bytes(b"garbage")
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 0, result.stderr
    cold = tmp_path / "cold"
    assert run_build("--site", str(site), "--output", str(cold), "--no-cache").returncode == 0
    assert tree(out) == tree(cold)


@pytest.mark.slow
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_two_cold_builds_seconds_apart_without_source_date_epoch_are_identical(tmp_path, config):
    """No output byte depends on the wall clock except through the documented boundaries
    (scheduled publishing, expiry, the broadcast day), which the fixture's 2022 content is far from."""
    site, options = configured_site(tmp_path, config)
    clock = {"SOURCE_DATE_EPOCH": ""}  # unset: the build uses the current time
    trees = []
    days = []
    for n in range(2):
        if n:
            time.sleep(2.1)  # a different wall-clock second (and more) for the second build
        days.append(datetime.now(ZoneInfo("Asia/Shanghai")).date())
        out = tmp_path / f"out-{n}"
        result = run_build("--site", str(site), "--output", str(out), "--no-cache", *options, env=clock)
        assert result.returncode == 0, result.stderr
        trees.append(tree(out))
    if days[0] != days[1]:
        pytest.skip("the two builds straddled midnight: the broadcast day changed between them")
    different = sorted(p for p in trees[0].keys() | trees[1].keys() if trees[0].get(p) != trees[1].get(p))
    assert not different, f"{config}: {different[:10]} differ between two builds of the same input"


def _published_links(out: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(out.rglob("*.html")))


@pytest.mark.parametrize("config", ["broadcast-off", "search-off", "both-off"])
def test_a_stage_switched_off_publishes_nothing(tmp_path, config):
    site, options = configured_site(tmp_path, config)
    out = tmp_path / "out"
    result = run_build("--site", str(site), "--output", str(out), *options)
    assert result.returncode == 0, result.stderr
    files = set(tree(out))
    pages = _published_links(out)
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    broadcast_off, search_off = "broadcast" in config or "both" in config, "search" in config or "both" in config
    if broadcast_off:
        assert not [f for f in files if f.startswith("broadcast/") or "broadcast." in f], sorted(files)
        assert "broadcast/" not in pages and "播音员页面" not in pages
        assert "broadcast/" not in sitemap
    else:
        assert "broadcast/index.html" in files and "broadcast/index.json" in files
        assert "broadcast/index.html" in sitemap and 'href="../../broadcast/index.html"' in pages
    if search_off:
        assert not [f for f in files if f.startswith("search/") or f in ("search.html", "static/js/search.js")]
        assert "search.html" not in pages and "search.html" not in sitemap
    else:
        assert "search.html" in files and "search.html" in sitemap and 'href="search.html"' in pages


def test_broadcaster_page_date_in_sitemap_comes_from_the_input(tmp_path):
    """Broadcast on but no script at all: the page's lastmod is the newest notice's date, not the clock."""
    site = copy_site(tmp_path / "site")
    for file in sorted((site / "content").rglob("*")):
        if file.suffix in (".md", ".yaml"):
            text = file.read_text(encoding="utf-8")
            if "broadcast:" in text:
                file.unlink()
                continue
            head = "---\n" if file.suffix == ".md" else ""
            file.write_text(head + "broadcast: false\n" + text[len(head):], encoding="utf-8")
    out = tmp_path / "out"
    result = run_build("--site", str(site), "--output", str(out), env={"SOURCE_DATE_EPOCH": ""})
    assert result.returncode == 0, result.stderr
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    home = re.search(r"/gov/</loc><lastmod>([^<]+)<", sitemap)
    page = re.search(r"broadcast/index.html</loc><lastmod>([^<]+)<", sitemap)
    assert home and page and page.group(1) == home.group(1) and page.group(1).startswith("2022-")


# Changes to the builder's own code, as a `git pull` of a fix would bring (no version bump):
# a date format the templates use, a reading rule of the broadcast scripts, Markdown output.
# The last item: whether HTML pages must be rendered again (False: a module no page imports;
# only broadcast/ may change, see builder.codeprint).
CODE_CHANGES = [
    ("builder/dates.py", 'def format_day(dt: datetime) -> str:\n    return dt.strftime("%Y-%m-%d")',
     'def format_day(dt: datetime) -> str:\n    return dt.strftime("%Y年%m月%d日")', True),
    ("builder/broadcast/speech.py", '_DIGITS_YAO = "零幺二三四五六七八九"', '_DIGITS_YAO = "零一二三四五六七八九"', False),
    ("builder/markup.py", "    body = sanitize(html)\n", "    body = sanitize(html).replace('<p>', '<p class=\"p\">')\n", True),
]


@pytest.mark.slow
def test_a_changed_builder_module_gives_what_a_cold_build_gives(tmp_path):
    """A copy of the checkout whose modules change between builds: every incremental result
    equals a cold build of the same code, and each change did reach the output."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "builder", checkout / "builder", ignore=ignore)
    shutil.copytree(REPO / "templates", checkout / "templates", ignore=ignore)
    shutil.copy2(REPO / "build.py", checkout / "build.py")
    site = copy_site(tmp_path / "site")
    out = tmp_path / "incremental"
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXTURE_EPOCH, "PYTHONDONTWRITEBYTECODE": "1"}

    log: list[str] = []

    def build(output: Path, *args: str) -> dict[str, str]:
        result = subprocess.run([sys.executable, str(checkout / "build.py"), "--site", str(site), "--output",
                                 str(output), *args], capture_output=True, text=True, encoding="utf-8", env=env,
                                cwd=tmp_path, timeout=300)
        assert result.returncode == 0, result.stderr
        log.append(result.stderr)
        return tree(output)

    before = build(out)
    for number, (module, old, new, pages) in enumerate(CODE_CHANGES):
        edit(checkout / module, old, new)
        got = build(out)
        rendered = re.search(r"写入页面 (\d+) 个", log[-1])
        want = build(tmp_path / f"cold-{number}", "--no-cache")
        assert got.keys() == want.keys(), f"{module}: files differ: {sorted(got.keys() ^ want.keys())[:10]}"
        different = [p for p in got if got[p] != want[p]]
        assert not different, f"{module}: {different[:10]} differ from a cold build after the change"
        assert got != before, f"{module}: the change did not reach the output"
        changed = [p for p in got if got[p] != before.get(p)]
        if pages:
            assert any(p.endswith(".html") and not p.startswith("broadcast/") for p in changed), module
        else:  # a module no page imports: no HTML page rendered, only the broadcast outputs change
            assert rendered and rendered.group(1) == "0", f"{module}: {log[-1]}"
            assert all(p.startswith("broadcast/") for p in changed), f"{module}: {changed[:10]}"
        before = got


def test_stage_code_sets_are_derived_from_imports():
    """The pages' code set is what builder.render can import: no broadcast, check or deploy module."""
    from builder.codeprint import code_digest, modules

    pages = set(modules("builder.render"))
    assert {"builder.render", "builder.pagedeps", "builder.site", "builder.markup", "builder.dates"} <= pages
    assert not any(m.startswith(("builder.broadcast", "builder.deploy")) for m in pages)
    assert "builder.checks" not in pages and "builder.pipeline" not in pages
    broadcast = set(modules("builder.broadcast.outputs"))
    assert {"builder.broadcast.speech", "builder.broadcast.script", "builder.render"} <= broadcast
    assert code_digest("builder.render") != code_digest("builder.broadcast.outputs")
    assert "builder.render" in modules("builder.pipeline")  # a function-level import counts


def test_import_scan_finds_every_import_ast_finds():
    """The fast line scan of builder.codeprint misses no builder import that Python's own parser sees."""
    import ast

    from builder import codeprint

    package = codeprint._read()
    for name, source in package.sources.items():
        here = name.split(".") if package.paths[name].endswith("__init__.py") else name.split(".")[:-1]
        found = set()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name in package.sources}
            elif isinstance(node, ast.ImportFrom):
                base = here[:len(here) - node.level + 1] if node.level else []
                module = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module
                found |= {module} & set(package.sources)
                found |= {f"{module}.{a.name}" for a in node.names} & set(package.sources)
        assert found <= package.imports[name], (name, found - package.imports[name])


@pytest.mark.slow
def test_an_edit_outside_a_stage_re_renders_none_of_its_pages(tmp_path):
    """site.yaml's broadcast:, check: and deploy: sections and the pronunciation lexicon are not page
    inputs: editing them renders no HTML page, and the result is still a cold build's."""
    site = copy_site(tmp_path / "site")
    _more_notices(site)
    out = tmp_path / "incremental"
    first = run_build("--site", str(site), "--output", str(out))
    assert first.returncode == 0, first.stderr
    before = tree(out)
    steps = [
        ("broadcast:", lambda: ((site / "pron.yaml").write_text("会议: hui4 yi4\n", encoding="utf-8"), open(
            site / "site.yaml", "a", encoding="utf-8").write("broadcast:\n  attention: 各位村民请注意\n  lexicon: pron.yaml\n")),
         True),
        ("lexicon", lambda: (site / "pron.yaml").write_text("会议: hui3 yi4\n", encoding="utf-8"), None),
        ("check:", lambda: open(site / "site.yaml", "a", encoding="utf-8").write(
            "check:\n  empty_columns: off\n"), False),
        ("deploy:", lambda: open(site / "site.yaml", "a", encoding="utf-8").write(
            "deploy:\n  web:\n    type: ssh\n    host: www.example.cn\n    path: /srv/www\n"), False),
        ("a page input (footer)", lambda: edit(site / "site.yaml", "phone: 0375-1234567", "phone: 0375-7654321"),
         True),
    ]
    for name, change, outputs in steps:
        change()
        result = run_build("--site", str(site), "--output", str(out))
        assert result.returncode == 0, f"{name}: {result.stderr}"
        assert_same_as_cold(site, out, tmp_path, FIXTURE_EPOCH, name)
        got = tree(out)
        changed = [p for p in got if got[p] != before.get(p)]
        if name == "a page input (footer)":
            assert "写入页面 0 个" not in result.stderr and any(p.endswith(".html") for p in changed), name
        elif outputs is False:
            assert got == before and "写入页面" not in result.stderr, f"{name}: {changed[:10]} {result.stderr}"
        else:
            assert "写入页面 0 个" in result.stderr, f"{name}: {result.stderr}"
            assert all(p.startswith("broadcast/") for p in changed), f"{name}: {changed[:10]}"
            if outputs:
                assert changed, f"{name}: did not reach the broadcast outputs"
        before = got




# --- template overrides that show every field of every notice they can reach ------------------

FIELDS = ("title", "date", "category", "slug", "summary", "tags", "authors", "editor", "origin", "level", "draft",
          "publish_at", "expires", "updated", "image", "image_alt", "image_caption", "attachments", "doc",
          "date_only", "source", "body_html")
DUMP = ("{% macro dump(e) %}<span class=\"dump\">{% for f in " + repr(list(FIELDS)) + " %}{{ f }}={{ e.notice[f] }};"
        "{% endfor %}status={{ e.status }};expired={{ e.expired }};current={{ e.current }};"
        "prev={{ e.prev.notice.title if e.prev else '' }};next={{ e.next.notice.summary if e.next else '' }};"
        "related={% for r in e.related %}{{ r.notice.origin }}/{{ r.notice.tags|join(',') }}|{% endfor %}"
        "</span>{% endmacro %}\n")


def write_overrides(site: Path) -> None:
    """A site's own macros.html and notice.html: lists, neighbours and related blocks print every
    notice field (and their neighbours' and related notices' fields too)."""
    own = site / "templates"
    own.mkdir(exist_ok=True)
    macros = (REPO / "templates/macros.html").read_text(encoding="utf-8")
    macros = macros.replace("{{ e.notice.title }}</a>", "{{ e.notice.title }}</a>{{ dump(e) }}")
    assert "dump(e)" in macros
    (own / "macros.html").write_text(DUMP + macros, encoding="utf-8")
    notice = (REPO / "templates/notice.html").read_text(encoding="utf-8")
    notice = re.sub(r'(\{% from "macros.html" import [^%]*?) %\}', r"\1, dump %}", notice, count=1)
    for old, new in (("{{ entry.prev.notice.title }}</a>", "{{ entry.prev.notice.title }}</a>{{ dump(entry.prev) }}"),
                     ("{{ entry.next.notice.title }}</a>", "{{ entry.next.notice.title }}</a>{{ dump(entry.next) }}"),
                     ("{{ r.notice.title }}</a>", "{{ r.notice.title }}</a>{{ dump(r) }}")):
        assert old in notice, old
        notice = notice.replace(old, new)
    (own / "notice.html").write_text(notice, encoding="utf-8")


FIELD_STEPS = [
    ("write a summary", lambda s: edit(s / "content/2022/05/news-3.md", "title: 要闻第3篇", "title: 要闻第3篇\nsummary: 手写的摘要")),
    ("edit the first paragraph (auto summary)",
     lambda s: edit(s / "content/2022/05/news-2.md", "要闻第2篇正文。", "要闻第2篇正文，第一段改了。")),
    ("change tags", lambda s: edit(s / "content/2022/05/meeting.md", "tags: [防汛, 会议]", "tags: [防汛, 汛期]")),
    ("change an author", lambda s: edit(s / "content/2022/05/meeting.md", "author: [张三, 李四]", "author: [张三, 赵六]")),
    ("change 来源", lambda s: edit(s / "content/2022/05/news-2.md", "tags: [会议]", "tags: [会议]\nsource: 县水利局")),
    ("change 文号", lambda s: edit(s / "content/2022/06/doc.md", "测政〔2022〕12号", "测政〔2022〕13号")),
    ("change the validity", lambda s: edit(s / "content/2022/06/doc.md", "validity: 失效", "validity: 有效")),
    ("retitle", lambda s: edit(s / "content/2022/05/news-1.md", "title: 要闻第1篇", "title: 要闻第一篇")),
    ("redate", lambda s: edit(s / "content/2022/05/news-4.md", "2022-05-14", "2022-05-02")),
    ("add a notice", lambda s: (s / "content/2022/06/new.md").write_text(
        "---\ntitle: 新增公告\ndate: 2022-06-20 09:00\ntags: [会议, 新标签]\nsource: 新来源\n---\n\n新增正文。\n",
        encoding="utf-8")),
    ("delete a notice", lambda s: (s / "content/2022/05/extra-03.md").unlink()),
    # What a notice page shows of other notices is looked up when it is rendered (recorded), not made
    # into its context: where its links lead, its 解读 and original document, its facet pages.
    ("move a linked notice (new slug)", lambda s: edit(s / "content/2022/06/tingshui.yaml", "title: 关于临时停水的通知",
                                                      "title: 关于临时停水的通知\nslug: tingshui-new")),
    ("add a 解读 of a document", lambda s: (s / "content/2022/06/doc-jiedu.md").write_text(
        "---\ntitle: 一图读懂管理办法\ndate: 2022-06-03 09:00\ninterprets: doc.md\n---\n\n解读正文。\n", encoding="utf-8")),
    ("retitle the 解读", lambda s: edit(s / "content/2022/06/doc-jiedu.md", "title: 一图读懂管理办法", "title: 图解管理办法")),
    ("change the document's topic", lambda s: edit(s / "content/2022/06/doc.md", "topic: 综合政务", "topic: 农业农村")),
    ("delete the 解读", lambda s: (s / "content/2022/06/doc-jiedu.md").unlink()),
    ("nothing changes", lambda s: None),
]


@pytest.mark.slow
def test_overrides_showing_every_field_equal_cold_after_each_change(tmp_path):
    site = copy_site(tmp_path / "site")
    _more_notices(site)
    write_overrides(site)
    incremental = tmp_path / "incremental"
    first = run_build("--site", str(site), "--output", str(incremental))
    assert first.returncode == 0, first.stderr
    assert "summary=" in (incremental / "index.html").read_text(encoding="utf-8")
    for name, change in FIELD_STEPS:
        change(site)
        inc = run_build("--site", str(site), "--output", str(incremental))
        assert inc.returncode == 0, f"{name}: {inc.stderr}"
        assert_same_as_cold(site, incremental, tmp_path, FIXTURE_EPOCH, name)


def test_without_recorded_reads_overrides_go_stale(tmp_path, monkeypatch):
    """The same override with dependency recording switched off: editing a summary leaves list
    pages with the old text, which the differential check catches (so it can fail)."""
    from builder import pagedeps
    from builder.pipeline import BuildOptions, build
    from builder.report import Reporter

    site = copy_site(tmp_path / "site")
    write_overrides(site)
    out = tmp_path / "incremental"
    moment = datetime.fromtimestamp(int(FIXTURE_EPOCH), tz=timezone.utc)
    monkeypatch.setattr(pagedeps.Reads, "add", lambda self, owner, name: None)
    build(BuildOptions(site_dir=site, output_dir=out, now=moment, jobs=1), Reporter())
    edit(site / "content/2022/05/news-3.md", "title: 要闻第3篇", "title: 要闻第3篇\nsummary: 手写的摘要")
    build(BuildOptions(site_dir=site, output_dir=out, now=moment, jobs=1), Reporter())
    cold = tmp_path / "cold"
    assert run_build("--site", str(site), "--output", str(cold), "--no-cache").returncode == 0
    got, want = tree(out), tree(cold)
    stale = sorted(p for p in want if got.get(p) != want[p])
    lists = [p for p in stale if p.endswith(".html") and "手写的摘要" in (cold / p).read_text(encoding="utf-8")
             and "手写的摘要" not in (out / p).read_text(encoding="utf-8")]
    assert len(lists) >= 3, stale  # e.g. the home page, the column page, the neighbours' pages


def test_owner_versions_give_the_keys_a_full_lookup_gives(tmp_path):
    """Planning takes the values a page read from the manifest when none of its owners (notices,
    entries, tables) has another version, and a notice page's whole key when its own entry and the
    shared context did not change either; after every scripted change those shortcuts must give
    exactly the keys that making every context and looking every recorded value up again gives."""
    from builder.broadcast.outputs import links
    from builder.cache import BuildCache
    from builder.pipeline import BuildOptions, _search_enabled, build, load_all
    from builder.render import Renderer
    from builder.report import Reporter

    site = copy_site(tmp_path / "site")
    _more_notices(site)
    write_overrides(site)
    out = tmp_path / "incremental"
    options = BuildOptions(site_dir=site, output_dir=out, now=datetime.fromtimestamp(int(FIXTURE_EPOCH), tz=timezone.utc),
                           jobs=1)
    build(options, Reporter())
    shortcuts = kept = kept_lists = 0
    for name, change in FIELD_STEPS:
        change(site)
        cache = BuildCache(site, out)
        manifest = cache.load_manifest()
        loaded, plan = load_all(options, Reporter(), cache)
        fp = manifest.stages["pages"]  # what the build planned with
        context = {"broadcast_links": links(plan), "search_enabled": _search_enabled(loaded)}
        quick = Renderer(loaded, context, fp).plan(fp, manifest.page_reads, manifest.page_values,
                                                   manifest.owner_versions, manifest.pages)
        full = Renderer(loaded, context, fp).plan(fp, manifest.page_reads)
        assert [(j.path, j.key) for j in quick] == [(j.path, j.key) for j in full], name
        changed = Renderer(loaded, context, fp).values.changed(manifest.owner_versions)
        shortcuts += sum(1 for j in quick if j.key and changed.isdisjoint(manifest.page_reads[j.path][0]))
        kept += sum(1 for j in quick if not j.static)
        kept_lists += sum(1 for j in quick if not j.static and j.method in ("column_page", "tag_page", "sitemap_page"))
        build(options, Reporter())
    assert shortcuts > 0 and kept > 0 and kept_lists > 0


def test_the_record_of_what_an_incremental_build_published_is_the_output_as_it_is(tmp_path):
    """An incremental build records (size, mtime) of every file it published without walking the new
    output again (carried-over files keep the listing taken before the build): that record must equal a
    walk of the output, or the next build would take good files for damaged ones (or miss damage)."""
    from builder.cache import BuildCache, written_files

    site = copy_site(tmp_path / "site")
    _more_notices(site)
    out = tmp_path / "out"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    for name, change in FIELD_STEPS[:4]:
        time.sleep(1.1)  # new files get another mtime second than the ones carried over
        change(site)
        done = run_build("--site", str(site), "--output", str(out))
        assert done.returncode == 0, done.stderr
        manifest = BuildCache(site, out).load_manifest()
        assert manifest.written == written_files(out), name
        again = run_build("--site", str(site), "--output", str(out), "-v")
        assert "内容没有变化" in again.stderr and "被改动或删除" not in again.stderr, (name, again.stderr)


def test_an_edit_saves_what_changed_of_the_manifest_and_loading_gives_what_was_saved(tmp_path, monkeypatch):
    """The manifest's big tables (page keys, reads, values, versions, the output listing) live in a
    base file that an edit leaves alone: the edit's changes go into the small head file.  Loading
    head and base gives exactly the tables the build saved; a head without its base is no record
    (everything is rendered again, and the output still equals a cold build)."""
    from builder.cache import MANIFEST_TABLES, BuildCache
    from builder.pipeline import BuildOptions, build
    from builder.report import Reporter

    site = copy_site(tmp_path / "site")
    _more_notices(site)
    out = tmp_path / "out"
    now = datetime(2026, 11, 29, tzinfo=timezone.utc)
    saved = []
    real_save = BuildCache.save_manifest
    monkeypatch.setattr(BuildCache, "save_manifest", lambda self, m: saved.append(m) or real_save(self, m))
    build(BuildOptions(site_dir=site, output_dir=out, now=now), Reporter())
    cache = BuildCache(site, out)
    base = cache.manifest_base_file
    before = (base.read_bytes(), os.stat(base).st_ino)
    for n, words in enumerate(("第一次补充。", "第二次补充。")):
        edit(site / "content" / "2022" / "05" / f"extra-0{n}.md", "的正文。", f"的正文。{words}")
        result = build(BuildOptions(site_dir=site, output_dir=out, now=now), Reporter())
        assert 0 < result.rendered < 30
        assert (base.read_bytes(), os.stat(base).st_ino) == before  # the tables file was not written
        loaded = BuildCache(site, out).load_manifest()
        for name in MANIFEST_TABLES:
            assert getattr(loaded, name) == getattr(saved[-1], name), name
        assert loaded.warnings == saved[-1].warnings and loaded.summary == saved[-1].summary
    assert_same_as_cold(site, out, tmp_path, epoch("2026-11-29T00:00:00+00:00"), "edits")

    # a change to many pages writes the tables again
    edit(site / "site.yaml", "title:", "title: 新")
    build(BuildOptions(site_dir=site, output_dir=out, now=now), Reporter())
    assert base.read_bytes() != before[0]
    loaded = BuildCache(site, out).load_manifest()
    assert all(getattr(loaded, name) == getattr(saved[-1], name) for name in MANIFEST_TABLES)

    # the tables of another save: the head does not belong to them, so there is no record
    shutil.copy(base, tmp_path / "tables")
    edit(site / "site.yaml", "title: 新", "title: 新新")
    build(BuildOptions(site_dir=site, output_dir=out, now=now), Reporter())
    shutil.copy(tmp_path / "tables", base)
    assert BuildCache(site, out).load_manifest() is None
    edit(site / "content" / "2022" / "05" / "extra-03.md", "的正文。", "的正文。第三次补充。")
    result = build(BuildOptions(site_dir=site, output_dir=out, now=now), Reporter())
    assert result.rendered == result.pages - 1  # all rendered again (the count leaves out one page)
    assert_same_as_cold(site, out, tmp_path, epoch("2026-11-29T00:00:00+00:00"), "foreign tables")


def test_related_rankings_are_kept_for_columns_whose_order_times_and_tags_did_not_change(tmp_path, monkeypatch):
    """Ranking the related notices (~0.6 s at 100,000 notices) is redone only for a column whose order,
    times or tags changed: a body edit re-ranks nothing, a tag change only that notice's column, and
    the output equals a cold build each time."""
    from builder import site as site_mod
    from builder.pipeline import BuildOptions, build
    from builder.report import Reporter

    site = copy_site(tmp_path / "site")
    _more_notices(site)
    out = tmp_path / "incremental"
    moment = datetime.fromtimestamp(int(FIXTURE_EPOCH), tz=timezone.utc)
    ranked = []
    real = site_mod._rank
    monkeypatch.setattr(site_mod, "_rank", lambda times, tags, count: ranked.append(len(times)) or real(times, tags, count))
    build(BuildOptions(site_dir=site, output_dir=out, now=moment, jobs=1), Reporter())
    columns = len(ranked)
    assert columns >= 3
    ranked.clear()
    edit(site / "content/2022/05/news-2.md", "要闻第2篇正文。", "要闻第2篇正文，改了一句。")
    build(BuildOptions(site_dir=site, output_dir=out, now=moment, jobs=1), Reporter())
    assert ranked == []
    assert_same_as_cold(site, out, tmp_path, FIXTURE_EPOCH, "edit a body")
    edit(site / "content/2022/05/meeting.md", "tags: [防汛, 会议]", "tags: [防汛, 汛期]")
    build(BuildOptions(site_dir=site, output_dir=out, now=moment, jobs=1), Reporter())
    assert len(ranked) == 1
    assert_same_as_cold(site, out, tmp_path, FIXTURE_EPOCH, "change tags")


def test_a_table_delta_turns_the_saved_base_into_the_table_whatever_was_added_changed_or_removed():
    """What save_manifest writes for a big table (the base's delta so far, then what differs from the
    table as loaded) applied to the base gives the table again: keys added, changed, removed, both
    at once with the same count (the removed keys are then looked for), by value or by identity."""
    from operator import is_not, ne

    from hypothesis import given, settings, strategies as st

    from builder.cache import _apply_delta, _delta_since

    keys = st.sampled_from([f"2022/{i:02d}/p.html" for i in range(40)])
    tables = st.dictionaries(keys, st.integers(0, 3), max_size=40)

    @settings(max_examples=300, deadline=None)
    @given(base=tables, loaded=tables, now=tables, by_identity=st.booleans())
    def check(base, loaded, now, by_identity):
        first = _delta_since(base, ({}, []), loaded)  # the delta that made the table as loaded
        if first is None:
            first = ({k: v for k, v in loaded.items() if base.get(k, None) != v or k not in base},
                     sorted(base.keys() - loaded.keys()))
        patched = dict(base)
        _apply_delta(patched, first)
        assert patched == loaded
        delta = _delta_since(loaded, first, now, is_not if by_identity else ne)
        if delta is not None:
            again = dict(base)
            _apply_delta(again, delta)
            assert again == now

    check()
