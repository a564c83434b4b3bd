"""Honest customers: sessions open with a login, habits hold, salaries arrive."""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict

from bankstack.risk.domain.event import EventKind, RiskEvent
from bankstack.risk.simulator import simulate
from bankstack.risk.simulator.config import MINUTE
from tests.unit.risk.simulator.worlds import SMALL, small_stream


def honest() -> list[RiskEvent]:
    return [item.event for item in small_stream() if not item.fraud]


def test_every_customer_action_follows_a_login_on_the_same_device_within_minutes():
    # ... except an online checkout: the merchant's checkout reaches the bank without a login.
    last_login: dict[tuple[str, str | None], int] = {}
    acted = checkouts = 0
    for item in small_stream():
        event = item.event
        key = (event.customer_id, event.device_id)
        if event.kind is EventKind.LOGIN:
            last_login[key] = event.occurred_at
        elif event.channel != "payroll" and item.typology != "card_testing":
            if event.occurred_at - last_login.get(key, -(1 << 80)) <= 20 * MINUTE:
                acted += 1
                continue
            assert not item.fraud, event
            assert (event.kind, event.channel, event.phone) == (EventKind.PAYMENT, "api", None)
            checkouts += 1
    assert acted > 1000
    assert 0 < checkouts < acted


def test_without_web_sessions_every_honest_action_follows_a_login():
    config = dataclasses.replace(SMALL, web_session_share=0.0, burst_rate=0.0)
    logged_in: set[tuple[str, str | None]] = set()
    for item in simulate(config):
        event = item.event
        if event.kind is EventKind.LOGIN:
            logged_in.add((event.customer_id, event.device_id))
        elif not item.fraud and event.channel != "payroll":
            assert (event.customer_id, event.device_id) in logged_in, event


def test_salaries_come_from_employers_as_transfers():
    salaries = [event for event in honest() if event.channel == "payroll"]
    assert salaries
    for salary in salaries:
        assert salary.kind is EventKind.TRANSFER
        assert salary.customer_id.startswith("emp_")
        assert salary.counterparty_id is not None
        assert salary.counterparty_id.startswith("cus_")
        assert salary.amount is not None
        assert 300_000 <= salary.amount.minor <= 3_000_000


def test_a_payday_never_pays_ten_people():
    paid = Counter(event.customer_id for event in honest() if event.channel == "payroll")
    assert max(paid.values()) <= 8


def test_customers_mostly_use_a_home_device_and_pay_favourite_merchants():
    devices: dict[str, Counter[str | None]] = defaultdict(Counter)
    merchants: dict[str, Counter[str | None]] = defaultdict(Counter)
    for event in honest():
        if event.kind is EventKind.LOGIN:
            devices[event.customer_id][event.device_id] += 1
        if event.kind is EventKind.PAYMENT:
            merchants[event.customer_id][event.merchant_id] += 1
    # Trips, new phones, tablets and office computers add devices, new shops add merchants,
    # but most sessions are on the main phone and most payments go to 3-8 favourites.
    assert _top_share(devices, 1) > 0.85
    assert _top_share(merchants, 8) > 0.9
    assert max(len(used) for used in devices.values()) > 1


def _top_share(counts: dict[str, Counter[str | None]], top: int) -> float:
    mine = sum(sum(n for _, n in counter.most_common(top)) for counter in counts.values())
    return mine / sum(counter.total() for counter in counts.values())


def test_customers_carry_their_open_date_and_transfer_to_a_few_people():
    payees: dict[str, set[str | None]] = defaultdict(set)
    for event in honest():
        if event.customer_id.startswith("cus_"):
            assert event.customer_since is not None
            assert event.customer_since < event.occurred_at
        if event.kind is EventKind.TRANSFER and event.customer_id.startswith("cus_"):
            payees[event.customer_id].add(event.counterparty_id)
    counts = sorted(len(paid) for paid in payees.values())
    assert counts[len(counts) // 2] <= 2  # friends, a landlord, a seller now and then
    assert counts[-1] < 10  # never a fan-out


def test_payment_amounts_follow_each_customers_habit():
    amounts: dict[str, list[int]] = defaultdict(list)
    for event in honest():
        if event.kind is EventKind.PAYMENT and event.amount is not None:
            amounts[event.customer_id].append(event.amount.minor)
    medians = sorted(
        sorted(values)[len(values) // 2] for values in amounts.values() if len(values) > 4
    )
    # Habits differ between customers: the thriftiest and the most lavish are far apart.
    assert medians[-1] > 5 * medians[0]
