"""``python build.py deploy``: publish output/ to the targets named in site.yaml's ``deploy:``.

Modules: :mod:`builder.config.deploy` (the ``deploy:`` section of site.yaml), :mod:`.plan` (what changed),
:mod:`.ssh` (releases + atomic ``current`` switch), :mod:`.s3` (object storage),
:mod:`.media` (Content-Type, cache lifetimes, upload order), :mod:`.nginx`
(server configuration), :mod:`.log` (deploy log and summary).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..diagnostics import BuildError, Diagnostics
from ..publish import OutputLock
from . import log
from ..config.deploy import DeployConfig, S3Target
from .errors import DeployError
from .plan import compare, local_inventory

__all__ = ["DeployOptions", "deploy", "load_deploy_config", "DeployError"]


@dataclass
class DeployOptions:
    site_dir: Path
    output_dir: Path
    targets: tuple[str, ...] = ()  # names; empty: every target in site.yaml
    dry_run: bool = False
    rollback: bool = False
    rollback_to: str = ""
    summary_json: Path | None = None


def load_deploy_config(site_dir: Path) -> DeployConfig:
    """The validated ``deploy:`` section; BuildError (exit 1) when site.yaml has errors."""
    from ..config import load_config

    diags = Diagnostics()
    config = load_config(site_dir, diags)  # validates deploy: with the rest of site.yaml
    if config is None or diags.has_errors():
        raise BuildError(diags.sorted())
    return config.deploy


def _commit(site_dir: Path) -> str:
    for name in ("CI_COMMIT_SHA", "GITHUB_SHA", "GITEA_SHA"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        proc = subprocess.run(["git", "-C", str(site_dir), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _backend(target, site_dir: Path, reporter):
    if isinstance(target, S3Target):
        from .s3 import S3Backend

        return S3Backend(target, site_dir, reporter)
    from .ssh import SshBackend

    return SshBackend(target, site_dir, reporter)


def deploy(options: DeployOptions, reporter) -> int:
    """Deploy (or roll back) every chosen target; the exit code."""
    site_dir = options.site_dir
    config = load_deploy_config(site_dir)
    if not config.targets:
        raise DeployError("site.yaml 中没有部署目标：请添加 deploy: 一节，写法见 docs/publishing.md", code=2)
    chosen = []
    for name in options.targets or [t.name for t in config.targets]:
        target = config.target(name)
        if target is None:
            raise DeployError(f"site.yaml 中没有名为“{name}”的部署目标，可选：{'、'.join(t.name for t in config.targets)}",
                              code=2)
        chosen.append(target)
    commit = _commit(site_dir)
    entries: list[dict] = []
    failed: DeployError | None = None
    output = options.output_dir
    if not options.rollback and not (output / "index.html").is_file():
        raise DeployError(f"输出目录 {output} 中没有生成好的网站，请先运行 python build.py", code=1)
    with OutputLock(output, on_wait=reporter.waiting_for_lock):  # a build must not swap output/ under us
        local = None
        for target in chosen:
            started = time.monotonic()
            entry = {"time": datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"),
                     "commit": commit, "target": target.name, "type": target.type, "where": target.where,
                     "dry_run": options.dry_run, "action": "rollback" if options.rollback else "deploy"}
            backend = None
            try:
                backend = _backend(target, site_dir, reporter)
                if not options.dry_run:
                    backend.lock()
                if options.rollback:
                    if options.dry_run:
                        raise DeployError("--rollback 不能与 --dry-run 同时使用", code=2)
                    previous = backend.rollback(options.rollback_to)
                    entry.update(ok=True, release=backend.current, previous=previous,
                                 counts={"added": 0, "changed": 0, "deleted": 0, "unchanged": 0,
                                         "files_transferred": 0, "bytes_transferred": 0, "wire_bytes": 0})
                else:
                    if local is None:
                        reporter.stage("读取输出目录")
                        local, _described = local_inventory(site_dir, output)
                    reporter.stage(f"读取部署目标“{target.name}”的现状")
                    remote = backend.remote_state()
                    plan = compare(local, remote)
                    entry.update(added=sorted(plan.added), changed=sorted(plan.changed), deleted=plan.deleted)
                    counts = {"added": len(plan.added), "changed": len(plan.changed), "deleted": len(plan.deleted),
                              "unchanged": plan.unchanged, "files_transferred": 0, "bytes_transferred": 0,
                              "wire_bytes": 0}
                    release = getattr(backend, "current", "")
                    if options.dry_run:
                        counts["files_transferred"] = len(plan.added) + len(plan.changed)
                        counts["bytes_transferred"] = plan.upload_bytes
                    elif plan.empty and release != "" or plan.empty and isinstance(target, S3Target):
                        pass  # nothing to do: the target already holds this site
                    else:
                        reporter.stage(f"上传到“{target.name}”（{len(plan.uploads)} 个文件）")
                        record = {"commit": commit, "files": {p: [f.size, f.md5] for p, f in sorted(local.items())}}
                        release, transfer = backend.apply(plan, output, record)
                        counts.update(files_transferred=transfer.files, bytes_transferred=transfer.bytes,
                                      wire_bytes=transfer.wire_bytes)
                        entry["method"] = transfer.method
                    entry.update(ok=True, release=release, counts=counts)
            except DeployError as exc:
                entry.update(ok=False, error=exc.message, code=exc.code)
                entry.setdefault("counts", {"added": 0, "changed": 0, "deleted": 0, "unchanged": 0,
                                            "files_transferred": 0, "bytes_transferred": 0, "wire_bytes": 0})
                failed = failed or exc
            finally:
                if backend is not None:
                    backend.unlock()
            entry["seconds"] = round(time.monotonic() - started, 3)
            if not options.dry_run:
                log.append(site_dir, {k: v for k, v in entry.items() if k not in ("added", "changed", "deleted")}
                           | {"files": {k: entry.get(k, []) for k in ("added", "changed", "deleted")}})
            entries.append(entry)
            if entry["ok"]:
                if options.dry_run:
                    _print_plan(entry, reporter)
                reporter.note(log.summary_line(entry))
            else:
                reporter.note(f"部署失败：{entry['error']}")
    if options.summary_json:
        summary = {"ok": failed is None, "dry_run": options.dry_run, "commit": commit, "targets": entries}
        options.summary_json.parent.mkdir(parents=True, exist_ok=True)
        options.summary_json.write_text(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                        encoding="utf-8")
    return failed.code if failed else 0


def _print_plan(entry: dict, reporter) -> None:
    for label, key in (("新增", "added"), ("修改", "changed"), ("删除", "deleted")):
        for path in entry.get(key, []):
            reporter.note(f"  {label}  {path}")
