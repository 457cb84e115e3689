"""Targeted assertions on every page kind of the fixture site."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest

from conftest import read


def doc(out: Path, rel: str):
    return lxml.html.fromstring(read(out / rel))


def meta(tree, name: str) -> str | None:
    found = tree.xpath(f'//meta[@name="{name}"]/@content')
    return found[0] if found else None


def test_home_page_structure(built_site):
    tree = doc(built_site, "index.html")
    assert tree.get("lang") == "zh-CN"
    assert tree.findtext(".//title") == "测试县人民政府"
    assert meta(tree, "SiteName") == "测试县人民政府"
    assert meta(tree, "SiteDomain") == "test.example"
    assert meta(tree, "SiteIDCode") == "4100000001"
    # the current 橙色 warning is shown as a banner with its colour class and name
    banner = tree.xpath('//section[contains(@class,"warning-banner")]')
    assert len(banner) == 1
    assert "level-orange" in banner[0].get("class")
    assert "橙色预警" in banner[0].text_content() and "暴雨橙色预警" in banner[0].text_content()
    # one block per column, expired notices left out of current lists
    headings = [h.text_content() for h in tree.xpath("//section[contains(@class,'block')]/h2")]
    assert headings == ["最新发布", "要闻动态", "通知公告", "应急管理"]
    assert "关于临时停水的通知" not in tree.text_content()
    assert "草稿公告" not in tree.text_content() and "定时公告" not in tree.text_content()


def test_notice_page_meta_and_body(built_site):
    tree = doc(built_site, "2022/05/meeting.html")
    assert tree.findtext(".//title") == "全县召开防汛工作会议_要闻动态_测试县人民政府"
    assert meta(tree, "ArticleTitle") == "全县召开防汛工作会议"
    assert meta(tree, "PubDate") == "2022-05-04 12:00"
    assert meta(tree, "ContentSource") == "测试县融媒体中心"
    assert meta(tree, "Author") == "张三 李四"
    assert meta(tree, "Keywords") == "防汛,会议"
    assert meta(tree, "ColumnName") == "要闻动态"
    assert tree.xpath('//link[@rel="canonical"]/@href') == ["https://test.example/gov/2022/05/meeting.html"]
    text = tree.text_content()
    assert "发布时间：2022-05-04 12:00" in text
    assert "来源：测试县融媒体中心" in text and "作者：张三 李四" in text and "责任编辑：王五" in text
    assert tree.xpath("count(//h1)") == 1
    body = tree.get_element_by_id("article-body")
    # a line break inside a Chinese paragraph does not become a space
    assert "会议要求各乡镇做好准备" in body.text_content()
    # bold closing after Chinese punctuation is real bold, not literal asterisks
    assert body.xpath(".//strong")[0].text == "会议强调，"
    assert "**" not in body.text_content()
    # heading anchors keep Chinese; body headings start at h2
    assert body.xpath(".//h2/@id") == ["工作要求"]
    # links to other notices' source files become links to their pages
    hrefs = body.xpath(".//a/@href")
    assert "../06/tingshui.html" in hrefs and "vaccine.html#接种点" in [unquote(h) for h in hrefs]
    tools = tree.xpath('//div[@class="article-tools"]')[0].text_content()
    for label in ("【打印】", "大", "中", "小", "【关闭】"):
        assert label in tools


def test_prev_next_and_related_stay_in_column(built_site):
    tree = doc(built_site, "2022/05/news-2.html")
    nav = tree.xpath('//nav[@class="prev-next"]')[0]
    links = {a.text_content(): a.get("href") for a in nav.xpath(".//a")}
    assert links == {"要闻第1篇": "news-1.html", "要闻第3篇": "news-3.html"}
    assert "上一篇：" in nav.text_content() and "下一篇：" in nav.text_content()
    related = [a.text_content() for a in tree.xpath('//section[@class="related"]//a')]
    column = {a.text for a in doc(built_site, "ywdt/index.html").xpath('//ul[@class="notice-list"]/li/a')}
    column |= {a.text for a in doc(built_site, "ywdt/index_2.html").xpath('//ul[@class="notice-list"]/li/a')}
    assert related and set(related) <= column - {"要闻第2篇"}
    oldest = doc(built_site, "2022/05/meeting.html").xpath('//nav[@class="prev-next"]')[0].text_content()
    assert "上一篇：没有了" in oldest


def test_formal_document_table_and_validity_banner(built_site):
    tree = doc(built_site, "2022/06/doc.html")
    table = tree.xpath('//table[@class="doc-meta"]')[0].text_content()
    for value in ("11410000MB1234567X/2022-00012", "测试县人民政府", "测政〔2022〕12号", "2022-05-30", "综合政务", "失效"):
        assert value in table
    assert "本文件已失效" in tree.xpath('//p[@class="validity-banner"]')[0].text_content()


def test_attachment_is_copied_and_listed(built_site):
    tree = doc(built_site, "2022/06/doc.html")
    link = tree.xpath('//section[@class="attachments"]//a')[0]
    assert link.text_content() == "报名表"
    target = (built_site / "2022/06" / unquote(link.get("href"))).resolve()
    assert target == (built_site / "files/2022/06/form.txt").resolve()
    assert target.read_text(encoding="utf-8").startswith("报名表")


def test_image_with_caption_and_table(built_site):
    tree = doc(built_site, "2022/05/vaccine.html")
    figure = tree.xpath('//div[@id="article-body"]//figure')[0]
    assert figure.xpath("./figcaption")[0].text == "接种现场照片"
    src = figure.xpath("./img/@src")[0]
    assert (built_site / "2022/05" / src).resolve() == (built_site / "files/2022/05/photo.png").resolve()
    assert figure.xpath("./img/@alt") == ["接种现场"]
    assert tree.xpath('//div[@id="article-body"]//table//td')[0].text == "人民医院"
    # tags given as a Chinese-comma string
    assert [a.text for a in tree.xpath('//p[@class="article-tags"]/a')] == ["疫情防控", "疫苗"]


def test_yaml_notice_and_expired_marking(built_site):
    tree = doc(built_site, "2022/06/tingshui.html")
    assert "因管网改造，6月10日停水。" in tree.text_content()
    assert "本公告已过期" in tree.text_content()
    assert tree.xpath('//span[contains(@class,"badge-expired")]')


def test_chinese_file_name_gets_pinyin_url(built_site):
    assert (built_site / "2022/05/guan-yu-zhao-kai-zuo-tan-hui-de-tong-zhi.html").is_file()


def test_raw_html_is_sanitized(built_site):
    html = read(built_site / "2022/06/raw-html.html")
    body = html.split('id="article-body"', 1)[1].split("</article>", 1)[0]
    assert "<script" not in body and "onclick" not in body and "javascript:" not in body
    assert "<td>保留的表格</td>" in body


def test_drafts_and_scheduled_hidden_by_default(built_site):
    assert not (built_site / "2022/06/draft.html").exists()
    assert not (built_site / "2022/07/scheduled.html").exists()


def test_drafts_flag_marks_pages(built_drafts):
    assert "草稿" in doc(built_drafts, "2022/06/draft.html").xpath('//span[contains(@class,"badge-draft")]')[0].text
    assert "定时" in doc(built_drafts, "2022/07/scheduled.html").xpath('//span[contains(@class,"badge-scheduled")]')[0].text
    assert 'name="robots" content="noindex"' in read(built_drafts / "2022/06/draft.html")


def test_column_pages_paginate(built_site):
    first = doc(built_site, "ywdt/index.html")
    assert first.findtext(".//title") == "要闻动态_测试县人民政府"
    assert meta(first, "ColumnName") == "要闻动态" and meta(first, "ColumnType") == "新闻"
    titles = [a.text for a in first.xpath('//ul[@class="notice-list"]/li/a')]
    assert titles == ["含有原始HTML的公告", "要闻第4篇", "要闻第3篇"]
    second = doc(built_site, "ywdt/index_2.html")
    assert [a.text for a in second.xpath('//ul[@class="notice-list"]/li/a')] == ["要闻第2篇", "要闻第1篇", "全县召开防汛工作会议"]
    pager = second.xpath('//nav[@class="pager"]')[0]
    assert pager.xpath('.//a[@rel="prev"]/@href') == ["index.html"]
    assert "第 2 / 2 页" in pager.text_content()


def test_tag_and_archive_pages(built_site):
    tags = doc(built_site, "tags/index.html").text_content()
    assert "会议（5）" in tags
    page = doc(built_site, "tags/hui-yi/index.html")
    assert page.findtext(".//h1") == "标签：会议"
    month = doc(built_site, "archives/2022/05/index.html")
    assert month.findtext(".//h1") == "2022年5月"
    assert "全县召开防汛工作会议" in month.text_content()
    assert "2022年" in doc(built_site, "archives/index.html").text_content()
    assert doc(built_site, "archives/2022/index.html").findtext(".//h1") == "2022年归档"


def test_site_map_404_contact_and_footer(built_site):
    sitemap = doc(built_site, "sitemap.html")
    assert sitemap.findtext(".//h1") == "网站地图"
    assert "关于临时停水的通知" in sitemap.text_content()
    notfound = doc(built_site, "404.html")
    hrefs = notfound.xpath("//main//a/@href")
    assert "index.html" in hrefs and "sitemap.html" in hrefs
    footer = doc(built_site, "2022/05/meeting.html").xpath("//footer")[0]
    text = footer.text_content()
    for part in ("主办单位：测试县人民政府办公室", "承办单位：测试县融媒体中心", "网站标识码：4100000001", "0375-1234567"):
        assert part in text
    assert footer.xpath('.//a[text()="豫ICP备12345678号"]/@href') == ["https://beian.miit.gov.cn/"]
    assert "41000000000001" in footer.xpath('.//a[contains(text(),"公网安备")]/@href')[0]
    assert {"网站地图", "联系我们"} <= {a.text for a in footer.xpath(".//a")}
    assert "0375-1234567" in doc(built_site, "contact.html").text_content()


def all_html(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if "search" not in p.relative_to(out).parts)


def test_no_broken_internal_links_and_no_external_resources(built_site):
    for page in all_html(built_site):
        tree = lxml.html.fromstring(read(page))
        for element, attribute, link, _pos in tree.iterlinks():
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto", "tel"):
                if element.tag in ("script", "img") or (element.tag == "link" and element.get("rel") == "stylesheet"):
                    pytest.fail(f"{page}: external resource {link}")
                continue
            if element.tag == "link" and element.get("rel") == "canonical":
                continue
            if not parts.path:
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.exists(), f"{page.relative_to(built_site)}: broken link {link}"
            if parts.fragment and target.suffix == ".html":
                ids = lxml.html.fromstring(read(target)).xpath("//@id")
                assert unquote(parts.fragment) in ids, f"{page}: missing anchor {link}"


def test_every_page_in_sitemap_xml(built_site):
    import xml.etree.ElementTree as ET

    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ET.parse(built_site / "sitemap.xml").getroot()
    locs = {u.findtext("s:loc", namespaces=ns): u.findtext("s:lastmod", namespaces=ns) for u in root}
    base = "https://test.example/gov/"
    expected = set()
    for page in all_html(built_site):
        rel = page.relative_to(built_site).as_posix()
        if rel == "404.html":
            continue
        expected.add(base if rel == "index.html" else base + rel)
    from urllib.parse import unquote as uq

    assert {uq(u) for u in locs} == expected
    assert all(re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$", m) for m in locs.values())
    assert locs[base + "2022/05/meeting.html"] == "2022-05-04T12:00:00+08:00"
    assert read(built_site / "robots.txt").strip().endswith("Sitemap: https://test.example/gov/sitemap.xml")


def test_static_assets_are_local(built_site):
    html = read(built_site / "index.html")
    assert 'href="static/css/site.css"' in html
    assert (built_site / "static/css/site.css").is_file() and (built_site / "static/js/site.js").is_file()
    assert 'name="viewport"' in html


def test_a_pager_makes_its_paths_on_demand_and_describes_itself_by_what_makes_them():
    """A list page's pager is part of its key: described by the path function and the page count
    (not 5,000 paths for each page of a 5,000-page column), the same in every build; a site's own
    template can still index, slice and loop over every page's path."""
    from functools import partial

    from builder import urls
    from builder.render import PagePaths, Pager

    pager = Pager(2, 5, PagePaths(partial(urls.column_page, "tzgg"), 5))
    eager = [urls.column_page("tzgg", n) for n in range(1, 6)]
    assert list(pager.paths) == eager and len(pager.paths) == 5
    assert pager.paths[0] == eager[0] and pager.paths[-1] == eager[-1] and pager.paths[1:3] == tuple(eager[1:3])
    assert (pager.prev, pager.next) == (eager[0], eager[2])
    assert pager.window == [(n, eager[n - 1]) for n in range(1, 6)]
    with pytest.raises(IndexError):
        pager.paths[5]
    assert repr(pager) == "Pager(2, 5, PagePaths(builder.urls.column_page, ('tzgg',), {}, 5))"
    assert repr(Pager(2, 5, PagePaths(partial(urls.tag_page, "tzgg"), 5))) != repr(pager)
    far = Pager(50, 5000, PagePaths(partial(urls.column_page, "tzgg"), 5000))
    assert [n for n, _ in far.window] == [1, 47, 48, 49, 50, 51, 52, 53, 5000]


