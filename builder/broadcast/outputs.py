"""Broadcast stage, phase two: the files under ``output/broadcast/``.

``<slug>.txt`` (and ``<slug>.gb18030.txt``), ``<slug>.ssml``, ``<slug>.cap.xml``
for 蓝色…红色, ``<slug>.wav`` with ``--audio``, ``daily/YYYY-MM-DD.txt`` (and
``daily/YYYY-MM-DD-<区划代码>.txt`` per region), ``index.json`` and the
broadcaster's page ``index.html``; none of them when site.yaml switches the stage off
(the pipeline then does not call this module).  :func:`broadcast_files` yields
(path, key, bytes or None when the key shows the file unchanged); the other
functions return bytes or text.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Iterator

from .. import urls
from ..cache import digest
from .script import APPROVED, BroadcastPlan, Script, approval_snippet, format_seconds
from .cap import cap_document, read_published
from .playlist import Playlist, playlists
from ..render import Renderer
from .speech import to_spoken
from .ssml import ssml_document

DIR = "broadcast"
INDEX_PAGE = f"{DIR}/index.html"
LEVEL_TEXT = {"日常": "日常", "蓝色": "蓝色预警", "黄色": "黄色预警", "橙色": "橙色预警", "红色": "红色预警"}


def script_path(script: Script, kind: str = "txt") -> str:
    suffix = {"txt": ".txt", "gb18030": ".gb18030.txt", "ssml": ".ssml", "cap": ".cap.xml", "wav": ".wav"}[kind]
    return f"{DIR}/{script.slug}{suffix}"


def playlist_path(playlist: Playlist) -> str:
    if playlist.region is None:
        return f"{DIR}/daily/{playlist.day:%Y-%m-%d}.txt"
    return f"{DIR}/daily/{playlist.day:%Y-%m-%d}-{playlist.region.code}.txt"


def links(plan: BroadcastPlan) -> dict[str, str]:
    """Notice source -> output path of its script (for the 下载广播稿 link): approved scripts only."""
    return {s.source: script_path(s) for s in plan.on_air()}


def script_text(script: Script) -> str:
    """The script exactly as read aloud; review state is metadata (index.json, pages), never in here."""
    return "\n".join(script.paragraphs()) + "\n"


def area_text(script: Script) -> str:
    """播放范围: the regions a script is addressed to, or 全域."""
    return "、".join(r.name for r in script.regions if r.kind != "county") or "全域"


def _spoken_day(dt) -> str:
    return to_spoken(f"{dt.year}年{dt.month}月{dt.day}日")


def _spoken_slot(slot: str) -> str:
    return to_spoken(slot)


def playlist_text(playlist: Playlist, site_title: str) -> str:
    lines = [f"{site_title}广播播单：{_spoken_day(playlist.day)}"]
    if playlist.region is not None:
        lines.append(f"播放范围：{playlist.region.name}")
    else:
        lines.append("播放范围：全域总表，每条稿件只在它注明的播放范围内播出")
    count = len(playlist.items)
    lines.append(f"共{to_spoken(f'{count}条')}，按顺序播一遍约{format_seconds(playlist.once_seconds)}，"
                 f"全天合计约{format_seconds(playlist.seconds)}。" if count else "今天没有需要播出的稿件。")
    for number, item in enumerate(playlist.items, 1):
        s = item.script
        when = "立即播出" if item.start == "立即" else f"{_spoken_slot(item.start)}开始"
        slots = "、".join(_spoken_slot(x) for x in item.slots)
        lines += ["", f"第{to_spoken(str(number))}条：{LEVEL_TEXT[s.level]}，播放范围：{area_text(s)}，{when}"
                      + f"，播出时段：{slots or '无固定时段'}" + f"，每遍约{format_seconds(s.seconds)}。"]
        lines += s.paragraphs()
    return "\n".join(lines) + "\n"


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def script_files(script: Script, plan: BroadcastPlan) -> list[str]:
    files = [script_path(script)]
    if plan.settings.encoding == "gb18030":
        files.append(script_path(script, "gb18030"))
    files.append(script_path(script, "ssml"))
    if script.has_cap:
        files.append(script_path(script, "cap"))
    return files


def index_json(plan: BroadcastPlan, base_url: str, lists: list[Playlist], audio: dict[str, float]) -> bytes:
    scripts = {}
    for s in sorted(plan.on_air(), key=lambda x: x.slug):
        files = [f.split("/", 1)[1] for f in script_files(s, plan)]
        entry = {
            "title": s.title,
            "url": urls.absolute(base_url, s.page),
            "page": urls.relative(INDEX_PAGE, s.page),
            "source": s.source,
            "level": s.level,
            "regions": [{"name": r.name, "code": r.code} for r in s.regions],
            "valid_from": _iso(s.valid_from),
            "valid_until": _iso(s.valid_until),
            "expired": s.expired,
            "repeat": s.repeat,
            "slots": list(s.slots),
            "immediate": s.emergency,
            "chars": s.chars,
            "seconds": s.seconds,
            "rate": s.rate,
            "auto": s.auto,
            "review": {"status": APPROVED, "reviewed_by": s.reviewed_by} if s.auto else {"status": "手写稿"},
            "area": area_text(s),
            "text": s.text,
            "polyphones": [{"word": w, "pinyin": p} for w, p in s.polyphones],
            "files": files,
        }
        if s.slug in audio:
            entry["files"].append(script_path(s, "wav").split("/", 1)[1])
            entry["audio_seconds"] = round(audio[s.slug], 2)
        scripts[s.slug] = entry
    days: dict[str, dict] = {}
    for p in lists:
        if p.region is None:
            days[f"{p.day:%Y-%m-%d}"] = {
                "file": playlist_path(p).split("/", 1)[1],
                "scripts": [i.script.slug for i in p.items],
                "items": [_item_json(i) for i in p.items],
                "seconds": p.once_seconds,
                "regions": {},
            }
        else:
            days[f"{p.day:%Y-%m-%d}"]["regions"][p.region.code] = {
                "name": p.region.name, "file": playlist_path(p).split("/", 1)[1],
                "scripts": [i.script.slug for i in p.items], "seconds": p.once_seconds,
            }
    pending = {}
    for s in plan.pending():
        pending[s.slug] = {
            "title": s.title, "source": s.source, "line": s.line, "page": urls.relative(INDEX_PAGE, s.page),
            "level": s.level, "area": area_text(s), "valid_from": _iso(s.valid_from),
            "valid_until": _iso(s.valid_until), "auto": s.auto,
            "review": {"status": "待审核", "reason": s.hold, "review_code": s.review_code, "notes": list(s.review)},
            "text": s.text,
        }
    data = {"today": f"{plan.now:%Y-%m-%d}", "scripts": scripts, "playlists": days, "pending": pending}
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


def _item_json(item) -> dict:
    regions = [{"name": r.name, "code": r.code} for r in item.script.regions if r.kind != "county"]
    return {"script": item.script.slug, "level": item.script.level, "area": area_text(item.script),
            "regions": regions, "start": item.start, "slots": list(item.slots)}


def render_audio(plan: BroadcastPlan, reporter=None) -> tuple[dict[str, bytes], dict[str, float], str]:
    """WAV bytes and measured seconds per slug; third value is a Chinese note when audio is unavailable."""
    from .audio import AudioUnavailable, find_espeak, render  # pypinyin's dictionaries load in ~0.4 s

    try:
        espeak = find_espeak()
    except AudioUnavailable as exc:
        return {}, {}, str(exc)
    data: dict[str, bytes] = {}
    seconds: dict[str, float] = {}
    scripts = plan.on_air()  # a draft awaiting review gets no audio
    for index, script in enumerate(scripts):
        try:
            rendered = render(script, plan.settings, espeak)
        except AudioUnavailable as exc:
            return data, seconds, str(exc)
        data[script.slug] = rendered.data
        seconds[script.slug] = rendered.seconds
        if reporter is not None:
            reporter.progress(index + 1, len(scripts))
    return data, seconds, ""


def broadcast_files(plan: BroadcastPlan, renderer: Renderer, audio: dict[str, bytes] | None = None,
                    audio_seconds: dict[str, float] | None = None, fingerprint: str = "",
                    known: dict[str, str] | None = None,
                    previous: Path | None = None) -> Iterator[tuple[str, str, bytes | None]]:
    """Yield (path, key, bytes) for every file under broadcast/; bytes is None when ``known`` has the key.

    A script's files are keyed by the digest of the script itself (``plan.keys``: everything the
    files show) and whether it has expired, so an incremental build rewrites only the scripts an
    edit changed -- not those of a notice whose edit left its script as it was -- and
    ``index.json`` and the broadcaster page only when a script they list changed.
    ``previous`` is the output folder of the previous build: a CAP alert that changed since
    is sent as an Update referencing the versions published there (see :mod:`.cap`).
    """
    site = renderer.site
    settings = plan.settings
    audio = audio or {}
    audio_seconds = audio_seconds or {}
    known = known or {}
    area_name = settings.regions.county.name if settings.regions.county else (settings.locality or site.config.title)
    keys = {}
    for script in sorted(plan.on_air(), key=lambda s: s.slug):  # drafts awaiting review get no files
        key = digest(fingerprint, plan.keys.get(script.source) or repr(script), script.expired,
                     audio_seconds.get(script.slug))
        keys[script.slug] = key
        if script.has_cap:
            yield cap_file(script, key, known, previous, plan, site.config.base_url, area_name)
        paths = [p for p in script_files(script, plan) if not p.endswith(".cap.xml")]
        paths += [script_path(script, "wav")] if script.slug in audio else []
        if all(known.get(p) == key for p in paths):
            for path in paths:
                yield path, key, None
            continue
        text = script_text(script)
        yield script_path(script), key, text.encode("utf-8")
        if settings.encoding == "gb18030":
            yield script_path(script, "gb18030"), key, text.replace("\n", "\r\n").encode("gb18030")
        yield script_path(script, "ssml"), key, ssml_document(script, settings.lexicon, settings.ssml_alphabet)
        if script.slug in audio:
            yield script_path(script, "wav"), key, audio[script.slug]
    for script in sorted(plan.withdrawn_alerts(), key=lambda s: s.slug):
        key = digest(fingerprint, plan.keys.get(script.source) or repr(script), script.expired, "withdrawn")
        yield cap_file(script, key, known, previous, plan, site.config.base_url, area_name)
    lists = playlists(plan)
    for playlist in lists:
        data = playlist_text(playlist, site.config.title).encode("utf-8")
        yield playlist_path(playlist), digest(data), data
    index_key = digest(fingerprint, f"{plan.now:%Y-%m-%d}", sorted(keys.items()),
                       [(p.day, p.region.code if p.region else "", [i.script.slug for i in p.items]) for p in lists],
                       [(s.slug, plan.keys.get(s.source) or repr(s)) for s in plan.pending()])
    path = f"{DIR}/index.json"
    yield path, index_key, None if known.get(path) == index_key else index_json(plan, site.config.base_url, lists,
                                                                                 audio_seconds)
    # The broadcaster page lists every script and every draft awaiting review (thousands on a big
    # site): rendered again only when what it shows changed, like the notice pages.
    page_key = digest(index_key, sorted(audio_seconds.items()), [s.slug for s in _upcoming(plan, lists)])
    if known.get(INDEX_PAGE) == page_key:
        yield INDEX_PAGE, page_key, None
    else:
        yield INDEX_PAGE, page_key, broadcaster_page(plan, renderer, lists, audio_seconds)


def cap_file(script: Script, key: str, known: dict[str, str], previous: Path | None, plan: BroadcastPlan,
             base_url: str, area_name: str) -> tuple[str, str, bytes | None]:
    """(path, key, bytes or None) of a warning's CAP file.

    Unchanged script, same expiry state and settings (``key``), file left as the last build wrote
    it (``known``): what :func:`~.cap.cap_document` would make from that file is that file (an
    unchanged version keeps its identifier, ``sent`` and references), so it is neither read nor
    made again -- a site with years of warnings does not parse every CAP file on every build."""
    path = script_path(script, "cap")
    key = digest(key, "cap")
    if known.get(path) == key:
        return path, key, None
    old = read_published(previous / path) if previous is not None else None
    return path, key, cap_document(script, plan.settings.cap_sender, base_url, area_name, plan.now, old)


def _upcoming(plan: BroadcastPlan, lists: list[Playlist]) -> list:
    """Current scripts that start later and are not on today's site-wide playlist."""
    today = plan.now.date()
    todays = next((p for p in lists if p.region is None and p.day == today), None)
    on_today = {i.script.slug for i in todays.items} if todays else set()
    upcoming = [s for s in plan.current() if s.slug not in on_today and s.valid_from > plan.now]
    upcoming.sort(key=lambda s: (s.valid_from, -s.severity, s.slug))
    return upcoming


