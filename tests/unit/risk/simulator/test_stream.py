"""The stream as a whole: deterministic, time-ordered, uniquely identified, honestly labelled."""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bankstack.kernel.money import Money
from bankstack.risk.domain.event import EventKind
from bankstack.risk.simulator import (
    NORMAL,
    START_NS,
    TYPOLOGIES,
    SimulationConfig,
    episodes,
    movements,
    simulate,
    summary,
)
from bankstack.risk.simulator.fraud import split
from bankstack.risk.simulator.world import pick
from tests.unit.risk.simulator.worlds import SMALL, small_stream


def test_the_default_world_starts_on_new_year_2026_in_cny():
    config = SimulationConfig()
    assert (config.seed, config.days, config.customers, config.merchants) == (7, 30, 2000, 100)
    assert config.start_ns == START_NS == 1_767_225_600_000_000_000
    assert config.currency == "CNY"


def test_the_same_seed_gives_the_identical_stream():
    assert tuple(simulate(SMALL)) == small_stream()


def test_another_seed_gives_another_stream():
    other = tuple(simulate(dataclasses.replace(SMALL, seed=12)))
    assert [item.event for item in other[:50]] != [item.event for item in small_stream()[:50]]


def test_events_come_in_time_order_with_unique_ids_within_the_simulated_days():
    stream = small_stream()
    times = [item.event.occurred_at for item in stream]
    assert times == sorted(times)
    ids = [item.event.event_id for item in stream]
    assert len(set(ids)) == len(ids)
    assert all(event_id.startswith("sim11_") for event_id in ids)
    assert SMALL.start_ns <= times[0]
    assert times[-1] < SMALL.end_ns


def test_fraud_is_exactly_the_events_with_a_typology():
    for item in small_stream():
        assert item.fraud == (item.typology is not None)
        assert item.typology is None or item.typology in TYPOLOGIES


def test_every_typology_plays_its_configured_number_of_episodes():
    found = episodes(small_stream())
    for typology in TYPOLOGIES:
        assert SMALL.episodes(typology) == 3
        assert len(found[typology]) == 3, typology


def test_the_episode_count_follows_the_rate():
    config = dataclasses.replace(SMALL, structuring_rate=0.004, cycle_rate=0.0)
    found = episodes(simulate(config))
    assert len(found["structuring"]) == 6
    assert found["cycle"] == []


def test_money_is_integer_minor_units_of_the_configured_currency():
    for item in small_stream():
        event = item.event
        if event.kind.moves_money:
            assert isinstance(event.amount, Money)
            assert event.amount.asset == "CNY"
            assert event.amount.minor > 0
        else:
            assert event.amount is None


def test_movements_are_the_money_moving_events():
    stream = small_stream()
    moved = list(movements(stream))
    money_events = [item.event for item in stream if item.event.kind.moves_money]
    assert len(moved) == len(money_events)
    for movement, event in zip(moved, money_events, strict=True):
        assert movement.movement_id == event.event_id
        assert (movement.payer, movement.payee) == (event.customer_id, event.payee)
        assert movement.amount == event.amount
        assert movement.occurred_at == event.occurred_at
        assert movement.source == event.kind.value
    assert {movement.source for movement in moved} == {"payment", "transfer"}


def test_summary_counts_every_event_once():
    counts = summary(small_stream())
    assert counts["events"] == len(small_stream())
    assert counts["events"] == counts[NORMAL] + sum(counts[t] for t in TYPOLOGIES)
    assert all(counts[typology] > 0 for typology in TYPOLOGIES)
    assert counts[NORMAL] > 0.9 * counts["events"]


def test_all_event_kinds_but_loans_occur():
    kinds = {item.event.kind for item in small_stream()}
    assert kinds == set(EventKind) - {EventKind.LOAN_APPLICATION}


@pytest.mark.parametrize(
    "changes",
    [
        {"days": 1},
        {"merchants": 10},
        {"currency": "XXX"},
        {"cycle_rate": -0.1},
        {"fan_out_rate": 1.5},
        {"travel_rate": 1.5},
        {"takeover_mimic_share": -0.1},
        {"customers": 80, "structuring_rate": 0.06},  # too few bystanders left
    ],
)
def test_impossible_worlds_are_refused(changes):
    with pytest.raises(ValueError, match=r"."):
        dataclasses.replace(SMALL, **changes)


@settings(max_examples=4)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_any_seed_gives_an_ordered_stream_with_the_configured_episodes(seed):
    config = SimulationConfig(seed=seed, days=2, customers=120, merchants=30, cycle_rate=0.01)
    stream = list(simulate(config))
    assert [item.event.occurred_at for item in stream] == sorted(
        item.event.occurred_at for item in stream
    )
    assert len(episodes(stream)["cycle"]) == config.episodes("cycle") == 2


@given(
    total=st.integers(min_value=4, max_value=10**12), parts=st.integers(1, 4), seed=st.integers()
)
def test_a_split_is_exact_and_positive(total, parts, seed):
    pieces = split(total, parts, random.Random(seed))
    assert len(pieces) == parts
    assert sum(pieces) == total
    assert min(pieces) > 0


def test_pick_follows_cumulative_weights():
    rng = random.Random(5)
    drawn = [pick(rng, ("a", "b", "c"), (1, 1, 10)) for _ in range(2000)]
    assert drawn.count("b") == 0
    assert 0.05 < drawn.count("a") / 2000 < 0.15
