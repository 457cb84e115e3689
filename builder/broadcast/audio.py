"""Audio rendering of scripts with espeak-ng (``build --audio``).

espeak-ng's Mandarin voice reads most Hanzi badly, so the script is turned
into tone-numbered pinyin (pypinyin, lexicon words first) and read by the
``cmn-latn-pinyin`` voice.  The WAV is re-written through the ``wave`` module
(clean header, deterministic bytes) and its duration measured from the frame
count.  Without espeak-ng the caller gets :class:`AudioUnavailable` with a
Chinese message; nothing crashes.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from .script import Script
from .settings import BroadcastSettings
from .pinyin import to_tone3

VOICE = "cmn-latn-pinyin"


class AudioUnavailable(Exception):
    """espeak-ng is missing or cannot speak; the message is for the editor (Chinese)."""


@dataclass(frozen=True)
class Rendered:
    data: bytes  # WAV file
    seconds: float  # measured from the frames


def find_espeak() -> str:
    for name in ("espeak-ng", "espeak"):
        path = shutil.which(name)
        if path:
            return path
    raise AudioUnavailable("未找到 espeak-ng，无法生成广播音频（其余文件照常生成）。"
                           "请安装：sudo apt-get install espeak-ng（或运行 bash tools/setup.sh --dev）。")


def espeak_speed(rate: int, settings: BroadcastSettings) -> int:
    """espeak-ng -s (words per minute) that yields about ``rate`` 字/分 with the pinyin voice."""
    return max(80, min(450, round(rate * settings.audio_rate_factor)))


def render(script: Script, settings: BroadcastSettings, espeak: str | None = None) -> Rendered:
    espeak = espeak or find_espeak()
    pinyin = to_tone3(script.text, settings.lexicon)
    with tempfile.TemporaryDirectory(prefix="np-audio-") as tmp:
        raw = Path(tmp) / "speech.wav"
        try:
            proc = subprocess.run(
                [espeak, "-v", VOICE, "-s", str(espeak_speed(script.rate, settings)), "-w", str(raw), "--stdin"],
                input=pinyin.encode("utf-8"), capture_output=True, timeout=300,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise AudioUnavailable(f"espeak-ng 运行失败（{exc}），未生成广播音频。") from None
        if proc.returncode != 0 or not raw.is_file() or raw.stat().st_size <= 44:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise AudioUnavailable(f"espeak-ng 没有生成音频（{detail[0]}）；请确认已安装普通话语音 {VOICE}。")
        with wave.open(str(raw), "rb") as src:
            params = src.getparams()
            frames = src.readframes(src.getnframes())
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as dst:
        dst.setnchannels(params.nchannels)
        dst.setsampwidth(params.sampwidth)
        dst.setframerate(params.framerate)
        dst.writeframes(frames)
    data = buffer.getvalue()
    return Rendered(data, measure(data))


def measure(data: bytes) -> float:
    """Duration of a WAV file in seconds, from its frame count."""
    with wave.open(io.BytesIO(data), "rb") as w:
        return w.getnframes() / float(w.getframerate())
