"""Broadcast stage, phase one: a loudspeaker script (村村响) for every published notice.

``plan(site)`` validates each notice's ``broadcast:`` field (a string, a
mapping, or ``false``), composes an automatic draft where none is written,
normalizes everything into spoken text and returns a :class:`BroadcastPlan`
with every problem as a :class:`Diagnostic`.  Rendering the files is
:mod:`.outputs`' job; nothing here writes anything.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Callable

from .. import __version__
from ..codeprint import code_digest  # the modules this one can run: a changed speech or draft rule re-composes
from . import draft
from ..cache import digest
from .settings import BroadcastSettings, Region, is_phone, load_broadcast_settings, normalize_slot
from ..config import nearest
from ..dates import DateProblem, parse_datetime
from ..diagnostics import Diagnostic, Diagnostics
from ..notice import LEVEL_ALIASES, LEVELS, Notice
from ..site import SEVERITY, Entry, Site
from .speech import has_unspoken, normalize, to_spoken
from ..workers import forked_map

MAPPING_KEYS = {"script", "level", "regions", "valid_from", "valid_until", "repeat", "slots", "issuer",
                "contact", "key", "status", "reviewed_by", "review_code"}
# Chinese spellings of the review keys an editor may write under ``broadcast:``
KEY_ALIASES = {"状态": "status", "审核状态": "status", "审核": "status", "审核人": "reviewed_by",
               "审核码": "review_code"}
APPROVED = "已审核"
PENDING = "待审核"
# accepted spellings of broadcast.status (compared without spaces, case-insensitive)
STATUS_SPELLINGS = {
    APPROVED: ("已审核", "已审", "审核通过", "已通过", "通过", "已审定", "approved", "reviewed", "ok"),
    PENDING: ("待审核", "待审", "未审核", "未审", "审核中", "pending", "draft"),
}
SCRIPT_FORMAT = 4  # bump when Script's fields change (the scripts cache is keyed by it)
_ASCII_PUNCT = str.maketrans({",": "，", ";": "；", ":": "：", "!": "！", "?": "？"})
_REGION_SPLIT = re.compile(r"\s*[,，、;；]\s*")


@dataclass(frozen=True, slots=True)
class Script:
    """One notice's loudspeaker script, fully spoken, with its schedule."""

    slug: str
    source: str  # notice file
    title: str
    page: str  # output path of the notice page
    level: str  # 日常 / 蓝色 / 黄色 / 橙色 / 红色
    regions: tuple[Region, ...]
    valid_from: datetime
    valid_until: datetime
    repeat: int
    slots: tuple[str, ...]
    issuer: str
    contact: str  # as written (for people); the spoken form is in ``lines``
    auto: bool
    intro: tuple[str, ...]  # attention call(s) and the issuer/time line
    body: tuple[str, ...]  # spoken sentences, each ≤ about 25 字
    key: str  # the key action, repeated after the body ("" when none)
    contact_line: str
    close: str
    chars: int  # spoken 字 of the body
    seconds: int  # estimated duration of the whole script
    rate: int  # 字/分 used for the estimate
    notice_date: datetime
    expired: bool  # the validity window ended before the build's "now"
    polyphones: tuple[tuple[str, str], ...] = ()  # (word, pinyin with tone marks) found in the text
    review: tuple[str, ...] = ()  # notes for the person reviewing an automatic draft
    # The review gate: only an approved script goes on air (playlists, CAP Actual, SSML, audio, links).
    # A hand-written script is approved unless marked 待审核; an automatic draft only with
    # ``status: 已审核``, ``reviewed_by`` and the ``review_code`` of exactly this draft.
    approved: bool = True
    reviewed_by: str = ""
    review_code: str = ""  # code of the automatic draft's text (what the reviewer approves)
    hold: str = ""  # why the script is not on air (for the 待审核 list), "" when approved
    line: int = 0  # line of ``broadcast:`` in the notice file (or of the body)
    withdrawn: bool = False  # the notice was withdrawn: off air, its CAP alert cancelled

    @property
    def on_air(self) -> bool:
        return self.approved

    @property
    def ended(self) -> bool:
        """Off air for good: validity window over, or the notice withdrawn."""
        return self.expired or self.withdrawn

    @property
    def emergency(self) -> bool:
        return self.level != "日常"

    @property
    def severity(self) -> int:
        return SEVERITY[self.level]

    @property
    def has_cap(self) -> bool:
        return self.emergency

    def paragraphs(self) -> list[str]:
        """The script as read aloud, one paragraph per part (attention, intro, body, ...)."""
        out = list(self.intro)
        out.append("".join(self.body))
        if self.key:
            out.append(f"再提醒一遍：{self.key}")
        if self.contact_line:
            out.append(self.contact_line)
        for _ in range(self.repeat - 1):
            out.append("现在重复播送一遍。")
            out.append("".join(self.body))
        out.append(self.close)
        return out

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs())

    @property
    def body_text(self) -> str:
        return "".join(self.body)

    def total_chars(self) -> int:
        return draft.count_chars(self.text)


