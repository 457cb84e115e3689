"""Search stage: a Pagefind full-text index of the notice pages (Chinese word segmentation).

Runs after every page is written into the staging folder and before the swap.
Only notice pages are indexed: they mark their article with ``data-pagefind-body``,
and once one page carries that attribute Pagefind skips pages without it.
The extended Pagefind binary (``pagefind[extended]``) segments Chinese text, so
a search for 疫情防控 or 停水 finds the words inside running text.

Without the ``pagefind`` package (or its binary) the build still succeeds; the
search page then tells readers to use the site map, and the build warns.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

INDEX_FOLDER = "pagefind"
# Pagefind also writes its ready-made search UIs; templates/static/js/search.js uses the
# plain JavaScript API instead, so these (about 420 KB) are not published.
UNUSED_UI_FILES = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
                   "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")


@dataclass(frozen=True)
class SearchIndex:
    """What the search stage produced: files and bytes written, pages indexed, or why not."""

    files: int = 0
    bytes: int = 0
    pages: int = 0
    warning: str = ""


def pagefind_available() -> bool:
    try:
        from pagefind.service import get_executable
    except ImportError:
        return False
    executable = get_executable()
    return executable is not None and Path(executable).exists()


def _index(site_dir: Path, output: Path) -> int:
    """Run the Pagefind binary shipped in the ``pagefind`` package as a command.

    The package's service API answers before the binary has finished writing and
    then terminates it, which under load left truncated index files; the command
    exits only when every file is on disk.
    """
    import re
    import subprocess

    from pagefind.service import get_executable

    done = subprocess.run(
        [str(get_executable()), "--site", str(site_dir), "--output-path", str(output), "--keep-index-url",
         "--glob", "**/*.html"],
        capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=1800, check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    if done.returncode != 0:
        raise RuntimeError((done.stderr or done.stdout).strip()[-500:])
    found = re.search(r"Indexed (\d+) pages?", done.stdout)
    return int(found.group(1)) if found else 0


def build_search_index(site_dir: Path) -> SearchIndex:
    """Index the HTML pages under ``site_dir`` into ``site_dir/pagefind``."""
    if not pagefind_available():
        return SearchIndex(warning="未安装 Pagefind，本次没有生成站内搜索索引（搜索页会提示读者使用网站地图）。"
                                   "安装方法：python3 -m pip install 'pagefind[extended]'")
    output = site_dir / INDEX_FOLDER
    try:
        pages = _index(site_dir, output)
    except Exception as exc:  # the Pagefind service is an external program
        return SearchIndex(warning=f"生成站内搜索索引失败（{type(exc).__name__}: {exc}），网站其余部分已正常生成。")
    for name in UNUSED_UI_FILES:
        (output / name).unlink(missing_ok=True)
    files = total = 0
    for dirpath, _dirs, names in os.walk(output):
        for name in names:
            files += 1
            total += (Path(dirpath) / name).stat().st_size
    return SearchIndex(files=files, bytes=total, pages=pages)
