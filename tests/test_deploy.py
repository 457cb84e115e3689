"""``python build.py deploy`` against real servers on loopback: sshd (rsync and SFTP), nginx, moto's S3.

What a county's operator would notice: the served site after a deploy (headers, 404 page,
CSP), only changed files sent, deleted notices gone, a killed deploy never showing a
half-updated site, rollback, the log and the CI summary, and refusing secrets in site.yaml.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO, copy_site, run_build
from support.servers import nginx, s3_endpoint, sshd
from support.trees import SUMMARY


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def differing(old: dict[str, bytes], new: dict[str, bytes]) -> tuple[set, set]:
    """(added or changed, deleted) between two trees, computed independently of the deploy code."""
    return {p for p, data in new.items() if old.get(p) != data}, {p for p in old if p not in new}


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=20) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def broadcast_types(files: dict) -> dict[str, str]:
    """One published broadcast script of each kind with the Content-Type it must be served with."""
    kinds = {}
    for suffix, kind in ((".gb18030.txt", "text/plain; charset=gb18030"), (".ssml", "application/ssml+xml; charset=utf-8"),
                         (".cap.xml", "application/cap+xml; charset=utf-8")):
        kinds[next(p for p in sorted(files) if p.startswith("broadcast/") and p.endswith(suffix))] = kind
    kinds[next(p for p in sorted(files) if p.startswith("broadcast/") and p.endswith(".txt")
               and not p.endswith(".gb18030.txt") and "/daily/" not in p)] = "text/plain; charset=utf-8"
    return kinds


def edit_notice(site: Path) -> None:
    path = site / "content/2022/05/meeting.md"
    path.write_text(path.read_text(encoding="utf-8").replace("会议", "会议（修订）", 1), encoding="utf-8")


@pytest.fixture
def ssh_site(tmp_path):
    """The fixture site with an SSH target pointing at a throwaway sshd; yields (site, server, root, env)."""
    site = copy_site(tmp_path / "site")
    with sshd(tmp_path / "sshd") as server:
        root = tmp_path / "srv" / "wugang"
        with open(site / "site.yaml", "a", encoding="utf-8") as fh:
            fh.write("\nbroadcast:\n  encoding: gb18030\n"
                     f"\ndeploy:\n  server:\n    type: ssh\n    host: 127.0.0.1\n    port: {server.port}\n"
                     f"    user: {server.user}\n    path: {root}\n    known_hosts: {server.known_hosts}\n    keep: 3\n")
        env = {"NOTICE_DEPLOY_SSH_KEY": str(server.client_key), "SSH_AUTH_SOCK": ""}
        result = run_build("--site", str(site))
        assert result.returncode == 0, result.stderr
        yield site, server, root, env


def deploy(site: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return run_build("deploy", "--site", str(site), *args, env=env)


def summary(site: Path, env: dict, *args: str) -> dict:
    out = site / "deploy-summary.json"
    result = deploy(site, env, "--summary-json", str(out), *args)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text(encoding="utf-8"))["targets"][0]


def test_ssh_deploy_sends_only_changes_and_serves_them_right(ssh_site, tmp_path):
    site, server, root, env = ssh_site
    output = site / "output"
    first = tree(output)

    dry = deploy(site, env, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "新增  index.html" in dry.stderr and "预演" in dry.stderr
    assert not root.exists(), "a dry run must not touch the server"

    cold = summary(site, env)
    assert cold["method"] == "rsync"  # the server has rsync, also on the first deploy
    assert cold["counts"]["added"] == len(first) and cold["counts"]["files_transferred"] == len(first)
    assert 0 < cold["counts"]["wire_bytes"] < cold["counts"]["bytes_transferred"] / 2  # compressed
    assert cold["counts"]["bytes_transferred"] == sum(len(b) for b in first.values())
    current = root / "current"
    assert current.is_symlink() and os.readlink(current) == f"releases/{cold['release']}"
    assert tree(current) == first

    again = summary(site, env)
    assert again["counts"]["files_transferred"] == 0 and again["counts"]["unchanged"] == len(first)

    # one edit: exactly the files whose bytes changed are sent; the rest are hard links to the old release
    edit_notice(site)
    (site / "content/2022/05/news-4.md").unlink()  # and one notice deleted
    assert run_build("--site", str(site)).returncode == 0
    second = tree(output)
    sent, gone = differing(first, second)
    assert 0 < len(sent) < len(second) // 2 and "2022/05/news-4.html" in gone
    edit = summary(site, env)
    assert edit["counts"]["files_transferred"] == len(sent), (edit["added"], edit["changed"])
    assert set(edit["added"]) | set(edit["changed"]) == sent and set(edit["deleted"]) == gone
    assert tree(current) == second
    new_rel, old_rel = root / "releases" / edit["release"], root / "releases" / cold["release"]
    unchanged = next(p for p in second if p not in sent)
    assert os.stat(new_rel / unchanged).st_ino == os.stat(old_rel / unchanged).st_ino
    assert os.stat(new_rel / "2022/05/meeting.html").st_ino != os.stat(old_rel / "2022/05/meeting.html").st_ino
    assert tree(old_rel) == first, "the previous release must stay intact for rollback"

    # the deploy log under .cache: one line per deploy with commit, counts and target
    lines = [json.loads(line) for line in (site / ".cache/deploy/log.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["counts"]["files_transferred"] for e in lines] == [len(first), 0, len(sent)]
    assert all(e["target"] == "server" and e["ok"] and "time" in e and "commit" in e for e in lines)
    assert "2022/05/news-4.html" in lines[-1]["files"]["deleted"]

    # served by a real nginx from `current`
    with nginx(tmp_path / "nginx", current) as url:
        expected = {
            "index.html": "text/html; charset=utf-8",
            "2022/05/meeting.html": "text/html; charset=utf-8",
            "feed.xml": "application/rss+xml; charset=utf-8",
            "atom.xml": "application/atom+xml; charset=utf-8",
            "sitemap.xml": "application/xml; charset=utf-8",
            "static/css/site.css": "text/css; charset=utf-8",
            "static/js/site.js": "text/javascript; charset=utf-8",
            "broadcast/index.json": "application/json; charset=utf-8",
        }
        expected.update(broadcast_types(second))
        for path, kind in expected.items():
            status, headers, body = fetch(url + path)
            assert status == 200, path
            assert headers["content-type"] == kind, path
            assert body == second[path], path
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
            assert "default-src 'self'" in headers["content-security-policy"]
        assert fetch(url + "index.html")[1]["cache-control"] == "no-cache"
        assert fetch(url + "feed.xml")[1]["cache-control"] == "no-cache"
        assert "max-age=604800" in fetch(url + "static/css/site.css")[1]["cache-control"]
        status, headers, body = fetch(url + "2022/05/no-such-notice.html")
        assert status == 404 and "页面未找到" in body.decode("utf-8")
        assert b'<base href="/">' in body  # so its relative stylesheet link resolves at any depth
        assert fetch(url + "2022/05/news-4.html")[0] == 404, "a deleted notice must be gone"
        assert fetch(url + ".cache")[0] == 404


def test_rollback_switches_back_and_keeps_n_releases(ssh_site):
    site, server, root, env = ssh_site
    first = tree(site / "output")
    releases = [summary(site, env)["release"]]
    for n in range(3):
        path = site / "content/2022/05/news-1.md"
        path.write_text(path.read_text(encoding="utf-8") + f"\n\n补充说明第{n}条。\n", encoding="utf-8")
        assert run_build("--site", str(site)).returncode == 0
        releases.append(summary(site, env)["release"])
    kept = sorted(p.name for p in (root / "releases").iterdir() if p.is_dir())
    assert kept == releases[-3:], "keep: 3 keeps the three newest releases"
    latest = tree(site / "output")
    assert tree(root / "current") == latest

    result = deploy(site, env, "--rollback")
    assert result.returncode == 0, result.stderr
    assert "已回滚" in result.stderr and releases[-2] in result.stderr
    assert os.readlink(root / "current") == f"releases/{releases[-2]}"
    # the next deploy goes forward again and sends only what differs from the rolled-back release
    again = summary(site, env)
    assert tree(root / "current") == latest and again["counts"]["files_transferred"] > 0
    assert first != latest


def test_kill_deploy_midway_never_shows_a_half_updated_site(ssh_site, tmp_path):
    """SIGKILL a deploy at random moments: `current` is always one complete version."""
    site, server, root, env = ssh_site
    outputs = {}
    outputs["a"] = site / "output"
    assert summary(site, env)["counts"]["files_transferred"] > 0
    # version b differs on every page (the site title), so a half-done deploy would show
    text = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(text.replace("title: ", "title: 新版", 1), encoding="utf-8")
    outputs["b"] = tmp_path / "output-b"
    assert run_build("--site", str(site), "--output", str(outputs["b"])).returncode == 0
    versions = {k: tree(v) for k, v in outputs.items()}
    assert len(differing(versions["a"], versions["b"])[0]) > 30

    def start(version: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, str(REPO / "build.py"), "deploy", "--site", str(site),
                                 "--output", str(outputs[version])], env={**os.environ, **env},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    began = time.monotonic()
    proc = start("b")
    assert proc.wait(120) == 0
    full = time.monotonic() - began
    shown = "b"
    rng = random.Random(16)
    outcomes = {"old": 0, "new": 0}
    trials = 8
    # moments spread from the start to past the usual end of a deploy, in random order
    delays = [full * 1.5 * (k + rng.random()) / trials for k in range(trials)]
    rng.shuffle(delays)
    for trial, delay in enumerate(delays):
        target = "a" if shown == "b" else "b"
        proc = start(target)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)  # the deploy and its ssh/rsync children
        proc.wait()
        time.sleep(0.3)  # a remote step already running may still finish its switch
        served = tree(root / "current")
        assert served in (versions["a"], versions["b"]), f"trial {trial}: a mixed site is being served"
        now = "a" if served == versions["a"] else "b"
        outcomes["new" if now == target else "old"] += 1
        shown = now
    # and the next deploy after a killed one completes and cleans the leftovers
    final = "a" if shown == "b" else "b"
    assert start(final).wait(120) == 0
    assert tree(root / "current") == versions[final]
    leftovers = [p.name for p in (root / "releases").iterdir()
                 if p.is_dir() and not (root / "releases" / (p.name + ".json")).exists()]
    assert leftovers == []
    SUMMARY.append(f"deploy kill trials: {trials} SIGKILLs within 0-{1.5 * full:.1f} s of a {full:.1f} s deploy: "
                   f"old site served {outcomes['old']}x, new site {outcomes['new']}x, mixed 0x")


def test_sftp_method_without_rsync(ssh_site):
    site, server, root, env = ssh_site
    (site / "site.yaml").write_text((site / "site.yaml").read_text(encoding="utf-8").replace(
        "    keep: 3\n", "    keep: 3\n    method: sftp\n"), encoding="utf-8")
    first = tree(site / "output")
    cold = summary(site, env)
    assert cold["method"] == "sftp" and cold["counts"]["files_transferred"] == len(first)
    assert tree(root / "current") == first
    edit_notice(site)
    assert run_build("--site", str(site)).returncode == 0
    sent, _gone = differing(first, tree(site / "output"))
    assert summary(site, env)["counts"]["files_transferred"] == len(sent)
    assert tree(root / "current") == tree(site / "output")


def test_unreachable_or_refused_target_is_an_environment_error(ssh_site, tmp_path):
    site, server, root, env = ssh_site
    wrong_key = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(wrong_key)], check=True)
    result = deploy(site, {**env, "NOTICE_DEPLOY_SSH_KEY": str(wrong_key)})
    assert result.returncode == 4 and "服务器拒绝登录" in result.stderr, result.stderr
    text = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(text.replace(f"port: {server.port}", "port: 1"), encoding="utf-8")
    result = deploy(site, env)
    assert result.returncode == 4 and "无法连接服务器" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    result = deploy(site, env, "nosuchtarget")
    assert result.returncode == 2 and "没有名为“nosuchtarget”的部署目标" in result.stderr


def test_secrets_in_site_yaml_are_refused(tmp_path):
    site = copy_site(tmp_path / "site")
    with open(site / "site.yaml", "a", encoding="utf-8") as fh:
        fh.write("\ndeploy:\n  server:\n    host: www.example.cn\n    path: /srv/www\n    password: hunter2\n"
                 "  oss:\n    type: s3\n    bucket: wugang-site\n    secret_key: abc\n")
    for command in (["check"], ["deploy"], ["build"]):
        result = run_build(*command, "--site", str(site))
        assert result.returncode == 1, (command, result.stderr)
        assert "site.yaml 中不能写密码或密钥（deploy.server.password）" in result.stderr
        assert "deploy.oss.secret_key" in result.stderr
        assert "hunter2" not in result.stderr
    (site / "site.yaml").write_text((site / "site.yaml").read_text(encoding="utf-8").split("\ndeploy:")[0]
                                    + "\ndeploy:\n  server:\n    host: h\n    path: /srv\n    key: |\n"
                                      "      -----BEGIN OPENSSH PRIVATE KEY-----\n      abc\n", encoding="utf-8")
    result = run_build("check", "--site", str(site))
    assert result.returncode == 1 and "不能写密码或密钥" in result.stderr


def test_s3_deploy_content_types_changes_and_deletions(tmp_path):
    boto3 = pytest.importorskip("boto3")
    site = copy_site(tmp_path / "site")
    with s3_endpoint(tmp_path / "s3") as endpoint:
        env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "",
               "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                              aws_secret_access_key="testing")
        client.create_bucket(Bucket="wugang-site")
        with open(site / "site.yaml", "a", encoding="utf-8") as fh:
            fh.write("\nbroadcast:\n  encoding: gb18030\n"
                     f"\ndeploy:\n  oss:\n    type: s3\n    endpoint: {endpoint}\n    bucket: wugang-site\n"
                     "    prefix: www\n    region: us-east-1\n    addressing: path\n")
        assert run_build("--site", str(site)).returncode == 0
        first = tree(site / "output")
        cold = summary(site, env)
        assert cold["counts"]["files_transferred"] == len(first)

        def objects() -> dict:
            pages = client.get_paginator("list_objects_v2").paginate(Bucket="wugang-site", Prefix="www/")
            return {o["Key"][4:]: o for page in pages for o in page.get("Contents", [])}

        assert set(objects()) == set(first)
        kinds = {"index.html": "text/html; charset=utf-8", "feed.xml": "application/rss+xml; charset=utf-8",
                 "static/css/site.css": "text/css; charset=utf-8", **broadcast_types(first)}
        for path, kind in kinds.items():
            head = client.head_object(Bucket="wugang-site", Key="www/" + path)
            assert head["ContentType"] == kind, path
            body = client.get_object(Bucket="wugang-site", Key="www/" + path)["Body"].read()
            assert body == first[path]
        assert client.head_object(Bucket="wugang-site", Key="www/index.html")["CacheControl"] == "no-cache"
        assert summary(site, env)["counts"]["files_transferred"] == 0

        edit_notice(site)
        (site / "content/2022/05/news-4.md").unlink()
        assert run_build("--site", str(site)).returncode == 0
        second = tree(site / "output")
        sent, gone = differing(first, second)
        dry = deploy(site, env, "--dry-run")
        assert dry.returncode == 0 and "删除  2022/05/news-4.html" in dry.stderr
        assert set(objects()) == set(first), "a dry run changes nothing"
        edit = summary(site, env)
        assert edit["counts"]["files_transferred"] == len(sent) and set(edit["deleted"]) == gone
        assert set(objects()) == set(second)
        assert client.get_object(Bucket="wugang-site", Key="www/2022/05/meeting.html")["Body"].read() == \
            second["2022/05/meeting.html"]
        result = deploy(site, env, "--rollback")
        assert result.returncode == 2 and "无法回滚" in result.stderr
        result = deploy(site, {**env, "AWS_ACCESS_KEY_ID": ""})
        assert result.returncode == 4 and "AWS_ACCESS_KEY_ID" in result.stderr


def test_upload_order_puts_pages_after_what_they_link_to():
    from builder.deploy.plan import LocalFile, Plan

    files = ["index.html", "feed.xml", "2022/05/a.html", "files/2022/05/a.png", "tzgg/index.html",
             "tzgg/feed.xml", "static/css/site.css", "broadcast/a.txt", "broadcast/index.html", "2022/05/b.html"]
    plan = Plan(added=["2022/05/b.html", "files/2022/05/a.png"], changed=[p for p in files if p not in
                ("2022/05/b.html", "files/2022/05/a.png")], local={p: LocalFile(1, "x") for p in files})
    order = plan.uploads
    pos = order.index
    assert pos("files/2022/05/a.png") < pos("2022/05/b.html") < pos("2022/05/a.html")  # new before changed
    assert pos("2022/05/a.html") < pos("tzgg/index.html") < pos("index.html")
    assert max(pos("index.html"), pos("feed.xml"), pos("tzgg/feed.xml")) == len(order) - 1
    assert set(order[-3:]) == {"index.html", "feed.xml", "tzgg/feed.xml"}


def test_chromium_on_the_deployed_site_csp_breaks_nothing(ssh_site, tmp_path):
    """The site as nginx serves it after a deploy: no CSP violation, scripts and search work, 404 styled."""
    from support.browser import launch_chromium

    site, server, root, env = ssh_site
    assert deploy(site, env).returncode == 0
    pages = ["index.html", "tzgg/index.html", "2022/05/meeting.html", "tags/index.html", "archives/index.html",
             "broadcast/index.html", "sitemap.html", "contact.html"]
    with nginx(tmp_path / "nginx", root / "current") as url, launch_chromium() as browser:
        context = browser.new_context()
        context.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation', "
                                "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
        failed: list[str] = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        for path in pages:
            response = page.goto(url + path, wait_until="load")
            assert response.status == 200, path
            assert "default-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_timeout(200)
            assert page.evaluate("window.__csp") == [], path
            # site.js ran (it turns on the JS-only controls, e.g. the font-size buttons on notices)
            assert page.evaluate("document.styleSheets.length") >= 1
        assert page.evaluate("getComputedStyle(document.querySelector('.skip-link')).position") == "absolute"

        # search: the search page reads its index under the CSP and finds the notice
        page.goto(url + "search.html?q=" + urllib.request.quote("停水"), wait_until="load")
        page.wait_for_selector("#search-results li", timeout=30000)
        assert page.evaluate("window.__csp") == []

        # a missing page at any depth: the site's 404 page with its stylesheet and working links
        response = page.goto(url + "2022/05/no-such-notice.html", wait_until="load")
        assert response.status == 404
        assert "页面未找到" in page.title()
        sheets = page.evaluate("Array.from(document.styleSheets).filter(s => { try { return s.cssRules.length > 0 }"
                               " catch (e) { return false } }).map(s => s.href)")
        assert any(h.endswith("/static/css/site.css") for h in sheets), sheets
        home = page.evaluate("new URL(document.querySelector('.notfound-links a').getAttribute('href'), "
                             "document.baseURI).href")
        assert home == url + "index.html"
        assert page.evaluate("window.__csp") == []
        csp_console = [m for m in console if "Content Security Policy" in m]
        assert csp_console == [], csp_console
        assert not [u for u in failed if u.startswith(url)], failed
        context.close()


def test_deploy_targets_in_site_yaml_do_not_force_a_rebuild(tmp_path):
    site = copy_site(tmp_path / "site")
    out = tmp_path / "out"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    with open(site / "site.yaml", "a", encoding="utf-8") as fh:
        fh.write("\n\ndeploy:\n  server: {host: www.example.cn, path: /srv/www}\n")
    summary_file = tmp_path / "s.json"
    result = run_build("--site", str(site), "--output", str(out), "--summary-json", str(summary_file))
    assert result.returncode == 0, result.stderr
    assert json.loads(summary_file.read_text(encoding="utf-8"))["unchanged"] is True


def test_nginx_example_in_docs_is_what_the_command_prints():
    result = run_build("deploy", "--site", str(REPO), "--nginx-config", "--domain", "www.wugang.gov.cn",
                       "--root", "/srv/www/wugang/current")
    assert result.returncode == 0, result.stderr
    assert (REPO / "docs/nginx.conf.example").read_text(encoding="utf-8") == result.stdout


def test_ci_examples_run_commands_the_cli_accepts():
    import shlex

    import yaml

    from builder.cli import make_parser

    parser = make_parser()
    seen = 0
    for name in ("gitlab-ci.yml", "forgejo-deploy.yml"):
        data = yaml.safe_load((REPO / "docs/ci" / name).read_text(encoding="utf-8"))
        text = json.dumps(data, ensure_ascii=False)
        assert "*/15 * * * *" in text or "Pipeline schedules" in (REPO / "docs/ci" / name).read_text(encoding="utf-8")
        for line in (REPO / "docs/ci" / name).read_text(encoding="utf-8").splitlines():
            if "build.py" not in line or line.lstrip().startswith("#"):
                continue
            command = line.split("build.py", 1)[1]
            command = command.replace("${{ vars.SITE_BASE_URL }}", "https://x/").replace("$SITE_BASE_URL", "https://x/")
            argv = shlex.split(command)
            parser.parse_args(argv)  # exits (SystemExit) on an unknown option
            seen += 1
    assert seen >= 5


def test_deploy_section_is_validated_with_line_numbers(tmp_path):
    site = copy_site(tmp_path / "site")
    text = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(text + "\ndeploy:\n  server:\n    type: ssh\n    hots: www.example.cn\n"
                                    "    path: srv/www\n    port: 99999\n  oss:\n    type: ftp\n", encoding="utf-8")
    result = run_build("check", "--site", str(site))
    assert result.returncode == 1
    lines = len(text.splitlines())
    err = result.stderr
    assert f"site.yaml:{lines + 5}:" in err and "未知的配置项“hots”，是不是想写“host”" in err
    assert "缺少必填配置项“deploy.server.host”" in err
    assert f"site.yaml:{lines + 6}:" in err and "deploy.server.path”应当是服务器上的绝对路径" in err
    assert "deploy.server.port”应当是 1～65535 的整数" in err
    assert "deploy.oss.type”只能是 ssh 或 s3" in err
    result = run_build("deploy", "--site", str(site))
    assert result.returncode == 1 and "未部署" in result.stderr


def test_a_second_deploy_waits_for_the_server_lock(ssh_site):
    """Two deploys into one folder (a push and the 15-minute schedule) never run at the same time."""
    site, server, root, env = ssh_site
    assert deploy(site, env).returncode == 0
    holder = subprocess.Popen(["ssh", "-p", str(server.port), "-i", str(server.client_key), "-o", "BatchMode=yes",
                               "-o", f"UserKnownHostsFile={server.known_hosts}", f"{server.user}@127.0.0.1",
                               f"flock {root}/.deploy.lock sh -c 'echo held; exec cat >/dev/null'"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        assert holder.stdout.readline().strip() == b"held"
        busy = deploy(site, {**env, "NOTICE_DEPLOY_LOCK_WAIT": "1"})
        assert busy.returncode == 4 and "另一个部署正在进行" in busy.stderr, busy.stderr
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()
    deadline = time.monotonic() + 30
    while True:  # the holder was killed: its session ends, and so does its lock (as a killed deploy's does)
        result = deploy(site, {**env, "NOTICE_DEPLOY_LOCK_WAIT": "2"})
        if result.returncode == 0 or time.monotonic() > deadline:
            break
    assert result.returncode == 0, result.stderr


def test_an_output_restored_elsewhere_is_still_described_by_the_build_record(tmp_path):
    """A CI cache restores output/ as new files (a new folder identity) with the paths, sizes and
    mtimes it had: deploy still takes the build's record of it (no MD5 of every file); a file that
    differs from the record makes it take none."""
    import shutil

    from builder.deploy.plan import local_inventory

    site = copy_site(tmp_path / "site")
    output = site / "output"
    assert run_build("--site", str(site), "--output", str(output)).returncode == 0
    assert local_inventory(site, output)[1]
    shutil.move(output, tmp_path / "kept")
    shutil.copytree(tmp_path / "kept", output, copy_function=shutil.copy2)  # times kept, as tar does
    assert local_inventory(site, output)[1]
    page = output / "2022/05/meeting.html"
    page.write_bytes(page.read_bytes() + b"\n")
    assert not local_inventory(site, output)[1]
