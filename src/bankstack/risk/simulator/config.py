"""What a synthetic world looks like: its size, its seed and how often each typology happens.

Everything the simulator produces is synthetic: invented customers, merchants, devices and
money, generated from a seeded ``random.Random``. Nothing comes from real people.

A typology rate is the expected number of *episodes* (one account takeover, one mule ring, one
structuring spree ...) per customer per simulated day; the simulator plays exactly
``round(rate * customers * days)`` episodes of each, so a test can count them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bankstack.kernel.money import ASSET_SCALES

NS_PER_SECOND: Final = 1_000_000_000
MINUTE: Final = 60 * NS_PER_SECOND
HOUR: Final = 60 * MINUTE
DAY: Final = 24 * HOUR

START_NS: Final = 1_767_225_600 * NS_PER_SECOND  # 2026-01-01T00:00:00Z

# The reporting threshold structurers stay under: 50,000.00 CNY in minor units.
REPORTING_THRESHOLD_MINOR: Final = 5_000_000

ACCOUNT_TAKEOVER: Final = "account_takeover"
CARD_TESTING: Final = "card_testing"
MULE_FAN_IN: Final = "mule_fan_in"
STRUCTURING: Final = "structuring"
CYCLE: Final = "cycle"
FAN_OUT: Final = "fan_out"
TYPOLOGIES: Final = (ACCOUNT_TAKEOVER, CARD_TESTING, MULE_FAN_IN, STRUCTURING, CYCLE, FAN_OUT)

MAX_RING: Final = 4  # members of a laundering cycle (2 to 4 hops)
MAX_MULE_SENDERS: Final = 30
_MIN_MERCHANTS: Final = 30  # card testing hits up to 20 distinct merchants
_MIN_BYSTANDERS: Final = 2 * MAX_MULE_SENDERS  # customers who are never an actor


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationConfig:
    """A synthetic PaySim-like world; the same config always yields the same stream."""

    seed: int = 7
    days: int = 30
    customers: int = 2000
    merchants: int = 100
    start_ns: int = START_NS
    currency: str = "CNY"
    # Episodes per customer per day (2000 customers x 30 days: 0.0002 -> 12 episodes).
    account_takeover_rate: float = 0.0003
    card_testing_rate: float = 0.0002
    mule_fan_in_rate: float = 0.0002
    structuring_rate: float = 0.0002
    cycle_rate: float = 0.0002
    fan_out_rate: float = 0.0002

    def __post_init__(self) -> None:
        if self.days < 2:  # noqa: PLR2004 - episodes need a day to play out after they start
            raise ValueError("a simulation needs at least 2 days")
        if self.merchants < _MIN_MERCHANTS:
            raise ValueError(f"a simulation needs at least {_MIN_MERCHANTS} merchants")
        if self.currency not in ASSET_SCALES:
            raise ValueError(f"unknown currency {self.currency!r}")
        for typology in TYPOLOGIES:
            if not 0.0 <= self.rate(typology) <= 1.0:
                raise ValueError(f"{typology} rate must be within [0, 1]")
        if self.customers - self.actors_needed() < _MIN_BYSTANDERS:
            raise ValueError(
                f"{self.customers} customers are too few: the typologies need "
                f"{self.actors_needed()} actors plus {_MIN_BYSTANDERS} bystanders"
            )

    def rate(self, typology: str) -> float:
        rate: float = getattr(self, f"{typology}_rate")
        return rate

    def episodes(self, typology: str) -> int:
        """How many episodes of ``typology`` the simulation plays."""
        return round(self.rate(typology) * self.customers * self.days)

    def actors_needed(self) -> int:
        """Customers cast in a typology, at most (each episode has its own actors)."""
        rings = self.episodes(CYCLE) * MAX_RING
        solo = (ACCOUNT_TAKEOVER, MULE_FAN_IN, STRUCTURING, FAN_OUT)
        return rings + sum(self.episodes(typology) for typology in solo)

    @property
    def end_ns(self) -> int:
        return self.start_ns + self.days * DAY
