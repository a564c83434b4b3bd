"""The monitor: replays raise nothing twice, ids are stable, memory stays within the horizon."""

from __future__ import annotations

import hashlib
import random

import pytest

from bankstack.risk.aml import AmlMonitor, Thresholds
from bankstack.risk.aml.finding import Finding
from bankstack.risk.domain.alert import Movement, Severity
from tests.unit.risk.aml.moves import DAY, HOUR, MINUTE, by, move


def fan_in_burst(count: int, start: int = 0, hub: str = "hub") -> list[Movement]:
    return [move(f"s{start + i}", hub, 100_000, start * MINUTE + i * MINUTE) for i in range(count)]


def test_feeding_the_same_stream_again_raises_nothing():
    monitor = AmlMonitor()
    stream = fan_in_burst(12)
    first = [alert for movement in stream for alert in monitor.feed(movement)]
    again = [alert for movement in stream for alert in monitor.feed(movement)]
    assert len(first) == 1
    assert again == []
    assert monitor.ignored == {"duplicate": 12}


def test_a_fresh_monitor_replaying_the_stream_raises_the_same_alert_ids():
    stream = fan_in_burst(12)
    runs = []
    for _ in range(2):
        monitor = AmlMonitor()
        runs.append([alert for movement in stream for alert in monitor.feed(movement)])
    assert runs[0] == runs[1]
    (alert,) = runs[0]
    digest = hashlib.sha256(alert.dedupe_key.encode()).hexdigest()[:24]
    assert alert.alert_id == f"alr_{digest}"


def test_one_alert_per_subject_and_window_then_a_new_episode_may_alert_again():
    monitor = AmlMonitor()
    early = fan_in_burst(20)
    late = [move(f"t{i}", "hub", 100_000, 2 * DAY + i * MINUTE) for i in range(10)]
    alerts = [a for m in (*early, *late) for a in monitor.feed(m)]
    assert [a.raised_at for a in by("fan_in", alerts)] == [
        early[9].occurred_at,
        late[9].occurred_at,
    ]
    assert len({a.dedupe_key for a in alerts}) == 2


def test_a_movement_older_than_the_horizon_is_ignored_and_a_straggler_counts_as_now():
    monitor = AmlMonitor()
    monitor.feed(move("a", "b", 100, DAY * 3))
    assert monitor.feed(move("c", "d", 100, DAY)) == []
    assert monitor.ignored == {"stale": 1}
    stragglers = [move(f"s{i}", "hub", 100_000, DAY * 3 - HOUR) for i in range(10)]
    (alert,) = [a for m in stragglers for a in monitor.feed(m)]
    assert alert.raised_at == move("x", "y", 1, DAY * 3).occurred_at


@pytest.mark.parametrize(
    ("movement", "reason"),
    [
        (move("a", "b", 100, currency="USD"), "other_currency"),
        (move("a", "a", 100), "same_party"),
        (move("a", "b", 0), "not_positive"),
    ],
)
def test_movements_outside_the_monitors_business_are_ignored(movement, reason):
    monitor = AmlMonitor()
    assert monitor.feed(movement) == []
    assert monitor.ignored == {reason: 1}


def test_memory_is_bounded_by_the_horizon():
    rng = random.Random(1)
    monitor = AmlMonitor()
    for i in range(3000):
        payer, payee = f"p{rng.randrange(500)}", f"p{rng.randrange(500)}"
        if payer != payee:
            monitor.feed(move(payer, payee, rng.randrange(1, 2_000_000), i * 20 * 1_000_000_000))
    assert monitor.remembered() > 1000
    monitor.feed(move("late", "comer", 100, 3 * DAY))
    # Only the last movement is left: its id, its payee's inflow, its fan-in and fan-out windows.
    assert monitor.remembered() == 4


def test_dedupe_keys_stay_within_the_database_column():
    finding = Finding(
        detector="fan_in",
        subject="x" * 64,
        anchor="y" * 150,
        severity=Severity.LOW,
        summary="",
        amount=move("a", "b", 1).amount,
        movement_ids=(),
    )
    assert len(finding.dedupe_key) <= 200
    assert finding.dedupe_key.startswith("fan_in:")


@pytest.mark.parametrize(
    "changes",
    [
        {"currency": "XXX"},
        {"fan_window_ns": 0},
        {"cycle_max_hops": 1},
        {"structuring_count": 0},
        {"structuring_band_percent": 100},
    ],
)
def test_nonsense_thresholds_are_refused(changes):
    with pytest.raises(ValueError, match=r"."):
        Thresholds(**changes)
