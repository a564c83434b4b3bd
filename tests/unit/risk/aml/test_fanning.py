"""Fan-in / fan-out: >= 10 distinct counterparties into / out of one party within 24 h."""

from __future__ import annotations

import pytest

from bankstack.risk.aml import Thresholds
from bankstack.risk.domain.alert import Movement
from tests.unit.risk.aml.moves import DAY, HOUR, MINUTE, by, feed, move


def senders(
    count: int, *, to: str = "hub", gap: int = MINUTE, source: str = "transfer"
) -> list[Movement]:
    return [move(f"s{i}", to, 100_000, i * gap, source=source) for i in range(count)]


def test_ten_distinct_payers_raise_a_fan_in_alert_on_the_payee():
    movements = senders(10)
    (alert,) = by("fan_in", feed(movements))
    assert alert.subject == "hub"
    assert alert.movement_ids == tuple(m.movement_id for m in movements)
    assert alert.amount is not None
    assert alert.amount.minor == 1_000_000
    assert alert.details["counterparties"] == 10
    assert alert.dedupe_key == f"fan_in:hub:{movements[0].movement_id}"


def test_nine_are_not_enough():
    assert by("fan_in", feed(senders(9))) == []


def test_repeat_payers_count_once():
    movements = [*senders(9), move("s0", "hub", 100_000, HOUR)]
    assert by("fan_in", feed(movements)) == []


@pytest.mark.parametrize(("last_at", "alerts"), [(DAY, 1), (DAY + 1, 0)])
def test_the_tenth_must_be_within_the_window_of_the_first(last_at, alerts):
    movements = [*senders(9, gap=1), move("late", "hub", 100_000, last_at)]
    assert len(by("fan_in", feed(movements))) == alerts


def test_merchant_payments_are_commerce_not_fan_in_unless_configured():
    movements = senders(12, source="payment")
    assert by("fan_in", feed(movements)) == []
    with_payments = Thresholds(fan_sources=frozenset({"payment"}))
    assert len(by("fan_in", feed(movements, with_payments))) == 1


def test_ten_distinct_payees_raise_a_fan_out_alert_on_the_payer():
    movements = [move("boss", f"r{i}", 200_000, i * MINUTE) for i in range(10)]
    alerts = feed(movements)
    (alert,) = by("fan_out", alerts)
    assert alert.subject == "boss"
    assert by("fan_in", alerts) == []
    assert by("fan_out", feed(movements[:9])) == []


def test_the_distinct_count_is_configurable():
    thresholds = Thresholds(fan_counterparties=3)
    assert len(by("fan_in", feed(senders(3), thresholds))) == 1
