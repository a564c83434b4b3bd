from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankstack.kernel.clock import (
    NS_PER_SECOND,
    Clock,
    ManualClock,
    SystemClock,
    datetime_to_ns,
    ns_to_datetime,
)

JAN_1_2026_NS = 1_767_225_600 * NS_PER_SECOND


class TestManualClock:
    def test_starts_at_2026_by_default(self):
        clock = ManualClock()
        assert clock.now_ns() == JAN_1_2026_NS
        assert ns_to_datetime(clock.now_ns()) == datetime(2026, 1, 1, tzinfo=UTC)

    def test_stands_still_until_advanced(self):
        clock = ManualClock(start_ns=5)
        assert clock.now_ns() == 5
        assert clock.now_ns() == 5
        clock.advance(2)
        assert clock.now_ns() == 2 * NS_PER_SECOND + 5
        clock.advance(ns=7)
        assert clock.now_ns() == 2 * NS_PER_SECOND + 12
        clock.advance(0.25, ns=1)
        assert clock.now_ns() == 2_250_000_013

    def test_is_a_clock(self):
        clocks: list[Clock] = [ManualClock(), SystemClock()]
        assert all(isinstance(c.now_ns(), int) for c in clocks)


def test_system_clock_reads_wall_time():
    before = time.time_ns()
    now = SystemClock().now_ns()
    after = time.time_ns()
    assert before <= now <= after


class TestConversions:
    def test_epoch(self):
        assert ns_to_datetime(0) == datetime(1970, 1, 1, tzinfo=UTC)
        assert datetime_to_ns(datetime(1970, 1, 1, tzinfo=UTC)) == 0

    def test_truncates_to_microseconds(self):
        moment = ns_to_datetime(JAN_1_2026_NS + 1_999)
        assert moment == datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
        assert moment.tzinfo is UTC

    def test_other_time_zones_convert_to_the_same_instant(self):
        shanghai = timezone(timedelta(hours=8))
        assert datetime_to_ns(datetime(2026, 1, 1, 8, tzinfo=shanghai)) == JAN_1_2026_NS

    def test_naive_datetimes_refused(self):
        with pytest.raises(ValueError, match="naive"):
            datetime_to_ns(datetime(2026, 1, 1))  # noqa: DTZ001

    @given(
        st.datetimes(
            min_value=datetime(1970, 1, 1),  # noqa: DTZ001
            max_value=datetime(2200, 1, 1),  # noqa: DTZ001
            timezones=st.just(UTC),
        )
    )
    def test_round_trip_after_epoch(self, moment):
        assert ns_to_datetime(datetime_to_ns(moment)) == moment

    def test_before_epoch_with_microseconds(self):
        moment = datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC)
        assert datetime_to_ns(moment) == -500_000_000
