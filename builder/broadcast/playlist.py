"""Daily playlists: which scripts play on which day, in which order, in which region.

A script plays on every day its validity window touches, from the build's
"today" on; scripts whose window has ended are in no playlist, and days on
which nothing plays get no playlist file.  Within a
day the order is level (红色 first … 日常 last), then the time it first
plays that day (emergencies: immediately), then the newest notice first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .script import BroadcastPlan, Script
from .settings import Region

MAX_DAYS = 62  # playlist horizon per script, so a script valid for a year does not write 365 files


@dataclass(frozen=True)
class Item:
    script: Script
    start: str  # "立即" for an emergency starting that day, else the first slot "07:00"
    slots: tuple[str, ...]  # the slots it plays that day


@dataclass(frozen=True)
class Playlist:
    day: date
    region: Region | None  # None: the whole site (every script)
    items: tuple[Item, ...]

    @property
    def seconds(self) -> int:
        return sum(i.script.seconds * max(1, len(i.slots)) for i in self.items)

    @property
    def once_seconds(self) -> int:
        """Duration of one pass through the list."""
        return sum(i.script.seconds for i in self.items)


def _slots_on(script: Script, day: date, tz) -> tuple[str, ...]:
    out = []
    for slot in script.slots:
        hh, mm = (int(x) for x in slot.split(":"))
        moment = datetime.combine(day, time(hh, mm), tzinfo=tz)
        if script.valid_from <= moment < script.valid_until:
            out.append(slot)
    return tuple(out)


def item_for(script: Script, day: date, tz) -> Item | None:
    first_day = script.valid_from.astimezone(tz).date()
    last_moment = script.valid_until.astimezone(tz)
    if day < first_day or datetime.combine(day, time(0, 0), tzinfo=tz) >= last_moment:
        return None
    slots = _slots_on(script, day, tz)
    if script.emergency and day == first_day:
        return Item(script, "立即", slots)
    if not slots:
        if script.emergency:
            return Item(script, "立即", slots)
        return None
    return Item(script, slots[0], slots)


def _order(item: Item) -> tuple:
    start = "00:00" if item.start == "立即" else item.start
    return (-item.script.severity, start, -item.script.notice_date.timestamp(), item.script.slug)


def days(plan: BroadcastPlan) -> list[date]:
    """Every day from today on on which some current script plays (at most MAX_DAYS per script)."""
    tz = plan.now.tzinfo
    today = plan.now.date()
    found: set[date] = set()
    for script in plan.current():
        day = max(today, script.valid_from.astimezone(tz).date())
        end = script.valid_until.astimezone(tz)
        for _ in range(MAX_DAYS):
            if datetime.combine(day, time(0, 0), tzinfo=tz) >= end:
                break
            if item_for(script, day, tz) is not None:
                found.add(day)
            day += timedelta(days=1)
    return sorted(found)


def reaches(script: Script, region: Region, plan: BroadcastPlan) -> bool:
    """Does a script addressed to ``script.regions`` play in ``region``?"""
    if not script.regions:
        return True
    chain = {r.name for r in plan.settings.regions.ancestors(region)}
    return any(r.name in chain for r in script.regions)


def playlists(plan: BroadcastPlan) -> list[Playlist]:
    """The site-wide list for each day, and one per township / targeted village."""
    tz = plan.now.tzinfo
    regions = [r for r in plan.settings.regions.items if r.kind == "township"]
    targeted = {r.name for s in plan.current() for r in s.regions if r.kind == "village"}
    regions += [r for r in plan.settings.regions.items if r.kind == "village" and r.name in targeted]
    out: list[Playlist] = []
    for day in days(plan):
        items = [i for i in (item_for(s, day, tz) for s in plan.current()) if i is not None]
        items.sort(key=_order)
        out.append(Playlist(day, None, tuple(items)))
        for region in regions:
            mine = tuple(i for i in items if reaches(i.script, region, plan))
            out.append(Playlist(day, region, mine))
    return out
