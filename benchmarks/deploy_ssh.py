"""Deploy figures: a cold deploy and a one-edit deploy of a built site to a local SSH target.

    python benchmarks/run.py --make-site 10000 DIR    # (or make_corpus.py), then
    python build.py --site DIR
    python benchmarks/deploy_ssh.py DIR [--runs 3]

Starts a throwaway sshd on 127.0.0.1 (as the deploy tests do), adds a ``deploy:`` target
to DIR/site.yaml (a benchmark site, not a real one), and prints files and bytes sent and
the wall time of: the cold deploy, then per run one edited notice -> incremental build ->
deploy.  Loopback has no bandwidth limit: on a real link the byte counts matter most.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from support.servers import sshd  # noqa: E402


BUILDER = REPO  # --build-with: the checkout whose build.py runs the builds (deploys always use this one)


def run(*args: str, env: dict) -> tuple[float, dict | None]:
    summary = Path(tempfile.mkstemp(suffix=".json")[1])
    started = time.perf_counter()
    entry = (BUILDER if args[0] == "build" else REPO) / "build.py"
    proc = subprocess.run([sys.executable, str(entry), *args, "--summary-json", str(summary)],
                          env={**os.environ, **env}, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{proc.stderr}")
    data = json.loads(summary.read_text(encoding="utf-8")) if summary.stat().st_size else None
    summary.unlink()
    return seconds, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--build-with", type=Path, default=None, metavar="CHECKOUT",
                        help="run the builds with another checkout's build.py (one whose fingerprint matches the "
                             "site's cache: a change in any builder module forces a full rebuild)")
    args = parser.parse_args()
    global BUILDER
    if args.build_with:
        BUILDER = args.build_with.resolve()
    site = args.site.resolve()
    with tempfile.TemporaryDirectory(prefix="np-deploy-bench-") as tmp, sshd(Path(tmp) / "sshd") as server:
        root = Path(tmp) / "srv"
        text = (site / "site.yaml").read_text(encoding="utf-8").split("\ndeploy:")[0]
        text += (f"\ndeploy:\n  bench:\n    type: ssh\n    host: 127.0.0.1\n    port: {server.port}\n"
                 f"    user: {server.user}\n    path: {root}\n    known_hosts: {server.known_hosts}\n")
        (site / "site.yaml").write_text(text, encoding="utf-8")
        env = {"NOTICE_DEPLOY_SSH_KEY": str(server.client_key), "SSH_AUTH_SOCK": ""}
        build_s, _ = run("build", "--site", str(site), env=env)  # site.yaml changed: pages carry the same bytes
        print(f"build after adding the target: {build_s:.1f} s")
        seconds, data = run("deploy", "--site", str(site), env=env)
        c = data["targets"][0]["counts"]
        print(f"cold deploy ({data['targets'][0].get('method')}): {c['files_transferred']} files, "
              f"{c['bytes_transferred'] / 2**20:.1f} MiB (rsync wire {c['wire_bytes'] / 2**20:.1f} MiB), {seconds:.1f} s")
        notices = sorted((site / "content").rglob("*.md"))
        rows = []
        for n in range(args.runs):
            path = notices[len(notices) // 2 + n]
            body = path.read_text(encoding="utf-8")
            path.write_text(re.sub(r"\n\n", f"\n\n（第{n + 1}次修改）", body, count=1), encoding="utf-8")
            build_s, _ = run("build", "--site", str(site), env=env)
            seconds, data = run("deploy", "--site", str(site), env=env)
            t = data["targets"][0]
            c = t["counts"]
            rows.append(seconds)
            print(f"one-edit run {n + 1}: build {build_s:.1f} s; deploy {c['files_transferred']} files "
                  f"(added {c['added']}, changed {c['changed']}, deleted {c['deleted']}), "
                  f"{c['bytes_transferred'] / 1024:.1f} KiB (rsync wire {c['wire_bytes'] / 1024:.1f} KiB), {seconds:.1f} s")
        print(f"one-edit deploy median: {statistics.median(rows):.1f} s over {len(rows)} runs")


if __name__ == "__main__":
    main()
