#!/usr/bin/env python3
"""Benchmark harness: Notice Pipeline ("ours") vs Pelican 4.12 vs Hugo.

Standard library only.  See docs/performance.md for the method.

    python benchmarks/run.py --notices N [--tools ours,ours-site,pelican,hugo] [--runs K]
                             [--workdir DIR] [--json FILE] [--markdown FILE]
                             [--ours-cmd "python /path/to/build.py"]
    python benchmarks/run.py --quick                 # smoke test: N=200, runs=1
    python benchmarks/run.py --scale [N]             # ours and ours-site, N=100000: cold + one-edit
    python benchmarks/run.py --make-site N DIR       # just write a site ours can build

The corpus comes from make_corpus.py (default ../shared/bench/make_corpus.py relative
to the repository root; --corpus-script overrides).  The same N notices are written in
three flavors (ours, pelican, hugo).

Scenarios, each run K times, tools interleaved (A B C A B C ...):
  cold       output (and every cache) removed first.
             ours:    <ours-cmd> build --site S --output O --no-cache   (fresh O)
             pelican: pelican content -s pelicanconf.py -o O            (no content cache)
             hugo:    hugo --source S --destination O --quiet ...       (fresh O, cacheDir)
  no-change  same command again with nothing changed, caches on
             (ours: without --no-cache; pelican: pelicanconf_cached.py).  One
             unmeasured priming build fills the caches first.
  one-edit   one sentence appended to the body of one notice (the same notice in
             every flavor, a new sentence for every run), then a cached rebuild.

Wall time: perf_counter around spawn..reap.  Peak memory, two figures:
  tree     the peak over time of the summed PSS (proportional set size, /proc/PID/smaps_rollup)
           of every process of the run's session (the tool, its worker processes, search index
           processes running together), sampled every 50 ms or, for a large tree, less often
           (each sample may cost at most 5 % of one core: reading smaps_rollup walks the page
           tables, ~13 ms per 700 MB process; memory_samples and sampler_cpu_s in the JSON say
           what sampling took): what the machine has to have.
           PSS divides a page that forked workers share with their parent among them, so the
           sum counts it once; the summed RSS (which counts it once per process and errs high)
           is kept in the JSON as tree_rss_mb.
  largest  the wait4() rusage of the tool's process (Linux reports for wait4 the max RSS
           over the process and all of its waited-for descendants, i.e. the largest single
           process of the tree).
Every run is a fresh child, so the figures are per run.
"""

import argparse
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CORPUS_SCRIPT = os.path.join(REPO, "..", "shared", "bench", "make_corpus.py")
DEFAULT_WORKDIR = os.path.join(REPO, "benchmarks", "work")
PELICAN_SPEC = "pelican==4.12.*"
SEED = "1"

# The site.yaml our builder needs next to content/ (the core's format).  Keep it here,
# in one place, so it is easy to adjust if the format changes.
SITE_YAML = """\
title: 澄水市人民政府
base_url: https://www.chengshui.example/
timezone: Asia/Shanghai
default_source: 澄水市融媒体中心
categories:
  - {name: 要闻动态, slug: yaowen}
  - {name: 通知公告, slug: tongzhi}
  - {name: 政策文件, slug: zhengce}
  - {name: 疫情防控, slug: yiqing}
  - {name: 乡镇动态, slug: xiangzhen}
  - {name: 便民服务, slug: bianmin}
  - {name: 应急管理, slug: yingji}
  - {name: 人事任免, slug: renshi}
default_category: 要闻动态
"""

ALL_TOOLS = ("ours", "ours-site", "pelican", "hugo")
# "ours-site" is the same builder and corpus with the two stages Pelican and Hugo do not
# have switched off (loudspeaker scripts, site search index): a like-for-like row.
SITE_ONLY_EXTRA = "broadcast: {enabled: false}\nsearch: {enabled: false}\n"
ALL_SCENARIOS = ("cold", "no-change", "one-edit")
SCENARIO_CN = {"cold": "冷构建 cold", "no-change": "无改动重建 no-change",
               "one-edit": "单篇修改重建 one-edit"}
EDIT_SENTENCE = "（补充说明：本文第{k}次更新，相关事项以最新发布内容为准，请相互转告。）"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def tail(path, lines=25):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def rmtree(path):
    if os.path.islink(path) or os.path.isfile(path):
        os.remove(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)


