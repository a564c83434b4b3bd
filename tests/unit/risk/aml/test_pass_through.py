"""Rapid pass-through: >= 80% of what came in goes out within 1 h, above 5,000.00 in."""

from __future__ import annotations

import pytest

from bankstack.kernel.money import Money
from bankstack.risk.aml import Thresholds
from bankstack.risk.domain.alert import Alert, Movement, Severity
from tests.unit.risk.aml.moves import HOUR, MINUTE, by, feed, move


def pass_through(movements: list[Movement], thresholds: Thresholds | None = None) -> list[Alert]:
    return by("pass_through", feed(movements, thresholds))


def test_most_of_an_inflow_leaving_within_the_hour_raises_an_alert():
    inflow = move("victim", "mule", 1_000_000)
    outflow = move("mule", "cash", 800_000, 10 * MINUTE)
    (alert,) = pass_through([inflow, outflow])
    assert alert.subject == "mule"
    assert alert.movement_ids == (inflow.movement_id, outflow.movement_id)
    assert alert.amount == Money(800_000, "CNY")
    assert alert.details["received_minor"] == 1_000_000
    assert "80%" in alert.summary
    assert alert.severity is Severity.MEDIUM


def test_less_than_the_ratio_is_not_pass_through():
    assert pass_through([move("v", "mule", 1_000_000), move("mule", "c", 799_999, MINUTE)]) == []


def test_an_inflow_under_the_minimum_is_not_worth_an_alert():
    assert pass_through([move("v", "mule", 499_999), move("mule", "c", 499_999, MINUTE)]) == []


@pytest.mark.parametrize(("out_at", "alerts"), [(HOUR, 1), (HOUR + 1, 0)])
def test_only_outflows_within_the_window_of_receiving_count(out_at, alerts):
    movements = [move("v", "mule", 1_000_000), move("mule", "c", 1_000_000, out_at)]
    assert len(pass_through(movements)) == alerts


def test_outflows_add_up_and_the_one_that_crosses_the_ratio_raises():
    movements = [
        move("v1", "mule", 600_000),
        move("v2", "mule", 400_000, MINUTE),
        move("mule", "c", 500_000, 2 * MINUTE),
        move("mule", "c", 300_000, 3 * MINUTE),
    ]
    (alert,) = pass_through(movements)
    assert alert.raised_at == movements[-1].occurred_at
    assert alert.amount == Money(800_000, "CNY")


def test_receiving_alone_raises_nothing():
    assert pass_through([move(f"v{i}", "mule", 5_000_000, i * MINUTE) for i in range(5)]) == []


def test_money_sent_before_it_arrived_is_not_passed_through():
    movements = [move("mule", "c", 1_000_000), move("v", "mule", 1_000_000, MINUTE)]
    assert pass_through(movements) == []


def test_a_large_pass_through_is_high_severity_and_the_ratio_is_configurable():
    thresholds = Thresholds(pass_through_ratio_percent=50)
    movements = [move("v", "mule", 6_000_000), move("mule", "c", 3_000_000, MINUTE)]
    (alert,) = pass_through(movements, thresholds)
    assert alert.severity is Severity.HIGH
