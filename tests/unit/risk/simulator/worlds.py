"""Simulated worlds shared by the simulator and AML tests, each generated once per process."""

from __future__ import annotations

import dataclasses
from functools import cache

from bankstack.risk.simulator import LabelledEvent, SimulationConfig, simulate


def _config(*, seed: int, days: int, customers: int, rate: float) -> SimulationConfig:
    return SimulationConfig(
        seed=seed,
        days=days,
        customers=customers,
        merchants=40,
        account_takeover_rate=rate,
        card_testing_rate=rate,
        mule_fan_in_rate=rate,
        structuring_rate=rate,
        cycle_rate=rate,
        fan_out_rate=rate,
    )


# 300 customers x 5 days, every typology at 0.002 episodes per customer-day: 3 episodes each.
SMALL = _config(seed=11, days=5, customers=300, rate=0.002)
# A month of 400 customers, 0.0005 per customer-day: 6 episodes of each typology.
MONTH = _config(seed=3, days=30, customers=400, rate=0.0005)
# SMALL with 30 takeovers and 15 card-testing episodes: enough to see each kind's mix.
BUSY = dataclasses.replace(SMALL, account_takeover_rate=0.02, card_testing_rate=0.01)


@cache
def small_stream() -> tuple[LabelledEvent, ...]:
    return tuple(simulate(SMALL))


@cache
def month_stream() -> tuple[LabelledEvent, ...]:
    return tuple(simulate(MONTH))


@cache
def busy_stream() -> tuple[LabelledEvent, ...]:
    return tuple(simulate(BUSY))
