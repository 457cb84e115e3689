#!/usr/bin/env python3
"""A scheduled CI run, cold vs warm, the way a hosted runner does it.

    python benchmarks/ci_run.py SITE [--workdir DIR] [--runs K]

Every run starts like a runner: a fresh checkout of SITE (its content/ and *.yaml copied
into WORKDIR/workspace as new files with new modification times, as ``git clone`` makes
them) and a fresh cache-key folder (XDG_STATE_HOME), then

  cold      no cache restored: the publishing workflow as it was (no actions/cache);
  warm      the archive the previous run saved is restored first (.cache/notice-pipeline,
            output/ and the cache key, as .github/workflows/publish.yml keeps them), nothing
            edited: the usual 15-minute scheduled run;
  one-edit  the same, with one notice edited since the last run.

after which ``python build.py build`` runs (timed: wall, CPU of the process tree, peak
summed RSS of the tree) and the three folders are archived again (tar, like actions/cache;
the archive and restore times are reported separately, since the runner spends them too).
The workspace path is the same every run, as on a runner.  Standard library only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tarfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import REPO, measure  # noqa: E402

EDIT = "\n（补充说明：第{k}次定时构建前修改。）\n"


def checkout(site: Path, workspace: Path) -> None:
    for _ in range(50):  # the last build may still be deleting its old output in the background
        shutil.rmtree(workspace, ignore_errors=True)
        if not workspace.exists():
            break
        time.sleep(0.2)
    workspace.mkdir(parents=True)
    shutil.copytree(site / "content", workspace / "content", copy_function=shutil.copyfile)
    for file in sorted(site.glob("*.yaml")):
        shutil.copyfile(file, workspace / file.name)


def restore(archive: Path, workspace: Path, state: Path) -> float:
    started = time.perf_counter()
    with tarfile.open(archive) as tar:
        tar.extractall(workspace.parent, filter="data")
    return time.perf_counter() - started


def save(archive: Path, workspace: Path, state: Path) -> float:
    started = time.perf_counter()
    with tarfile.open(archive, "w") as tar:
        for path in (workspace / ".cache" / "notice-pipeline", workspace / "output", state):
            if path.exists():
                tar.add(path, arcname=path.relative_to(workspace.parent).as_posix())
    return time.perf_counter() - started


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("site", type=Path, help="a site (site.yaml + content/), e.g. from run.py --make-site")
    ap.add_argument("--workdir", type=Path, default=Path(REPO) / "benchmarks" / "work" / "ci")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scenarios", default="cold,warm,one-edit",
                    help="order of one round (repeats allowed; without cold the archive of an earlier "
                         "invocation is restored first), e.g. warm,warm,one-edit")
    args = ap.parse_args(argv)
    site, work = args.site.resolve(), args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    workspace, state, archive = work / "workspace", work / "state", work / "cache.tar"
    markdown = sorted((site / "content").rglob("*.md"))
    target = markdown[len(markdown) // 2].relative_to(site)
    notices = len(markdown) + len(list((site / "content").rglob("*.yaml")))
    rows: dict[str, list] = {"cold": [], "warm": [], "one-edit": []}
    build = [sys.executable, os.path.join(REPO, "build.py"), "build", "--site", str(workspace)]
    for k in range(1, args.runs + 1):
        for scenario in [name.strip() for name in args.scenarios.split(",") if name.strip()]:
            checkout(site, workspace)
            if state.exists():
                shutil.rmtree(state)
            state.mkdir()
            restored = 0.0
            if scenario == "cold":
                archive.unlink(missing_ok=True)
            else:
                if not archive.exists():
                    print(f"{scenario}: no cache archive yet (run cold first)", file=sys.stderr)
                    return 1
                restored = restore(archive, workspace, state)
            if scenario == "one-edit":
                with open(workspace / target, "a", encoding="utf-8") as fh:
                    fh.write(EDIT.format(k=k))
            env = {**os.environ, "XDG_STATE_HOME": str(state)}
            log = str(work / f"{scenario}-{k}")
            res = measure(build, str(workspace), log, 3600, env=env)
            if not res.ok:
                print(f"{scenario} run {k} failed (rc={res.rc}); see {log}.err", file=sys.stderr)
                return 1
            saved = save(archive, workspace, state)
            rows[scenario].append((res.wall, res.utime + res.stime, res.tree_kb / 1024, restored, saved))
            print(f"{scenario:9s} run {k}: build {res.wall:7.2f} s, cpu {res.utime + res.stime:7.2f} s, "
                  f"tree {res.tree_kb / 1024:6.0f} MB; restore {restored:5.2f} s, save {saved:5.2f} s",
                  file=sys.stderr, flush=True)
    print(f"scheduled CI run, {notices} notices, edited `{target}`, load avg {os.getloadavg()[0]:.1f}\n")
    print("| 场景 scenario | 构建 build median (s) | CPU (s) | 峰值内存 进程树 tree (MB) | 恢复缓存 restore (s) | 保存缓存 save (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for scenario, runs in rows.items():
        if not runs:
            continue
        med = [statistics.median(col) for col in zip(*runs)]
        print(f"| {scenario} | {med[0]:.2f} | {med[1]:.2f} | {max(r[2] for r in runs):.0f} | {med[3]:.2f} | {med[4]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
