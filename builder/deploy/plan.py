"""What a deploy changes: the local output compared with the target's state.

The local side comes from the build's own record (the manifest: every file the
build wrote, with the key that changes whenever its bytes do).  An MD5 per file is
remembered with that key in ``SITE/.cache/deploy/digests.json``, so only files the
build rewrote since the last deploy are read and hashed again.  The target reports
what it holds (size and MD5 per path: an object listing, or the release record
checked against a ``find`` listing); a file is sent when it is missing there or
differs in size or checksum, and removed there when the output no longer has it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..cache import BuildCache, output_id, restored
from .media import upload_rank


@dataclass(frozen=True)
class LocalFile:
    size: int
    md5: str


@dataclass
class Plan:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    local: dict = field(default_factory=dict)  # path -> LocalFile

    @property
    def uploads(self) -> list[str]:
        """Added and changed files in a safe order: what pages link to first, the home page and feeds last."""
        added = set(self.added)
        return sorted(self.added + self.changed, key=lambda p: (upload_rank(p), p not in added, p))

    @property
    def upload_bytes(self) -> int:
        return sum(self.local[p].size for p in self.added + self.changed)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.deleted)


def deploy_dir(site_dir: Path) -> Path:
    return site_dir / ".cache" / "deploy"


def md5_file(path: str) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def local_inventory(site_dir: Path, output: Path) -> tuple[dict[str, LocalFile], bool]:
    """Every file of ``output`` with size and MD5; True when the build's manifest described it."""
    manifest = BuildCache(site_dir, output).load_manifest()
    keys: dict[str, str] = {}
    described = manifest is not None and (manifest.output_id == output_id(output) or restored(manifest, output))
    if described:
        keys.update(manifest.pages)
        keys.update(manifest.files)
    memo_path = deploy_dir(site_dir) / "digests.json"
    try:
        memo = json.loads(memo_path.read_text("utf-8"))
        if not isinstance(memo, dict):
            memo = {}
    except (OSError, ValueError):
        memo = {}
    fresh: dict[str, list] = {}
    files: dict[str, LocalFile] = {}
    root = str(output)
    for dirpath, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            st = os.stat(full)
            key = ("m:" + keys[rel]) if rel in keys else f"s:{st.st_mtime_ns}:{st.st_ino}"
            seen = memo.get(rel)
            if isinstance(seen, list) and len(seen) == 3 and seen[0] == key and seen[1] == st.st_size:
                md5 = seen[2]
            else:
                md5 = md5_file(full)
            fresh[rel] = [key, st.st_size, md5]
            files[rel] = LocalFile(st.st_size, md5)
    try:
        memo_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo_path.with_name(f".digests.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(fresh, separators=(",", ":"), sort_keys=True), "utf-8")
        os.replace(tmp, memo_path)
    except OSError:
        pass
    return files, described


def compare(local: dict[str, LocalFile], remote: dict[str, tuple[int, str | None]]) -> Plan:
    """``remote``: path -> (size, md5 or None when the target cannot tell)."""
    plan = Plan(local=local)
    for path, mine in local.items():
        theirs = remote.get(path)
        if theirs is None:
            plan.added.append(path)
        elif theirs[0] != mine.size or theirs[1] != mine.md5:
            plan.changed.append(path)
        else:
            plan.unchanged += 1
    plan.deleted = sorted(p for p in remote if p not in local)
    return plan