# ---------------------------------------------------------------------------
# Measured child process
# ---------------------------------------------------------------------------
class RunResult:
    def __init__(self, cmd, rc, wall, maxrss_kb, utime, stime, stdout, stderr, timed_out, tree_kb=0):
        self.cmd, self.rc, self.wall = cmd, rc, wall
        self.maxrss_kb, self.utime, self.stime = maxrss_kb, utime, stime
        self.stdout, self.stderr, self.timed_out = stdout, stderr, timed_out
        self.tree_kb = tree_kb  # peak summed PSS of the process tree
        self.tree_rss_kb = tree_kb  # peak summed RSS (counts shared pages once per process)
        self.samples, self.sampler_cpu = 0, 0.0  # memory samples taken, and their CPU time (s)

    @property
    def ok(self):
        return self.rc == 0 and not self.timed_out


PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


def _pss_kb(pid):
    """Proportional set size (kB) of one process: its private pages plus its share of pages it
    shares with others (forked workers and their parent), so the sum over a tree is what the
    tree really occupies.  None when the kernel does not say (no smaps_rollup, or gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def session_memory_kb(sid):
    """(summed RSS, summed PSS) in kB of every live process whose session id is ``sid`` (Linux /proc).

    RSS counts a page shared by a parent and its forked workers once per process (errs high);
    PSS divides it among them.  Where PSS is unreadable the process's RSS stands in."""
    rss_total = pss_total = 0
    try:
        names = os.listdir("/proc")
    except OSError:
        return 0, 0
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
            fields = data[data.rindex(b")") + 2:].split()  # after "pid (comm) "
            if int(fields[3]) != sid:  # state ppid pgrp session ... rss is field 24 of stat
                continue
            rss = int(fields[21]) * PAGE_KB
        except (OSError, ValueError, IndexError):
            continue
        pss = _pss_kb(name)
        rss_total += rss
        pss_total += rss if pss is None else pss
    return rss_total, pss_total


class TreeSampler(threading.Thread):
    """Peaks of the summed PSS and of the summed RSS of a session's processes, polled every ``interval`` s
    or less often: reading smaps_rollup walks a process's page tables (~13 ms for a 700 MB process), and on
    a 2-core machine a sampler polling a large tree 20 times a second took ~10 % of the CPU the measured
    build needed.  After each sample it waits at least ``1 / budget`` times what that sample cost, so it
    never takes more than ``budget`` of one core (5 %: 0.05 s apart for a small tree, ~0.7 s for 2 GB)."""

    def __init__(self, sid, interval=0.05, budget=0.05):
        super().__init__(daemon=True)
        self.sid, self.interval, self.budget, self.peak_kb, self.peak_rss_kb = sid, interval, budget, 0, 0
        self.samples, self.cost = 0, 0.0  # how often it sampled, and the thread CPU time that took
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            started = time.thread_time()
            rss, pss = session_memory_kb(self.sid)
            spent = time.thread_time() - started
            self.samples += 1
            self.cost += spent
            self.peak_kb = max(self.peak_kb, pss)
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self.done.wait(max(self.interval, spent / self.budget))

    def stop(self):
        self.done.set()
        self.join()
        return self.peak_kb


def measure(cmd, cwd, logbase, timeout, env=None):
    """Run cmd in a new session; return wall time and the wait4() rusage.

    wait4() on Linux reports ru_maxrss = max over the child and all the descendants
    it waited for, so it is the RSS of the largest process of this run's tree."""
    out_p, err_p = logbase + ".out", logbase + ".err"
    with open(out_p, "wb") as fo, open(err_p, "wb") as fe:
        t0 = time.perf_counter()
        try:
            p = subprocess.Popen(cmd, cwd=cwd, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL,
                                 env=env, start_new_session=True)
        except OSError as e:
            fe.write(f"cannot start {cmd!r}: {e}\n".encode())
            return RunResult(cmd, 127, 0.0, 0, 0.0, 0.0, out_p, err_p, False)
        timed_out = []
        sampler = TreeSampler(p.pid)  # start_new_session: the session id is the child's pid
        sampler.start()

        def kill():
            timed_out.append(True)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.daemon = True
        timer.start()
        try:
            while True:
                try:
                    _, status, ru = os.wait4(p.pid, 0)
                    break
                except InterruptedError:
                    continue
        except BaseException:          # Ctrl-C / SIGTERM: do not leave the tool running
            try:
                os.killpg(p.pid, signal.SIGKILL)
                os.waitpid(p.pid, 0)
            except OSError:
                pass
            raise
        finally:
            timer.cancel()
            tree_kb = sampler.stop()
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from re-waiting
    # Orphaned grandchildren (if any) of a killed run: clean up the session.
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except OSError:
        pass
    result = RunResult(cmd, p.returncode, wall, ru.ru_maxrss, ru.ru_utime, ru.ru_stime,
                       out_p, err_p, bool(timed_out), max(tree_kb, ru.ru_maxrss))
    result.tree_rss_kb = max(sampler.peak_rss_kb, ru.ru_maxrss)
    result.samples, result.sampler_cpu = sampler.samples, sampler.cost
    return result


