"""Diagnostics as text for people, JSON for tools, or GitHub Actions workflow commands."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .diagnostics import Diagnostic

FORMATS = ("text", "json", "github")


def as_text(items: list[Diagnostic]) -> str:
    return "".join(d.format() + "\n" for d in items)


def as_json(items: list[Diagnostic]) -> str:
    return json.dumps([d.as_dict() for d in items], ensure_ascii=False, indent=2) + "\n"


def _escape_data(text: str) -> str:
    # https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts (escapeData)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    # escapeProperty: also ':' and ',' which separate properties
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workspace_path(site_dir: Path, rel: str, cwd: Path | None = None) -> str:
    """The file as GitHub knows it: relative to the checkout (the working directory)."""
    base = (cwd or Path(os.getcwd())).resolve()
    full = (site_dir / rel).resolve()
    try:
        return full.relative_to(base).as_posix()
    except ValueError:
        return rel


def as_github(items: list[Diagnostic], site_dir: Path, cwd: Path | None = None) -> str:
    lines = []
    for d in items:
        command = d.level if d.level in ("error", "notice") else "warning"
        props = [f"file={_escape_property(workspace_path(site_dir, d.path, cwd))}"]
        if d.line:
            props.append(f"line={d.line}")
            if d.column:
                props.append(f"col={d.column}")
        props.append(f"title={_escape_property(d.code)}")
        lines.append(f"::{command} {','.join(props)}::{_escape_data(d.message)}\n")
    return "".join(lines)


def render(items: list[Diagnostic], fmt: str, site_dir: Path) -> str:
    if fmt == "json":
        return as_json(items)
    if fmt == "github":
        return as_github(items, site_dir)
    return as_text(items)
