"""The build summary for CI (``build --summary-json FILE``): counts, scheduled and expired notices, warnings."""

from __future__ import annotations

import json
from pathlib import Path

from .diagnostics import Diagnostic


def _when(dt) -> str | None:
    return dt.isoformat() if dt else None


def build_summary(result) -> dict:
    site = result.site
    published = [e for e in site.entries if e.status == "published"]
    expired = [e for e in published if e.expired]
    return {
        "ok": True,
        "now": site.now.isoformat(),
        "base_url": site.config.base_url,
        "counts": {
            "published": len(published),
            "drafts": site.drafts,
            "scheduled": len(site.scheduled),
            "expired": len(expired),
            "pages": result.pages,
            "files": result.files,
            "bytes": result.bytes,
            "warnings": len(result.warnings),
        },
        "next_scheduled": _when(site.scheduled[0].publish_at) if site.scheduled else None,
        "scheduled": [
            {"file": n.source, "title": n.title, "publish_at": _when(n.publish_at),
             "path": f"{n.date:%Y}/{n.date:%m}/{n.slug}.html"}
            for n in site.scheduled
        ],
        "expired": [
            {"file": e.notice.source, "title": e.title, "expires": _when(e.notice.expires), "path": e.path}
            for e in expired
        ],
        "warnings": [d.as_dict() for d in result.warnings],
        "seconds": round(result.seconds, 3),
    }


def failure_summary(diagnostics: list[Diagnostic]) -> dict:
    return {
        "ok": False,
        "errors": [d.as_dict() for d in diagnostics if d.level == "error"],
        "warnings": [d.as_dict() for d in diagnostics if d.level != "error"],
    }


def write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