# ---------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------
def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def write_site_yaml(site_dir):
    with open(os.path.join(site_dir, "site.yaml"), "w", encoding="utf-8", newline="\n") as f:
        f.write(SITE_YAML)


def make_corpus(script, n, out, flavor):
    r = subprocess.run([sys.executable, script, str(n), out, "--flavor", flavor, "--seed", SEED],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"make_corpus.py {n} {out} --flavor {flavor} failed:\n{r.stderr[-3000:]}")
    if flavor == "ours":
        write_site_yaml(out)


def ensure_corpora(script, n, ndir, flavors):
    """Write the corpus of each flavor under ndir/<flavor>/ (reused if up to date)."""
    stamp_p = os.path.join(ndir, "corpus.json")
    want = {"n": n, "seed": SEED, "script_sha256": sha256_file(script)}
    have = {}
    if os.path.exists(stamp_p):
        with open(stamp_p, encoding="utf-8") as f:
            have = json.load(f)
    todo = []
    for fl in flavors:
        site = os.path.join(ndir, fl)
        if have.get(fl) == want and os.path.isdir(os.path.join(site, "content")):
            continue
        todo.append(fl)
    if todo:
        log(f"generating corpus N={n} ({', '.join(todo)}) ...")
        t0 = time.perf_counter()
        procs = []
        for fl in todo:
            site = os.path.join(ndir, fl)
            rmtree(site)
            procs.append((fl, subprocess.Popen(
                [sys.executable, script, str(n), site, "--flavor", fl, "--seed", SEED],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))
        for fl, p in procs:
            _, err = p.communicate()
            if p.returncode != 0:
                raise SystemExit(f"make_corpus.py --flavor {fl} failed:\n{err.decode()[-3000:]}")
            if fl == "ours":
                write_site_yaml(os.path.join(ndir, fl))
            have[fl] = want
        with open(stamp_p, "w", encoding="utf-8") as f:
            json.dump(have, f, indent=1)
        log(f"  corpus ready in {time.perf_counter() - t0:.1f} s")
    if "ours" in flavors:
        write_site_yaml(os.path.join(ndir, "ours"))   # always current SITE_YAML
    # A previous interrupted one-edit scenario may have left edited files: restore.
    restore_edits(ndir)


def content_root(ndir, flavor):
    base = os.path.join(ndir, flavor, "content")
    return os.path.join(base, "posts") if flavor == "hugo" else base


def pick_edit_target(ndir, flavors):
    """Relative path (YYYY/MM/<file>.md) of one notice present as .md in every flavor:
    the middle one in sorted order (deterministic for a given N)."""
    ref = content_root(ndir, "ours")
    rels = []
    for dp, _, files in os.walk(ref):
        for fn in files:
            if fn.endswith(".md"):
                rels.append(os.path.relpath(os.path.join(dp, fn), ref))
    rels.sort()
    if not rels:
        raise SystemExit(f"no .md notice under {ref}")
    start = len(rels) // 2
    for rel in rels[start:] + rels[:start]:
        if all(os.path.isfile(os.path.join(content_root(ndir, fl), rel)) for fl in flavors):
            return rel
    raise SystemExit("no notice common to all flavors")


def edit_backup_dir(ndir):
    return os.path.join(ndir, "edit-originals")


def edit_notice(ndir, flavor, rel, k):
    path = os.path.join(content_root(ndir, flavor), rel)
    bdir = os.path.join(edit_backup_dir(ndir), flavor)
    bpath = os.path.join(bdir, rel)
    if not os.path.exists(bpath):
        os.makedirs(os.path.dirname(bpath), exist_ok=True)
        shutil.copy2(path, bpath)
    with open(path, "a", encoding="utf-8", newline="\n") as f:
        f.write("\n" + EDIT_SENTENCE.format(k=k) + "\n")


def restore_edits(ndir):
    bdir = edit_backup_dir(ndir)
    if not os.path.isdir(bdir):
        return
    for fl in os.listdir(bdir):
        root = os.path.join(bdir, fl)
        for dp, _, files in os.walk(root):
            for fn in files:
                src = os.path.join(dp, fn)
                dst = os.path.join(content_root(ndir, fl), os.path.relpath(src, root))
                if os.path.isdir(os.path.dirname(dst)):
                    shutil.copyfile(src, dst)   # new mtime: caches see a change
    rmtree(bdir)


# ---------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------
class Tool:
    name = "?"

    def __init__(self, ndir, args):
        self.ndir, self.args = ndir, args
        self.site = os.path.join(ndir, self.name)
        self.out = os.path.join(ndir, "out", self.name)
        self.version = "?"
        self.broken = None          # reason, if the tool cannot run at all

    def prepare(self):              # install / check; set self.version or self.broken
        pass

    def clean_cold(self):           # remove output and every cache
        rmtree(self.out)

    def command(self, scenario):    # -> (argv, cwd)
        raise NotImplementedError


class Ours(Tool):
    name = "ours"

    def __init__(self, ndir, args):
        super().__init__(ndir, args)
        self.base = shlex.split(args.ours_cmd) if args.ours_cmd else \
            [sys.executable, os.path.join(REPO, "build.py")]
        # A bare "python"/"python3" may be a pyenv shim (a shell script: ~70 ms per
        # start that would be charged to our builder): use this interpreter instead.
        if self.base and self.base[0] in ("python", "python3"):
            self.base[0] = sys.executable
        script = next((a for a in self.base if a.endswith(".py")), None)
        self.script = os.path.abspath(script) if script else None
        self.cwd = args.ours_cwd or (os.path.dirname(self.script) if self.script else REPO)

    def prepare(self):
        if self.script and not os.path.isfile(self.script):
            self.broken = f"{self.script} not found"
            return
        # Byte-compile the builder once, as an installed package would be (pip compiles
        # Pelican's modules in its venv): with PYTHONDONTWRITEBYTECODE set, every run would
        # otherwise compile the builder's modules from source again.
        builder_dir = os.path.join(self.cwd, "builder")
        if os.path.isdir(builder_dir):
            subprocess.run([sys.executable, "-m", "compileall", "-q", builder_dir], cwd=self.cwd,
                           capture_output=True, timeout=300)
        ver = None
        try:
            r = subprocess.run(self.base + ["--version"], cwd=self.cwd, capture_output=True,
                               text=True, timeout=60)
            line = (r.stdout or r.stderr).strip().splitlines()
            if r.returncode == 0 and line:
                ver = line[0].strip()
        except (OSError, subprocess.SubprocessError):
            pass
        try:
            g = subprocess.run(["git", "-C", self.cwd, "log", "-1", "--format=%h %cs"],
                               capture_output=True, text=True, timeout=30)
            if g.returncode == 0 and g.stdout.strip():
                d = subprocess.run(["git", "-C", self.cwd, "status", "--porcelain", "-uno"],
                                   capture_output=True, text=True, timeout=30)
                dirty = ", uncommitted changes" if d.stdout.strip() else ""
                ver = f"{ver or 'notice-pipeline'} (git {g.stdout.strip()}{dirty})"
        except (OSError, subprocess.SubprocessError):
            pass
        self.version = ver or "notice-pipeline (unknown version)"

    def clean_cold(self):
        rmtree(self.out)
        # The builder keeps its incremental state in <site>/.cache/ (core design);
        # cold also runs with --no-cache, this removal just makes sure of it.
        rmtree(os.path.join(self.site, ".cache"))

    def command(self, scenario):
        argv = list(self.base)
        if self.args.ours_subcommand:
            argv.append(self.args.ours_subcommand)
        argv += ["--site", self.site, "--output", self.out]
        if scenario == "cold" and self.args.ours_cold_flag:
            argv += shlex.split(self.args.ours_cold_flag)
        return argv, self.cwd


class OursSiteOnly(Ours):
    name = "ours-site"

    def prepare(self):
        super().prepare()
        source = os.path.join(self.ndir, "ours", "content")
        content = os.path.join(self.site, "content")
        if not os.path.isdir(content):
            shutil.copytree(source, content)
        with open(os.path.join(self.site, "site.yaml"), "w", encoding="utf-8", newline="\n") as f:
            f.write(SITE_YAML + SITE_ONLY_EXTRA)


class Pelican(Tool):
    name = "pelican"

    def __init__(self, ndir, args):
        super().__init__(ndir, args)
        self.venv = os.path.join(args.workdir, "venv-pelican")
        self.exe = os.path.join(self.venv, "bin", "pelican")

    def _version(self):
        try:
            r = subprocess.run([self.exe, "--version"], capture_output=True, text=True, timeout=120)
            return r.stdout.strip() if r.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            return None

    def prepare(self):
        v = self._version()
        if not (v and v.startswith("4.12")):
            log(f"installing {PELICAN_SPEC} into {self.venv} ...")
            rmtree(self.venv)
            r = subprocess.run([sys.executable, "-m", "venv", self.venv], capture_output=True, text=True)
            if r.returncode == 0:
                r = subprocess.run([os.path.join(self.venv, "bin", "python"), "-m", "pip", "install",
                                    "-q", "--disable-pip-version-check", PELICAN_SPEC, "markdown"],
                                   capture_output=True, text=True)
            if r.returncode != 0:
                self.broken = "install failed: " + (r.stderr or r.stdout)[-1500:]
                return
            v = self._version()
        if not v:
            self.broken = "pelican --version failed"
            return
        md = subprocess.run([os.path.join(self.venv, "bin", "python"), "-c",
                             "import markdown; print(markdown.__version__)"],
                            capture_output=True, text=True)
        self.version = f"Pelican {v} (Python-Markdown {md.stdout.strip() or '?'})"

    def clean_cold(self):
        rmtree(self.out)
        rmtree(os.path.join(self.site, "cache"))          # CACHE_PATH = "cache"
        rmtree(os.path.join(self.site, "__pycache__"))

    def command(self, scenario):
        conf = "pelicanconf.py" if scenario == "cold" else "pelicanconf_cached.py"
        return [self.exe, "content", "-s", conf, "-o", self.out], self.site


class Hugo(Tool):
    name = "hugo"

    def __init__(self, ndir, args):
        super().__init__(ndir, args)
        self.exe = shutil.which("hugo") or "hugo"
        self.cache = os.path.join(ndir, "hugo-cache")

    def prepare(self):
        if not shutil.which("hugo"):
            log("hugo not found: apt-get install -y hugo ...")
            r = subprocess.run(["apt-get", "install", "-y", "hugo"], capture_output=True, text=True,
                               env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
            if r.returncode != 0:
                subprocess.run(["apt-get", "update"], capture_output=True)
                r = subprocess.run(["apt-get", "install", "-y", "hugo"], capture_output=True,
                                   text=True, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
            if r.returncode != 0 or not shutil.which("hugo"):
                self.broken = "apt-get install hugo failed: " + (r.stderr or r.stdout)[-1500:]
                return
        self.exe = shutil.which("hugo")
        r = subprocess.run([self.exe, "version"], capture_output=True, text=True)
        m = re.search(r"v(\d+\.\d+\.\d+\S*)", r.stdout)
        self.version = f"Hugo {m.group(1)}" if m else r.stdout.strip()

    def clean_cold(self):
        rmtree(self.out)
        rmtree(self.cache)
        rmtree(os.path.join(self.site, "resources"))

    def command(self, scenario):
        # Hugo has no incremental CLI build: every scenario is a full build; the
        # rebuilds differ from cold only by the existing destination and cacheDir.
        return [self.exe, "--source", self.site, "--destination", self.out, "--quiet",
                "--cacheDir", self.cache, "--noBuildLock"], self.site


TOOL_CLASSES = {"ours": Ours, "ours-site": OursSiteOnly, "pelican": Pelican, "hugo": Hugo}


def count_output(path):
    files = html = size = 0
    for dp, _, fns in os.walk(path):
        for fn in fns:
            files += 1
            html += fn.endswith(".html")
            try:
                size += os.path.getsize(os.path.join(dp, fn))
            except OSError:
                pass
    return {"files": files, "html": html, "mb": round(size / 1e6, 1)}


# ---------------------------------------------------------------------------
# Benchmark
# ---------------------------------------------------------------------------
def run_benchmark(args, n, tool_names, scenarios, runs):
    ndir = os.path.join(args.workdir, f"N{n}")
    os.makedirs(ndir, exist_ok=True)
    logdir = os.path.join(ndir, "logs")
    os.makedirs(logdir, exist_ok=True)
    # The ours flavor is always written: it defines the one-edit notice, so the same
    # notice is edited whichever tools are selected.
    ensure_corpora(args.corpus_script, n, ndir, ["ours"] + [t for t in tool_names if t not in ("ours", "ours-site")])

    tools = []
    for name in tool_names:
        t = TOOL_CLASSES[name](ndir, args)
        t.prepare()
        if t.broken:
            log(f"!! {name}: not usable: {t.broken}")
        else:
            log(f"{name}: {t.version}")
        tools.append(t)

    edit_rel = pick_edit_target(ndir, tool_names) if "one-edit" in scenarios else None
    if edit_rel:
        log(f"one-edit target: {edit_rel}")

    records = []                                  # one per measured run
    failed = {}                                   # (tool, scenario) -> message
    primed = set()
    edit_k = 0

    def do_run(t, scenario, label, measured=True):
        argv, cwd = t.command(scenario)
        logbase = os.path.join(logdir, f"{t.name}-{label}")
        t.load_before = os.getloadavg()[0]
        res = measure(argv, cwd, logbase, args.timeout)
        if not res.ok:
            why = "timeout" if res.timed_out else f"rc={res.rc}"
            msg = f"{t.name} {label} failed ({why}): {shlex.join(argv)}"
            log("!! " + msg)
            err = tail(res.stderr) or tail(res.stdout)
            log("   " + err.replace("\n", "\n   "))
            return res, f"{why}: {err.strip().splitlines()[-1][:200] if err.strip() else ''}"
        if measured:
            log(f"   {t.name:9s} {label:16s} {res.wall:8.2f} s  tree {res.tree_kb / 1024:7.1f} MB"
                f"  largest {res.maxrss_kb / 1024:7.1f} MB"
                f"  cpu {res.utime + res.stime:7.2f} s  load {t.load_before:.2f}")
        return res, None

    try:
        for scenario in scenarios:
            log(f"== {scenario} (N={n}, runs={runs})")
            live = [t for t in tools if not t.broken]
            if scenario != "cold":
                for t in live:
                    if t.name in primed:
                        continue
                    log(f"   priming {t.name} (unmeasured cached build) ...")
                    _, err = do_run(t, scenario, f"{scenario}-prime", measured=False)
                    if err:
                        failed[(t.name, scenario)] = "prime " + err
                    else:
                        primed.add(t.name)
            for r in range(runs):
                for t in live:
                    if (t.name, scenario) in failed:
                        continue
                    if scenario == "cold":
                        t.clean_cold()
                        primed.discard(t.name)
                    elif scenario == "one-edit":
                        edit_k = r + 1
                        edit_notice(ndir, t.name, edit_rel, edit_k)
                    res, err = do_run(t, scenario, f"{scenario}-{r + 1}")
                    if err:
                        failed[(t.name, scenario)] = err
                        continue
                    records.append({"tool": t.name, "scenario": scenario, "run": r + 1,
                                    "wall_s": round(res.wall, 4), "maxrss_mb": round(res.maxrss_kb / 1024, 1),
                                    "tree_pss_mb": round(res.tree_kb / 1024, 1),
                                    "tree_rss_mb": round(res.tree_rss_kb / 1024, 1),
                                    "user_s": round(res.utime, 3), "sys_s": round(res.stime, 3),
                                    "memory_samples": res.samples, "sampler_cpu_s": round(res.sampler_cpu, 3),
                                    "loadavg1_before": round(t.load_before, 2)})
                    if scenario == "cold" and r == runs - 1:
                        t.output_stats = count_output(t.out)
            if scenario == "cold":
                # The cold command of ours (--no-cache) and Pelican (no content cache)
                # leaves no usable cache: the next scenario primes it.
                primed.clear()
    finally:
        restore_edits(ndir)

    return {
        "notices": n,
        "runs": runs,
        "scenarios": list(scenarios),
        "edit_target": edit_rel,
        "tools": {t.name: {"version": t.version, "broken": t.broken,
                           "command_cold": shlex.join(t.command("cold")[0]) if not t.broken else None,
                           "command_rebuild": shlex.join(t.command("no-change")[0]) if not t.broken else None,
                           "output": getattr(t, "output_stats", None)} for t in tools},
        "failed": {f"{k[0]}/{k[1]}": v for k, v in failed.items()},
        "runs_raw": records,
        "machine": machine_info(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }


def machine_info():
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem,
            "os": platform.platform(), "python": platform.python_version()}


def summarize(result):
    """-> {(tool, scenario): {median, min, max, rss, n}}"""
    out = {}
    for rec in result["runs_raw"]:
        out.setdefault((rec["tool"], rec["scenario"]), []).append(rec)
    summary = {}
    for key, recs in out.items():
        walls = [r["wall_s"] for r in recs]
        summary[key] = {"median": statistics.median(walls), "min": min(walls), "max": max(walls),
                        "rss_max": max(r["maxrss_mb"] for r in recs),
                        "rss_median": statistics.median(r["maxrss_mb"] for r in recs),
                        "tree_max": max(r.get("tree_pss_mb", r["maxrss_mb"]) for r in recs),
                        "cpu_median": statistics.median(r["user_s"] + r["sys_s"] for r in recs),
                        "n": len(recs)}
    return summary


def fmt_s(x):
    return f"{x:.2f}" if x < 100 else f"{x:.1f}"


def markdown_table(result):
    summary = summarize(result)
    tools = sorted(result["tools"], key=lambda t: ALL_TOOLS.index(t) if t in ALL_TOOLS else len(ALL_TOOLS))
    loads = [r["loadavg1_before"] for r in result["runs_raw"]]
    load = (f", 1-min load avg before runs {min(loads):.2f}–{max(loads):.2f}" if loads else "")
    lines = [
        f"N = {result['notices']} 篇通知 notices, {result['runs']} 次 runs/场景, "
        f"{result['machine']['cores']} cores, {result['machine']['cpu']}{load}",
        "",
        "| 场景 scenario | 工具 tool | 中位数 median (s) | 最小–最大 min–max (s) "
        "| ÷ Pelican | ÷ Hugo | CPU (s) | 峰值内存 进程树 peak tree PSS (MB) | 最大单进程 largest process (MB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for sc in result["scenarios"]:
        for t in tools:
            s = summary.get((t, sc))
            if s is None:
                why = result["tools"][t]["broken"] or result["failed"].get(f"{t}/{sc}", "not run")
                why = why.replace("|", "/").replace("\n", " ")[:80]
                lines.append(f"| {SCENARIO_CN[sc]} | {t} | **失败 FAILED** | {why} | | | | | |")
                continue
            ratios = []
            for ref in ("pelican", "hugo"):
                rs = summary.get((ref, sc))
                ratios.append(f"{s['median'] / rs['median']:.2f}×" if rs and rs["median"] > 0 else "–")
            lines.append(f"| {SCENARIO_CN[sc]} | {t} | {fmt_s(s['median'])} | "
                         f"{fmt_s(s['min'])}–{fmt_s(s['max'])} | {ratios[0]} | {ratios[1]} | "
                         f"{fmt_s(s['cpu_median'])} | {s['tree_max']:.0f} | {s['rss_max']:.0f} |")
    lines.append("")
    lines.append("版本 versions: " + "; ".join(
        f"{t}: {v['version']}" for t, v in result["tools"].items()))
    outs = [f"{t}: {v['output']['files']} files / {v['output']['html']} html / {v['output']['mb']} MB"
            for t, v in result["tools"].items() if v.get("output")]
    if outs:
        lines.append("冷构建输出 cold output: " + "; ".join(outs))
    if loads and max(loads) > result["machine"]["cores"] * 0.5:
        lines.append("注意 note: 机器在测量期间并非空闲（load avg 偏高），墙钟时间可能偏大；"
                     "CPU 列受影响较小 / the machine was busy, wall times may be inflated.")
    if result.get("edit_target"):
        lines.append(f"one-edit 修改的通知 edited notice: `{result['edit_target']}`")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Benchmark Notice Pipeline against Pelican 4.12 and Hugo.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--notices", "-n", type=int, help="corpus size N (default 1000)")
    ap.add_argument("--tools", default=None,
                    help="comma list of ours,ours-site,pelican,hugo (default all four; ours, the default "
                         "configuration with search and broadcast, is the headline row; with --scale: ours,ours-site)")
    ap.add_argument("--scenarios", default=",".join(ALL_SCENARIOS),
                    help="comma list of cold,no-change,one-edit")
    ap.add_argument("--runs", "-k", type=int, help="measured runs per tool and scenario (default 5)")
    ap.add_argument("--workdir", default=DEFAULT_WORKDIR, help="corpora, outputs, venv, logs "
                    "(default benchmarks/work, git-ignored)")
    ap.add_argument("--corpus-script", default=DEFAULT_CORPUS_SCRIPT,
                    help="make_corpus.py (default ../shared/bench/make_corpus.py from the repo root)")
    ap.add_argument("--ours-cmd", help="command that runs our builder (default: "
                    "'<this python> <repo>/build.py'); the harness appends "
                    "'build --site S --output O [--no-cache]'")
    ap.add_argument("--ours-subcommand", default="build",
                    help="subcommand put before --site (default 'build'; '' for none)")
    ap.add_argument("--ours-cold-flag", default="--no-cache",
                    help="flag(s) added to our cold builds (default --no-cache; write --ours-cold-flag= for none)")
    ap.add_argument("--ours-cwd", help="working directory for our builder "
                    "(default: the directory of the build.py in --ours-cmd)")
    ap.add_argument("--timeout", type=float, default=3600, help="per-run timeout in s (default 3600)")
    ap.add_argument("--json", help="also write all results (every run) to this JSON file")
    ap.add_argument("--markdown", help="also write the Markdown table to this file")
    ap.add_argument("--quick", action="store_true", help="smoke test: N=200, runs=1")
    ap.add_argument("--scale", nargs="?", type=int, const=100000, metavar="N",
                    help="ours only at N (default 100000): cold + one-edit")
    ap.add_argument("--make-site", nargs=2, metavar=("N", "DIR"),
                    help="only write a ready site (site.yaml + content/) of N notices to DIR")
    a = ap.parse_args(argv)
    a.workdir = os.path.abspath(a.workdir)
    a.corpus_script = os.path.abspath(a.corpus_script)
    return a


def _sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None):
    signal.signal(signal.SIGTERM, _sigterm)   # run the clean-up (kill tool, restore edits)
    args = parse_args(argv)
    if not os.path.isfile(args.corpus_script):
        raise SystemExit(f"corpus script not found: {args.corpus_script} (use --corpus-script)")

    if args.make_site:
        n, d = int(args.make_site[0]), os.path.abspath(args.make_site[1])
        make_corpus(args.corpus_script, n, d, "ours")
        print(f"wrote {n} notices + site.yaml to {d}\n"
              f"build it with: python build.py build --site {shlex.quote(d)} --output OUT")
        return 0

    tools = [t.strip() for t in (args.tools or ",".join(ALL_TOOLS)).split(",") if t.strip()]
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    for t in tools:
        if t not in TOOL_CLASSES:
            raise SystemExit(f"unknown tool {t!r} (choose from {', '.join(ALL_TOOLS)})")
    for s in scenarios:
        if s not in ALL_SCENARIOS:
            raise SystemExit(f"unknown scenario {s!r} (choose from {', '.join(ALL_SCENARIOS)})")
    scenarios = [s for s in ALL_SCENARIOS if s in scenarios]

    if args.scale:
        n, runs = args.scale, args.runs or 1
        tools = tools if args.tools else ["ours", "ours-site"]
        scenarios = ["cold", "one-edit"]
    elif args.quick:
        n, runs = args.notices or 200, args.runs or 1
    else:
        n, runs = args.notices or 1000, args.runs or 5

    t0 = time.perf_counter()
    result = run_benchmark(args, n, tools, scenarios, runs)
    result["total_s"] = round(time.perf_counter() - t0, 1)
    table = markdown_table(result)
    print(table)
    print(f"(benchmark took {result['total_s'] / 60:.1f} min)")
    stem = os.path.join(args.workdir, f"N{n}", f"results-{time.strftime('%Y%m%d-%H%M%S')}")
    with open(stem + ".md", "w", encoding="utf-8") as f:
        f.write(table)
    with open(stem + ".json", "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=1)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(table)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, ensure_ascii=False, indent=1)
    # Exit status: 0 even when a tool failed (it is reported in the table), 1 only if
    # nothing at all was measured.
    return 0 if result["runs_raw"] else 1


if __name__ == "__main__":
    sys.exit(main())
