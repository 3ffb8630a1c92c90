"""Timestamps as the format writes them: ISO 8601 UTC strings and Unix milliseconds."""

from __future__ import annotations

import time
from datetime import date, datetime, timezone
from functools import lru_cache

from sesslog._patterns import LazyPattern

__all__ = ["iso_to_ms", "ms_to_iso", "now_iso", "now_ms"]

_EPOCH_DAY = date(1970, 1, 1).toordinal()
_ISO = LazyPattern(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z\Z")


@lru_cache(maxsize=4096)
def iso_to_ms(text: str) -> int | None:
    """Parse an ISO 8601 timestamp to Unix milliseconds, as JavaScript's ``Date.parse`` does.

    Args:
        text: For example ``2026-01-05T10:00:00.123Z``; offsets other than ``Z`` are accepted.

    Returns:
        Milliseconds since the epoch, or ``None`` when the text is not a timestamp (out-of-range
        fields such as month 13 or hour 25 included, as for ``Date.parse``). Never raises.
    """
    match = _ISO.match(text)
    try:
        if match:
            year, month, day, hour, minute, second, frac = map(int, match.groups("0"))
            if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 24 and minute <= 59):
                return None
            if second > 59 or (hour == 24 and (minute or second or frac)):
                return None
            # calendar.timegm's sum (day 31 of a shorter month runs on, as in Date.parse),
            # without loading calendar (and its locale) for it
            days = date(year, month, 1).toordinal() - _EPOCH_DAY + day - 1
            seconds = ((days * 24 + hour) * 60 + minute) * 60 + second
            return seconds * 1000 + int((match.group(7) or "0")[:3].ljust(3, "0"))
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return int(parsed.timestamp() * 1000)
    except (ValueError, OverflowError):  # year 0, and dates datetime cannot hold
        return None


# The last millisecond formatted, and the last second's prefix: appends come in bursts.
_last_ms: list[tuple[int, str]] = [(-1, "")]
_last_second: list[tuple[int, str]] = [(-1, "")]
_MILLIS = tuple(f".{millis:03d}Z" for millis in range(1000))


def ms_to_iso(ms: int) -> str:
    """Format Unix milliseconds as ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    cached_ms, text = _last_ms[0]
    if cached_ms == ms:
        return text
    seconds, millis = divmod(int(ms), 1000)
    cached_second, prefix = _last_second[0]
    if cached_second != seconds:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _last_second[0] = (seconds, prefix)
    text = prefix + _MILLIS[millis]
    _last_ms[0] = (ms, text)
    return text


def now_ms() -> int:
    """The current time in Unix milliseconds."""
    return time.time_ns() // 1_000_000


def now_iso() -> str:
    """The current time as an ISO 8601 UTC string with milliseconds."""
    return ms_to_iso(now_ms())
