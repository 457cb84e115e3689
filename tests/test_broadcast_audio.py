"""Audio: espeak-ng really runs (CI installs it via tools/setup.sh --dev); durations are measured."""

from __future__ import annotations

import json
import shutil
import wave

import pytest

from conftest import FIXTURE_SITE, read, run_build

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng not installed (bash tools/setup.sh --dev installs it)")


@needs_espeak
def test_audio_files_exist_and_match_the_estimate(tmp_path):
    out = tmp_path / "out"
    result = run_build("build", "--audio", "--site", str(FIXTURE_SITE), "--output", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(read(out / "broadcast/index.json"))
    assert data["scripts"]
    for slug, entry in data["scripts"].items():
        path = out / "broadcast" / f"{slug}.wav"
        assert f"{slug}.wav" in entry["files"]
        with wave.open(str(path), "rb") as w:
            assert w.getnchannels() == 1 and w.getsampwidth() == 2
            measured = w.getnframes() / w.getframerate()
        assert entry["audio_seconds"] == pytest.approx(measured, abs=0.01)
        assert abs(measured - entry["seconds"]) <= 0.25 * entry["seconds"], (slug, measured, entry["seconds"])
    page = read(out / "broadcast/index.html")
    assert "音频实测" in page


@needs_espeak
def test_audio_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert run_build("build", "--audio", "--site", str(FIXTURE_SITE), "--output", str(out)).returncode == 0
    assert (a / "broadcast/warning.wav").read_bytes() == (b / "broadcast/warning.wav").read_bytes()


def test_missing_espeak_gives_a_chinese_message_and_no_crash(tmp_path):
    out = tmp_path / "out"
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run_build("build", "--audio", "--site", str(FIXTURE_SITE), "--output", str(out),
                       env={"PATH": str(empty)})
    assert result.returncode == 0, result.stderr
    assert "未找到 espeak-ng，无法生成广播音频" in result.stderr
    assert "Traceback" not in result.stderr
    assert (out / "broadcast/warning.txt").is_file() and not list((out / "broadcast").glob("*.wav"))