@dataclass
class BroadcastPlan:
    settings: BroadcastSettings
    scripts: list[Script]  # ordered by severity, then newest first
    now: datetime
    diagnostics: list[Diagnostic] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # notice source -> digest of its script as prepared

    def by_source(self) -> dict[str, Script]:
        return {s.source: s for s in self.scripts}

    def on_air(self) -> list[Script]:
        """Approved scripts (hand-written, or automatic drafts a person approved), ended or not; not withdrawn."""
        return [s for s in self.scripts if s.approved and not s.withdrawn]

    def withdrawn_alerts(self) -> list[Script]:
        """Approved warnings whose notice was withdrawn: only their CAP Cancel is published."""
        return [s for s in self.scripts if s.approved and s.withdrawn and s.has_cap]

    def current(self) -> list[Script]:
        """Approved scripts still in force: what playlists and the broadcaster's schedule hold."""
        return [s for s in self.scripts if s.approved and not s.ended]

    def pending(self) -> list[Script]:
        """Scripts awaiting review and still in force: emergencies first, then newest first."""
        out = [s for s in self.scripts if not s.approved and not s.ended]
        return sorted(out, key=lambda s: (-s.severity, -s.notice_date.timestamp(), s.slug))


def file_names(entries: list[Entry], diags: Diagnostics) -> dict[str, str]:
    """The broadcast file name (slug) of every notice, unique like page paths.

    Notices sharing a slug get ``slug-YYYYMM``; when that (or any) name is still taken -- a
    third notice whose own slug is ``a-202205`` -- later files in source order get a free
    ``-2``, ``-3``… name, deterministically, with a warning naming both files."""
    rows = sorted(((e.notice.source, e.notice.slug, e) for e in entries), key=itemgetter(0))
    counts = Counter(slug for _source, slug, _entry in rows)
    wanted = {source: f"{slug}-{entry.date:%Y%m}" if counts[slug] > 1 else slug for source, slug, entry in rows}
    taken: dict[str, str] = {}  # name -> source
    reserved = set(wanted.values())
    names: dict[str, str] = {}
    for source, _slug, _entry in rows:
        name = wanted[source]
        if name in taken:
            n = 2
            while f"{name}-{n}" in taken or f"{name}-{n}" in reserved:
                n += 1
            free = f"{name}-{n}"
            diags.warning(source, 0, "broadcast-name-clash",
                          f"广播稿文件名“{name}”已被 {taken[name]} 使用，这篇公告的广播稿改用“{free}”"
                          "（如需固定的名字，请给其中一篇公告另写 slug）")
            name = free
        taken[name] = source
        names[source] = name
    return names


