"""Honest look-alikes: honest events that share a feature with fraud, labelled honest, and
honest money that stays under every AML threshold (so an alert on it is a detector's error)."""

from __future__ import annotations

from collections import defaultdict, deque

from bankstack.risk.domain.event import EventKind, RiskEvent
from bankstack.risk.simulator import REPORTING_THRESHOLD_MINOR
from bankstack.risk.simulator.config import DAY
from tests.unit.risk.simulator.worlds import month_stream


def honest_movements() -> list[RiskEvent]:
    return [
        item.event
        for item in month_stream()
        if not item.fraud and item.event.kind.moves_money and item.event.channel != "payroll"
    ]


def minor(event: RiskEvent) -> int:
    assert event.amount is not None
    return event.amount.minor


def in_band(event: RiskEvent) -> bool:
    return 9 * REPORTING_THRESHOLD_MINOR <= 10 * minor(event) < 10 * REPORTING_THRESHOLD_MINOR


def test_honest_customers_pay_from_devices_and_ips_they_never_used():
    seen_devices: dict[str, set[str | None]] = defaultdict(set)
    seen_ips: dict[str, set[str | None]] = defaultdict(set)
    unfamiliar = 0
    for item in month_stream():
        event = item.event
        customer = event.customer_id
        new = event.device_id not in seen_devices[customer] and event.ip not in seen_ips[customer]
        if not item.fraud and event.kind.moves_money and new and seen_devices[customer]:
            unfamiliar += 1  # travel, a new phone, an office computer
        seen_devices[customer].add(event.device_id)
        seen_ips[customer].add(event.ip)
    assert unfamiliar > 100


def test_honest_amounts_reach_into_the_card_testers_and_the_structurers_ranges():
    amounts = [minor(event) for event in honest_movements()]
    assert sum(amount <= 100 for amount in amounts) > 20  # online shops' card checks
    transfers = [e for e in honest_movements() if e.kind is EventKind.TRANSFER]
    assert any(in_band(event) for event in transfers)  # a car paid in pieces, a deposit


def test_honest_transfers_stay_under_the_aml_thresholds():
    near: dict[str, deque[int]] = defaultdict(deque)
    payers: dict[str, deque[tuple[int, str | None]]] = defaultdict(deque)
    payees: dict[str, deque[tuple[int, str | None]]] = defaultdict(deque)
    most_payers = 0
    for event in honest_movements():
        at = event.occurred_at
        if in_band(event):
            assert _count_within(near[event.customer_id], at, at) < 3, event  # no structuring
        if event.kind is not EventKind.TRANSFER:
            continue  # a merchant's many buyers are its trade, not a fan-in
        fan_in = _distinct_within(payers[event.counterparty_id or ""], at, event.customer_id)
        fan_out = _distinct_within(payees[event.customer_id], at, event.counterparty_id)
        assert fan_in < 10, event
        assert fan_out < 10, event
        most_payers = max(most_payers, fan_in)
    assert most_payers >= 4  # gatherings and small businesses: honest fan-in, under ten


def _count_within(window: deque[int], at: int, value: int) -> int:
    window.append(value)
    while window[0] < at - DAY:
        window.popleft()
    return len(window)


def _distinct_within(window: deque[tuple[int, str | None]], at: int, party: str | None) -> int:
    window.append((at, party))
    while window[0][0] < at - DAY:
        window.popleft()
    return len({who for _, who in window})
