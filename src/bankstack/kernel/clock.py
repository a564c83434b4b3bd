"""Time as an injected dependency, so that expiry and bi-temporal tests control it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

NS_PER_SECOND = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Clock(Protocol):
    def now_ns(self) -> int:
        """Nanoseconds since the Unix epoch, UTC."""
        ...


class SystemClock:
    def now_ns(self) -> int:
        return time.time_ns()


class ManualClock:
    """A clock tests move by hand."""

    def __init__(self, start_ns: int = 1_767_225_600 * NS_PER_SECOND) -> None:
        self._now = start_ns

    def now_ns(self) -> int:
        return self._now

    def set(self, now_ns: int) -> None:
        self._now = now_ns

    def advance(self, seconds: float = 0, *, ns: int = 0) -> None:
        self._now += int(seconds * NS_PER_SECOND) + ns


def ns_to_datetime(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // NS_PER_SECOND, tz=UTC).replace(
        microsecond=(ns % NS_PER_SECOND) // 1000
    )


def datetime_to_ns(moment: datetime) -> int:
    if moment.tzinfo is None:
        msg = "naive datetimes are ambiguous; give a time zone"
        raise ValueError(msg)
    # Integer arithmetic on the timedelta: exact, and right before 1970 too (a float
    # timestamp truncated towards zero would be a second late there).
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000