def test_a_page_context_is_described_by_identity_and_the_memo_changes_nothing():
    """A page's key describes its context: functions by name, records by their repr (one planning pass
    remembers the repr of each frozen record it meets, e.g. a column's category on each of its pages:
    the text is the same as without), one line a value whatever the strings hold."""
    from dataclasses import replace as changed
    from functools import partial

    from builder import pagedeps, urls
    from builder.config import Category
    from builder.render import Crumb, PagePaths, Pager

    category = Category(name="通知公告", slug="tzgg")
    context = {"category": category, "asset": urls.asset_path, "count": 3, "title": "第一行\n第二行\x1fE'x'",
               "crumbs": [Crumb("首页", urls.HOME)], "pager": Pager(1, 2, PagePaths(partial(urls.column_page, "tzgg"), 2))}
    plain = pagedeps.describe(context)
    memo: dict = {}
    assert pagedeps.describe(context, memo) == plain == pagedeps.describe(context, memo)
    assert memo and all(value is category or isinstance(value, Pager) for value, _text in memo.values())
    assert plain.count("\n") == len(context) - 1 and "builder.urls.asset_path" in plain and repr(category) in plain
    renamed = dict(context, category=changed(category, name="政策解读"))
    assert pagedeps.describe(renamed, memo) != plain and pagedeps.describe(renamed, memo) == pagedeps.describe(renamed)
    assert pagedeps.static_key("c", "column_page", "list.html", "tzgg/index.html", context, memo) != \
        pagedeps.static_key("c", "column_page", "list.html", "tzgg/index_2.html", context, memo)


