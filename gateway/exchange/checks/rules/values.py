"""Reading XSD values the way the rules need them (dates as written, amounts as decimals).

The schema has already accepted every value these functions see; they still never raise, so
a rule on a value the schema let through in an unusual form (a 5-digit year, ``24:00:00``,
a date with a time zone) judges it rather than failing the check.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

_DATE = re.compile(r"\s*(-?)(\d{4,})-(\d{2})-(\d{2})")
_DATETIME = re.compile(r"\s*(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?\s*$")


def parse_date(text: str | None) -> dt.date | None:
    """The calendar date written (time zone ignored); years out of range clamp to min/max."""
    if text is not None and len(text) == 10:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    match = _DATE.match(text or "")
    if not match:
        return None
    year = int(match.group(2)) * (-1 if match.group(1) else 1)
    if year > 9999:
        return dt.date.max
    if year < 1:
        return dt.date.min
    try:
        return dt.date(year, int(match.group(3)), int(match.group(4)))
    except ValueError:
        return None


def parse_datetime(text: str | None, timezone: ZoneInfo) -> dt.datetime | None:
    """An aware datetime; without an offset it is taken in ``timezone``."""
    match = _DATETIME.match(text or "")
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    if year > 9999:
        return dt.datetime.max.replace(tzinfo=dt.UTC)
    if year < 1:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    extra = dt.timedelta(0)
    if hour == 24:  # xs:dateTime allows 24:00:00, the end of the day
        hour, extra = 0, dt.timedelta(days=1)
    fraction = match.group(7)
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    try:
        naive = dt.datetime(year, month, day, hour, minute, second, micro) + extra
    except (ValueError, OverflowError):
        return None
    zone = match.group(8)
    if zone is None:
        return naive.replace(tzinfo=timezone)
    if zone == "Z":
        return naive.replace(tzinfo=dt.UTC)
    sign = -1 if zone[0] == "-" else 1
    return naive.replace(tzinfo=dt.timezone(sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))))


def parse_decimal(text: str | None) -> Decimal | None:
    """An xs:decimal as a Decimal."""
    try:
        return Decimal((text or "").strip())
    except InvalidOperation:
        return None


def parse_int(text: str | None) -> int | None:
    """An xs:integer as an int."""
    try:
        return int((text or "").strip())
    except ValueError:
        return None
