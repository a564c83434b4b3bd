"""Each typology looks like what it claims to be, checked on the events themselves."""

from __future__ import annotations

import itertools
from collections import defaultdict

from bankstack.risk.domain.event import EventKind, RiskEvent
from bankstack.risk.simulator import (
    ACCOUNT_TAKEOVER,
    CARD_TESTING,
    CYCLE,
    FAN_OUT,
    MULE_FAN_IN,
    REPORTING_THRESHOLD_MINOR,
    STRUCTURING,
    episodes,
)
from bankstack.risk.simulator.config import DAY, HOUR, MINUTE
from tests.unit.risk.simulator.worlds import SMALL, small_stream


def of(typology: str) -> list[RiskEvent]:
    return [item.event for item in small_stream() if item.typology == typology]


def minor(event: RiskEvent) -> int:
    assert event.amount is not None
    return event.amount.minor


def honest_before(customer: str, moment: int) -> list[RiskEvent]:
    return [
        item.event
        for item in small_stream()
        if not item.fraud and item.event.customer_id == customer and item.event.occurred_at < moment
    ]


def test_account_takeover_logs_in_from_a_new_device_and_drains_to_new_payees():
    by_victim: dict[str, list[RiskEvent]] = defaultdict(list)
    for event in of(ACCOUNT_TAKEOVER):
        by_victim[event.customer_id].append(event)
    assert len(by_victim) == 3
    for victim, events in by_victim.items():
        login, *rest = events
        assert login.kind is EventKind.LOGIN
        before = honest_before(victim, login.occurred_at)
        assert login.device_id not in {event.device_id for event in before}
        assert login.ip not in {event.ip for event in before}
        transfers = [event for event in rest if event.kind is EventKind.TRANSFER]
        assert 2 <= len(transfers) <= 4
        assert transfers[-1].occurred_at - login.occurred_at < 20 * MINUTE
        assert {t.counterparty_id for t in transfers}.isdisjoint(e.payee for e in before)
        assert all(t.device_id == login.device_id for t in transfers)
        assert sum(minor(t) for t in transfers) >= 90_000  # at least 90% of 1,000.00
        changes = [event for event in rest if event.kind is EventKind.ACCOUNT_CHANGE]
        assert all(change.attributes["field"] in {"phone", "device"} for change in changes)


def test_card_testing_is_a_burst_of_tiny_payments_at_many_merchants_from_one_device():
    by_device: dict[str | None, list[RiskEvent]] = defaultdict(list)
    for event in of(CARD_TESTING):
        by_device[event.device_id].append(event)
    assert len(by_device) == 3
    for events in by_device.values():
        assert len(events) >= 8
        assert all(event.kind is EventKind.PAYMENT and minor(event) < 200 for event in events)
        assert len({event.merchant_id for event in events}) == len(events)
        assert events[-1].occurred_at - events[0].occurred_at <= 2 * MINUTE


def test_mule_fan_in_is_many_senders_then_a_fast_cash_out_of_most_of_it():
    events = of(MULE_FAN_IN)
    for (mule,) in episodes(small_stream())[MULE_FAN_IN]:
        inflows = [e for e in events if e.kind is EventKind.TRANSFER and e.payee == mule]
        outflows = [e for e in events if e.kind is EventKind.TRANSFER and e.customer_id == mule]
        assert len({event.customer_id for event in inflows}) >= 10
        assert inflows[-1].occurred_at - inflows[0].occurred_at <= 6 * HOUR
        assert 0 < outflows[0].occurred_at - inflows[-1].occurred_at <= 35 * MINUTE
        received, sent = sum(map(minor, inflows)), sum(map(minor, outflows))
        assert 0.9 * received <= sent < received
        opened = outflows[0].customer_since
        assert opened is not None
        assert SMALL.start_ns - opened <= 60 * DAY  # a fresh account


def test_structuring_stays_just_under_the_threshold_three_times_or_more_a_day():
    by_actor: dict[str, list[RiskEvent]] = defaultdict(list)
    for event in of(STRUCTURING):
        by_actor[event.customer_id].append(event)
    assert len(by_actor) == 3
    for events in by_actor.values():
        assert all(
            0.9 * REPORTING_THRESHOLD_MINOR <= minor(e) < REPORTING_THRESHOLD_MINOR for e in events
        )
        per_day: dict[int, int] = defaultdict(int)
        for event in events:
            per_day[(event.occurred_at - SMALL.start_ns) // DAY] += 1
        assert min(per_day.values()) >= 3


def test_a_cycle_brings_the_money_back_to_its_origin_within_a_day():
    events = of(CYCLE)
    for ring in episodes(small_stream())[CYCLE]:
        hops = [event for event in events if event.customer_id in ring]
        assert 2 <= len(hops) == len(ring) <= 4
        for earlier, later in itertools.pairwise(hops):
            assert earlier.payee == later.customer_id
            assert minor(later) * 2 >= minor(earlier)
        assert hops[-1].payee == hops[0].customer_id
        assert hops[-1].occurred_at - hops[0].occurred_at < DAY


def test_fan_out_scatters_to_many_distinct_payees_within_hours():
    by_actor: dict[str, list[RiskEvent]] = defaultdict(list)
    for event in of(FAN_OUT):
        by_actor[event.customer_id].append(event)
    assert len(by_actor) == 3
    for events in by_actor.values():
        assert len({event.payee for event in events}) >= 12
        assert events[-1].occurred_at - events[0].occurred_at <= 6 * HOUR


def test_only_the_bad_movements_carry_the_label_not_the_launderers_own_logins():
    for typology in (STRUCTURING, CYCLE, FAN_OUT):
        assert {event.kind for event in of(typology)} == {EventKind.TRANSFER}
