"""``python build.py new``: a notice that builds as written, every field explained, never overwriting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from builder.notice import CORE_FIELDS
from conftest import copy_site, read, run_build


@pytest.mark.parametrize("as_yaml", [False, True])
def test_new_then_build_publishes_without_edits(tmp_path, as_yaml):
    site = copy_site(tmp_path / "site")
    title = "关于: 召开“防汛”工作会议的通知 #1"
    args = ["new", title, "--category", "通知公告", "--site", str(site)] + (["--yaml"] if as_yaml else [])
    made = run_build(*args)
    assert made.returncode == 0, made.stderr
    path = Path(made.stdout.strip())
    suffix = ".yaml" if as_yaml else ".md"
    # the pinned clock is 2022-07-01 12:00 Beijing time
    assert path == site / "content/2022/07" / f"2022-07-01-guan-yu-zhao-kai-fang-xun-gong-zuo{suffix}"
    text = path.read_text(encoding="utf-8")
    for key in sorted(CORE_FIELDS - {"doc", "body", "interprets", "corrections", "withdrawn"}):
        line = next((l for l in text.splitlines() if l.startswith(f"{key}:")), None)
        assert line is not None, key
        assert re.search(r"  # [\u4e00-\u9fff]", line), line  # a Chinese comment on each field
    for key in ("doc", "reviews", "reprint", "allow", "interprets", "corrections", "withdrawn"):
        assert f"# {key}:" in text
    # the broadcast review field is written: a draft waits for a reviewer
    assert "\nbroadcast: {status: 待审核}\n" in text or "\n  broadcast: {status: 待审核}\n" in text

    assert "draft: true" in text  # a new notice is a draft: never published by mistake
    assert f"python build.py serve --site {site}" in made.stderr  # the hints repeat --site

    out = tmp_path / "out"
    page_path = out / "2022/07" / f"{path.stem[len('2022-07-01-'):]}.html"
    built = run_build("--site", str(site), "--output", str(out))
    assert built.returncode == 0, built.stderr
    assert "警告" not in built.stderr
    assert not page_path.exists()  # still a draft

    # made public without writing the body: check and build refuse the placeholder
    path.write_text(text.replace("draft: true", "draft: false"), encoding="utf-8")
    rel = path.relative_to(site).as_posix()
    body_line = next(n for n, l in enumerate(text.split("\n"), 1) if "在这里写正文。" in l)
    for command in ("check", "build"):
        refused = run_build(command, "--site", str(site), "--output", str(out))
        assert refused.returncode == 1
        assert f"{rel}:{body_line}: 正文还是新建时的占位文字“在这里写正文。”" in refused.stderr
    assert not page_path.exists()

    path.write_text(text.replace("draft: true", "draft: false").replace("在这里写正文。", "各单位请准时参会。"),
                    encoding="utf-8")
    built = run_build("--site", str(site), "--output", str(out))
    assert built.returncode == 0, built.stderr
    assert "提示：广播稿待审核，不会播出" in built.stderr  # the draft of its loudspeaker script waits for review
    page = read(page_path)
    assert "<h1 class=\"article-title\">关于: 召开“防汛”工作会议的通知 #1</h1>" in page
    assert "各单位请准时参会。" in page and "写作提示" not in page
    assert "通知公告" in page


def test_new_never_overwrites(tmp_path):
    site = copy_site(tmp_path / "site")
    first = run_build("new", "停水通知", "--date", "2022-05-04 08:00", "--site", str(site))
    assert first.returncode == 0, first.stderr
    path = Path(first.stdout.strip())
    assert path.name == "2022-05-04-ting-shui-tong-zhi.md"
    path.write_text(path.read_text(encoding="utf-8").replace("在这里写正文。", "编辑写好的正文。"), encoding="utf-8")
    second = run_build("new", "停水通知", "--date", "2022-05-04 09:00", "--site", str(site))
    assert second.returncode == 1
    assert "文件已存在，没有覆盖" in second.stderr
    assert "编辑写好的正文。" in path.read_text(encoding="utf-8")


def test_new_rejects_unknown_category_and_bad_date(tmp_path):
    site = copy_site(tmp_path / "site")
    bad_cat = run_build("new", "标题", "--category", "不存在", "--site", str(site))
    assert bad_cat.returncode == 1 and "栏目“不存在”不存在，可选的栏目有：要闻动态、通知公告、应急管理" in bad_cat.stderr
    bad_date = run_build("new", "标题", "--date", "5月4日", "--site", str(site))
    assert bad_date.returncode == 1 and "日期格式无法识别" in bad_date.stderr
    assert not list((site / "content").rglob("*-biao-ti.md"))
