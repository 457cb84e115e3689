"""``python build.py serve``: live preview that follows edits, shows build errors, recovers, stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import FIXTURE_EPOCH, REPO, copy_site


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError):
        return 0, ""


def wait_for(url: str, predicate, timeout: float) -> tuple[float, int, str]:
    started = time.perf_counter()
    status, body = 0, ""
    while time.perf_counter() - started < timeout:
        status, body = fetch(url)
        if predicate(status, body):
            return time.perf_counter() - started, status, body
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {url}: {status}\n{body[-2000:]}")


@pytest.fixture
def server(tmp_path):
    site = copy_site(tmp_path / "site")
    port = free_port()
    env = dict(os.environ, SOURCE_DATE_EPOCH=FIXTURE_EPOCH, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "serve", "--site", str(site), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8", env=env)
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_for(base, lambda s, b: s == 200, 60)
        yield site, base, proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_preview_follows_edits_shows_errors_and_recovers(server):
    site, base, proc = server
    page = base + "2022/05/meeting.html"
    status, body = fetch(page)
    assert status == 200 and "全县召开防汛工作会议" in body
    assert "/__reload" in body  # live reload is injected into served HTML...
    assert not (site / "output").exists()  # ...built into a private folder, never output/
    built = (site / ".cache/serve-output/2022/05/meeting.html").read_text(encoding="utf-8")
    assert "/__reload" not in built  # ...and not written into the built files
    # drafts and scheduled notices are previewed, marked as such
    _, draft = fetch(base + "2022/06/draft.html")
    assert "草稿公告" in draft and "草稿" in draft

    # a browser page long-polling /__reload hears about the next build
    status, state = fetch(base + "__reload?since=none")
    first_id = json.loads(state)["id"]
    heard: list[str] = []
    poller = threading.Thread(target=lambda: heard.append(fetch(base + f"__reload?since={first_id}")[1]))
    poller.start()

    notice = site / "content/2022/05/meeting.md"
    original = notice.read_text(encoding="utf-8")
    notice.write_text(original.replace("各乡镇做好准备。", "各乡镇做好防汛物资准备。"), encoding="utf-8")
    latency, _, _ = wait_for(page, lambda s, b: "各乡镇做好防汛物资准备" in b, 2.0)
    print(f"edit-to-served latency: {latency:.3f}s")
    poller.join(30)
    assert heard and json.loads(heard[0])["id"] != first_id

    # a broken edit replaces every page with a readable error page
    notice.write_text(original.replace("date: 2022-05-04 12:00", "date: 2022年5月<b>"), encoding="utf-8")
    _, status, body = wait_for(page, lambda s, b: "构建出错" in b, 10)
    assert status == 500
    assert "content/2022/05/meeting.md，第 3 行" in body
    assert "日期格式无法识别“2022年5月&lt;b&gt;”" in body  # escaped
    assert "/__reload" in body  # keeps listening, so fixing the file brings the page back
    _, home = fetch(base)
    assert "构建出错" in home
    assert "日期格式无法识别" in home

    # fixing it recovers
    notice.write_text(original, encoding="utf-8")
    wait_for(page, lambda s, b: s == 200 and "各乡镇做好准备" in b, 10)

    # Ctrl-C stops cleanly
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert "预览已停止" in out
    assert "Traceback" not in out


def test_lexicon_change_triggers_rebuild(server):
    site, base, _ = server
    page = base + "2022/05/meeting.html"
    (site / "terms.yaml").write_text("typos:\n  防汛工作: 防汛抗旱工作\n", encoding="utf-8")
    _, status, body = wait_for(page, lambda s, b: "构建出错" in b, 10)
    assert "错别字“防汛工作”，应为“防汛抗旱工作”" in body
    (site / "terms.yaml").unlink()
    wait_for(page, lambda s, b: s == 200, 10)


def test_port_in_use_is_reported(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, str(REPO / "build.py"), "serve", "--port", str(port)],
                                capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert result.returncode == 1
    assert "端口可能已被占用，请用 --port 换一个" in result.stderr
