"""Seeded random event streams for the feature sources' tests (memory vs brute force vs Redis).

The streams are small but hit every path: all kinds, three currencies (one without decimals),
late events and long gaps (buckets evicted, windows emptied), shared devices and phones,
transfers to customers who pay on (``customer_received``), round amounts and amounts just
below a reporting threshold, attributes and account-opening times.
"""

from __future__ import annotations

import random

from bankstack.kernel.money import Money
from bankstack.risk.domain.event import EventKind, RiskEvent

T0 = 1_790_000_000 * 1_000_000_000
_SECOND = 1_000_000_000
_GAPS = (0, 1, 999_999_999, _SECOND, 7 * _SECOND, 61 * _SECOND, 3_600 * _SECOND, 86_400 * _SECOND)
_AMOUNTS = {
    "CNY": (1, 9_999, 10_000, 4_600_000, 4_999_999, 5_000_000, 123_456),
    "USD": (500, 10_000, 950_000, 999_999, 1_000_000),
    "JPY": (100, 10_000, 12_345),
}


def _time(rng: random.Random, now: int) -> tuple[int, int]:
    """The next clock reading and the event's time (sometimes late, behind the clock)."""
    gap = rng.choice(_GAPS) if rng.random() < 0.3 else rng.randrange(2 * _SECOND)
    now += gap
    late = rng.random() < 0.1
    return now, now - rng.randrange(90 * _SECOND) if late else now


def event(rng: random.Random, number: int, now: int, customers: int) -> RiskEvent:
    kind = rng.choice(list(EventKind))
    customer = f"c{rng.randrange(customers)}"
    currency = rng.choice(("CNY", "CNY", "USD", "JPY"))
    has_amount = kind.moves_money or (kind is EventKind.LOAN_APPLICATION and rng.random() < 0.5)
    amount = Money(rng.choice(_AMOUNTS[currency]), currency) if has_amount else None
    merchant = f"m{rng.randrange(5)}" if kind is EventKind.PAYMENT else None
    counterparty = (
        f"c{rng.randrange(customers)}"
        if kind is EventKind.TRANSFER and rng.random() < 0.9
        else None
    )
    attributes: dict[str, str | int | bool] = {}
    if kind is EventKind.LOAN_APPLICATION:
        attributes = {"income": rng.randrange(10_000), "purpose": "car", "employed": True}
    return RiskEvent(
        event_id=f"e{number}",
        kind=kind,
        occurred_at=now,
        customer_id=customer,
        amount=amount,
        merchant_id=merchant,
        counterparty_id=counterparty,
        device_id=rng.choice((None, f"d{rng.randrange(4)}", f"d-{customer}")),
        ip=rng.choice((None, f"10.0.0.{rng.randrange(6)}", "")),
        phone=rng.choice((None, None, f"p{rng.randrange(3)}")),
        channel=rng.choice(("api", "app")),
        customer_since=T0 - 40 * 86_400 * _SECOND if rng.random() < 0.2 else None,
        attributes=attributes,
    )


def random_stream(seed: int, size: int, customers: int = 6) -> list[RiskEvent]:
    rng = random.Random(seed)
    now, events = T0, []
    for number in range(size):
        now, at = _time(rng, now)
        events.append(event(rng, number, at, customers))
    return events
