"""Customer profiles: how many events, since when, and the usual amount (pure, in memory).

The usual amount is a running mean and standard deviation of the customer's money-moving
amounts, one per currency (a mean over fen and yen together means nothing), kept with
Welford's update so that it costs O(1) and stays accurate over millions of amounts. The
update is written in exactly the order the Redis script performs it (``delta = x - mean;
mean += delta / n; m2 += delta * (x - mean)`` in IEEE doubles), so both sources hold
bit-identical state. The vector carries the mean and the (sample) standard deviation as
integers of minor units, rounded half-even; ``amount_zscore`` and ``amount_to_mean`` are the
floats derived from them.

``account_age_days`` counts from the account's opening (``event.customer_since``) when the
caller knows it, else from the customer's earliest event seen. ``lookup`` never changes state.
"""

from __future__ import annotations

import math
from typing import Final, NamedTuple

from bankstack.risk.domain.event import RiskEvent
from bankstack.risk.features.windows import DAY_NS, SECOND_NS


class AmountStats:
    """Welford's running mean and sum of squared deviations (``m2``) of integer amounts."""

    __slots__ = ("count", "m2", "mean")

    def __init__(self, count: int = 0, mean: float = 0.0, m2: float = 0.0) -> None:
        self.count = count
        self.mean = mean
        self.m2 = m2

    def add(self, amount: int) -> None:
        self.count += 1
        delta = amount - self.mean
        self.mean += delta / self.count
        self.m2 += delta * (amount - self.mean)


class ProfileFacts(NamedTuple):
    events_total: int  # events of the customer ever seen
    first_seen: int | None  # ns of its earliest event
    amount_count: int  # money-moving amounts seen in the event's currency
    amount_mean: float
    amount_m2: float


NO_PROFILE: Final = ProfileFacts(0, None, 0, 0.0, 0.0)


class _Customer:
    __slots__ = ("amounts", "events", "first_seen")

    def __init__(self, first_seen: int) -> None:
        self.events = 0
        self.first_seen = first_seen
        self.amounts: dict[str, AmountStats] = {}  # currency -> stats


class Profiles:
    __slots__ = ("_customers",)

    def __init__(self) -> None:
        self._customers: dict[str, _Customer] = {}

    def lookup(self, event: RiskEvent, currency: str) -> ProfileFacts:
        customer = self._customers.get(event.customer_id)
        if customer is None:
            return NO_PROFILE
        stats = customer.amounts.get(currency)
        if stats is None:
            return ProfileFacts(customer.events, customer.first_seen, 0, 0.0, 0.0)
        return ProfileFacts(customer.events, customer.first_seen, stats.count, stats.mean, stats.m2)

    def record(self, event: RiskEvent) -> None:
        time_ns = event.occurred_at
        customer = self._customers.get(event.customer_id)
        if customer is None:
            customer = self._customers[event.customer_id] = _Customer(time_ns)
        customer.events += 1
        customer.first_seen = min(customer.first_seen, time_ns)
        amount = event.amount
        if amount is not None and event.kind.moves_money:
            stats = customer.amounts.get(amount.asset)
            if stats is None:
                stats = customer.amounts[amount.asset] = AmountStats()
            stats.add(amount.minor)


_MIN_FOR_SPREAD: Final = 2  # a sample standard deviation needs two amounts


class AmountFeatures(NamedTuple):
    mean: int  # minor units, rounded half-even
    std: int
    zscore: float
    to_mean: float


def amount_features(amount: int, facts: ProfileFacts) -> AmountFeatures:
    """The event's amount against the customer's usual one (0 when there is no history)."""
    count, mean = facts.amount_count, facts.amount_mean
    if count == 0:
        return AmountFeatures(0, 0, 0.0, 0.0)
    spread = count >= _MIN_FOR_SPREAD
    std = math.sqrt(max(facts.amount_m2, 0.0) / (count - 1)) if spread else 0.0
    zscore = (amount - mean) / std if std > 0.0 else 0.0
    to_mean = amount / mean if mean != 0.0 else 0.0
    return AmountFeatures(round(mean), round(std), zscore, to_mean)


def account_age_days(event: RiskEvent, first_seen: int | None) -> int:
    opened = event.customer_since if event.customer_since is not None else first_seen
    if opened is None:
        return 0
    return max(0, (event.occurred_at - opened) // DAY_NS)


def seconds_since(time_ns: int, then_ns: int | None) -> int:
    """Whole seconds from ``then_ns`` to ``time_ns``; -1 when never, 0 for a late event."""
    if then_ns is None:
        return -1
    return max(0, (time_ns - then_ns) // SECOND_NS)
