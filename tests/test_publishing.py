"""CI publishing: the build summary JSON and the GitHub Actions workflow."""

from __future__ import annotations

import json
import shutil

import yaml

from conftest import FIXTURE_SITE, REPO, copy_site, run_build


def test_summary_json_lists_counts_scheduled_and_expired(tmp_path):
    summary = tmp_path / "ci" / "summary.json"
    site = copy_site(tmp_path / "site")
    # an automatic broadcast draft still in its window (the fixture's other drafts ended long ago)
    (site / "content/2022/06/pending.md").write_text(
        "---\ntitle: 关于建设路临时停水的通知\ndate: 2022-06-30 10:00\ncategory: 通知公告\n---\n\n"
        "因供水管道维修，7月2日8:00—18:00建设路沿线临时停水，请居民提前储水。\n", encoding="utf-8")
    result = run_build("--site", str(site), "--output", str(tmp_path / "out"), "--summary-json", str(summary))
    assert result.returncode == 0, result.stderr
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["ok"] is True
    assert data["now"] == "2022-07-01T12:00:00+08:00"
    counts = data["counts"]
    assert counts["drafts"] == 1 and counts["scheduled"] == 1 and counts["expired"] == 1
    assert counts["published"] == len(list((tmp_path / "out").glob("20*/*/*.html")))
    assert counts["pages"] > counts["published"]
    [scheduled] = data["scheduled"]
    assert scheduled["file"] == "content/2022/07/scheduled.md"
    assert scheduled["publish_at"] == data["next_scheduled"]
    assert scheduled["publish_at"] > data["now"]
    [expired] = data["expired"]
    assert expired["file"] == "content/2022/06/tingshui.yaml"
    assert (tmp_path / "out" / expired["path"]).is_file()
    assert data["warnings"] == []
    # an automatic broadcast draft awaiting review: listed as a notice, not a warning
    assert [(n["file"], n["level"], n["code"]) for n in data["notices"]] == [
        ("content/2022/06/pending.md", "notice", "broadcast-pending")]
    assert data["counts"]["notices"] == len(data["notices"])


def test_summary_json_on_failure(tmp_path):
    site = copy_site(tmp_path / "site")
    shutil.copy(REPO / "tests/fixtures/broken/date-format.md", site / "content/bad.md")
    summary = tmp_path / "summary.json"
    result = run_build("--site", str(site), "--output", str(tmp_path / "out"), "--summary-json", str(summary))
    assert result.returncode == 1
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["ok"] is False
    assert [(e["file"], e["line"], e["code"]) for e in data["errors"]] == [("content/bad.md", 3, "date-format")]


def test_publish_workflow_checks_builds_and_deploys_on_a_schedule():
    workflow = yaml.safe_load((REPO / ".github/workflows/publish.yml").read_text(encoding="utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as true
    assert {"cron": "*/15 * * * *"} in triggers["schedule"]
    assert "push" in triggers
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    steps = workflow["jobs"]["build"]["steps"]
    runs = [s.get("run", "") for s in steps]
    uses = [s.get("uses", "") for s in steps]
    install = next(i for i, r in enumerate(runs) if "pip install" in r)
    check = next(i for i, r in enumerate(runs) if "build.py check" in r)
    build = next(i for i, r in enumerate(runs) if "build.py build" in r)
    upload = next(i for i, u in enumerate(uses) if u.startswith("actions/upload-pages-artifact@"))
    assert install < check < build < upload
    assert "-r requirements.txt" in runs[install]
    assert "--format github" in runs[check]
    assert "--base-url" in runs[build] and "--summary-json" in runs[build]
    assert steps[upload]["with"]["path"] == "output"
    # The scheduled run is incremental: the build cache, the last output and the cache key are kept.
    cache = next(i for i, u in enumerate(uses) if u.startswith("actions/cache@"))
    assert cache < build
    kept = steps[cache]["with"]["path"].split()
    assert {".cache/notice-pipeline", "output", "~/.local/state/notice-pipeline"} <= set(kept)
    assert steps[cache]["with"]["restore-keys"].strip() in steps[cache]["with"]["key"]
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy["steps"])
