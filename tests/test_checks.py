"""``python build.py check``: 错敏字 with line and column, schemas by kind, reviews, links, columns, formats."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import yaml

from builder.diagformat import as_github
from builder.diagnostics import Diagnostic
from conftest import REPO, copy_site, run_build

SHIPPED = yaml.safe_load((REPO / "terms.yaml").read_text(encoding="utf-8"))


def site_with(tmp_path, files: dict[str, str], config_extra: str = "", terms: bool = True):
    site = copy_site(tmp_path / "site")
    if terms:
        shutil.copy(REPO / "terms.yaml", site / "terms.yaml")
    if config_extra:
        with open(site / "site.yaml", "a", encoding="utf-8") as fh:
            fh.write("\n" + config_extra)
    for name, text in files.items():
        path = site / "content" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return site


def check_json(site, *extra):
    result = run_build("check", "--format", "json", "--site", str(site), *extra)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def at(items, file, code=None):
    return [d for d in items if d["file"] == file and (code is None or d["code"] == code)]


def test_example_site_checks_clean():
    for fmt in ("text", "json", "github"):
        result = run_build("check", "--format", fmt, env={"SOURCE_DATE_EPOCH": "1795838400"})  # 2026-11-28
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 个警告" in result.stderr
        if fmt == "json":
            # only notices: drafts of loudspeaker scripts awaiting review (the clock is 2022-07-01)
            items = json.loads(result.stdout)
            assert {(d["level"], d["code"]) for d in items} <= {("notice", "broadcast-pending")}
        elif fmt == "github":
            assert all(line.startswith("::notice ") for line in result.stdout.splitlines())
        else:
            assert result.stdout == ""


def test_every_shipped_typo_is_reported_with_suggestion_line_and_column(tmp_path):
    typos = SHIPPED["typos"]
    assert {"攻府", "共合国", "中华人民共合国", "扫黑险恶", "秸杆"} <= set(typos)
    assert len(typos) >= 20
    body = "\n\n".join(f"第{i}段：这里写错了{wrong}。" for i, wrong in enumerate(typos))
    site = site_with(tmp_path, {"typos.md": f"---\ntitle: 测试错别字\ndate: 2022-05-04\n---\n\n{body}\n"})
    code, items = check_json(site)
    assert code == 1
    found = at(items, "content/typos.md", "term-typo")
    assert len(found) == len(typos), found
    lines = (site / "content/typos.md").read_text(encoding="utf-8").split("\n")
    for i, (wrong, right) in enumerate(typos.items()):
        line = lines.index(f"第{i}段：这里写错了{wrong}。") + 1
        column = len(f"第{i}段：这里写错了") + 1
        hit = [d for d in found if d["line"] == line]
        assert hit, (wrong, line)
        assert hit[0]["column"] == column
        assert hit[0]["level"] == "error"
        assert hit[0]["message"] == f"错别字“{wrong}”，应为“{right}”"


def test_terms_in_title_summary_caption_and_yaml_body(tmp_path):
    md = ("---\ntitle: 关于攻府工作的通知\ndate: 2022-05-04\nsummary: 推进扫黑险恶常态化\nimage: ../2022/05/photo.png\n"
          "image_alt: 秸杆还田现场\nimage_caption: 秸杆还田\n---\n\n![群众在共合国广场](2022/05/photo.png \"说明里写了秸杆\")\n")
    yml = ("title: 停水通知\ndate: 2022-05-04\nbody: |\n  第一段正常。\n\n  第二段里有中华人民共合国。\n"
           "broadcast: |\n  各位村民：请勿焚烧秸杆。\n")
    site = site_with(tmp_path, {"t.md": md, "t.yaml": yml})
    code, items = check_json(site)
    assert code == 1
    got = {(d["line"], d["column"], d["message"]) for d in at(items, "content/t.md", "term-typo")}
    assert (2, 10, "错别字“攻府”，应为“政府”") in got  # "title: 关于" is 9 characters
    assert (4, 12, "错别字“扫黑险恶”，应为“扫黑除恶”") in got
    assert (6, 12, "错别字“秸杆”，应为“秸秆”") in got
    assert (7, 16, "错别字“秸杆”，应为“秸秆”") in got
    assert (10, 6, "错别字“共合国”，应为“共和国”") in got
    assert (10, 37, "错别字“秸杆”，应为“秸秆”") in got
    yaml_hits = at(items, "content/t.yaml", "term-typo")
    # body and broadcast script; "中华人民共合国" is one error, not two
    assert [(d["line"], d["column"], d["message"]) for d in yaml_hits] == [
        (6, 8, "错别字“中华人民共合国”，应为“中华人民共和国”"), (8, 12, "错别字“秸杆”，应为“秸秆”")]


def test_banned_sensitive_allow_and_official_names(tmp_path):
    files = {
        "banned.md": "---\ntitle: 通知\ndate: 2022-05-04\n---\n\n不再使用两岸三地的说法。\n",
        "sensitive.md": "---\ntitle: 通知\ndate: 2022-05-04\n---\n\n坚决反对台独。\n",
        "allowed.md": "---\ntitle: 通知\ndate: 2022-05-04\nallow: [台独]\n---\n\n坚决反对台独。\n",
        "names.md": "---\ntitle: 通知\ndate: 2022-05-04\n---\n\n舞钢市人民政府发布。舞钢人民政府发布。舞钢市人民正府发布。\n",
    }
    site = site_with(tmp_path, files)
    code, items = check_json(site)
    assert code == 1
    banned = at(items, "content/banned.md", "term-banned")
    assert [(d["line"], d["column"]) for d in banned] == [(6, 5)]
    assert "禁用词“两岸三地”" in banned[0]["message"]
    sensitive = at(items, "content/sensitive.md", "term-sensitive")
    assert sensitive and "allow: [台独]" in sensitive[0]["message"]
    assert [d for d in at(items, "content/allowed.md") if d["code"] != "title-duplicate"] == []
    names = at(items, "content/names.md", "term-name")
    assert [(d["line"], d["column"]) for d in names] == [(6, 11), (6, 20)]
    assert "“舞钢人民政府”与规范名称“舞钢市人民政府”只差一个字" in names[0]["message"]
    assert "“舞钢市人民正府”与规范名称“舞钢市人民政府”只差一个字" in names[1]["message"]


def test_typos_are_reported_even_when_another_file_has_field_errors(tmp_path):
    files = {"bad-date.md": "---\ntitle: 通知\ndate: 2022年5月\n---\n\n正文\n",
             "typo.md": "---\ntitle: 通知\ndate: 2022-05-04\n---\n\n攻府工作。\n"}
    code, items = check_json(site_with(tmp_path, files))
    assert code == 1
    assert at(items, "content/bad-date.md", "date-format")
    assert [(d["line"], d["column"]) for d in at(items, "content/typo.md", "term-typo")] == [(6, 1)]


def test_formal_document_schema(tmp_path):
    doc = ("---\ntitle: 关于印发办法的通知\ndate: 2022-05-04\ncategory: 通知公告\ndoc:\n"
           "  index_no: 11410481005533254X/2019-00031\n  number: 测政〔2021〕8号\n  written: 2022-05-06\n---\n\n正文\n")
    code, items = check_json(site_with(tmp_path, {"doc.md": doc}))
    assert code == 1
    got = {d["code"]: d for d in at(items, "content/doc.md")}
    assert "缺少发文机关" in got["doc-required"]["message"]
    assert got["doc-index-year"]["line"] == 6
    assert got["doc-number-year"]["line"] == 7
    assert got["doc-number-year"]["message"] == "文号“测政〔2021〕8号”的年份 2021 与成文日期 2022-05-06 不一致，请核对"
    assert got["doc-written-after-date"]["line"] == 8


def test_reprint_schema_and_source_whitelist(tmp_path):
    good = ("---\ntitle: 转载稿\ndate: 2022-05-04\neditor: 王五\nreprint:\n  原标题: 原来的标题\n  原作者: 记者甲\n"
            "  原文链接: https://www.news.example/a.html\n  来源: 新华社\n---\n\n正文\n")
    bad = ("---\ntitle: 转载稿二\ndate: 2022-05-04\nreprint:\n  title: 原来的标题\n  url: www.example\n"
           "  source: 某自媒体\n---\n\n正文\n")
    site = site_with(tmp_path, {"good.md": good, "bad.md": bad}, "reprint_sources: [新华社, 河南日报]\n")
    code, items = check_json(site)
    assert code == 1
    assert at(items, "content/good.md") == []
    got = {d["code"]: d for d in at(items, "content/bad.md")}
    assert "缺少原作者" in got["reprint-required"]["message"]
    assert got["reprint-url"]["line"] == 6
    assert got["reprint-source"]["line"] == 7 and "某自媒体" in got["reprint-source"]["message"]
    assert "责任编辑" in got["reprint-editor"]["message"]


def test_review_chain_required_and_distinct(tmp_path):
    ok = ("---\ntitle: 三审齐全\ndate: 2022-05-04 12:00\nreviews:\n  初审: {name: 张三, time: 2022-05-04 09:00}\n"
          "  复审: {name: 李四, time: 2022-05-04 10:00}\n  终审: {name: 王五, time: 2022-05-04 11:00}\n---\n\n正文\n")
    same = ("---\ntitle: 同一人\ndate: 2022-05-04 12:00\nreviews:\n  初审: {name: 张三, time: 2022-05-04 09:00}\n"
            "  复审: {name: 张三, time: 2022-05-04 08:00}\n  终审: 王五 2022-05-04 13:00\n---\n\n正文\n")
    site = site_with(tmp_path, {"ok.md": ok, "same.md": same},
                     "check: {require_reviews: true, distinct_reviewers: true, empty_columns: warning}\n")
    code, items = check_json(site)
    assert code == 1
    assert at(items, "content/ok.md") == []
    got = {d["code"]: d for d in at(items, "content/same.md")}
    assert got["reviews-same-person"]["line"] == 6
    assert got["reviews-order"]["line"] == 6
    assert got["reviews-after-publish"]["line"] == 7
    # every existing notice without reviews now fails, draft excepted
    missing = [d for d in items if d["code"] == "reviews-required"]
    assert missing and all("三审" in d["message"] for d in missing)
    assert not at(items, "content/2022/07/draft.md")


def test_links_anchors_images_and_empty_columns(tmp_path):
    files = {
        "2022/05/links.md": ("---\ntitle: 链接\ndate: 2022-05-04\n---\n\n## 办理流程\n\n"
                             "[流程](#办理流程) [不存在](#没有这个) [会议](meeting.md) [会议锚点](meeting.md#没有)\n\n"
                             "[没有的公告](nothing.md) [草稿](../07/draft.md)\n\n![](photo.png)\n"),
    }
    site = site_with(tmp_path, files)
    config = (site / "site.yaml").read_text(encoding="utf-8").replace("  - {name: 应急管理, slug: yjgl}", "  - {name: 应急管理, slug: yjgl}\n  - {name: 空栏目, slug: kong}")
    (site / "site.yaml").write_text(config, encoding="utf-8")
    code, items = check_json(site)
    assert code == 1
    got = at(items, "content/2022/05/links.md")
    codes = sorted((d["code"], d["line"]) for d in got)
    assert codes == [("anchor-missing", 8), ("anchor-missing", 8), ("image-alt-missing", 12),
                     ("link-broken", 10), ("link-broken", 10)]
    messages = " ".join(d["message"] for d in got)
    assert "#没有这个" in messages and "meeting.md#没有" in messages
    assert "不存在" in messages and "草稿" in messages
    empty = [d for d in items if d["code"] == "column-empty"]
    lines = config.split("\n")
    assert empty and empty[0]["file"] == "site.yaml" and "空栏目" in empty[0]["message"]
    assert lines[empty[0]["line"] - 1].strip() == "- {name: 空栏目, slug: kong}"


def test_github_format_follows_workflow_command_syntax(tmp_path):
    site = site_with(tmp_path, {"typo.md": "---\ntitle: 通知\ndate: 2022-05-04\n---\n\n攻府工作。\n",
                                "warn.md": "---\ntitle: 通知\ndate: 2022-05-04\ncatgory: 通知公告\n---\n\n正文\n"})
    result = run_build("check", "--format", "github", "--site", str(site), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "::error file=site/content/typo.md,line=6,col=1,title=term-typo::错别字“攻府”，应为“政府”" in lines
    assert any(l.startswith("::warning file=site/content/warn.md,line=4,title=unknown-field::") for l in lines)
    pattern = re.compile(r"^::(error|warning) file=[^,:]+(,line=\d+(,col=\d+)?)?,title=[^,:]+::[^\r\n]*$")
    assert all(pattern.match(l) for l in lines), lines


def test_github_escaping():
    d = Diagnostic("content/a,b:c.md", 3, 0, "error", "x", "第一行\n第二行 100% 完成\r")
    out = as_github([d], REPO)
    assert out == "::error file=content/a%2Cb%3Ac.md,line=3,title=x::第一行%0A第二行 100%25 完成%0D\n"
