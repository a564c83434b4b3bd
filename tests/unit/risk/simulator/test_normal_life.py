"""Honest customers: sessions open with a login, habits hold, salaries arrive."""

from __future__ import annotations

from collections import Counter, defaultdict

from bankstack.risk.domain.event import EventKind, RiskEvent
from bankstack.risk.simulator.config import MINUTE
from tests.unit.risk.simulator.worlds import small_stream


def honest() -> list[RiskEvent]:
    return [item.event for item in small_stream() if not item.fraud]


def test_every_customer_action_follows_a_login_on_the_same_device_within_minutes():
    last_login: dict[tuple[str, str | None], int] = {}
    acted = 0
    for item in small_stream():
        event = item.event
        key = (event.customer_id, event.device_id)
        if event.kind is EventKind.LOGIN:
            last_login[key] = event.occurred_at
        elif event.channel != "payroll" and item.typology != "card_testing":
            assert event.occurred_at - last_login[key] <= 20 * MINUTE, event
            acted += 1
    assert acted > 1000


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
    devices: dict[str, set[str | None]] = defaultdict(set)
    merchants: dict[str, set[str | None]] = defaultdict(set)
    for event in honest():
        if event.customer_id.startswith("cus_"):
            devices[event.customer_id].add(event.device_id)
        if event.kind is EventKind.PAYMENT:
            merchants[event.customer_id].add(event.merchant_id)
    assert max(len(used) for used in devices.values()) <= 3
    assert max(len(paid) for paid in merchants.values()) <= 8


def test_customers_carry_their_open_date_and_transfer_to_a_few_friends():
    friends: dict[str, set[str | None]] = defaultdict(set)
    for event in honest():
        if event.customer_id.startswith("cus_"):
            assert event.customer_since is not None
            assert event.customer_since < event.occurred_at
        if event.kind is EventKind.TRANSFER and event.customer_id.startswith("cus_"):
            friends[event.customer_id].add(event.counterparty_id)
    assert friends
    assert max(len(known) for known in friends.values()) <= 5


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
