"""SSH targets: releases on the server, switched by one atomic rename of a symlink.

Layout under the target's ``path``::

    releases/20261129T134000Z/      one complete site per deploy
    releases/20261129T134000Z.json  its record (path -> size, MD5), written last: a release
                                    without one is a leftover of an interrupted deploy
    current -> releases/20261129T134000Z      the web server's document root

A deploy hard-links the current release into a new folder (``cp -al``, what
``rsync --link-dest`` does, but without walking the whole tree over the wire),
removes the deleted files there, sends the added and changed files with rsync
(``--files-from``: exactly the files the plan names; rsync writes each into a new
file and renames it, so the old release's hard links are never written through),
writes the record, then points ``current`` at the new folder with
``ln -s … tmp && mv -T tmp current`` (rename(2): readers see the old or the new
tree, never a mix).  Old releases beyond ``keep`` are deleted afterwards.

Without rsync on either side the same steps run over SFTP (OpenSSH's ``sftp``
batch mode: ``ln`` makes hard links, ``rename`` is POSIX rename).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..config.deploy import SshTarget
from .errors import DeployError
from .plan import Plan

RELEASE_RE = re.compile(r"^[0-9]{8}T[0-9]{6}Z(?:-[0-9]+)?$")
SEP = b"\0\0\0"

# Held for the whole deploy by one ssh session: flock on the server, released when the session
# ends for any reason (done, failed, or this process killed), so a killed deploy never leaves it set.
LOCK = r'''
root=$1 wait=$2
mkdir -p "$root" || exit 45
command -v flock >/dev/null 2>&1 || { echo NOFLOCK; exit 0; }
exec 9>>"$root/.deploy.lock" || exit 45
flock -w "$wait" 9 || { echo BUSY; exit 0; }
echo LOCKED
exec cat >/dev/null
'''

PROBE = r'''
root=$1
if command -v rsync >/dev/null 2>&1; then printf 'RSYNC yes\n'; fi
[ -d "$root" ] || { printf 'NOROOT\n'; exit 0; }
cd "$root" || exit 41
cur=$(readlink current 2>/dev/null || true)
printf 'CURRENT %s\n' "$cur"
for r in releases/*; do [ -e "$r" ] && printf 'RELEASE %s\n' "${r#releases/}"; done
printf '\0\0\0'
case "$cur" in
  releases/*)
    if [ -f "$cur.json" ]; then cat "$cur.json"; fi
    printf '\0\0\0'
    find "$cur/" -type f -printf '%P\0%s\0' ;;
esac
'''

PREPARE = r'''
set -e
root=$1 new=$2 cur=$3
mkdir -p "$root/releases"
cd "$root"
for r in releases/*; do
  [ -d "$r" ] || continue
  [ -f "$r.json" ] || [ "$r" = "releases/$cur" ] || rm -rf -- "$r"
done
if [ -n "$cur" ] && [ -d "releases/$cur" ]; then cp -al -- "releases/$cur" "releases/$new"; else mkdir "releases/$new"; fi
cd "releases/$new"
xargs -0 -r rm -f --
find . -mindepth 1 -type d -empty -delete
'''

FINISH = r'''
set -e
root=$1 new=$2 size=$3 keep=$4
cd "$root"
cat > "releases/.$new.json.tmp"
[ "$(wc -c < "releases/.$new.json.tmp")" -eq "$size" ] || { rm -f "releases/.$new.json.tmp"; exit 43; }
mv -f "releases/.$new.json.tmp" "releases/$new.json"
'''

SWITCH = r'''
set -e
root=$1 new=$2
cd "$root"
[ -d "releases/$new" ] && [ -f "releases/$new.json" ] || exit 44
rm -f .current.tmp
ln -s "releases/$new" .current.tmp
mv -T .current.tmp current
'''

PRUNE = r'''
root=$1 keep=$2
set +e
cd "$root" || exit 0
cur=$(readlink current 2>/dev/null || true)
ls -1 releases | sed -n 's/^\([0-9]\{8\}T[0-9]\{6\}Z\(-[0-9]*\)\{0,1\}\)\.json$/\1/p' | sort -r | tail -n "+$((keep + 1))" |
while read -r r; do
  [ "releases/$r" = "$cur" ] && continue
  rm -f -- "releases/$r.json"
  rm -rf -- "releases/$r"
done
'''


@dataclass
class Transfer:
    files: int = 0  # files sent
    bytes: int = 0  # their size
    wire_bytes: int = 0  # bytes rsync put on the wire (after its delta and compression)
    method: str = ""


class SshBackend:
    def __init__(self, target: SshTarget, site_dir: Path, reporter=None):
        self.t = target
        self.site_dir = site_dir
        self.reporter = reporter
        self.current = ""  # release id `current` points to
        self.releases: list[str] = []  # complete releases, oldest first
        self.has_rsync_remote = False
        for tool in ("ssh",):
            if shutil.which(tool) is None:
                raise DeployError(f"找不到 {tool} 命令，请安装 openssh-client（bash tools/setup.sh）")

    # -- ssh plumbing ------------------------------------------------------------------------

    def ssh_args(self) -> list[str]:
        args = ["ssh", "-p", str(self.t.port), "-o", "BatchMode=yes", "-o", "ConnectTimeout=20",
                "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4"]
        if self.t.known_hosts:
            known = Path(self.t.known_hosts)
            if not known.is_absolute():
                known = self.site_dir / known
            if not known.is_file():
                raise DeployError(f"部署目标“{self.t.name}”的 known_hosts 文件 {known} 不存在")
            args += ["-o", f"UserKnownHostsFile={known}", "-o", "StrictHostKeyChecking=yes"]
        key = os.environ.get(self.t.key_env, "")
        if key:
            if not os.path.isfile(key):
                raise DeployError(f"环境变量 {self.t.key_env} 指向的私钥文件 {key} 不存在")
            args += ["-i", key, "-o", "IdentitiesOnly=yes"]
        return args

    @property
    def login(self) -> str:
        return f"{self.t.user}@{self.t.host}" if self.t.user else self.t.host

    def run(self, script: str, *args: str, data: bytes = b"", check: bool = True) -> subprocess.CompletedProcess:
        command = "sh -c " + shlex.quote(script) + " sh " + " ".join(shlex.quote(a) for a in args)
        try:
            proc = subprocess.run(self.ssh_args() + [self.login, command], input=data, capture_output=True,
                                  timeout=3600)
        except subprocess.TimeoutExpired as exc:
            raise DeployError(f"连接 {self.t.where} 超时") from exc
        if check and proc.returncode != 0:
            raise DeployError(self._explain(proc.returncode, proc.stderr))
        return proc

    def _explain(self, code: int, stderr: bytes) -> str:
        text = stderr.decode("utf-8", "replace").strip()
        last = text.splitlines()[-1] if text else ""
        if code == 255:
            if "Permission denied" in text:
                why = "服务器拒绝登录（密钥不对或没有加载）。请检查 SSH agent，或环境变量 " \
                      f"{self.t.key_env} 给出的私钥文件，以及服务器上的 authorized_keys"
            elif "Host key verification failed" in text or "REMOTE HOST IDENTIFICATION" in text:
                why = "服务器的主机密钥与 known_hosts 中记录的不一致或没有记录（可能连错了服务器），请核对后更新 known_hosts"
            elif "Connection refused" in text or "timed out" in text or "No route" in text \
                    or "Could not resolve" in text or "Name or service" in text:
                why = "无法连接服务器（地址、端口或网络不通）"
            else:
                why = "SSH 连接失败"
            return f"部署目标“{self.t.name}”（{self.t.where}）：{why}。ssh 的原始信息：{last}"
        if "Permission denied" in text or "Read-only" in text or "No space" in text:
            return f"部署目标“{self.t.name}”（{self.t.where}）：服务器上没有写入权限或空间不足：{last}"
        return f"部署目标“{self.t.name}”（{self.t.where}）：服务器上的命令失败（退出码 {code}）：{last}"

    # -- lock -------------------------------------------------------------------------------

    def lock(self) -> None:
        """Take the server-side deploy lock (waits up to NOTICE_DEPLOY_LOCK_WAIT seconds, default 600).

        Two deploys into the same folder at once (a push and the 15-minute schedule) would
        otherwise delete each other's unfinished release.
        """
        wait = os.environ.get("NOTICE_DEPLOY_LOCK_WAIT", "600")
        if not wait.isdigit():
            wait = "600"
        command = "sh -c " + shlex.quote(LOCK) + " sh " + shlex.quote(self.t.path) + " " + wait
        proc = subprocess.Popen(self.ssh_args() + [self.login, command], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = proc.stdout.readline().strip()
        if line == b"LOCKED":
            self._lock = proc
            return
        _out, err = proc.communicate()
        if line == b"NOFLOCK":
            return  # no flock(1) on the server: rely on the CI running one deploy at a time
        if line == b"BUSY":
            raise DeployError(f"部署目标“{self.t.name}”（{self.t.where}）上另一个部署正在进行，等待 {wait} 秒后仍未结束。"
                              "请稍后重试；CI 中请让部署任务不并发（GitLab resource_group，Gitea/Forgejo concurrency）")
        raise DeployError(self._explain(proc.returncode or 255, err))

    def unlock(self) -> None:
        proc, self._lock = getattr(self, "_lock", None), None
        if proc is not None:
            try:
                proc.stdin.close()
                proc.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()

    # -- state ------------------------------------------------------------------------------

    def remote_state(self) -> dict[str, tuple[int, str | None]]:
        proc = self.run(PROBE, self.t.path)
        out = proc.stdout
        head, _, rest = out.partition(SEP)
        record_raw, _, listing = rest.partition(SEP)
        info = head.decode("utf-8", "replace").splitlines()
        cur = ""
        names = []
        for line in info:
            tag, _, value = line.partition(" ")
            if tag == "NOROOT":
                return {}
            if tag == "CURRENT":
                cur = value.strip()
            elif tag == "RSYNC":
                self.has_rsync_remote = True
            elif tag == "RELEASE":
                names.append(value.strip())
        complete = {n[:-5] for n in names if n.endswith(".json") and RELEASE_RE.match(n[:-5])}
        self.releases = sorted(n for n in names if n in complete)
        self.current = cur[len("releases/"):] if cur.startswith("releases/") else ""
        if not RELEASE_RE.match(self.current):
            self.current = ""
        if not self.current:
            return {}
        try:
            record = json.loads(record_raw.decode("utf-8")) if record_raw else {}
            digests = record.get("files", {}) if isinstance(record, dict) else {}
        except ValueError:
            digests = {}
        remote: dict[str, tuple[int, str | None]] = {}
        fields = listing.split(b"\0")
        for i in range(0, len(fields) - 1, 2):
            path = fields[i].decode("utf-8", "surrogateescape")
            try:
                size = int(fields[i + 1])
            except ValueError:
                continue
            known = digests.get(path)
            md5 = known[1] if isinstance(known, list) and len(known) == 2 and known[0] == size else None
            remote[path] = (size, md5)
        return remote

    def method(self) -> str:
        if self.t.method != "auto":
            return self.t.method
        return "rsync" if self.has_rsync_remote and shutil.which("rsync") else "sftp"

    # -- deploy -----------------------------------------------------------------------------

    def new_release_id(self) -> str:
        base = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        taken = set(self.releases) | {self.current}
        name, n = base, 1
        while name in taken or (self.releases and name <= max(self.releases)):
            n += 1
            name = f"{base}-{n}"
            if self.releases and base < max(self.releases).split("-")[0]:  # clock went back
                base = max(self.releases).split("-")[0]
        return name

    def apply(self, plan: Plan, output: Path, record: dict) -> tuple[str, Transfer]:
        new = self.new_release_id()
        method = self.method()
        if method == "rsync" and shutil.which("rsync") is None:
            raise DeployError("本机找不到 rsync 命令，请安装 rsync（bash tools/setup.sh），或把 method 设为 sftp")
        listing = b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in plan.deleted)
        self.run(PREPARE, self.t.path, new, self.current, data=listing)
        transfer = self._rsync(plan, output, new) if method == "rsync" else self._sftp(plan, output, new)
        raw = json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
        # One connection: the record (checked complete), the switch, then pruning old releases.
        script = FINISH + SWITCH.replace("set -e\nroot=$1 new=$2\n", "") + PRUNE.replace("root=$1 keep=$2\n", "")
        self.run(script, self.t.path, new, str(len(raw)), str(self.t.keep), data=raw)
        self.current = new
        return new, transfer

    def _rsync(self, plan: Plan, output: Path, new: str) -> Transfer:
        uploads = plan.uploads
        transfer = Transfer(files=len(uploads), bytes=plan.upload_bytes, method="rsync")
        if not uploads:
            return transfer
        dest = f"{self.login}:{self.t.path}/releases/{new}/"
        rsh = " ".join(shlex.quote(a) for a in self.ssh_args())
        command = ["rsync", "-a", "--compress", "--ignore-times", "--chmod=D755,F644", "--from0", "--files-from=-", "--stats",
                   "-e", rsh, str(output) + "/", dest]
        listing = b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in uploads)
        proc = subprocess.run(command, input=listing, capture_output=True)
        if proc.returncode != 0:
            raise DeployError(self._explain(255 if proc.returncode == 255 else proc.returncode, proc.stderr))
        stats = proc.stdout.decode("utf-8", "replace")
        sent = re.search(r"Number of regular files transferred:\s*([\d,]+)", stats)
        wire = re.search(r"Total bytes sent:\s*([\d,]+)", stats)
        if sent:
            transfer.files = int(sent.group(1).replace(",", ""))
        if wire:
            transfer.wire_bytes = int(wire.group(1).replace(",", ""))
        return transfer

    def _sftp(self, plan: Plan, output: Path, new: str) -> Transfer:
        uploads = plan.uploads
        transfer = Transfer(files=len(uploads), bytes=plan.upload_bytes, wire_bytes=plan.upload_bytes, method="sftp")
        if not uploads:
            return transfer
        base = f"{self.t.path}/releases/{new}"
        lines = []
        made = set()
        for path in uploads:
            parent = path.rpartition("/")[0]
            chain = []
            while parent and parent not in made:
                chain.append(parent)
                made.add(parent)
                parent = parent.rpartition("/")[0]
            for folder in reversed(chain):
                lines.append(f"-mkdir {_sftp_quote(base + '/' + folder)}")
            tmp = f"{base}/{path}.np-tmp"
            lines.append(f"put {_sftp_quote(str(output / path))} {_sftp_quote(tmp)}")
            lines.append(f"chmod 644 {_sftp_quote(tmp)}")
            lines.append(f"rename {_sftp_quote(tmp)} {_sftp_quote(base + '/' + path)}")
        args = ["sftp", "-b", "-", "-P", str(self.t.port)] + self.ssh_args()[3:] + [self.login]
        proc = subprocess.run(args, input="\n".join(lines).encode("utf-8"), capture_output=True)
        if proc.returncode != 0:
            raise DeployError(self._explain(proc.returncode, proc.stderr))
        return transfer

    # -- rollback ---------------------------------------------------------------------------

    def rollback(self, to: str = "") -> str:
        self.remote_state()
        if to:
            if to not in self.releases:
                raise DeployError(f"服务器上没有完整的版本 {to}，可选：{'、'.join(self.releases) or '无'}", code=2)
            target = to
        else:
            older = [r for r in self.releases if r < self.current] if self.current else []
            if not older:
                raise DeployError(f"部署目标“{self.t.name}”没有可以回滚到的上一个版本"
                                  f"（当前：{self.current or '无'}；保存的版本：{'、'.join(self.releases) or '无'}）")
            target = older[-1]
        self.run(SWITCH, self.t.path, target)
        previous, self.current = self.current, target
        return previous


def _sftp_quote(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'
