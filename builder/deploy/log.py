"""The deploy log: one JSON line per deploy in ``SITE/.cache/deploy/log.jsonl``, and the printed summary."""

from __future__ import annotations

import json
from pathlib import Path

from .plan import deploy_dir


LIST_LIMIT = 2000  # paths kept per list in the log; the counts are always complete


def append(site_dir: Path, entry: dict) -> Path:
    files = entry.get("files", {})
    for key, paths in list(files.items()):
        if len(paths) > LIST_LIMIT:
            files[key] = paths[:LIST_LIMIT] + [f"……另有 {len(paths) - LIST_LIMIT} 个"]
    path = deploy_dir(site_dir) / "log.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
    return path


def human_bytes(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} 字节"


def summary_line(entry: dict) -> str:
    c = entry["counts"]
    what = "预演（未作任何改动）" if entry.get("dry_run") else "已部署"
    head = f"{what}到“{entry['target']}”（{entry['where']}）"
    if entry.get("action") == "rollback":
        return f"已回滚“{entry['target']}”（{entry['where']}）：当前版本 {entry['release']}（原为 {entry['previous']}）"
    body = (f"新增 {c['added']}、修改 {c['changed']}、删除 {c['deleted']} 个文件，"
            f"未变 {c['unchanged']} 个；传输 {c['files_transferred']} 个文件，{human_bytes(c['bytes_transferred'])}")
    if entry.get("method") == "rsync" and c.get("wire_bytes"):
        body += f"（rsync 压缩后实际发送 {human_bytes(c['wire_bytes'])}）"
    if entry.get("release"):
        body += f"；当前版本 {entry['release']}"
    return f"{head}：{body}；用时 {entry['seconds']:.1f} 秒"
