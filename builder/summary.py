"""The build summary for CI (``build --summary-json FILE``): counts, scheduled and expired notices, warnings."""

from __future__ import annotations

import json
from pathlib import Path

from .diagnostics import Diagnostic


def _when(dt) -> str | None:
    return dt.isoformat() if dt else None


def build_summary(result) -> dict:
    s = result.summary
    return {
        "ok": True,
        "now": _when(s.now),
        "base_url": s.base_url,
        "unchanged": result.unchanged,
        "counts": {
            "published": s.published,
            "drafts": s.drafts,
            "scheduled": s.scheduled,
            "expired": s.expired,
            "pages": result.pages,
            "files": result.files,
            "bytes": result.bytes,
            "warnings": sum(1 for d in result.warnings if d.level == "warning"),
            "notices": sum(1 for d in result.warnings if d.level == "notice"),
        },
        "next_scheduled": _when(s.next_scheduled),
        "scheduled": [{"file": f, "title": t, "publish_at": _when(when), "path": p}
                      for f, t, when, p in s.scheduled_notices],
        "expired": [{"file": f, "title": t, "expires": _when(when), "path": p} for f, t, when, p in s.expired_notices],
        "warnings": [d.as_dict() for d in result.warnings if d.level == "warning"],
        # notices are not problems: e.g. automatic broadcast drafts waiting for a person's review
        "notices": [d.as_dict() for d in result.warnings if d.level == "notice"],
        "seconds": round(result.seconds, 3),
    }


def failure_summary(diagnostics: list[Diagnostic]) -> dict:
    return {
        "ok": False,
        "errors": [d.as_dict() for d in diagnostics if d.level == "error"],
        "warnings": [d.as_dict() for d in diagnostics if d.level == "warning"],
        "notices": [d.as_dict() for d in diagnostics if d.level == "notice"],
    }


def write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