def broadcaster_page(plan: BroadcastPlan, renderer: Renderer, lists: list[Playlist],
                     audio_seconds: dict[str, float]) -> bytes:
    today = plan.now.date()
    todays = next((p for p in lists if p.region is None and p.day == today), None)
    upcoming = _upcoming(plan, lists)
    daily = [p for p in lists if p.region is None]
    regional = {}
    for p in lists:
        if p.region is not None:
            regional.setdefault(p.day, []).append(p)
    from ..render import Crumb

    return renderer.render(
        "broadcast.html", INDEX_PAGE, plan=plan, today=todays, upcoming=upcoming, daily=daily,
        regional=regional, archive=sorted(plan.on_air(), key=lambda s: (-s.notice_date.timestamp(), s.slug)),
        pending=plan.pending(), approval_snippet=approval_snippet, area_text=area_text,
        files=lambda s: script_files(s, plan) + ([script_path(s, "wav")] if s.slug in audio_seconds else []),
        playlist_path=playlist_path, audio_seconds=audio_seconds, LEVEL_TEXT=LEVEL_TEXT,
        minutes=lambda sec: f"{int(sec) // 60}分{int(sec) % 60:02d}秒" if sec >= 60 else f"{int(sec)}秒",
        crumbs=[Crumb("首页", urls.HOME)], now=plan.now,
    )


def lastmod(plan: BroadcastPlan) -> datetime | None:
    return max((s.notice_date for s in plan.on_air()), default=None)
