"""Feeds read back with feedparser: clean, absolute, dated with +08:00, pinned to the newest notice."""

from __future__ import annotations

import feedparser
import pytest

FEEDS = ["feed.xml", "atom.xml", "ywdt/feed.xml", "ywdt/atom.xml", "tzgg/feed.xml", "tzgg/atom.xml",
         "yjgl/feed.xml", "yjgl/atom.xml"]


@pytest.mark.parametrize("name", FEEDS)
def test_feed_parses_cleanly(built_site, name):
    feed = feedparser.parse((built_site / name).read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version in ("rss20", "atom10")
    assert feed.entries
    for entry in feed.entries:
        assert entry.link.startswith("https://test.example/gov/")
        assert entry.get("tags")


def test_site_feed_content(built_site):
    rss = feedparser.parse((built_site / "feed.xml").read_bytes())
    assert len(rss.entries) == 6  # feed_size
    assert [e.title for e in rss.entries][0] == "暴雨橙色预警"
    first = rss.entries[0]
    assert first.link == "https://test.example/gov/2022/06/warning.html"
    assert "+0800" in first.published
    assert {t.term for t in first.tags} >= {"应急管理"}
    # feed-level time is the newest notice, never the build time
    assert rss.feed.updated == first.published
    raw = (built_site / "feed.xml").read_text(encoding="utf-8")
    assert "<lastBuildDate>Thu, 30 Jun 2022 08:00:00 +0800</lastBuildDate>" in raw


def test_atom_dates_and_authors(built_site):
    atom = feedparser.parse((built_site / "atom.xml").read_bytes())
    raw = (built_site / "atom.xml").read_text(encoding="utf-8")
    assert "<updated>2022-06-30T08:00:00+08:00</updated>" in raw
    meeting = [e for e in feedparser.parse((built_site / "ywdt/atom.xml").read_bytes()).entries
               if e.title == "全县召开防汛工作会议"][0]
    assert [a.name for a in meeting.authors] == ["张三", "李四"]
    assert atom.feed.language == "zh-CN" or 'xml:lang="zh-CN"' in raw


def test_full_content_feed_has_absolute_links(built_site):
    feed = feedparser.parse((built_site / "ywdt/atom.xml").read_bytes())
    meeting = [e for e in feed.entries if e.title == "全县召开防汛工作会议"][0]
    html = meeting.content[0].value
    assert "会议要求各乡镇做好准备" in html
    assert 'href="https://test.example/gov/2022/06/tingshui.html"' in html


def test_drafts_never_in_feeds(built_drafts):
    for name in FEEDS:
        text = (built_drafts / name).read_text(encoding="utf-8")
        assert "草稿公告" not in text and "定时公告" not in text
