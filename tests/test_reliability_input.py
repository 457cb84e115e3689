"""Hostile and broken input: each file gets a clear Chinese message naming it, never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import REPO, copy_site, run_build

FM = "---\ntitle: 测试公告\ndate: 2022-05-04\n{extra}---\n\n正文。\n"


def _md(extra: str = "") -> bytes:
    return FM.format(extra=extra).encode("utf-8")


def _bomb(levels: int = 9) -> bytes:
    lines = ['a0: &a0 ["哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈"]']
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]")
    lines += [f"title: *a{levels - 1}", "date: 2022-05-04"]
    return ("\n".join(lines) + "\n").encode("utf-8")


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7V\xbd\xfa\x00\x00\x00\x00IEND\xaeB`\x82")

# file name -> (bytes, line the message is on, words the message must contain)
CASES: dict[str, tuple[bytes, int, str]] = {
    "too-large.md": (_md() + b"\n" + ("很长的正文。" * 100 + "\n").encode("utf-8") * 3000, 0, "超过 5 MB 上限"),
    "long-line.md": (_md() + ("长" * 120_000).encode("utf-8") + b"\n", 7, "超过 100000 的上限"),
    "alias-bomb.yaml": (_bomb(), 1, "疑似恶意内容"),
    "alias-bomb-front.md": (b"---\n" + _bomb(7) + b"---\n\n\xe6\xad\xa3\xe6\x96\x87\n", 2, "疑似恶意内容"),
    "self-reference.yaml": (b"title: &t [*t]\ndate: 2022-05-04\n", 1, "指向了自身"),
    "nested-flow.yaml": (b"date: 2022-05-04\ntitle: " + b"[" * 10_000 + b"]" * 10_000 + b"\n", 2, "嵌套超过 64 层"),
    "nested-unclosed.yaml": (b"date: 2022-05-04\ntitle: " + b"[" * 10_000 + b"\n", 2, "嵌套超过 64 层"),
    "nested-mapping.md": (b"---\ntitle: " + b"{a: " * 5000 + b"}" * 5000 + b"\ndate: 2022-05-04\n---\n", 2,
                          "嵌套超过 64 层"),
    "nested-block.yaml": (b"title: x\ndate: 2022-05-04\nbroadcast:\n" + b"".join(b"  " * i + b"- \n" for i in range(1, 200)),
                          1, "嵌套超过 64 层"),
    "utf16-bom.md": (("\ufeff" + FM.format(extra="")).encode("utf-16-le"), 0, "UTF-16 编码"),
    "utf16-no-bom.md": (FM.format(extra="").encode("utf-16-le"), 0, "UTF-16 编码"),
    "utf16-be.yaml": ("title: 标题\ndate: 2022-05-04\n".encode("utf-16-be"), 0, "UTF-16 编码"),
    "picture.md": (PNG, 0, "实际上是PNG 图片"),
    "word.yaml": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, 0, "旧版 Word/Excel/WPS 文档"),
    "random-binary.md": (bytes(range(256)) * 8, 0, "不是文本文件"),
    "nul.md": (_md().replace(b"\xe6\xad\xa3\xe6\x96\x87", b"\xe6\xad\xa3\x00\xe6\x96\x87"), 0, "空字节（NUL）"),
    "empty.md": (b"", 0, "文件是空的"),
    "blank.yaml": (b"\xef\xbb\xbf \n\r\n\t\n", 0, "文件是空的"),
    "python-tag.yaml": (b"title: !!python/object/apply:os.system [\"echo pwned\"]\ndate: 2022-05-04\n", 1,
                        "YAML 格式错误"),
    "not-mapping.yaml": (b"- title\n- date\n", 1, "应当是“字段: 值”的形式"),
    "image-parent.md": (_md("image: ../../etc/passwd\nimage_alt: 图\n"), 4, "不在 content 目录内"),
    "image-absolute.md": (_md("image: /etc/passwd\nimage_alt: 图\n"), 4, "不在 content 目录内"),
    "image-windows.md": (_md("image: 'C:\\Windows\\win.ini'\nimage_alt: 图\n"), 4, "本机电脑上的路径"),
    "image-backslash.md": (_md("image: '..\\..\\site.yaml'\nimage_alt: 图\n"), 4, "不在 content 目录内"),
    "image-url.md": (_md("image: file:///etc/passwd\nimage_alt: 图\n"), 4, "本机电脑上的路径"),
    "attach-parent.md": (_md("attachments:\n  - ../../site.yaml\n"), 4, "不在 content 目录内"),
    "attach-absolute.md": (_md("attachments:\n  - {file: /etc/passwd, title: 密码}\n"), 4, "不在 content 目录内"),
    "attach-windows.md": (_md("attachments: ['C:\\x', '..\\..\\x']\n"), 4, "不在 content 目录内"),
    "attach-not-text.md": (_md("attachments:\n  - {file: {a: 1}}\n"), 4, "每一项应当是文件名"),
    "slug-parent.md": (_md("slug: ../../etc/passwd\n"), 4, "会把页面写到网站目录之外"),
    "slug-absolute.md": (_md("slug: /etc/cron.d/x\n"), 4, "会把页面写到网站目录之外"),
    "slug-windows.md": (_md("slug: 'C:\\x'\n"), 4, "会把页面写到网站目录之外"),
    "slug-backslash.md": (_md("slug: '..\\..\\x'\n"), 4, "会把页面写到网站目录之外"),
    "slug-list.md": (_md("slug: [a, b]\n"), 4, "“slug”应当是一行文字"),
    "alt-mapping.md": (_md("image_alt: {a: 1}\n"), 4, "“image_alt”应当是一行文字"),
}


@pytest.fixture(scope="module")
def hostile_check(tmp_path_factory):
    site = copy_site(tmp_path_factory.mktemp("hostile") / "site")
    folder = site / "content" / "hostile"
    folder.mkdir()
    for name, (data, _line, _words) in CASES.items():
        (folder / name).write_bytes(data)
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.md").write_text(FM.format(extra=""), encoding="utf-8")
    (outside / "dir").mkdir()
    (outside / "dir" / "also-secret.md").write_text(FM.format(extra=""), encoding="utf-8")
    os.symlink(outside / "secret.md", folder / "link-file.md")
    os.symlink(outside / "dir", folder / "link-dir")
    os.symlink("/etc/passwd", folder / "passwd.png")
    (folder / "uses-link.md").write_bytes(_md("image: passwd.png\nimage_alt: 图\nslug: uses-link\n"))
    result = run_build("check", "--site", str(site))
    return site, result


def test_hostile_files_fail_cleanly(hostile_check):
    _site, result = hostile_check
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "内部错误" not in result.stderr
    assert "检查未通过" in result.stderr


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_file_has_a_chinese_message_naming_it(hostile_check, name):
    _site, result = hostile_check
    _data, line, words = CASES[name]
    location = f"content/hostile/{name}" + (f":{line}" if line else "")
    lines = [l for l in result.stderr.splitlines() if re.match(re.escape(location) + r"(:\d+)?: ", l)]
    assert lines, f"no message for {location}:\n{result.stderr}"
    assert any(words in l for l in lines), lines


@pytest.mark.parametrize("name", ["link-file.md", "link-dir", "passwd.png"])
def test_symlinks_out_of_the_site_are_refused(hostile_check, name):
    _site, result = hostile_check
    assert re.search(rf"^content/hostile/{re.escape(name)}: .*符号链接.*不予读取", result.stderr, re.M), result.stderr
    assert "also-secret" not in result.stderr  # the linked folder was not walked


def test_alias_bomb_is_rejected_fast():
    """Billion laughs: 9^9 strings once expanded. Rejected before anything walks it (safety bound, not a benchmark)."""
    code = ("import sys, time; sys.path.insert(0, sys.argv[1]); from builder import reader, diagnostics;"
            "d = diagnostics.Diagnostics(); data = sys.stdin.buffer.read(); t = time.perf_counter();"
            "assert reader.read(data, 'content/bomb.yaml', d) is None; print(time.perf_counter() - t);"
            "print(d.items[0].message)")
    done = subprocess.run([sys.executable, "-c", code, str(REPO)], input=_bomb(), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    seconds, message = done.stdout.decode("utf-8").splitlines()
    assert float(seconds) < 1.0
    assert "疑似恶意内容" in message


def test_front_matter_only_notice_builds_with_a_warning(tmp_path):
    site = copy_site(tmp_path / "site")
    (site / "content" / "only-front.md").write_text("---\ntitle: 只有头信息\ndate: 2022-05-04\n---\n", encoding="utf-8")
    (site / "content" / "only-fields.yaml").write_text("title: 只有字段\ndate: 2022-05-05\n", encoding="utf-8")
    result = run_build("--site", str(site), "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "content/only-front.md:5: 警告：正文是空的" in result.stderr
    assert "content/only-fields.yaml:1: 警告：正文是空的" in result.stderr
    assert "只有头信息" in (tmp_path / "out/2022/05/only-front.html").read_text(encoding="utf-8")


NAMES = {
    "my notice with spaces.md": "my-notice-with-spaces",
    "关于 停水 的通知.md": "guan-yu-ting-shui-de-tong-zhi",
    "ＡＢＣ全角公告（第２号）.md": "abc-quan-jiao-gong-gao-di-2-hao",
    "通知　全角空格，标点！.md": "tong-zhi-quan-jiao-kong-ge-biao-dian",
    "Ünïcödé — café.md": "unicode-cafe",
    "！！！.md": "notice",
}


def test_awkward_file_names_build_with_ascii_urls(tmp_path):
    site = copy_site(tmp_path / "site")
    folder = site / "content" / "2023" / "03"
    folder.mkdir(parents=True)
    for n, name in enumerate(NAMES):
        extra = ""
        if n == 0:
            extra = ("image: 现场 照片（1）.png\nimage_alt: 现场照片\nattachments:\n  - 报名 表（2023）#1.pdf\n"
                     "  - 50% 进度 & 计划?.pdf\n  - 全角ＡＢＣ.pdf\n")
        (folder / name).write_text(
            f"---\ntitle: 文件名测试{n}\ndate: 2023-03-{n + 1:02d}\n{extra}---\n\n正文{n}。\n", encoding="utf-8")
    (folder / "现场 照片（1）.png").write_bytes(PNG)
    for name in ("报名 表（2023）#1.pdf", "50% 进度 & 计划?.pdf", "全角ＡＢＣ.pdf"):
        (folder / name).write_bytes(b"%PDF-1.4\n%%EOF\n")
    out = tmp_path / "out"
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 0, result.stderr
    for slug in NAMES.values():
        assert (out / "2023" / "03" / f"{slug}.html").is_file(), slug
    pages = [p for p in out.rglob("*.html")]
    assert all(p.relative_to(out).as_posix().isascii() for p in pages)
    # every local link and image on the page with the odd attachments resolves to a real file
    page = out / "2023/03/my-notice-with-spaces.html"
    html = page.read_text(encoding="utf-8")
    refs = [r for r in re.findall(r'(?:href|src)="([^"]+)"', html) if not re.match(r"^[a-z]+:|^#|^//", r)]
    files = [r for r in refs if "files/" in r]
    assert len(files) == 4, files
    for ref in refs:
        target = (page.parent / unquote(ref.split("#")[0].replace("&amp;", "&"))).resolve()
        assert target.is_file(), f"{ref} -> {target}"
