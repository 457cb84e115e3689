"""Hostile site folders and operator mistakes (issue 12): never destroy what is not ours,
never run code from a site folder, never hang, never crash on content.

Each test names the numbered item of the issue it covers; docs/reliability.md has the table.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import shutil
from pathlib import Path

import pytest

from conftest import copy_site, run_build
from support.trees import tree_digest


def _cache_dir(site: Path) -> Path:
    return site / ".cache" / "notice-pipeline"


# -- item 3: the cache cannot run code -------------------------------------------------------------


class _Planted:
    """Unpickling this runs a shell command: what a crafted cache file in a pull request would do."""

    def __init__(self, sentinel: Path):
        self.sentinel = sentinel

    def __reduce__(self):
        return (os.system, (f"touch '{self.sentinel}'",))


def test_planted_pickle_in_the_cache_never_runs(tmp_path):
    site = copy_site(tmp_path / "site")
    out = tmp_path / "output"
    sentinel = tmp_path / "PWNED"
    cache = _cache_dir(site)
    cache.mkdir(parents=True)
    out_key = hashlib.blake2b(str(out.absolute()).encode(), digest_size=8).hexdigest()
    payload = pickle.dumps(_Planted(sentinel))
    for stem in ("notices", "notices-delta", "scripts", "checks", f"manifest-{out_key}"):
        for suffix in (".pickle", ".cache"):
            (cache / f"{stem}{suffix}").write_bytes(payload)
    for args in (("check",), ("build", "--output", str(out))):
        result = run_build(*args, "--site", str(site))
        assert result.returncode == 0, result.stderr
        assert not sentinel.exists(), f"{args}: the cache executed code"
    assert "无法验证" in result.stderr  # the planted .cache files were reported and ignored
    assert (out / "index.html").is_file()


def _cold_copy(tmp_path: Path, site: Path) -> dict:
    cold = tmp_path / "cold"
    assert run_build("--site", str(site), "--output", str(cold), "--no-cache").returncode == 0
    return tree_digest(cold)


def test_tampered_cache_is_ignored_with_a_notice(tmp_path):
    site = copy_site(tmp_path / "site")
    out = tmp_path / "output"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    table = _cache_dir(site) / "notices.cache"
    data = table.read_bytes()
    title = "关于召开座谈会的通知".encode()
    assert title in data
    forged = "关于召开座谈会的通告".encode()  # same length: the file still decodes
    table.write_bytes(data.replace(title, forged))
    shutil.rmtree(out)  # every page is rendered again from the cache
    result = run_build("--site", str(site), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert "notices.cache 无法验证" in result.stderr
    assert "通告" not in "".join(p.read_text(encoding="utf-8") for p in out.rglob("*.html")
                               if "座谈会" in p.read_text(encoding="utf-8"))
    shutil.rmtree(tmp_path / "site" / ".cache")
    assert tree_digest(out) == _cold_copy(tmp_path, site)


def test_html_planted_in_the_body_store_is_never_published(tmp_path):
    site = copy_site(tmp_path / "site")
    out = tmp_path / "output"
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    packs = list(_cache_dir(site).glob("bodies-*/pack-*.bin"))
    assert packs
    planted = 0
    for pack in packs:
        data = pack.read_bytes()
        new = re.sub(rb"<p>[^<]{40,}</p>", lambda m: (b"<script>window.__x=1</script>").ljust(len(m[0]), b" "), data)
        planted += new != data
        pack.write_bytes(new)
    assert planted
    shutil.rmtree(out)
    assert run_build("--site", str(site), "--output", str(out)).returncode == 0
    assert not any("__x" in p.read_text(encoding="utf-8") for p in out.rglob("*.html"))


def test_cache_from_another_user_or_machine_is_not_trusted(tmp_path):
    site = copy_site(tmp_path / "site")
    out = tmp_path / "output"
    other = {"XDG_STATE_HOME": str(tmp_path / "other-machine")}
    assert run_build("--site", str(site), "--output", str(out), env=other).returncode == 0
    assert (tmp_path / "other-machine" / "notice-pipeline" / "cache-key").stat().st_mode & 0o077 == 0
    result = run_build("--site", str(site), "--output", str(out))  # this user's key differs
    assert result.returncode == 0, result.stderr
    assert "无法验证" in result.stderr
    again = run_build("--site", str(site), "--output", str(out))
    assert "无法验证" not in again.stderr and "没有变化" in again.stderr
