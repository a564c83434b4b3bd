"""Each typology looks like what it claims to be, checked on the events themselves."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

from bankstack.risk.domain.event import EventKind, RiskEvent
from bankstack.risk.simulator import (
    ACCOUNT_TAKEOVER,
    CARD_TESTING,
    CYCLE,
    FAN_OUT,
    MULE_FAN_IN,
    REPORTING_THRESHOLD_MINOR,
    STRUCTURING,
    LabelledEvent,
    episodes,
)
from bankstack.risk.simulator.config import DAY, HOUR, MINUTE, NS_PER_SECOND
from tests.unit.risk.simulator.worlds import BUSY, SMALL, busy_stream, small_stream


def of(typology: str) -> list[RiskEvent]:
    return of_stream(small_stream(), typology)


def of_stream(stream: tuple[LabelledEvent, ...], typology: str) -> list[RiskEvent]:
    return [item.event for item in stream if item.typology == typology]


def minor(event: RiskEvent) -> int:
    assert event.amount is not None
    return event.amount.minor


def by_party(stream: tuple[LabelledEvent, ...], typology: str) -> dict[str | None, list[RiskEvent]]:
    """The typology's events per customer (per device for card testing), in time order."""
    grouped: dict[str | None, list[RiskEvent]] = defaultdict(list)
    for item in stream:
        if item.typology == typology:
            event = item.event
            grouped[event.device_id if typology == CARD_TESTING else event.customer_id].append(
                event
            )
    return grouped


def test_account_takeover_enters_from_a_new_device_or_the_victims_phone_and_takes_money():
    entries, styles = Counter[str](), Counter[str]()
    stream = busy_stream()
    for victim, events in by_party(stream, ACCOUNT_TAKEOVER).items():
        assert victim is not None
        login, *rest = events
        assert login.kind is EventKind.LOGIN
        before = [
            item.event
            for item in stream
            if not item.fraud
            and item.event.customer_id == victim
            and item.event.occurred_at < login.occurred_at
        ]
        changes = [event for event in rest if event.kind is EventKind.ACCOUNT_CHANGE]
        known_device = login.device_id in {event.device_id for event in before}
        if known_device or login.ip in {event.ip for event in before}:
            entries["own phone"] += 1  # malware or remote access: no need to lock anyone out
            assert not changes
        else:
            entries["new device"] += 1  # phished credentials or a SIM swap
            assert all(change.attributes["field"] in {"phone", "device"} for change in changes)
        assert {event.device_id for event in events} == {login.device_id}
        assert events[-1].occurred_at - login.occurred_at < 8 * HOUR
        transfers = [event for event in rest if event.kind is EventKind.TRANSFER]
        assert {t.counterparty_id for t in transfers}.isdisjoint(e.payee for e in before)
        payments = [event for event in rest if event.kind is EventKind.PAYMENT]
        if payments:
            styles["mimic"] += 1
        else:
            styles["drain"] += 1
            assert 2 <= len(transfers) <= 4
            assert transfers[-1].occurred_at - login.occurred_at < 20 * MINUTE
            assert sum(minor(t) for t in transfers) >= 90_000  # at least 90% of 1,000.00
    # Shares 0.5 and 0.7 of 30 episodes: both kinds of each, in about those proportions.
    assert sum(entries.values()) == BUSY.episodes(ACCOUNT_TAKEOVER) == 30
    assert 7 <= entries["own phone"] <= 23
    assert 12 <= styles["mimic"] <= 28


