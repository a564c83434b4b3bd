"""Structuring: >= 3 amounts in [90%, 100%) of 50,000.00 by one payer within 24 h."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankstack.kernel.money import Money
from bankstack.risk.aml import Thresholds
from bankstack.risk.aml.structuring import StructuringDetector
from bankstack.risk.domain.alert import Alert, Movement, Severity
from tests.unit.risk.aml.moves import DAY, HOUR, by, feed, move

NEAR = 4_800_000  # 48,000.00


def structuring(movements: list[Movement]) -> list[Alert]:
    return by("structuring", feed(movements))


def test_three_near_threshold_amounts_in_a_day_raise_one_alert():
    movements = [move("s", f"p{i}", NEAR + i, i * HOUR) for i in range(3)]
    (alert,) = structuring(movements)
    assert alert.subject == "s"
    assert alert.movement_ids == tuple(m.movement_id for m in movements)
    assert alert.amount == Money(3 * NEAR + 3, "CNY")
    assert alert.severity is Severity.MEDIUM
    assert alert.dedupe_key == f"structuring:s:{movements[0].movement_id}"
    assert alert.raised_at == movements[-1].occurred_at
    assert "50000.00 CNY" in alert.summary


def test_two_are_not_enough():
    assert structuring([move("s", "p", NEAR, i * HOUR) for i in range(2)]) == []


@pytest.mark.parametrize(("last_at", "alerts"), [(DAY, 1), (DAY + 1, 0)])
def test_the_window_includes_its_edge_and_nothing_past_it(last_at, alerts):
    movements = [
        move("s", "p", NEAR),
        move("s", "p", NEAR, 12 * HOUR),
        move("s", "p", NEAR, last_at),
    ]
    assert len(structuring(movements)) == alerts


@pytest.mark.parametrize(
    ("minor", "counted"),
    [(4_499_999, False), (4_500_000, True), (4_999_999, True), (5_000_000, False), (100, False)],
)
def test_only_the_band_just_under_the_threshold_counts(minor, counted):
    movements = [move("s", "p", minor, i * HOUR) for i in range(3)]
    assert bool(structuring(movements)) is counted


def test_payers_are_counted_apart():
    movements = [move(f"s{i % 2}", "p", NEAR, i * HOUR) for i in range(4)]
    assert structuring(movements) == []


def test_the_count_band_and_threshold_are_configurable():
    thresholds = Thresholds(reporting_threshold_minor=1_000_000, structuring_count=2)
    movements = [move("s", "p", 950_000), move("s", "p", 990_000, HOUR)]
    assert len(by("structuring", feed(movements, thresholds))) == 1


@given(amounts=st.lists(st.integers(min_value=1, max_value=10_000_000), max_size=8))
def test_an_alert_exactly_when_three_amounts_fall_in_the_band(amounts):
    detector = StructuringDetector(Thresholds())
    findings = [
        finding
        for i, minor in enumerate(amounts)
        for finding in detector.observe(move("s", "p", minor, i * HOUR))
    ]
    in_band = sum(1 for minor in amounts if 4_500_000 <= minor < 5_000_000)
    assert len(findings) == max(0, in_band - 2)