def test_an_entry_version_by_the_shortcut_is_the_one_the_general_loop_gives(tmp_path, monkeypatch):
    """Planning versions every entry by one f-string when the entry has its usual fields and types
    (a third of the time); the text must be the one the loop over the derived fields makes, for
    published, draft, scheduled, expired and withdrawn entries, with and without neighbours."""
    from datetime import datetime, timezone

    from conftest import FIXTURE_EPOCH, copy_site

    from builder import pagedeps
    from builder.notice import version_of
    from builder.pipeline import BuildOptions, load_all
    from builder.report import Reporter

    site_dir = copy_site(tmp_path / "site")
    (site_dir / "content/2022/05/gone.md").write_text(
        "---\ntitle: 已撤回的公告\ndate: 2022-05-02 09:00\nwithdrawn: {date: 2022-05-03, reason: 内容有误}\n---\n\n正文。\n",
        encoding="utf-8")
    now = datetime.fromtimestamp(int(FIXTURE_EPOCH), tz=timezone.utc)
    site, _plan = load_all(BuildOptions(site_dir=site_dir, output_dir=tmp_path / "out", include_drafts=True, now=now),
                           Reporter())
    entries = site.entries + site.withdrawn
    assert {e.status for e in entries} >= {"published", "draft", "scheduled", "withdrawn"}
    assert any(e.expired for e in entries) and any(e.prev is None for e in entries) and any(e.related for e in entries)
    assert pagedeps._SHAPE_KNOWN
    short = [pagedeps._entry_version(e, version_of(e.notice)) for e in entries]
    monkeypatch.setattr(pagedeps, "_SHAPE_KNOWN", False)
    assert short == [pagedeps._entry_version(e, version_of(e.notice)) for e in entries]
    assert len(set(short)) == len(short)


def test_absolute_and_relative_links_encode_every_character_a_plain_path_cannot_hold():
    """Links to files are percent-encoded unless the path is plain ASCII (then left as it is, quickly);
    a name ending in a line break is not taken for a plain one."""
    from builder import urls

    base = "https://www.example.gov.cn/"
    assert urls.absolute(base, "2022/05/meeting.html") == base + "2022/05/meeting.html"
    assert urls.absolute(base, "index.html") == base
    assert urls.absolute(base, "assets/报名表.pdf") == base + "assets/%E6%8A%A5%E5%90%8D%E8%A1%A8.pdf"
    assert urls.absolute(base, "assets/a.pdf\n") == base + "assets/a.pdf%0A"
    assert urls.absolute(base, "assets/a b#c?.pdf") == base + "assets/a%20b%23c%3F.pdf"
