"""Editors' real files (issue 14): Notepad files, safe defaults, typo guards.

Each case copies one fixture from tests/fixtures/editors/ into a copy of the
fixture site and runs ``build.py`` as an editor would.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from conftest import REPO, copy_site, run_build
from support.gensite import copy_example_site

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


def _check(tmp_path: Path, *names: str, folder: str = "content/2022/05"):
    site = _site_with(tmp_path, *names, folder=folder)
    result = run_build("check", "--site", str(site))
    return site, result, result.stderr.splitlines()


def _lines_at(lines: list[str], location: str) -> list[str]:
    return [l for l in lines if l.startswith(location + ":")]


def test_date_a_few_days_ahead_warns_and_suggests_publish_at(tmp_path):
    _site, result, lines = _check(tmp_path, "future-date.md")  # the clock is 2022-07-01 12:00
    assert result.returncode == 0, result.stderr
    [line] = _lines_at(lines, "content/2022/05/future-date.md:3")
    assert "警告" in line and "publish_at: 2022-07-05 08:00" in line


def test_date_more_than_a_year_ahead_is_an_error(tmp_path):
    _site, result, lines = _check(tmp_path, "far-future.md")
    assert result.returncode == 1
    [line] = _lines_at(lines, "content/2022/05/far-future.md:3")
    assert "晚一年以上" in line and "警告" not in line


def test_same_index_number_and_document_number_name_both_files(tmp_path):
    _site, result, lines = _check(tmp_path, "copy-of-doc.md", folder="content/2022/06")
    assert result.returncode == 1
    copy, original = "content/2022/06/copy-of-doc.md", "content/2022/06/doc.md"
    assert any("索引号“11410000MB1234567X/2022-00012”与 " + original in l for l in _lines_at(lines, copy + ":6"))
    assert any("文号“测政〔2022〕12号”与 " + original in l for l in _lines_at(lines, copy + ":8"))
    assert any("索引号" in l and copy in l for l in _lines_at(lines, original + ":8"))
    # same title on the same day: a warning on both
    assert any("警告" in l and "标题相同" in l and original in l for l in _lines_at(lines, copy + ":2"))
    assert any("警告" in l and "标题相同" in l and copy in l for l in _lines_at(lines, original + ":2"))


def test_local_paths_in_image_attachments_and_body_are_errors(tmp_path):
    _site, result, lines = _check(tmp_path, "local-paths.md")
    assert result.returncode == 1
    at = "content/2022/05/local-paths.md"
    assert any("“image”写的“D:\\照片\\现场.jpg”是本机电脑上的路径" in l and "image: 现场.jpg" in l
               for l in _lines_at(lines, at + ":4"))
    assert any("报名表.docx" in l and "本机电脑上的路径" in l for l in _lines_at(lines, at + ":6"))
    assert any("file:///C:/Users/编辑/Desktop/现场.jpg" in l for l in _lines_at(lines, at + ":12"))
    assert any("/home/editor/通知.docx" in l for l in _lines_at(lines, at + ":14"))


def test_case_only_mismatch_names_the_right_spelling(tmp_path):
    _site, result, lines = _check(tmp_path, "case-mismatch.md")
    assert result.returncode == 1
    at = "content/2022/05/case-mismatch.md"
    assert any("photo.PNG" in l and "请把文件名写成 photo.png" in l for l in _lines_at(lines, at + ":4"))
    assert any("Photo.png" in l and "请把文件名写成 photo.png" in l for l in _lines_at(lines, at + ":8"))


def test_yaml_pitfalls_in_titles_get_chinese_advice(tmp_path):
    _site, result, lines = _check(tmp_path, "yaml-hash-title.md", "yaml-bracket-title.md", "yaml-quote-title.md")
    assert result.returncode == 1
    [hash_] = _lines_at(lines, "content/2022/05/yaml-hash-title.md:2")
    assert "以 # 开头" in hash_ and "注释" in hash_ and 'title: "#紧急#关于停水的通知"' in hash_
    [bracket] = _lines_at(lines, "content/2022/05/yaml-bracket-title.md:2")
    assert "title: '[转发]关于防汛工作的通知'" in bracket and "【】" in bracket
    [quote] = _lines_at(lines, "content/2022/05/yaml-quote-title.md:2")
    assert "中文引号" in quote and "title: 关于“两节”期间值班的通知" in quote
    assert not any(word in result.stderr for word in ("did not find", "expected", "缺少标题"))


def test_chinese_time_spelling_and_date_only_notices(tmp_path):
    site = _site_with(tmp_path, "chinese-time.md", "date-only.md")
    out = tmp_path / "out"
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 0, result.stderr
    timed = (out / "2022/05/chinese-time.html").read_text(encoding="utf-8")
    assert '<time datetime="2022-05-13T09:30:00+08:00">2022-05-13 09:30</time>' in timed
    day = (out / "2022/05/date-only.html").read_text(encoding="utf-8")
    assert '发布时间：<time datetime="2022-05-14">2022-05-14</time>' in day
    assert "2022-05-14 00:00" not in day and '<meta name="PubDate" content="2022-05-14">' in day


def test_feeds_link_to_the_website_and_make_every_body_url_absolute(tmp_path):
    import feedparser

    site = _site_with(tmp_path, "feed-links.md")
    out = tmp_path / "out"
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 0, result.stderr
    # check warns about the root-relative link, with file and line
    [warning] = _lines_at(result.stderr.splitlines(), "content/2022/05/feed-links.md:7")
    assert "警告" in warning and "“/files/baoming.pdf”以 / 开头" in warning
    site_rss = feedparser.parse((out / "feed.xml").read_bytes())
    assert site_rss.feed.link == "https://test.example/gov/"
    raw = (out / "ywdt/feed.xml").read_text(encoding="utf-8")
    assert "<link>https://test.example/gov/ywdt/index.html</link>" in raw
    assert 'rel="self"' in raw and "https://test.example/gov/ywdt/feed.xml" in raw
    for name in ("ywdt/feed.xml", "ywdt/atom.xml"):
        feed = feedparser.parse((out / name).read_bytes())
        assert feed.bozo == 0
        [entry] = [e for e in feed.entries if e.title == "关于订阅源链接的测试"]
        body = entry.content[0].value
        assert 'href="https://test.example/gov/files/baoming.pdf"' in body
        assert 'src="https://cdn.example.cn/map.png"' in body
        assert 'href="https://test.example/gov/2022/06/tingshui.html"' in body
        assert 'href="https://test.example/gov/2022/06/feed-links.html#main"' in body
        assert not re.search(r'(?:src|href)="(?!https://|mailto:|tel:)', body)


def _metas(page: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, content in re.findall(r'<meta name="([^"]+)" content="([^"]*)">', page):
        found.setdefault(name.lower(), []).append(content)
    return found


def test_government_meta_set_and_footer_marks(tmp_path):
    site = copy_site(tmp_path / "site")
    config = (site / "site.yaml").read_text(encoding="utf-8").replace(
        '  police_code: "41000000000001"', '  police_code: "41000000000001"\n  conac_id: "CONAC123"')
    config = config.replace("  - {name: 通知公告, slug: tzgg, type: 公告}",
                            "  - {name: 通知公告, slug: tzgg, type: 公告, description: 各类通知, keywords: '通知,公告'}")
    (site / "site.yaml").write_text(config, encoding="utf-8")
    out = tmp_path / "out"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    pages = sorted(p for p in out.rglob("*.html") if "broadcast" not in p.parts and "search" not in p.parts)
    assert len(pages) > 20
    for path in pages:
        page = path.read_text(encoding="utf-8")
        metas = _metas(page)
        for name in ("sitename", "sitedomain", "siteidcode"):
            assert len(metas.get(name, [])) == 1, (path, name)
        assert metas["siteidcode"] == ["4100000001"]
        for name, values in metas.items():
            assert len(values) == 1, (path, name)  # description/Description never both
            if name == "author":
                assert values[0].strip(), path  # never an empty Author
        assert "https://bszs.conac.cn/sitename?method=show&amp;id=CONAC123" in page, path
        assert "https://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code=4100000001&amp;url=" in page, path
        assert "我为政府网站找错" in page and "党政机关网站标识" in page
    column = _metas((out / "tzgg/index.html").read_text(encoding="utf-8"))
    assert column["columnname"] == ["通知公告"] and column["columndescription"] == ["各类通知"]
    assert column["columnkeywords"] == ["通知,公告"] and column["columntype"] == ["公告"]
    meeting = (out / "2022/05/meeting.html").read_text(encoding="utf-8")
    article = _metas(meeting)
    for name in ("columnname", "columndescription", "columnkeywords", "columntype", "articletitle", "pubdate",
                 "contentsource", "keywords", "description", "url"):
        assert name in article, name
    assert '<meta name="Description"' in meeting and '<meta name="description"' not in meeting
    assert article["url"] == ["https://test.example/gov/2022/05/meeting.html"]
    assert article["author"] == ["张三 李四"] and "image" not in article  # no image: no Image
    vaccine = _metas((out / "2022/05/vaccine.html").read_text(encoding="utf-8"))
    assert "author" not in vaccine  # unknown: no empty Author
    assert vaccine["image"][0].startswith("https://test.example/gov/files/") and vaccine["image"][0].endswith("photo.png")


def test_footer_marks_are_configurable(tmp_path):
    site = copy_site(tmp_path / "site")
    config = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(config.replace('  site_code: "4100000001"\n', '  site_code: "4100000001"\n  jiucuo_url: "off"\n'),
                                    encoding="utf-8")
    out = tmp_path / "out"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "我为政府网站找错" not in home and "党政机关网站标识" not in home  # off, and no conac_id


EXAMPLE_ENV = {"SOURCE_DATE_EPOCH": "1795838400"}  # 2026-11-28 12:00 Beijing: the example site's own time


def _example_copy(tmp_path: Path) -> Path:
    return copy_example_site(tmp_path / "example")


def test_withdrawn_notice_leaves_every_list_feed_sitemap_search_and_playlist(tmp_path):
    from support.searchreader import Index

    site = _example_copy(tmp_path)
    out = tmp_path / "out"
    before = run_build("--site", str(site), "--output", str(tmp_path / "before"), env=EXAMPLE_ENV)
    assert before.returncode == 0, before.stderr
    shutil.copy(EDITORS / "withdrawn.md", site / "content/2026/11/shangdian-tingdian.md")
    result = run_build("--site", str(site), "--output", str(out), env=EXAMPLE_ENV)
    assert result.returncode == 0, result.stderr
    page = (out / "2026/11/shangdian-tingdian.html").read_text(encoding="utf-8")
    assert "撤稿说明" in page and "检修计划调整，停电取消，以供电公司新通知为准" in page
    assert "2026-11-27 15:00" in page and "10千伏尚店线" not in page  # the body is gone
    assert '<meta name="robots" content="noindex">' in page and "data-search-body" not in page
    mentions = {"shangdian-tingdian", "关于尚店镇部分村组计划停电的通知"}
    was = {p.relative_to(tmp_path / "before").as_posix() for p in (tmp_path / "before").rglob("*")
           if p.is_file() and p.suffix in (".html", ".xml", ".txt", ".json")
           and any(m in p.read_text(encoding="utf-8", errors="replace") for m in mentions)}
    # it was listed in lists, feeds, sitemaps and playlists before ...
    for expected in ("index.html", "bmfw/index.html", "feed.xml", "bmfw/atom.xml", "sitemap.xml", "sitemap.html",
                     "tags/ting-dian/index.html", "broadcast/index.json", "broadcast/daily/2026-11-28.txt"):
        assert expected in was, expected
    # ... and now nowhere but on its own 撤稿说明 page
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".txt", ".json", ".ssml") \
                and path.relative_to(out).as_posix() != "2026/11/shangdian-tingdian.html":
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not any(m in text for m in mentions), path
    assert not (out / "broadcast/shangdian-tingdian.txt").exists()
    assert not list(out.rglob("shangdian-tingdian.cap.xml"))
    indexed = [d[0] for s in Index(out).listing["shards"] for d in Index(out).docs(s["name"])]
    assert indexed and "2026/11/shangdian-tingdian.html" not in indexed
    assert Index(out).search("尚店线") == []


def test_corrections_are_shown_newest_first_and_set_updated(tmp_path):
    import feedparser

    site = _site_with(tmp_path, "corrections.md", folder="content/2022/06")
    out = tmp_path / "out"
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 0, result.stderr
    page = (out / "2022/06/corrections.html").read_text(encoding="utf-8")
    newest, oldest = page.index("调整日期由6月25日改为6月26日。"), page.index("原文“8路”应为“18路”。")
    assert page.index("更正说明") < newest < oldest
    assert '更新时间：<time datetime="2022-06-22T16:30:00+08:00">2022-06-22 16:30</time>' in page
    atom = feedparser.parse((out / "tzgg/atom.xml").read_bytes())
    [entry] = [e for e in atom.entries if e.title == "关于调整公交线路的通知"]
    assert entry.updated.startswith("2022-06-22T16:30:00")


def test_information_disclosure_catalogue_by_facet_and_interpretation_links(tmp_path):
    site = copy_site(tmp_path / "site")
    folder = site / "content/2021"
    folder.mkdir()
    for name in ("banfa.md", "banfa-jiedu.md"):
        shutil.copy(EDITORS / "xxgk" / name, folder / name)
    shutil.copy(EDITORS / "xxgk" / "tongzhi-jiedu.md", folder / "tongzhi-jiedu.md")
    (site / "site.yaml").write_text((site / "site.yaml").read_text(encoding="utf-8")
                                    + "xxgk: {index_prefix: 11410000MB1234567X}\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 0, result.stderr
    index = (out / "xxgk/index.html").read_text(encoding="utf-8")
    assert "县政府关于印发管理办法的通知" in index and "测试县农村集体资产管理办法" in index
    # the 索引号 left out of banfa.md was numbered by the site.yaml rule
    assert "11410000MB1234567X/2021-00001" in index
    assert "11410000MB1234567X/2021-00001" in (out / "2021/09/banfa.html").read_text(encoding="utf-8")

    def facet_page(kind: str, value: str) -> str:
        link = re.search(rf'<a href="({kind}/[^"]+)"[^>]*>{re.escape(value)}</a>', index)
        assert link, (kind, value)
        return (out / "xxgk" / link.group(1)).read_text(encoding="utf-8")

    topic = facet_page("topic", "综合政务")
    assert "县政府关于印发管理办法的通知" in topic and "测试县农村集体资产管理办法" not in topic
    issuer = facet_page("issuer", "测试县农业农村局")
    assert "测试县农村集体资产管理办法" in issuer and "县政府关于印发管理办法的通知" not in issuer
    year = facet_page("year", "2021")
    assert "测试县农村集体资产管理办法" in year and "县政府关于印发管理办法的通知" not in year
    genre = facet_page("genre", "办法")
    assert "测试县农村集体资产管理办法" in genre and "县政府关于印发管理办法的通知" not in genre
    assert "县政府关于印发管理办法的通知" in facet_page("genre", "通知")
    # 政策文件 <-> 解读, by interprets: and by the link a 解读 contains
    banfa = (out / "2021/09/banfa.html").read_text(encoding="utf-8")
    assert re.search(r'相关解读</h2>\s*<ul><li><a href="banfa-jiedu.html">一图读懂', banfa)
    jiedu = (out / "2021/09/banfa-jiedu.html").read_text(encoding="utf-8")
    assert '原文件：<a href="banfa.html">测试县农村集体资产管理办法</a>（测农〔2021〕3号）' in jiedu
    doc = (out / "2022/06/doc.html").read_text(encoding="utf-8")
    assert "相关解读" in doc and "../../2022/06/tongzhi-jiedu.html" not in doc and "tongzhi-jiedu.html" in doc
    tongzhi = (out / "2022/06/tongzhi-jiedu.html").read_text(encoding="utf-8")
    assert '原文件：<a href="doc.html">县政府关于印发管理办法的通知</a>' in tongzhi
    assert 'href="../../xxgk/index.html">政府信息公开目录</a>' in tongzhi  # every footer links the catalogue


def test_interprets_must_name_a_published_document(tmp_path):
    site = copy_site(tmp_path / "site")
    (site / "content/2022/05/jiedu.md").write_text(
        "---\ntitle: 政策解读\ndate: 2022-05-20 10:00\ninterprets: meeting.md\n---\n\n解读。\n", encoding="utf-8")
    result = run_build("check", "--site", str(site))
    assert result.returncode == 1
    assert "content/2022/05/jiedu.md:4: interprets 指向的 content/2022/05/meeting.md 不是已发布的政策文件" in result.stderr


def _aged_copy(tmp_path: Path) -> Path:
    """The example site with every date moved back a year (as if nobody had published for a year)."""
    site = _example_copy(tmp_path / "aged")
    for path in (site / "content").rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        if "\ndoc:" in text:
            continue  # 文号 and 索引号 carry the year: the formal documents (of 2020 and 2022) stay as they are
        text = re.sub(r"(?m)^(\s*(?:date|publish_at|expires|updated|written|valid_from|valid_until):\s*)(\d{4})",
                      lambda m: m.group(1) + str(int(m.group(2)) - 1), text)
        path.write_text(text, encoding="utf-8")
    for path in (site / "content").rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^(\s*(?:date|publish_at|expires|updated|written):\s*)(\d{4})",
                      lambda m: m.group(1) + str(int(m.group(2)) - 1), text)
        path.write_text(text, encoding="utf-8")
    return site


def test_audit_on_the_example_site_and_an_aged_copy(tmp_path):
    import json

    fresh = run_build("check", "--audit", "--format", "json", "--site", str(_example_copy(tmp_path)), env=EXAMPLE_ENV)
    report = json.loads(fresh.stdout)
    items = {i["code"]: i for i in report["items"]}
    assert fresh.returncode == 1 and not report["passed"]
    assert items["home"]["passed"] and "2026-11-27" in items["home"]["detail"]
    stale = sorted(re.search(r"栏目“(.+?)”", f["message"]).group(1) for f in items["columns"]["findings"])
    assert stale == ["乡镇动态", "政策文件", "要闻动态", "通知公告"]  # 应急管理 and 便民服务 are current
    assert all(f["file"] == "site.yaml" and f["line"] for f in items["columns"]["findings"])
    for code in ("empty-columns", "links", "terms", "metadata", "pubdate"):
        assert items[code]["passed"], code
    assert items["external"]["checked"] is False

    aged = run_build("check", "--audit", "--site", str(_aged_copy(tmp_path)), env=EXAMPLE_ENV)
    assert aged.returncode == 1
    assert "【不通过】首页更新：最新公告发布于 2025-12-01，距今 362 天" in aged.stdout  # the 元旦 notice, now due
    assert "栏目“应急管理”最新公告发布于 2025-11-27" in aged.stdout
    assert "栏目“便民服务”最新公告发布于 2025-11-26" in aged.stdout
    assert "网站普查自查：" in aged.stdout and "项不通过" in aged.stdout


def test_audit_items_per_column_period_empty_column_and_github_format(tmp_path):
    site = copy_site(tmp_path / "site")
    config = (site / "site.yaml").read_text(encoding="utf-8")
    config = config.replace("  - {name: 应急管理, slug: yjgl}",
                            "  - {name: 应急管理, slug: yjgl, update_days: 400}\n  - {name: 空栏目, slug: kong, type: 服务}")
    (site / "site.yaml").write_text(config, encoding="utf-8")
    result = run_build("check", "--audit", "--format", "github", "--site", str(site),
                       env={"SOURCE_DATE_EPOCH": "1672531200"})  # 2023-01-01: half a year after the last notice
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(l.startswith("::error file=") and "栏目“要闻动态”" in l for l in lines)
    assert not any("栏目“应急管理”" in l for l in lines)  # update_days: 400
    assert any("空栏目" in l and "空白栏目" in l for l in lines)
    assert any(l.startswith("::error title=home::首页更新") for l in lines)


def test_audit_external_links_with_a_local_server(tmp_path):
    import http.server
    import threading
    import time

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):  # noqa: N802 - http.server API
            if self.path == "/slow":
                time.sleep(3)
            self.send_response(200 if self.path in ("/ok", "/slow") else 404)
            self.end_headers()

        do_GET = do_HEAD

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        site = copy_site(tmp_path / "site")
        text = (EDITORS / "external-links.md").read_text(encoding="utf-8").replace("PORT", str(server.server_port))
        (site / "content/2022/06/external-links.md").write_text(text, encoding="utf-8")
        started = time.monotonic()
        result = run_build("check", "--audit", "--external", "--timeout", "1", "--concurrency", "2",
                           "--site", str(site))
        elapsed = time.monotonic() - started
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 1
    out = result.stdout
    assert "【不通过】外部链接：2 / 3 个外部链接无法访问" in out
    assert f"content/2022/06/external-links.md:9: 外部链接 http://127.0.0.1:{server.server_port}/missing 无法访问（HTTP 404）" in out
    assert f"content/2022/06/external-links.md:11: 外部链接 http://127.0.0.1:{server.server_port}/slow 无法访问（超时）" in out
    assert "/ok" not in out
    assert elapsed < 30
