"""Reproducible output: same input -> same bytes, whatever the working directory, TZ or LANG;
the build's "now" comes from SOURCE_DATE_EPOCH and nowhere else."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone

from conftest import REPO, copy_site, run_build
from support.trees import tree_digest


def _epoch(text: str) -> str:
    return str(int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()))


def test_example_site_is_byte_identical_across_cwd_tz_and_lang(tmp_path):
    runs = [
        (tmp_path / "cwd-one", {"TZ": "UTC", "LANG": "C", "LC_ALL": "C", "PYTHONHASHSEED": "1"}),
        (tmp_path / "cwd-two" / "deeper", {"TZ": "Pacific/Kiritimati", "LANG": "zh_CN.UTF-8", "LC_ALL": "",
                                           "PYTHONHASHSEED": "2"}),
    ]
    digests = []
    for n, (cwd, env) in enumerate(runs):
        cwd.mkdir(parents=True)
        out = tmp_path / f"out-{n}"
        result = run_build("--site", str(REPO), "--output", str(out), env={**env, "SOURCE_DATE_EPOCH": "1795838400"},
                           cwd=cwd)
        assert result.returncode == 0, result.stderr
        digests.append(tree_digest(out))
    assert digests[0] == digests[1]
    assert len(digests[0]) > 50


def test_source_date_epoch_decides_scheduled_and_expired(tmp_path):
    site = copy_site(tmp_path / "site")
    (site / "content" / "2022" / "07" / "timed.md").write_text(
        "---\ntitle: 到点发布的公告\ndate: 2022-07-02 09:00\npublish_at: 2022-07-02 09:00\n"
        "expires: 2022-07-03 09:00\n---\n\n到点发布的正文。\n", encoding="utf-8")
    page = "2022/07/timed.html"

    def build(when: str, name: str):
        out = tmp_path / name
        result = run_build("--site", str(site), "--output", str(out), env={"SOURCE_DATE_EPOCH": _epoch(when)})
        assert result.returncode == 0, result.stderr
        return out, result.stderr

    # publish_at is 09:00 Beijing time = 01:00 UTC
    before, log_before = build("2022-07-02T00:59:00", "before")
    before_again, _ = build("2022-07-02T00:30:00", "before-again")
    after, _ = build("2022-07-02T01:01:00", "after")
    expired, _ = build("2022-07-03T01:01:00", "expired")
    assert not (before / page).exists() and "定时 2 篇" in log_before
    assert (after / page).exists() and "到点发布的公告" in (after / "feed.xml").read_text(encoding="utf-8")
    assert "已过期" not in (after / page).read_text(encoding="utf-8")
    assert "本公告已过期" in (expired / page).read_text(encoding="utf-8")
    # two "nows" with the same statuses give the same bytes: no build time leaks into the output
    assert tree_digest(before) == tree_digest(before_again)
    # the same epoch gives the same bytes
    again, _ = build("2022-07-02T01:01:00", "after-again")
    assert tree_digest(after) == tree_digest(again)
    shutil.rmtree(again)