def plan(site: Site, cache=None) -> BroadcastPlan:
    """Validate and prepare every script (written or automatic draft).  Errors are left in ``diagnostics`` (the caller raises).

    An automatic draft nobody approved is composed only while it can still be shown (待审核,
    before its window ends); an ended one appears in no output, so it costs only the
    validation of its ``broadcast:`` field.  With a :class:`~builder.cache.BuildCache`, a
    script is prepared again only when its notice, URL, slug or the broadcast settings
    changed, or when the passing of time moved an unapproved draft across the end of its
    window (either way); otherwise time only updates whether it has expired.
    """
    diags = Diagnostics()
    settings = load_broadcast_settings(site.root, site.config, diags)
    if not settings.enabled:
        return BroadcastPlan(settings, [], site.now, diags.sorted())
    settings_fp = digest(__version__, SCRIPT_FORMAT, code_digest(__name__), repr(settings))
    old = cache.load_scripts(settings_fp) if cache is not None else {}
    fresh: dict[str, tuple] = {}
    scripts: list[Script] = []
    # withdrawn notices (Site.withdrawn) only to cancel a warning that was on air: see build_script
    entries = [e for e in site.entries if e.status == "published"] + list(getattr(site, "withdrawn", ()))
    names = file_names(entries, diags)
    todo: list[tuple[Entry, str, str]] = []
    now = site.now
    for entry in sorted(entries, key=lambda e: e.notice.source):
        notice = entry.notice
        if notice.stage_fields.get("broadcast", None) is False:
            continue
        slug = names[notice.source]
        key = digest(notice.digest, entry.path, slug)
        hit = old.get(notice.source)
        if hit is not None and hit[0] == key and _holds(hit[3], now):
            script = hit[1]
            if script is not None and script.expired != (script.valid_until <= now):
                hit = (key, replace(script, expired=script.valid_until <= now), hit[2], hit[3], hit[4])
            fresh[notice.source] = hit  # the very object loaded when unchanged: the cache saves only the others
        else:
            todo.append((entry, slug, key))
    for (entry, _slug, key), (script, items, holds) in zip(todo, _prepare_all(site, settings, todo)):
        # what the output files show of it: an edit that leaves the script as it was rewrites nothing
        fresh[entry.notice.source] = (key, script, items, holds, digest(repr(script)) if script is not None else "")
    for source in sorted(fresh):
        _key, script, items, _holds_, _shown = fresh[source]
        diags.extend(items)
        if script is not None:
            scripts.append(script)
            if not script.approved and not script.ended:
                diags.notice(script.source, script.line, "broadcast-pending", pending_message(script))
    if cache is not None and (len(fresh) != len(old) or any(old.get(k) is not v for k, v in fresh.items())):
        cache.save_scripts(settings_fp, fresh)
    scripts.sort(key=lambda s: (-s.severity, -s.notice_date.timestamp(), s.slug))
    return BroadcastPlan(settings, scripts, now, diags.sorted(),
                         keys={source: entry[4] for source, entry in fresh.items()})


def _holds(holds: tuple | None, now: datetime) -> bool:
    """Does a prepared result still hold at ``now``?  ``holds`` is (end, ended): the result was
    prepared on that side of ``end`` (an unapproved draft's window end, a POSIX timestamp);
    None: at any time."""
    if holds is None:
        return True
    end, ended = holds
    return (end <= now.timestamp()) == ended


# Work to compose, in hand-written scripts (about 0.4 ms each; an automatic draft costs about six):
# below this a worker pool (forking a process that holds the whole site) costs more than it saves.
PARALLEL_COMPOSE = 1800
DRAFT_WEIGHT = 6


class _Deferred:
    """What ``build_script(compose=False)`` returns for a script that must be composed."""


DEFERRED = _Deferred()


def _prepare_one(site: Site, settings: BroadcastSettings, entry: Entry, slug: str, compose: bool = True) -> tuple:
    notice = entry.notice
    raw = notice.stage_fields.get("broadcast", None)
    text: list[str] = []

    def file_text() -> str:
        """The notice file, read only when a problem needs the line of a ``broadcast:`` sub-key."""
        if not text:
            try:
                data = (site.root / notice.source).read_bytes()
                text.append(data.decode("utf-8-sig", errors="replace").replace("\r\n", "\n"))
            except OSError:
                text.append("")
        return text[0]

    local = Diagnostics()
    script, holds = build_script(entry, raw, slug, settings, site.now, file_text if raw not in (None, True) else "",
                                 local, body=lambda: site.body(notice), compose=compose)
    return script, local.items, holds