def test_a_takeover_that_spends_like_the_victim_stays_near_their_amounts_and_merchants():
    stream = busy_stream()
    paid: dict[str, list[RiskEvent]] = defaultdict(list)
    for item in stream:
        if not item.fraud and item.event.kind is EventKind.PAYMENT:
            paid[item.event.customer_id].append(item.event)
    ratios, at_known = [], 0
    payments = [e for e in of_stream(stream, ACCOUNT_TAKEOVER) if e.kind is EventKind.PAYMENT]
    for payment in payments:
        usual = sorted(minor(event) for event in paid[payment.customer_id])
        ratios.append(minor(payment) / usual[len(usual) // 2])
        at_known += payment.merchant_id in {
            event.merchant_id for event in paid[payment.customer_id]
        }
    assert len(payments) >= 20
    assert 0.5 < sorted(ratios)[len(ratios) // 2] < 4
    assert at_known > len(payments) / 2


def test_card_testing_probes_with_small_online_payments_at_many_merchants_from_one_device():
    kinds = Counter[str]()
    for events in by_party(busy_stream(), CARD_TESTING).values():
        assert len(events) >= 8
        assert all(event.kind is EventKind.PAYMENT and minor(event) <= 3_000 for event in events)
        assert all((event.channel, event.phone) == ("api", None) for event in events)
        assert len({event.merchant_id for event in events}) == len(events)
        times = [event.occurred_at for event in events]
        if max(b - a for a, b in itertools.pairwise(times)) <= 6 * NS_PER_SECOND:
            kinds["burst"] += 1
            assert times[-1] - times[0] <= 2 * MINUTE
            assert len({event.ip for event in events}) == 1
        else:
            kinds["paced"] += 1  # under the one-minute rules: no minute holds five tries
            assert all(
                later - first > MINUTE for first, later in zip(times, times[4:], strict=False)
            )
            assert len({event.ip for event in events}) <= 5
    assert sum(kinds.values()) == BUSY.episodes(CARD_TESTING) == 15
    assert kinds["burst"] > 0
    assert kinds["paced"] > kinds["burst"]


def test_mule_fan_in_is_many_senders_in_waves_each_passed_on_within_minutes():
    events = of(MULE_FAN_IN)
    for (mule,) in episodes(small_stream())[MULE_FAN_IN]:
        inflows = [e for e in events if e.kind is EventKind.TRANSFER and e.payee == mule]
        outflows = [e for e in events if e.kind is EventKind.TRANSFER and e.customer_id == mule]
        assert len({event.customer_id for event in inflows}) >= 10
        assert all(20_000 <= minor(event) <= 2_000_000 for event in inflows)  # honest-sized
        assert inflows[-1].occurred_at - inflows[0].occurred_at <= 12 * HOUR
        assert outflows[-1].occurred_at > inflows[-1].occurred_at
        for outflow in outflows:
            last_in = max(e.occurred_at for e in inflows if e.occurred_at < outflow.occurred_at)
            assert outflow.occurred_at - last_in <= 25 * MINUTE
        assert len({event.payee for event in outflows}) == 1
        received, sent = sum(map(minor, inflows)), sum(map(minor, outflows))
        assert 0.85 * received <= sent < received
        opened = outflows[0].customer_since
        assert opened is not None
        assert SMALL.start_ns - opened <= 60 * DAY  # a fresh account


def test_structuring_stays_under_the_threshold_with_three_or_more_a_day_in_the_band():
    by_actor: dict[str, list[RiskEvent]] = defaultdict(list)
    for event in of(STRUCTURING):
        by_actor[event.customer_id].append(event)
    assert len(by_actor) == 3
    for events in by_actor.values():
        assert all(
            0.6 * REPORTING_THRESHOLD_MINOR <= minor(e) < REPORTING_THRESHOLD_MINOR for e in events
        )
        per_day: dict[int, int] = defaultdict(int)
        for event in events:
            if minor(event) >= 0.9 * REPORTING_THRESHOLD_MINOR:
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
        assert events[-1].occurred_at - events[0].occurred_at <= 16 * HOUR  # within a day


def test_only_the_bad_movements_carry_the_label_not_the_launderers_own_logins():
    for typology in (STRUCTURING, CYCLE, FAN_OUT):
        assert {event.kind for event in of(typology)} == {EventKind.TRANSFER}
