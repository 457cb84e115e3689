"""Hostile site folders and operator mistakes (issue 12): never destroy what is not ours,
never run code from a site folder, never hang, never crash on content.

Each test names the numbered item of the issue it covers; docs/reliability.md has the table.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import shutil
from pathlib import Path

import pytest

from conftest import copy_site, run_build
from support.trees import tree_digest


def _cache_dir(site: Path) -> Path:
    return site / ".cache" / "notice-pipeline"


# -- item 3: the cache cannot run code -------------------------------------------------------------


class _Planted:
    """Unpickling this runs a shell command: what a crafted cache file in a pull request would do."""

    def __init__(self, sentinel: Path):
        self.sentinel = sentinel

    def __reduce__(self):
        return (os.system, (f"touch '{self.sentinel}'",))


def test_planted_pickle_in_the_cache_never_runs(tmp_path):
    site = copy_site(tmp_path / "site")
    out = tmp_path / "output"
    sentinel = tmp_path / "PWNED"
    cache = _cache_dir(site)
    cache.mkdir(parents=True, exist_ok=True)
    out_key = hashlib.blake2b(str(out.absolute()).encode(), digest_size=8).hexdigest()
    payload = pickle.dumps(_Planted(sentinel))
    for stem in ("notices", "notices-delta", "scripts", "checks", f"manifest-{out_key}"):
        for suffix in (".pickle", ".cache"):
            (cache / f"{stem}{suffix}").write_bytes(payload)
    for args in (("check",), ("build", "--output", str(out))):
        result = run_build(*args, "--site", str(site))
        assert result.returncode == 0, result.stderr
        assert not sentinel.exists(), f"{args}: the cache executed code"
    assert "无法验证" in result.stderr  # the planted .cache files were reported and ignored
    assert (out / "index.html").is_file()


def _cold_copy(tmp_path: Path, site: Path) -> dict:
    cold = tmp_path / "cold"
    assert run_build("--site", str(site), "--output", str(cold), "--no-cache").returncode == 0
    return tree_digest(cold)


def test_tampered_cache_is_ignored_with_a_notice(tmp_path):
    site = copy_site(tmp_path / "site")
    out = tmp_path / "output"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    table = _cache_dir(site) / "notices.cache"
    data = table.read_bytes()
    title = "关于召开座谈会的通知".encode()
    assert title in data
    forged = "关于召开座谈会的通告".encode()  # same length: the file still decodes
    table.write_bytes(data.replace(title, forged))
    shutil.rmtree(out)  # every page is rendered again from the cache
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert "notices.cache 无法验证" in result.stderr
    assert "通告" not in "".join(p.read_text(encoding="utf-8") for p in out.rglob("*.html")
                               if "座谈会" in p.read_text(encoding="utf-8"))
    shutil.rmtree(tmp_path / "site" / ".cache")
    assert tree_digest(out) == _cold_copy(tmp_path, site)


def test_html_planted_in_the_body_store_is_never_published(tmp_path):
    site = copy_site(tmp_path / "site")
    out = tmp_path / "output"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    packs = list(_cache_dir(site).glob("bodies-*/pack-*.bin"))
    assert packs
    planted = 0
    for pack in packs:
        data = pack.read_bytes()
        new = re.sub(rb"<p>[^<]{40,}</p>", lambda m: (b"<script>window.__x=1</script>").ljust(len(m[0]), b" "), data)
        planted += new != data
        pack.write_bytes(new)
    assert planted
    shutil.rmtree(out)
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    assert not any("__x" in p.read_text(encoding="utf-8") for p in out.rglob("*.html"))


def test_cache_from_another_user_or_machine_is_not_trusted(tmp_path):
    site = copy_site(tmp_path / "site")
    out = tmp_path / "output"
    other = {"XDG_STATE_HOME": str(tmp_path / "other-machine")}
    assert run_build("--site", str(site), "--output", str(out), env=other).returncode == 0
    assert (tmp_path / "other-machine" / "notice-pipeline" / "cache-key").stat().st_mode & 0o077 == 0
    result = run_build("--site", str(site), "--output", str(out))  # this user's key differs
    assert result.returncode == 0, result.stderr
    assert "无法验证" in result.stderr
    again = run_build("--site", str(site), "--output", str(out))
    assert "无法验证" not in again.stderr and "没有变化" in again.stderr


# -- items 1 and 12: the output folder must be ours --------------------------------------------------


def _site_tree(site: Path) -> dict:
    return {k: v for k, v in tree_digest(site).items() if not k.startswith((".cache", "output", ".output"))}


@pytest.mark.parametrize("where", ["site", "content", "content/2022", "templates", ".cache/x", "parent"])
def test_output_that_would_delete_the_site_is_refused(tmp_path, where):
    site = copy_site(tmp_path / "site")
    (site / "templates").mkdir()
    before = _site_tree(site)
    output = {"site": site, "parent": tmp_path}.get(where, site / where)
    result = run_build("--site", str(site), "--output", str(output))
    assert result.returncode == 2, result.stderr
    assert "输出目录" in result.stderr and "Traceback" not in result.stderr
    assert _site_tree(site) == before


def test_symlinked_output_into_content_is_refused(tmp_path):
    site = copy_site(tmp_path / "site")
    link = tmp_path / "out-link"
    link.symlink_to(site / "content")
    before = _site_tree(site)
    result = run_build("--site", str(site), "--output", str(link))
    assert result.returncode == 2 and "content/" in result.stderr
    assert _site_tree(site) == before


@pytest.mark.parametrize("output", ["/", "~", "/usr", "/etc/notice-output", "/tmp"])
def test_system_and_home_folders_are_never_outputs(tmp_path, output):
    site = copy_site(tmp_path / "site")
    result = run_build("--site", str(site), "--output", os.path.expanduser(output), "--force")
    assert result.returncode == 2, result.stderr
    assert "系统目录或主目录" in result.stderr


def test_foreign_non_empty_folder_needs_force(tmp_path):
    site = copy_site(tmp_path / "site")
    output = tmp_path / "www"
    output.mkdir()
    (output / "unrelated.txt").write_text("别人的文件", encoding="utf-8")
    result = run_build("--site", str(site), "--output", str(output))
    assert result.returncode == 2 and "--force" in result.stderr
    assert (output / "unrelated.txt").is_file()
    assert run_build("--site", str(site), "--output", str(output), "--force").returncode == 0
    assert (output / ".notice-pipeline-output").is_file() and not (output / "unrelated.txt").exists()
    shutil.rmtree(site / ".cache")  # even without the cache's manifest the marker says it is ours
    (site / "content/2022/05/news-1.md").unlink()
    assert run_build("--site", str(site), "--output", str(output)).returncode == 0


def test_existing_regular_file_as_output_is_a_clear_error(tmp_path):
    site = copy_site(tmp_path / "site")
    target = tmp_path / "output"
    target.write_text("not a folder", encoding="utf-8")
    for _ in range(2):  # and the next build is no different (nothing was moved aside)
        result = run_build("--site", str(site), "--output", str(target))
        assert result.returncode == 2 and "是一个文件而不是文件夹" in result.stderr, result.stderr
    assert target.read_text(encoding="utf-8") == "not a folder"


# -- item 2: the lock is taken on the resolved output --------------------------------------------------


def test_symlinked_output_shares_the_lock_of_the_real_folder(tmp_path):
    import fcntl
    import subprocess
    import sys

    from conftest import FIXTURE_EPOCH, REPO
    from support.processes import LOCK_WAIT, StderrLines

    site = copy_site(tmp_path / "site")
    real = tmp_path / "real"
    assert run_build("--site", str(site), "--output", str(real)).returncode == 0
    link = tmp_path / "link"
    link.symlink_to(real)
    with open(tmp_path / ".real.lock", "a+b") as held:  # a build writing the real folder right now
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--site", str(site), "--output", str(link),
                                 "--no-cache"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env={**os.environ, "SOURCE_DATE_EPOCH": FIXTURE_EPOCH})
        stderr = StderrLines(proc)
        stderr.wait_for(LOCK_WAIT, 60, "the build through the symlink did not wait")
    assert proc.wait(timeout=120) == 0
    stderr.join()
    assert link.is_symlink() and (real / "index.html").is_file()
    assert not list(tmp_path.glob(".link.*"))  # nothing staged under the unresolved name


# -- item 11 (exit codes): usage errors are exit 2, content errors exit 1 --------------------------------


@pytest.mark.parametrize("epoch", ["99999999999999999999", "253402300799", "--5", "²", "abc", "1e9"])
def test_invalid_source_date_epoch_is_a_usage_error(tmp_path, epoch):
    site = copy_site(tmp_path / "site")
    for command in ("check", "build"):
        result = run_build(command, "--site", str(site), "--output", str(tmp_path / "o"),
                           env={"SOURCE_DATE_EPOCH": epoch})
        assert result.returncode == 2, (command, result.stderr)
        assert "SOURCE_DATE_EPOCH" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


def test_port_and_base_url_are_checked_as_usage_errors(tmp_path):
    site = copy_site(tmp_path / "site")
    result = run_build("serve", "--site", str(site), "--port", "70000")
    assert result.returncode == 2 and "端口" in result.stderr and "Traceback" not in result.stderr
    for url in ("javascript:alert(1)//", "data:text/html,x", "ftp://example.org/", "//evil.example/"):
        result = run_build("--site", str(site), "--output", str(tmp_path / "o"), "--base-url", url)
        assert result.returncode == 2 and "http://" in result.stderr, url
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("value", ["9999-12-25", "0001-01-01T00:00+14:00", "'9999-12-31 23:59'"])
def test_out_of_range_dates_are_content_errors(tmp_path, value):
    site = copy_site(tmp_path / "site")
    bad = site / "content/2022/05/far.md"
    bad.write_text(f"---\ntitle: 年份写错的公告\ndate: {value}\n---\n正文。\n", encoding="utf-8")
    for command in ("check", "build"):
        result = run_build(command, "--site", str(site), "--output", str(tmp_path / "o"))
        assert result.returncode == 1, (command, result.stderr)
        assert "content/2022/05/far.md:3:" in result.stderr and "超出可用范围" in result.stderr


def _limit_file_size():
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (30000, 30000))


def test_a_write_the_system_refuses_is_an_environment_error(tmp_path):
    import subprocess
    import sys

    from conftest import FIXTURE_EPOCH, REPO

    site = copy_site(tmp_path / "site")
    out = tmp_path / "output"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    before = tree_digest(out)
    (site / "content/2022/05/news-1.md").write_text("---\ntitle: 新的公告\ndate: 2022-05-09 08:00\n---\n"
                                                     + "很长的正文。" * 8000 + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--site", str(site), "--output", str(out)],
                            capture_output=True, text=True, preexec_fn=_limit_file_size,
                            env={**os.environ, "SOURCE_DATE_EPOCH": FIXTURE_EPOCH}, timeout=300)
    assert result.returncode == 4, result.stderr
    assert "环境错误" in result.stderr and "Traceback" not in result.stderr
    assert tree_digest(out) == before


# -- real mounts (a private mount namespace; skipped where unprivileged namespaces are off) ---------------


def _namespace_ok() -> bool:
    import subprocess

    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


needs_mounts = pytest.mark.skipif(not _namespace_ok(), reason="needs unshare -rm (user + mount namespaces)")


def _in_namespace(script: str, **env) -> "subprocess.CompletedProcess":
    import subprocess
    import sys

    from conftest import FIXTURE_EPOCH, REPO

    full = {**os.environ, "SOURCE_DATE_EPOCH": FIXTURE_EPOCH, "PY": sys.executable,
            "BUILD": str(REPO / "build.py"), **env}
    return subprocess.run(["unshare", "-rm", "bash", "-euc", script], capture_output=True, text=True, env=full,
                          timeout=600)


@needs_mounts
def test_disk_full_and_read_only_outputs_exit_4_and_leave_the_output(tmp_path):
    site = copy_site(tmp_path / "site")
    disk = tmp_path / "disk"
    disk.mkdir()
    (site / "content/2022/05/more.md").write_text("---\ntitle: 第二次构建的公告\ndate: 2022-05-10 08:00\n---\n正文。\n",
                                                  encoding="utf-8")
    script = r"""
        mount -t tmpfs -o size=4m tmpfs "$DISK"
        mv "$SITE/content/2022/05/more.md" "$DISK/../more.md"
        "$PY" "$BUILD" --site "$SITE" --output "$DISK/output" >/dev/null 2>&1
        find "$DISK/output" -type f | sort | xargs sha256sum > "$DISK/../before.txt"
        mv "$DISK/../more.md" "$SITE/content/2022/05/more.md"
        head -c 100M /dev/zero > "$DISK/filler" 2>/dev/null || true
        set +e
        "$PY" "$BUILD" --site "$SITE" --output "$DISK/output" 2> "$DISK/../full.txt"; echo "full=$?"
        rm "$DISK/filler"
        mount -o remount,ro "$DISK"
        "$PY" "$BUILD" --site "$SITE" --output "$DISK/output" 2> "$DISK/../ro.txt"; echo "ro=$?"
        find "$DISK/output" -type f | sort | xargs sha256sum > "$DISK/../after.txt"
    """
    result = _in_namespace(script, DISK=str(disk), SITE=str(site))
    assert "full=4" in result.stdout and "ro=4" in result.stdout, result.stdout + result.stderr
    full = (tmp_path / "full.txt").read_text(encoding="utf-8")
    ro = (tmp_path / "ro.txt").read_text(encoding="utf-8")
    assert "磁盘已满" in full and "Traceback" not in full, full
    assert "只读" in ro and "Traceback" not in ro, ro
    assert (tmp_path / "before.txt").read_text() == (tmp_path / "after.txt").read_text()


@needs_mounts
def test_mount_point_output_keeps_foreign_files_and_long_names_fit(tmp_path):
    site = copy_site(tmp_path / "site")
    long_name = "附" * 83 + ".txt"  # 253 bytes: fits, but not with a ".….tmp" around it
    (site / "content/2022/06" / long_name).write_text("附件\n", encoding="utf-8")
    doc = site / "content/2022/06/doc.md"
    doc.write_text(doc.read_text(encoding="utf-8") + f"\n[长名附件]({long_name})\n", encoding="utf-8")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    script = r"""
        mount -t tmpfs tmpfs "$MNT"
        echo keep > "$MNT/unrelated.txt"
        set +e
        "$PY" "$BUILD" --site "$SITE" --output "$MNT" 2> "$MNT/../first.txt"; echo "first=$?"
        test -f "$MNT/unrelated.txt" && echo kept
        "$PY" "$BUILD" --site "$SITE" --output "$MNT" --force 2> "$MNT/../second.txt"; echo "second=$?"
        find "$MNT" -name '附附*' | wc -l
        test -f "$MNT/.notice-pipeline-output" && echo marked
    """
    result = _in_namespace(script, MNT=str(mnt), SITE=str(site))
    out = result.stdout.split()
    assert "first=2" in out and "kept" in out, result.stdout + (tmp_path / "first.txt").read_text()
    assert "second=0" in out and "marked" in out, result.stdout + (tmp_path / "second.txt").read_text()
    assert out[out.index("second=0") + 1] == "1"
    assert "挂载点" in (tmp_path / "second.txt").read_text(encoding="utf-8")


# -- item 4: active content is never published -----------------------------------------------------------


@pytest.mark.parametrize("name", ["x.html", "x.svg", "x.xhtml", "x.js", "x.XML", "x.htm"])
def test_active_content_attachments_are_refused_with_a_way_out(tmp_path, name):
    site = copy_site(tmp_path / "site")
    (site / "content/2022/06" / name).write_text("<script>window.__x=1</script>", encoding="utf-8")
    (site / "content/2022/06/att.md").write_text(
        f"---\ntitle: 附件测试\ndate: 2022-06-10 08:00\nattachments: [{name}]\n---\n正文。\n", encoding="utf-8")
    out = tmp_path / "output"
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 1, result.stderr
    assert "content/2022/06/att.md:4:" in result.stderr and ".zip" in result.stderr and "PDF" in result.stderr
    assert not out.exists()


def test_active_content_linked_from_the_body_is_refused(tmp_path):
    site = copy_site(tmp_path / "site")
    (site / "content/2022/06/page.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
                                                   encoding="utf-8")
    doc = site / "content/2022/06/doc.md"
    doc.write_text(doc.read_text(encoding="utf-8") + "\n请看[示意图](page.svg)。\n", encoding="utf-8")
    result = run_build("--site", str(site), "--output", str(tmp_path / "output"))
    assert result.returncode == 1 and "page.svg" in result.stderr and "压缩成 .zip" in result.stderr


# -- item 5: only regular files are read ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["hang.md", "hang.yaml", "form.txt"])
def test_fifo_in_content_is_reported_never_opened(tmp_path, name):
    site = copy_site(tmp_path / "site")
    target = site / "content/2022/06" / name
    if target.exists():
        target.unlink()  # form.txt is an attachment of doc.md: a FIFO attachment
    os.mkfifo(target)
    for command in ("check", "build"):
        result = run_build(command, "--site", str(site), "--output", str(tmp_path / "output"))  # timeout: 300 s
        assert result.returncode == 1, result.stderr
        assert f"content/2022/06/{name}: 这不是普通文件（命名管道 FIFO）" in result.stderr
        assert "Traceback" not in result.stderr


def test_socket_in_content_is_reported(tmp_path):
    import socket

    site = copy_site(tmp_path / "site")
    path = site / "content/2022/06/sock.md"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        result = run_build("check", "--site", str(site))
        assert result.returncode == 1 and "套接字" in result.stderr
    finally:
        server.close()


# -- item 12: serve answers only its own names (DNS rebinding) -------------------------------------------


def test_serve_refuses_foreign_host_headers(tmp_path):
    import http.client
    import socket
    import subprocess
    import sys
    import time

    from conftest import FIXTURE_EPOCH, REPO

    site = copy_site(tmp_path / "site")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "serve", "--site", str(site), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "SOURCE_DATE_EPOCH": FIXTURE_EPOCH})

    def status(host: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.putrequest("GET", "/", skip_host=True)
            conn.putheader("Host", host)
            conn.endheaders()
            return conn.getresponse().status
        finally:
            conn.close()

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if status(f"127.0.0.1:{port}") == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)
        assert status(f"localhost:{port}") == 200
        for foreign in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}", "127.0.0.1:1"):
            assert status(foreign) == 403, foreign
    finally:
        proc.kill()
        proc.wait()


# -- item 8: control characters never reach XML or JSON -------------------------------------------------------


def test_control_characters_are_removed_with_a_warning_naming_the_field(tmp_path):
    import json

    from lxml import etree

    site = copy_site(tmp_path / "site")
    (site / "content/2022/06/ctl.md").write_text(
        '---\ntitle: "控制字符\\x1b测试"\ndate: 2022-06-20 08:00\ncategory: 应急管理\nlevel: 橙色\n'
        'tags: ["停\\x1b水", "a\\bb"]\nauthor: "张\\a三"\n'
        'broadcast:\n  script: "请大家注意\\f用水安全。"\n  issuer: "县\\x1b应急局"\n  key: "注意\\x1b安全"\n'
        "---\n预计明天停水。请储水。\n", encoding="utf-8")
    out = tmp_path / "output"
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 0, result.stderr
    for field in ("title", "tags", "author", "broadcast.script", "broadcast.issuer", "broadcast.key"):
        assert f"“{field}”中含有不可见的控制字符" in result.stderr, field
    xml = [p for p in out.rglob("*") if p.suffix in (".xml", ".ssml")]
    assert any(p.name == "ctl.ssml" for p in xml) and any(p.name == "ctl.cap.xml" for p in xml)
    for path in xml:
        etree.parse(str(path))  # well-formed
    json.loads((out / "broadcast/index.json").read_text(encoding="utf-8"))
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".ssml", ".json", ".txt"):
            assert "\x1b" not in path.read_text(encoding="utf-8"), path


# -- item 7: output/ is verified, not trusted ------------------------------------------------------------------


def test_pages_edited_or_deleted_in_output_are_rewritten(tmp_path):
    site = copy_site(tmp_path / "site")
    out = tmp_path / "output"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    reference = tree_digest(out)
    page = out / "2022/05/meeting.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</h1>", "（已被手工改动）</h1>"), encoding="utf-8")
    (out / "2022/06/doc.html").unlink()
    (out / "feed.xml").write_text("tampered", encoding="utf-8")
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert "被改动或删除" in result.stderr
    assert tree_digest(out) == reference
    again = run_build("--site", str(site), "--output", str(out))
    assert again.returncode == 0 and "没有变化" in again.stderr


def test_output_damaged_while_the_content_also_changed_is_verified_once_the_site_is_loaded(tmp_path):
    """With an edit to make, output/ is compared with the record after loading the site (the listing
    child has had the time): pages edited or deleted in output/ -- the edited notice's own page, one
    it does not touch, a feed, the search index -- are still written again, and the result is a cold build."""
    site = copy_site(tmp_path / "site")
    out = tmp_path / "output"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    news = site / "content/2022/05/news-2.md"
    news.write_text(news.read_text(encoding="utf-8").replace("要闻第2篇正文。", "要闻第2篇正文，已修改。"), encoding="utf-8")
    page = out / "2022/05/meeting.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</h1>", "（已被手工改动）</h1>"), encoding="utf-8")
    (out / "2022/05/news-2.html").write_text("tampered", encoding="utf-8")
    (out / "2022/06/doc.html").unlink()
    (out / "feed.xml").write_text("tampered", encoding="utf-8")
    index = next((out / "search").rglob("*.bin"), None)
    if index is not None:
        index.write_bytes(b"tampered")
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert "被改动或删除" in result.stderr
    cold = tmp_path / "cold"
    assert run_build("--site", str(site), "--output", str(cold), "--no-cache").returncode == 0
    assert tree_digest(out) == tree_digest(cold)
    assert "已修改" in (out / "2022/05/news-2.html").read_text(encoding="utf-8")


def test_deleted_search_index_file_is_rebuilt_not_a_crash(tmp_path):
    site = copy_site(tmp_path / "site")
    out = tmp_path / "output"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    victims = sorted(p for p in out.rglob("*") if p.is_file() and "/" in p.relative_to(out).as_posix())
    nested = [p for p in victims if p.relative_to(out).as_posix().count("/") >= 2][:3]
    for p in nested:
        p.unlink()
    (site / "content/2022/05/news-1.md").unlink()  # and a real change in the same build
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert all(p.exists() for p in nested if "news-1" not in p.name)


# -- item 12: a limit on tags per notice -------------------------------------------------------------------------


def test_thousands_of_tags_are_refused_with_the_limit_named(tmp_path):
    site = copy_site(tmp_path / "site")
    tags = ", ".join(f"标签{n}" for n in range(5000))
    (site / "content/2022/06/tags.md").write_text(
        f"---\ntitle: 标签很多的公告\ndate: 2022-06-10 08:00\ntags: [{tags}]\n---\n正文。\n", encoding="utf-8")
    out = tmp_path / "output"
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 1
    assert "content/2022/06/tags.md:4: 标签太多：这篇公告有 5000 个标签，最多 20 个" in result.stderr
    assert not out.exists()
    yaml = site / "site.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8") + "max_tags: 5000\n", encoding="utf-8")
    assert run_build("check", "--site", str(site)).returncode == 0


# -- item 9: unique broadcast file names ------------------------------------------------------------------------


def test_broadcast_file_names_never_clash(tmp_path):
    import json

    site = copy_site(tmp_path / "site")
    for name, slug, when in (("x1", "a", "2022-05-31 08:00"), ("x2", "a", "2022-06-01 08:00"),
                             ("x3", "a-202205", "2022-05-31 09:00")):
        (site / f"content/2022/06/{name}.md").write_text(
            f"---\ntitle: 停水通知{name}\ndate: {when}\nslug: {slug}\ncategory: 应急管理\n---\n"
            "请各位村民于明天上午8时前储水，电话0375-1234567。\n", encoding="utf-8")
    out = tmp_path / "output"
    result = run_build("--site", str(site), "--output", str(out), env={"SOURCE_DATE_EPOCH": "1654056000"})
    assert result.returncode == 0, result.stderr
    assert "广播稿文件名“a-202205”已被 content/2022/06/x1.md 使用" in result.stderr
    index = json.loads((out / "broadcast/index.json").read_text(encoding="utf-8"))
    ours = {name: entry["source"] for name, entry in index["pending"].items() if "/x" in entry["source"]}
    assert sorted(ours.values()) == [f"content/2022/06/x{n}.md" for n in (1, 2, 3)]
    assert len(set(ours)) == 3


# -- item 10: configured files inside the site, in the fingerprint, watched ---------------------------------------


def _with_lexicon(site: Path, where: str) -> None:
    yaml = site / "site.yaml"
    text = yaml.read_text(encoding="utf-8")
    assert "broadcast:" not in text
    yaml.write_text(text + f"broadcast:\n  lexicon: {where}\n", encoding="utf-8")


def test_lexicon_in_a_subfolder_is_in_the_fingerprint(tmp_path):
    site = copy_site(tmp_path / "site")
    (site / "data").mkdir()
    lexicon = site / "data/pron.yaml"
    lexicon.write_text("暴雨: bao4 yu3\n", encoding="utf-8")
    _with_lexicon(site, "data/pron.yaml")
    out = tmp_path / "output"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    assert 'ph="bao4 yu3"' in (out / "broadcast/warning.ssml").read_text(encoding="utf-8")
    lexicon.write_text("暴雨: bao4 yu2\n", encoding="utf-8")
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 0 and "没有变化" not in result.stderr, result.stderr
    assert 'ph="bao4 yu2"' in (out / "broadcast/warning.ssml").read_text(encoding="utf-8")


@pytest.mark.parametrize("where", ["../secret.yaml", "ABSOLUTE", "data/link.yaml"])
def test_lexicon_outside_the_site_is_never_read(tmp_path, where):
    site = copy_site(tmp_path / "site")
    secret = tmp_path / "secret.yaml"
    secret.write_text("机密口令甲乙丙: mi4 mi4\n", encoding="utf-8")
    (site / "data").mkdir()
    (site / "data/link.yaml").symlink_to(secret)
    _with_lexicon(site, str(secret) if where == "ABSOLUTE" else where)
    result = run_build("check", "--site", str(site))
    assert result.returncode == 1
    assert "不在站点目录内" in result.stderr and "机密口令" not in result.stderr + result.stdout


def test_serve_watches_yaml_files_in_subfolders(tmp_path):
    from builder.serve import relevant

    site = tmp_path.resolve()
    assert relevant(site, str(site / "data/pron.yaml"))
    assert relevant(site, str(site / "terms.yaml"))
    assert not relevant(site, str(site / ".cache/serve-output/x.yaml"))
