"""What a synthetic world looks like: its size, its seed, its typologies and its camouflage.

Everything the simulator produces is synthetic: invented customers, merchants, devices and
money, generated from a seeded ``random.Random``. Nothing comes from real people.

A typology rate is the expected number of *episodes* (one account takeover, one mule ring, one
structuring spree ...) per customer per simulated day; the simulator plays exactly
``round(rate * customers * days)`` episodes of each, so a test can count them back.

The other knobs set how hard the world is to police, in both directions:

- honest look-alikes: how often honest customers do things that look like fraud (a trip on a
  new phone, a first big purchase, a burst of small payments, a meal or trip shared with
  friends, a loan to a friend, a transfer to a second-hand seller, a small business paid by
  its clients' transfers, a payday spree, a tablet shared by the family, an online checkout
  on the office computer, an account opened last month);
- blending: the share of fraud episodes that hide in ordinary behaviour (a takeover from the
  victim's own device, one that spends like the victim, card testing paced under the
  one-minute rules, a mule cashing out from its own phone, structuring mixed with smaller
  amounts).

The defaults are tuned so that the fraud model trained on a 30-day, 1000-customer world has
to work for its score (holdout AUC about 0.94-0.99 depending on the seed, recall at 0.1%
false positives about 0.6-0.85) while every AML detector still finds its episodes with no
alert on an honest party. With every knob of both groups at 0 the same model scores an AUC
of 0.9999: the look-alikes and the blending are what make the figure mean something. Labels
stay the ground truth either way: no label is ever flipped.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
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
    # Episodes per customer per day (2000 customers x 30 days: 0.0003 -> 18 episodes). Takeovers
    # are the commonest; a 7-day holdout of a 1000-customer month still sees most typologies.
    account_takeover_rate: float = 0.001
    card_testing_rate: float = 0.0004
    mule_fan_in_rate: float = 0.0003
    structuring_rate: float = 0.0003
    cycle_rate: float = 0.0003
    fan_out_rate: float = 0.0003
    # Honest look-alikes. Shares are of customers; rates are per customer per day.
    new_account_share: float = 0.08  # accounts opened in the 60 days before the start
    family_device_share: float = 0.12  # customers sharing a family tablet with 1-2 others
    new_phone_share: float = 0.04  # customers who move to a new phone during the month
    payday_spree_share: float = 0.3  # customers who shop and send money home on payday
    web_session_share: float = 0.1  # sessions in a browser, one in five on an unfamiliar PC
    vendor_share: float = 0.02  # small businesses paid by transfer by 0-4 clients a day
    travel_rate: float = 0.01  # trips (new IPs, sometimes a new device; one per customer)
    big_purchase_rate: float = 0.01  # rent, a deposit, electronics: 10x-50x the usual
    burst_rate: float = 0.05  # transit rides, a food court, a shopping afternoon
    gathering_rate: float = 0.005  # a shared meal or trip, red envelopes: 2-6 people pay in
    loan_rate: float = 0.004  # 2,000-30,000 lent to a friend, repaid days later
    stranger_rate: float = 0.03  # a transfer to someone never paid: a seller, a tutor
    # Blending: shares of each typology's episodes (or of a structurer's transfers).
    takeover_own_device_share: float = 0.5  # malware or remote access on the victim's phone
    takeover_mimic_share: float = 0.7  # spends like the victim instead of draining at once
    card_testing_slow_share: float = 0.7  # paced under the 1-minute rules, rotating IPs
    mule_own_device_share: float = 0.5  # the mule cashes out from its own phone
    structuring_below_band_share: float = 0.3  # transfers kept below the detector's band

    def __post_init__(self) -> None:
        if self.days < 2:  # noqa: PLR2004 - episodes need a day to play out after they start
            raise ValueError("a simulation needs at least 2 days")
        if self.merchants < _MIN_MERCHANTS:
            raise ValueError(f"a simulation needs at least {_MIN_MERCHANTS} merchants")
        if self.currency not in ASSET_SCALES:
            raise ValueError(f"unknown currency {self.currency!r}")
        for knob in fields(self):
            if (
                knob.name.endswith(("_rate", "_share"))
                and not 0.0 <= getattr(self, knob.name) <= 1.0
            ):
                raise ValueError(f"{knob.name} must be within [0, 1]")
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