def _prepare_all(site: Site, settings: BroadcastSettings, todo: list) -> list[tuple]:
    """Prepare the scripts not found in the cache: every ``broadcast:`` field is validated here
    (ended drafts nobody approved stop there), then the scripts to compose -- hand-written,
    approved, or still in their window -- over both cores when there are many."""
    done = [_prepare_one(site, settings, entry, slug, compose=False) for entry, slug, _key in todo]
    later = [i for i, result in enumerate(done) if result[0] is DEFERRED]
    work = sum(1 if _written(todo[i][0].notice.stage_fields.get("broadcast")) else DRAFT_WEIGHT for i in later)
    composed = forked_map(lambda i: _prepare_one(site, settings, todo[i][0], todo[i][1]), later,
                          jobs=None if work >= PARALLEL_COMPOSE else 1, threshold=0)
    for i, result in zip(later, composed):
        done[i] = result
    return done


def _written(raw) -> bool:
    """Does the ``broadcast:`` field hold a hand-written script?"""
    return isinstance(raw, str) or (isinstance(raw, dict) and bool(raw.get("script")))


def next_change(plan: BroadcastPlan) -> datetime:
    """Playlists and the broadcaster's page change at local midnight and when a script's window opens or ends."""
    now = plan.now
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    moments = [midnight]
    for script in plan.scripts:
        for moment in (script.valid_from, script.valid_until):
            if moment > now:
                moments.append(moment)
    return min(moments)


def _sub_line(text: str, start: int, key: str) -> int:
    """Line of an indented ``key:`` below line ``start`` (the ``broadcast:`` line)."""
    pattern = re.compile(r"^\s+" + re.escape(key) + r"\s*:")
    lines = text.split("\n")
    for no in range(start, len(lines)):
        line = lines[no]
        if line.strip() and not line[0].isspace() and no > start:
            break
        if pattern.match(line):
            return no + 1
    return start


