"""Fixed-bucket sliding windows: exact boundaries, and a brute-force model under Hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bankstack.risk.features.windows import (
    ONE_DAY,
    ONE_HOUR,
    ONE_MINUTE,
    SECOND_NS,
    SPECS,
    THIRTY_DAYS,
    SlidingWindow,
    WindowSpec,
)

T0 = 20_718 * 86_400 * SECOND_NS  # midnight UTC: a bucket start in every catalog window
TINY = WindowSpec("tiny", 10, 4)  # buckets of 10 ns, 4 of them: boundaries are easy to hit


class TestCatalogWindows:
    def test_the_table(self):
        assert [(s.name, s.width_ns, s.buckets) for s in SPECS] == [
            ("1m", 1_000_000_000, 60),
            ("1h", 60_000_000_000, 60),
            ("24h", 900_000_000_000, 96),
            ("30d", 86_400_000_000_000, 30),
        ]
        assert [s.span_ns for s in SPECS] == [
            60 * SECOND_NS,
            3_600 * SECOND_NS,
            86_400 * SECOND_NS,
            30 * 86_400 * SECOND_NS,
        ]

    @pytest.mark.parametrize(("width", "buckets"), [(0, 1), (1, 0), (-5, 3)])
    def test_a_window_needs_positive_sizes(self, width, buckets):
        with pytest.raises(ValueError, match="positive"):
            WindowSpec("bad", width, buckets)


class TestBoundaries:
    def test_an_event_at_a_bucket_start_is_in_that_bucket(self):
        window = SlidingWindow(ONE_MINUTE)
        window.add(T0, 7, "a")
        assert window.query(T0) == (1, 7, 1)
        # One nanosecond earlier is the previous bucket, which cannot see the event.
        assert window.query(T0 - 1) == (0, 0, 0)

    def test_the_instant_an_event_leaves_the_window(self):
        window = SlidingWindow(ONE_MINUTE)
        window.add(T0 + 500_000_000, 3, "a")  # half-way into bucket T0
        leaves = T0 + 60 * SECOND_NS  # bucket T0 + 60 s: (b + 60) * width
        assert window.query(leaves - 1) == (1, 3, 1)
        assert window.query(leaves) == (0, 0, 0)

    def test_a_query_exactly_at_a_boundary_counts_the_new_bucket(self):
        window = SlidingWindow(ONE_HOUR)
        minute = 60 * SECOND_NS
        for k in range(60):
            window.add(T0 + k * minute, 1, f"v{k}")  # one event at each bucket start
        assert window.query(T0 + 59 * minute) == (60, 60, 60)
        assert window.query(T0 + 60 * minute) == (59, 59, 59)  # the first bucket is out
        assert window.query(T0 + 60 * minute - 1) == (60, 60, 60)
        assert window.query(T0 + 118 * minute) == (1, 1, 1)  # bucket 59 alone
        assert window.query(T0 + 119 * minute) == (0, 0, 0)

    @pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
    def test_every_catalog_window_at_its_edges(self, spec):
        window = SlidingWindow(spec)
        window.add(T0, 10, "a")
        window.add(T0 + spec.width_ns - 1, 5, "b")  # the last instant of the same bucket
        assert window.query(T0 + spec.span_ns - 1) == (2, 15, 2)
        assert window.query(T0 + spec.span_ns) == (0, 0, 0)

    def test_an_event_older_than_the_window_is_ignored(self):
        window = SlidingWindow(TINY)
        assert window.add(100)  # bucket 10, the head
        assert not window.add(60)  # bucket 6 = head - 4: outside
        assert window.add(70, 2, "late")  # bucket 7: inside, goes to its own bucket
        assert window.query(100) == (2, 2, 1)
        assert window.query(110) == (1, 0, 0)  # bucket 7 left at 11 = 7 + 4

    def test_a_query_behind_the_head_counts_its_own_buckets_only(self):
        window = SlidingWindow(TINY)
        window.add(70, 1, "a")
        window.add(80, 1, "b")
        window.add(100, 1, "a")
        assert window.query(85) == (2, 2, 2)  # buckets 7 and 8; bucket 10 is newer
        assert window.query(75) == (1, 1, 1)
        assert window.query(100) == (3, 3, 2)

    def test_distinct_counts_a_value_once_across_buckets(self):
        window = SlidingWindow(TINY)
        for time in (0, 1, 10, 20, 30):
            window.add(time, 0, "same")
        window.add(30, 0, "other")
        assert window.query(30) == (6, 0, 2)
        assert window.query(40) == (4, 0, 2)  # bucket 0 left; "same" is still in 1-3
        assert window.query(60) == (2, 0, 2)  # only bucket 3
        assert window.query(70) == (0, 0, 0)

    def test_idle_for_a_whole_window_then_reused(self):
        window = SlidingWindow(ONE_DAY)
        window.add(T0, 5, "a")
        window.add(T0 + 2 * ONE_DAY.span_ns, 7, "b")
        assert window.query(T0 + 2 * ONE_DAY.span_ns) == (1, 7, 1)

    def test_a_query_never_changes_the_window(self):
        window = SlidingWindow(TINY)
        window.add(0, 1, "a")
        window.add(35, 1, "b")
        assert window.query(1_000) == (0, 0, 0)
        assert window.query(35) == (2, 2, 2)  # the far-future query dropped nothing
        assert window.query(5) == (1, 1, 1)


def brute_force(events: list[tuple[int, int, str | None]], spec: WindowSpec, now: int):
    """The definition, recomputed from every event ever added."""
    if not events:
        return 0, 0, 0
    head = max(time // spec.width_ns for time, _, _ in events)
    index = now // spec.width_ns
    low = max(index, head) - spec.buckets
    inside = [(a, v) for t, a, v in events if low < t // spec.width_ns <= index]
    return (
        len(inside),
        sum(a for a, _ in inside),
        len({v for _, v in inside if v is not None}),
    )


operations = st.lists(
    st.tuples(
        st.booleans(),  # add (True) or query (False)
        st.integers(-20, 120),  # time step from the previous operation (late events too)
        st.integers(-50, 1_000),
        st.one_of(st.none(), st.sampled_from("abcdef")),
    ),
    max_size=80,
)


class TestAgainstTheDefinition:
    @settings(max_examples=400)
    @given(
        spec=st.sampled_from([TINY, WindowSpec("one", 7, 1), WindowSpec("wide", 3, 9)]),
        ops=operations,
    )
    def test_matches_brute_force(self, spec, ops):
        window, added, time = SlidingWindow(spec), [], 1_000
        for is_add, step, amount, value in ops:
            time += step
            if is_add:
                window.add(time, amount, value)
                added.append((time, amount, value))
            else:
                assert window.query(time) == brute_force(added, spec, time)
        for now in range(time - 60, time + 60, 3):
            assert window.query(now) == brute_force(added, spec, now)

    @settings(max_examples=50)
    @given(
        steps=st.lists(st.integers(0, 40 * 60 * SECOND_NS), min_size=1, max_size=60),
        values=st.data(),
    )
    def test_catalog_windows_match_brute_force(self, steps, values):
        windows = {spec: SlidingWindow(spec) for spec in SPECS}
        added, time = [], T0
        for step in steps:
            time += step
            value = values.draw(st.sampled_from(["p1", "p2", "p3", None]))
            for window in windows.values():
                window.add(time, 100, value)
            added.append((time, 100, value))
            for spec, window in windows.items():
                assert window.query(time) == brute_force(added, spec, time)
        later = time + THIRTY_DAYS.span_ns // 2
        for spec, window in windows.items():
            assert window.query(later) == brute_force(added, spec, later)
