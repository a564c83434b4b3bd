"""The AML monitor's thresholds: one frozen value, so a monitor's behaviour is its config.

A monitor watches one currency: the amounts below are minor units of ``currency``, and
movements in any other currency are not its business (run one monitor per currency).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from bankstack.kernel.money import ASSET_SCALES, Money

NS_PER_SECOND: Final = 1_000_000_000
MINUTE: Final = 60 * NS_PER_SECOND
HOUR: Final = 60 * MINUTE
DAY: Final = 24 * HOUR


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    currency: str = "CNY"
    # Structuring: >= count movements by one payer within the window, each in
    # [band_percent%, 100%) of the reporting threshold.
    reporting_threshold_minor: int = 5_000_000  # 50,000.00 CNY
    structuring_count: int = 3
    structuring_band_percent: int = 90
    structuring_window_ns: int = DAY
    # Rapid pass-through: what a party sends out within the window after receiving is at
    # least ratio_percent of what it received, and it received at least min_inflow.
    pass_through_window_ns: int = HOUR
    pass_through_ratio_percent: int = 80
    pass_through_min_inflow_minor: int = 500_000  # 5,000.00 CNY
    # Fan-in / fan-out: >= counterparties distinct payers into (payees out of) one party.
    # Only account-to-account movements count: a merchant's many buyers are its trade.
    fan_counterparties: int = 10
    fan_window_ns: int = DAY
    fan_sources: frozenset[str] = field(default_factory=lambda: frozenset({"transfer", "ledger"}))
    # Cycles: money back at its origin through 2..max_hops hops within the window, each hop
    # at least hop_percent% of the previous one and at least min_amount.
    cycle_window_ns: int = DAY
    cycle_max_hops: int = 4
    cycle_hop_percent: int = 50
    cycle_min_amount_minor: int = 500_000  # 5,000.00 CNY
    cycle_search_budget: int = 5_000  # edges examined per movement, at most

    def __post_init__(self) -> None:
        if self.currency not in ASSET_SCALES:
            raise ValueError(f"unknown currency {self.currency!r}")
        windows = (
            self.structuring_window_ns,
            self.pass_through_window_ns,
            self.fan_window_ns,
            self.cycle_window_ns,
        )
        if min(windows) <= 0:
            raise ValueError("every window must be positive")
        if not 2 <= self.cycle_max_hops <= 6:  # noqa: PLR2004 - the search is exponential in hops
            raise ValueError("cycle_max_hops must be within 2..6")
        if min(self.structuring_count, self.fan_counterparties, self.cycle_search_budget) < 1:
            raise ValueError("counts and the search budget must be at least 1")
        if not 0 < self.structuring_band_percent < 100:  # noqa: PLR2004
            raise ValueError("structuring_band_percent must be within 1..99")

    @property
    def horizon_ns(self) -> int:
        """How far back any detector looks: state older than this is forgotten."""
        return max(
            self.structuring_window_ns,
            self.pass_through_window_ns,
            self.fan_window_ns,
            self.cycle_window_ns,
        )

    def money(self, minor: int) -> Money:
        return Money(minor, self.currency)