def build_script(entry: Entry, raw, slug: str, settings: BroadcastSettings, now: datetime,
                 file_text: str | Callable[[], str], diags: Diagnostics,
                 body: str | Callable[[], str] | None = None,
                 compose: bool = True) -> tuple[Script | _Deferred | None, tuple | None]:
    """The notice's script (None when it has none) and when that result holds (see :func:`_holds`).

    The ``broadcast:`` field is validated first and the validity window computed from it;
    an automatic draft nobody approved whose window has ended (or whose notice was
    withdrawn) is then not composed at all: no output shows it.  ``file_text`` and ``body``
    may be given as functions, called only when needed (the notice file for the line of a
    sub-key in a message, the body HTML for composing a draft).  With ``compose=False`` only the
    validation runs: a script that would be composed comes back as :data:`DEFERRED`.
    """
    notice = entry.notice
    rel = notice.source
    top = notice.key_lines.get("broadcast", notice.body_line)
    n_errors = len(diags.errors)

    def line(key: str) -> int:
        written_file = file_text() if callable(file_text) else file_text
        return _sub_line(written_file, top, key) if written_file else top

    fields: dict = {}
    if raw is None or raw is True:
        fields = {}
    elif isinstance(raw, str):
        fields = {"script": raw}
    elif isinstance(raw, dict):
        fields = {KEY_ALIASES.get(str(k).strip(), k): v for k, v in raw.items()}
        for key in raw:
            if KEY_ALIASES.get(str(key).strip(), key) not in MAPPING_KEYS:
                diags.warning(rel, line(str(key)), "broadcast-unknown-key",
                              f"broadcast 中的未知字段“{key}”{nearest(str(key), MAPPING_KEYS)}")
    else:
        diags.error(rel, top, "broadcast-type",
                    "broadcast 应当是一段广播稿文字、false（不生成广播稿），或缩进的字段，例如：\n"
                    "  broadcast:\n    script: 广播稿正文\n    regions: [尚店镇]")
        return None, None

    def text_field(key: str) -> str:
        value = fields.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            diags.error(rel, line(key), "broadcast-type", f"broadcast.{key} 应当是一段文字")
            return ""
        return str(value).strip()

    written = text_field("script")
    if "script" in fields and not written and not isinstance(fields.get("script"), (dict, list, bool)):
        diags.error(rel, line("script"), "broadcast-empty", "broadcast.script 是空的：请写上广播稿，或删除这一项让程序自动生成草稿")

    level = notice.level
    if fields.get("level") not in (None, ""):
        raw_level = str(fields["level"]).strip()
        level = LEVEL_ALIASES.get(raw_level) or LEVEL_ALIASES.get(raw_level.lower())
        if level is None:
            diags.error(rel, line("level"), "broadcast-level",
                        f"broadcast.level“{raw_level}”无法识别，只能是：{' / '.join(LEVELS)}")
            level = notice.level
    emergency = level != "日常"

    regions: list[Region] = []
    raw_regions = fields.get("regions")
    if raw_regions not in (None, "", []):
        names = _REGION_SPLIT.split(raw_regions.strip()) if isinstance(raw_regions, str) else raw_regions
        if not isinstance(names, list):
            diags.error(rel, line("regions"), "broadcast-type", "broadcast.regions 应当是地区列表，例如 regions: [尚店镇, 八台镇]")
            names = []
        declared = settings.regions
        for name in names:
            found = declared.find(str(name).strip())
            if found is None:
                options = "、".join(r.name for r in declared.items[:12]) or "（site.yaml 中还没有声明 regions）"
                diags.error(rel, line("regions"), "broadcast-region",
                            f"地区“{name}”没有在 site.yaml 的 regions 中声明；可选：{options}")
            elif found not in regions:
                regions.append(found)
    if not regions and settings.regions.county is not None:
        regions = [settings.regions.county]

    def date_field(key: str) -> datetime | None:
        value = fields.get(key)
        if value in (None, ""):
            return None
        try:
            return parse_datetime(value, notice.date.tzinfo)
        except DateProblem as exc:
            diags.error(rel, line(key), "broadcast-date", f"broadcast.{key}：{exc}")
            return None

    start = notice.date if not notice.publish_at or notice.publish_at < notice.date else notice.publish_at
    valid_from = date_field("valid_from") or start
    valid_until = date_field("valid_until") or notice.expires or valid_from + timedelta(days=settings.valid_days)
    if valid_until <= valid_from:
        diags.error(rel, line("valid_until") if "valid_until" in fields else top, "broadcast-window",
                    "广播有效期的结束时间（valid_until，默认取 expires）早于开始时间（valid_from），请检查两个时间")

    repeat = settings.repeat(emergency)
    if "repeat" in fields:
        value = fields["repeat"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            diags.error(rel, line("repeat"), "broadcast-repeat", f"broadcast.repeat 应当是 1 到 5 之间的整数（播送遍数），现在是“{value}”")
        else:
            repeat = value

    slots = settings.slots
    if "slots" in fields:
        raw_slots = fields["slots"] if isinstance(fields["slots"], list) else [fields["slots"]]
        parsed = []
        for item in raw_slots:
            slot = normalize_slot(item)
            if slot is None:
                diags.error(rel, line("slots"), "broadcast-slots",
                            f"broadcast.slots 中的播出时间“{item}”格式不对，请写成带引号的 \"07:00\"")
            else:
                parsed.append(slot)
        slots = tuple(sorted(set(parsed))) or slots

    issuer = text_field("issuer") or notice.origin or settings.issuer
    contact = text_field("contact")
    if contact and not is_phone(contact):
        diags.error(rel, line("contact"), "broadcast-contact",
                    f"broadcast.contact 应当是一个电话号码（如 0375-8123456、12345），现在是“{contact}”")
        contact = ""
    key_written = text_field("key")
    status = _review_status(fields, rel, line, diags)
    reviewed_by = text_field("reviewed_by")
    review_code = text_field("review_code").lower()
    if status == APPROVED and not reviewed_by:
        diags.error(rel, line("status"), "broadcast-review",
                    "broadcast.status 写了“已审核”，请同时写上审核人，例如 reviewed_by: 张三")
    if reviewed_by and status is None:
        diags.error(rel, line("reviewed_by"), "broadcast-review",
                    "写了审核人 reviewed_by，请同时写上 status: 已审核（或 status: 待审核 暂不播出）")

    if len(diags.errors) > n_errors:
        return None, None
    if not written and not settings.auto_draft:
        return None, None  # broadcast.auto_draft: false -- only hand-written scripts go on air

    withdrawal = getattr(notice, "withdrawn", None)
    holds = None
    if not written and not (status == APPROVED and review_code):
        # An automatic draft nobody approved is shown only while it can air (待审核 on the
        # broadcaster page, index.json, check); ended or withdrawn, nothing shows it.
        if withdrawal is not None:
            return None, None
        ended = valid_until <= now
        holds = (valid_until.timestamp(), ended)
        if ended:
            return None, holds
    if not compose:
        return DEFERRED, holds
    if body is None:
        body = notice.body_html
    elif callable(body):
        body = body()

    keep = settings.keep
    limit = settings.limit(emergency)
    review: list[str] = []
    auto = not written
    if auto:
        sentences = draft.compose_draft(body, notice.summary, settings.locality, limit)
        if not sentences:
            diags.notice(rel, top, "broadcast-no-draft",
                         "没有生成广播稿草稿：正文中没有可供群众收听的内容（只有称呼、标题或落款）。"
                         "需要广播时请在 broadcast 中手写稿件；不需要时写 broadcast: false")
            return None, holds
        source_text = "\n".join(sentences)
        if not contact:
            contact = first_phone(re.sub(r"<[^>]+>", "", body)) or settings.contact
    else:
        source_text = written
        # the script's own number first: listeners must not hear two different numbers
        contact = contact or first_phone(written) or settings.contact
    code = draft_code(source_text) if auto else ""
    if not auto:
        approved = status != PENDING
        hold = "" if approved else "手写稿标为待审核（status: 待审核）"
    elif status != APPROVED:
        approved, hold = False, "自动生成的草稿，尚未审核"
    elif not review_code:
        approved, hold = False, "已写审核人，但缺少审核码 review_code"
    elif review_code != code:
        approved, hold = False, f"审核后草稿内容有变化（审核码 {review_code} 与现在的 {code} 不符），请重新审核"
        diags.warning(rel, line("review_code"), "broadcast-review-stale",
                      f"广播稿草稿在审核后有变化（审核码 {review_code}，现在是 {code}），已退回待审核、不会播出；"
                      f"请在播音员页面重新核对草稿，确认后把 review_code 改成 {code}")
    else:
        approved, hold = True, ""

    spoken, notes = normalize(source_text, mode="script", keep=keep)
    for note in notes:
        if auto:
            review.append(note.message)
        else:
            diags.warning(rel, line("script") if isinstance(raw, dict) else top, f"broadcast-{note.code}", note.message)
    spoken = spoken.translate(_ASCII_PUNCT)
    body = draft.split_sentences(spoken, settings.sentence_chars)
    chars = draft.count_chars("".join(body))
    if chars > limit:
        if auto:  # never cut: a draft that drops a place or a time is worse than a long one
            review.append(f"草稿有 {chars} 字，超过 {limit} 字的上限；为保留全部地点、时间和电话没有截短，请审核时压缩。")
        else:
            kind = "应急" if emergency else "日常"
            diags.warning(rel, line("script") if isinstance(raw, dict) else top, "broadcast-too-long",
                          f"广播稿正文有 {chars} 字，超过{kind}广播 {limit} 字的上限；请压缩到 {limit} 字以内"
                          f"（约 {limit * 60 // settings.rate(emergency)} 秒）")
    if auto:
        review.insert(0, "本稿由程序从公告正文摘编，请核对事实、删改后再播出；确认后可把稿件写入公告的 broadcast 字段。")

    key = ""
    if key_written:
        key = _spoken_sentence(key_written, keep)
    else:
        key = draft.key_action(body)
        if key and body and key == body[-1] and len(body) == 1:
            key = ""
    contact_line = f"联系电话：{to_spoken(contact, keep=keep)}。" if contact else ""
    if contact and _bare(to_spoken(contact, keep=keep)) in _bare("".join(body)):
        contact_line = ""  # the script already gives its number: not a second time, never a different one
    attention = settings.attention.rstrip("！!。，,") + "！"
    title = re.sub(r"\s+", "，", _title(notice.title, settings.locality).strip())
    intro_line = (f"现在播送{issuer}{_spoken_when(notice.date, emergency)}发布的{_kind(notice, level)}。"
                  f"{_spoken_sentence(title, keep)}")
    intro = (attention, attention) if emergency else (attention,)
    intro = intro + (intro_line,)
    close = _close(notice, issuer)

    script = Script(
        slug=slug, source=rel, title=notice.title, page=entry.path, level=level, regions=tuple(regions),
        valid_from=valid_from, valid_until=valid_until, repeat=repeat, slots=slots, issuer=issuer,
        contact=contact, auto=auto, intro=intro, body=tuple(body), key=key, contact_line=contact_line,
        close=close, chars=chars, seconds=0, rate=settings.rate(emergency), notice_date=notice.date,
        expired=valid_until <= now, review=tuple(review),
        approved=approved, reviewed_by=reviewed_by if approved else "", review_code=code, hold=hold, line=top,
    )
    total = script.total_chars()
    seconds = round(total * 60 / script.rate)
    words = settings.lexicon.found_in(script.text)
    polyphones = tuple((w, _tone_marks(settings.lexicon.words[w])) for w in words)
    script = replace(script, seconds=seconds, polyphones=polyphones)
    if withdrawal is not None:
        # 撤稿: off air from the withdrawal on; a warning keeps only its CAP Cancel, anything else goes
        if not script.emergency or not script.approved:
            return None, None
        end = min(script.valid_until, withdrawal.date)
        script = replace(script, withdrawn=True, valid_until=end, expired=end <= now)
    leftovers = has_unspoken(script.text, keep)
    if leftovers:
        diags.warning(rel, top, "broadcast-unspoken",
                      f"广播稿中仍有无法直接朗读的内容：{'、'.join(sorted(set(leftovers))[:5])}；请改写成汉字")
    return script, holds


def _review_status(fields: dict, rel: str, line, diags: Diagnostics) -> str | None:
    """broadcast.status -> APPROVED / PENDING / None (not written); a bad value is an error."""
    value = fields.get("status")
    if value in (None, ""):
        return None
    wanted = re.sub(r"\s+", "", str(value)).lower() if not isinstance(value, bool) else ""
    for status, spellings in STATUS_SPELLINGS.items():
        if wanted in spellings:
            return status
    diags.error(rel, line("status"), "broadcast-status",
                f"broadcast.status“{value}”无法识别，只能写“{APPROVED}”（审核通过，可以播出）"
                f"或“{PENDING}”（暂不播出）")
    return None


def draft_code(text: str) -> str:
    """Review code of an automatic draft: 8 hex digits of its written text (what the reviewer read)."""
    return digest("draft", text)[:8]


def approval_snippet(script: Script) -> str:
    """The lines an editor adds to the notice to approve this draft."""
    return f"broadcast:\n  status: {APPROVED}\n  reviewed_by: 审核人姓名\n  review_code: {script.review_code}"


def pending_message(script: Script) -> str:
    if script.auto:
        how = (f"核对播音员页面（broadcast/index.html）“待审核”中的草稿后，在 broadcast 下写上 status: {APPROVED}、"
               f"reviewed_by: 审核人姓名、review_code: {script.review_code}；或把改好的稿件写进 broadcast.script")
    else:
        how = f"审核后把 status 改为“{APPROVED}”并写上 reviewed_by"
    level = "" if script.level == "日常" else f"（{script.level}预警）"
    return f"广播稿待审核{level}，不会播出：{script.hold}。{how}"


def _spoken_sentence(text: str, keep) -> str:
    spoken = normalize(text, mode="script", keep=keep)[0].translate(_ASCII_PUNCT).strip()
    return spoken if spoken.endswith(("。", "！", "？")) else spoken.rstrip("，；：、") + "。"


def _title(title: str, locality: str) -> str:
    return draft.LOCAL_RE.sub(locality, title) if locality else title


def _kind(notice: Notice, level: str) -> str:
    if level != "日常":
        return "预警信息"
    for word in ("通告", "公告", "通知", "启事", "提示"):
        if notice.title.endswith(word) or notice.title.endswith(word + "（征求意见稿）"):
            return word
    return "消息"


def _spoken_when(when: datetime, with_time: bool) -> str:
    written = f"{when.year}年{when.month}月{when.day}日"
    if with_time:
        written += f"{when.hour}:{when.minute:02d}"
    return to_spoken(written)


# Phone numbers as notices write them: area code with an ASCII, full-width or dash hyphen (0375－8123377),
# 转 extensions, mobiles, 400/800 numbers, and 5-digit hotlines (12345, 12315, 95598) after a phone word.
_DASH = "-－—–"
PHONE_IN_TEXT = re.compile(
    rf"(?<![0-9])(?:[（(]?0[0-9]{{2,3}}[)）]?[{_DASH} ]?[0-9]{{7,8}}(?:[{_DASH}][0-9]{{1,5}}|\s*转\s*[0-9]{{1,5}})?"
    rf"|1[3-9][0-9][{_DASH} ]?[0-9]{{4}}[{_DASH} ]?[0-9]{{4}}"
    rf"|[48]00[{_DASH} ]?[0-9]{{3}}[{_DASH} ]?[0-9]{{3,4}})(?![0-9])"
)
# 110/119/120 are not a notice's contact number; 12345-style service hotlines are
HOTLINE_IN_TEXT = re.compile(r"(?:电话|热线|拨打|专线|号码)[^。；;0-9]{0,8}?(?<![0-9])(1[0-9]{4}|9[0-9]{4})(?![0-9])")


def _bare(text: str) -> str:
    return re.sub(r"[，、。；：\s]", "", text)


def first_phone(text: str) -> str:
    """The first phone number written in ``text``, hyphens as ASCII ("0375-8123377", "12345"), or ""."""
    found = [(m.start(), m.group()) for m in PHONE_IN_TEXT.finditer(text)][:1]
    found += [(m.start(1), m.group(1)) for m in HOTLINE_IN_TEXT.finditer(text)][:1]
    if not found:
        return ""
    number = min(found)[1]
    number = re.sub(f"[{_DASH}]", "-", number)
    return re.sub(r"\s*转\s*", "转", number)


def _close(notice: Notice, issuer: str) -> str:
    """The script's last line: the 落款 (issuers and date) when the notice ends with one, else issuer and date."""
    closing = getattr(notice, "closing", None)
    if closing is not None and closing.issuers:
        who = "、".join(closing.issuers)
        if closing.year:
            when = to_spoken(f"{closing.year}年{closing.month}月{closing.day}日")
        else:
            when = closing.date_text  # already in Chinese numerals (二〇二六年六月十日)
            when = when.replace("〇", "零")
        return f"{who}，{when}。"
    return f"{issuer}，{to_spoken(f'{notice.date.year}年{notice.date.month}月{notice.date.day}日')}。"


def _tone_marks(syllables: tuple[str, ...]) -> str:
    from pypinyin.contrib.tone_convert import to_tone

    return " ".join(to_tone(s.replace("v", "ü")) for s in syllables)


def format_seconds(seconds: int) -> str:
    """95 -> 一分三十五秒 (spoken, for the broadcaster)."""
    minutes, rest = divmod(int(seconds), 60)
    out = ""
    if minutes:
        out += to_spoken(f"{minutes}分")
    if rest or not minutes:
        out += to_spoken(f"{rest}") + "秒"
    return out
