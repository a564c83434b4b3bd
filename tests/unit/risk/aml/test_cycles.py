"""Cycles: money back at its origin through 2-4 hops within 24 h, each hop >= 50% of the last."""

from __future__ import annotations

import pytest

from bankstack.risk.aml import Thresholds
from bankstack.risk.aml.cycles import CycleDetector
from bankstack.risk.domain.alert import Alert, Movement, Severity
from tests.unit.risk.aml.moves import DAY, HOUR, by, feed, move

BIG = 10_000_000  # 100,000.00


def ring(parties: list[str], amounts: list[int], gap: int = HOUR) -> list[Movement]:
    hops = zip(parties, (*parties[1:], parties[0]), amounts, strict=True)
    return [move(payer, payee, amount, i * gap) for i, (payer, payee, amount) in enumerate(hops)]


def cycles(movements: list[Movement], thresholds: Thresholds | None = None) -> list[Alert]:
    return by("cycle", feed(movements, thresholds))


@pytest.mark.parametrize("size", [2, 3, 4])
def test_money_coming_back_through_two_to_four_hops_is_a_cycle(size):
    parties = ["a", "b", "c", "d"][:size]
    movements = ring(parties, [BIG - i * 100_000 for i in range(size)])
    (alert,) = cycles(movements)
    assert alert.subject == "a"
    assert alert.movement_ids == tuple(m.movement_id for m in movements)
    assert alert.amount == movements[0].amount
    assert alert.severity is Severity.HIGH
    assert alert.details["hops"] == size
    assert "a -> b" in alert.summary


def test_five_hops_are_beyond_the_search():
    assert cycles(ring(["a", "b", "c", "d", "e"], [BIG] * 5)) == []
    assert (
        len(cycles(ring(["a", "b", "c", "d", "e"], [BIG] * 5), Thresholds(cycle_max_hops=5))) == 1
    )


@pytest.mark.parametrize(("second", "alerts"), [(BIG // 2, 1), (BIG // 2 - 1, 0)])
def test_each_hop_must_carry_at_least_half_of_the_previous_one(second, alerts):
    assert len(cycles(ring(["a", "b", "c"], [BIG, second, second]))) == alerts


@pytest.mark.parametrize(("gap", "alerts"), [(DAY // 2, 1), (DAY // 2 + 1, 0)])
def test_the_whole_cycle_must_fit_in_the_window(gap, alerts):
    assert len(cycles(ring(["a", "b", "c"], [BIG] * 3, gap=gap))) == alerts


def test_small_amounts_are_not_followed():
    assert cycles(ring(["a", "b", "c"], [499_999] * 3)) == []


def test_hops_must_follow_each_other_in_time():
    a_b, b_c, c_a = ring(["a", "b", "c"], [BIG] * 3)
    early_b_c = move("b", "c", BIG, -HOUR)
    assert cycles([early_b_c, a_b, c_a]) == []
    assert len(cycles([a_b, b_c, c_a])) == 1


def test_the_shortest_cycle_wins():
    movements = [
        move("a", "b", BIG, 0),
        move("b", "c", BIG, HOUR),
        move("c", "b", BIG, 2 * HOUR),  # a b-c-b cycle closes here, with b as origin
        move("b", "a", BIG, 3 * HOUR),  # a -> b -> a, two hops, beats a -> b -> c -> b -> a
    ]
    alerts = cycles(movements)
    assert [alert.subject for alert in alerts] == ["b", "a"]
    assert alerts[1].details["hops"] == 2


def test_the_search_budget_bounds_the_work_per_movement():
    def closes_a_to_p0_to_x_to_a(budget: int) -> bool:
        detector = CycleDetector(Thresholds(cycle_search_budget=budget))
        detector.observe(move("a", "p0", BIG, 0))
        for i in range(50):  # fifty payers into x: far more edges than a small budget
            detector.observe(move(f"p{i}", "x", BIG, 1 + i))
        return bool(detector.observe(move("x", "a", BIG, 100)))

    assert closes_a_to_p0_to_x_to_a(5_000)
    assert not closes_a_to_p0_to_x_to_a(5)  # the path exists, the budget ran out first
