"""Date parsing for front matter values, in the site timezone.

PyYAML hands us ``datetime.date`` for ``2022-05-04``, ``datetime.datetime``
for ``2022-05-04 12:30:00`` (naive, or aware when an offset is given) and a
plain string for ``2022-05-04 12:30``.  All of them end up as an aware
datetime in the site timezone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone, tzinfo

_DATE_RE = re.compile(
    r"^(?P<y>\d{4})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})\s*日?"
    r"(?:(?:\s+|T|\s*日?\s*)(?:(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{2})(?:\s*[:：]\s*(?P<S>\d{2})(?:\.\d+)?)?"
    # 2024年3月5日9时30分, 9点30分, 9时, 9点30
    r"|(?P<H2>\d{1,2})\s*[时點点]\s*(?:(?P<M2>\d{1,2})\s*分?\s*(?:(?P<S2>\d{1,2})\s*秒)?)?))?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)

EXAMPLE = "2022-05-04 12:30"


class DateProblem(ValueError):
    pass


# Years a notice date may have: everything the site computes from a date (expiry, the next
# scheduled moment, time zone shifts) stays far from datetime's limits (years 1 and 9999).
MIN_YEAR, MAX_YEAR = 1900, 2999


def parse_datetime(value, tz: tzinfo) -> datetime:
    """Return an aware datetime or raise :class:`DateProblem` (message in Chinese)."""
    try:
        result = _parse(value, tz)
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00 shifted into the site's time zone
        result = None
    if result is None or not MIN_YEAR <= result.year <= MAX_YEAR:
        shown = value if isinstance(value, str) else str(value)
        raise DateProblem(f"日期“{shown.strip()}”超出可用范围（{MIN_YEAR}—{MAX_YEAR} 年），请检查年份，"
                          f"写成 {EXAMPLE} 这样的日期时间")
    return result


def _parse(value, tz: tzinfo) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(tz) if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise DateProblem(f"日期应当写成 {EXAMPLE} 这样的文字")
    if isinstance(value, int) and re.match(r"^(19|20)\d{6}$", str(value)):
        text = str(value)
        raise DateProblem(f"日期 {text} 被 YAML 读成了一个数字；请在年月日之间加“-”，"
                          f"写成 {text[:4]}-{text[4:6]}-{text[6:]}")
    if isinstance(value, (int, float)):
        raise DateProblem(f"日期被 YAML 读成了数字 {value}；请写成 {EXAMPLE} 这样的完整日期时间")
    text = str(value).strip()
    m = _DATE_RE.match(text)
    if not m:
        raise DateProblem(f"日期格式无法识别“{text}”，请写成 {EXAMPLE}")
    try:
        result = datetime(int(m["y"]), int(m["m"]), int(m["d"]), int(m["H"] or m["H2"] or 0),
                          int(m["M"] or m["M2"] or 0), int(m["S"] or m["S2"] or 0))
    except ValueError:
        raise DateProblem(f"日期“{text}”不存在（月份、日期或时间超出范围），请写成 {EXAMPLE}") from None
    offset = m["tz"]
    if not offset:
        return result.replace(tzinfo=tz)
    if offset == "Z":
        return result.replace(tzinfo=timezone.utc).astimezone(tz)
    sign = 1 if offset[0] == "+" else -1
    digits = offset[1:].replace(":", "")
    from datetime import timedelta

    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return result.replace(tzinfo=timezone(sign * delta)).astimezone(tz)


def has_time(value) -> bool:
    """Whether a front matter date value names a time of day (``2022-05-04`` does not)."""
    if isinstance(value, datetime):
        return True
    if isinstance(value, date) or not isinstance(value, str):
        return False
    m = _DATE_RE.match(value.strip())
    return bool(m and (m["H"] or m["H2"]))


def format_minute(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M")


def format_day(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d")
