"""The synthetic population: customers with habits, merchants, employers, devices and IPs.

Each customer has one or two home devices, a home IP (and sometimes a shared mobile-carrier
IP), a phone, an account open date, an employer that pays a salary on a fixed day of the
month, a typical payment size, a few favourite merchants, a few friends to send money to and
an account at home (parents) that some of them support on payday.

Some of it looks suspicious on purpose, because honest life does (config.py sets how much):
some customers move to a new phone during the month, some travel (hotel and roaming IPs, now
and then a borrowed device), some opened their account only weeks ago, and some families
share a tablet, so "new device", "new IP", "young account" and "device of several customers"
alone do not mean fraud. The first merchants are everyday ones (transit, canteens,
convenience stores) that many customers pay small amounts to; a few letting agencies collect
the rent of many tenants, and some customers run a small business (tutoring, a stall, a
barber's chair) paid by personal transfer: honest accounts that many people pay.

Ids are neutral (``cus_00042``, ``dev_<hex>``, ``acc_<hex>``): nothing in an id says whether
its owner is honest, so no rule or model can read the label from a name.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from bankstack.risk.simulator.config import DAY, SimulationConfig
from bankstack.risk.simulator.emitter import Actor

T = TypeVar("T")

_MOBILE_IPS: Final = 64  # carrier NAT addresses shared by many customers
_MAX_FRIENDS: Final = 5
# Small employers (1-8 staff): a payday never pays 10 people, so it is no fan-out. A large
# employer's payroll is a classic fan-out false positive; real monitors exempt payroll.
_MAX_STAFF: Final = 8
_RECENT_DAYS: Final = 60  # a "young" account: opened at most this many days before the start
_EVERYDAY_SHARE: Final = 20  # one merchant in 20 is an everyday one (transit, canteen ...)
_MIN_EVERYDAY: Final = 3
_TENANTS: Final = 200  # customers per letting agency
_MAX_TRIP_DAYS: Final = 4
_TRIP_DEVICE_SHARE: Final = 0.3  # travellers on a borrowed or newly bought device


@dataclass(frozen=True, slots=True)
class Trip:
    """Days away from home: a hotel or roaming IP per day, maybe another device."""

    first_day: int
    ips: tuple[str, ...]  # one per day of the trip
    device: str | None  # a borrowed or new device, or None: the customer's own phone

    def ip_on(self, day: int) -> str | None:
        offset = day - self.first_day
        return self.ips[offset] if 0 <= offset < len(self.ips) else None


@dataclass(frozen=True, slots=True)
class Customer:
    actor: Actor
    devices: tuple[str, ...]  # home devices, the main one first (the second may be shared)
    home_ip: str
    phone: str
    sessions_per_day: float
    payment_habit: int  # a typical payment, minor units
    merchants: tuple[str, ...]  # favourites ...
    merchant_weights: tuple[int, ...]  # ... and how often each is chosen (cumulative)
    friends: tuple[str, ...]
    employer: Actor
    salary: int  # minor units
    payday: int  # day of the month
    opening_balance: int  # minor units
    new_phone_day: int | None  # simulation day on which the customer moves to a new phone
    new_phone_device: str
    laptop: str  # the browser on the customer's own computer
    trip: Trip | None
    home_account: str  # parents' account at another bank, supported on payday
    spree_on_payday: bool

    @property
    def customer_id(self) -> str:
        return self.actor.party_id


@dataclass(frozen=True, slots=True)
class World:
    customers: tuple[Customer, ...]
    merchants: tuple[str, ...]
    everyday: tuple[str, ...]  # the first merchants: transit, canteens, convenience stores
    mobile_ips: tuple[str, ...]
    agencies: tuple[str, ...]  # letting agencies' accounts at other banks: many tenants pay them
    vendors: tuple[str, ...]  # customers paid by personal transfer: a tutor, a stall, a barber

    def by_id(self, customer_id: str) -> Customer:
        """The customer ``cus_<index>``: ids are positions in ``customers``."""
        return self.customers[int(customer_id.removeprefix("cus_"))]


def new_device(rng: random.Random) -> str:
    return f"dev_{rng.getrandbits(48):012x}"


def new_account(rng: random.Random) -> str:
    """An account outside the bank's customers (a payee at another bank)."""
    return f"acc_{rng.getrandbits(48):012x}"


def new_ip(rng: random.Random) -> str:
    # 100.64.0.0/10 is carrier-grade NAT space: never a real customer's public address.
    return f"100.{rng.randrange(64, 128)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def new_phone(rng: random.Random) -> str:
    return f"+861{rng.randrange(30, 100)}{rng.randrange(10**8):08d}"


def pick(rng: random.Random, items: Sequence[T], cumulative: Sequence[int]) -> T:
    """One of ``items`` by cumulative weights: random.choices without its overhead."""
    return items[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def lognormal_minor(rng: random.Random, median_minor: int, sigma: float) -> int:
    """A positive amount around ``median_minor``: a float draw, rounded once to minor units."""
    return max(1, round(median_minor * rng.lognormvariate(0.0, sigma)))


def clamp(amount: int, low: int, high: int) -> int:
    return min(max(amount, low), high)


def build_world(config: SimulationConfig, rng: random.Random) -> World:
    merchants = tuple(f"mch_{index:04d}" for index in range(config.merchants))
    employers = _employers(config.customers, rng)
    customers = [
        _customer(config, rng, index, merchants, employers[index])
        for index in range(config.customers)
    ]
    _share_family_tablets(customers, config.family_device_share, rng)
    mobile_ips = tuple(new_ip(rng) for _ in range(_MOBILE_IPS))
    everyday = merchants[: max(_MIN_EVERYDAY, config.merchants // _EVERYDAY_SHARE)]
    agencies = tuple(new_account(rng) for _ in range(max(2, config.customers // _TENANTS)))
    vendors = tuple(
        f"cus_{index:05d}"
        for index in sorted(
            rng.sample(range(config.customers), round(config.vendor_share * config.customers))
        )
    )
    return World(
        customers=tuple(customers),
        merchants=merchants,
        everyday=everyday,
        mobile_ips=mobile_ips,
        agencies=agencies,
        vendors=vendors,
    )


def _employers(customers: int, rng: random.Random) -> list[tuple[Actor, int]]:
    """Each customer's (employer, payday): the staff of one employer share its payday."""
    order = list(range(customers))
    rng.shuffle(order)
    assigned: list[tuple[Actor, int]] = [(Actor(""), 0)] * customers
    start = 0
    while start < customers:
        staff = order[start : start + rng.randint(1, _MAX_STAFF)]
        employer = (Actor(f"emp_{start:05d}"), rng.randrange(1, 29))
        for index in staff:
            assigned[index] = employer
        start += len(staff)
    return assigned


def _share_family_tablets(customers: list[Customer], share: float, rng: random.Random) -> None:
    """Give households of 2-3 customers one tablet as their second device."""
    order = list(range(len(customers)))
    rng.shuffle(order)
    family = order[: round(share * len(customers))]
    while len(family) >= 2:  # noqa: PLR2004 - a household of one shares nothing
        size = rng.randint(2, 3)
        household, family = family[:size], family[size:]
        tablet = new_device(rng)
        for index in household:
            person = customers[index]
            customers[index] = dataclasses.replace(person, devices=(person.devices[0], tablet))


def _customer(
    config: SimulationConfig,
    rng: random.Random,
    index: int,
    merchants: tuple[str, ...],
    employment: tuple[Actor, int],
) -> Customer:
    favourites = tuple(rng.sample(merchants, rng.randint(3, 8)))
    # Zipf-like preference: the first favourite is chosen most often.
    weights = tuple(math.ceil(12 / (rank + 1)) for rank in range(len(favourites)))
    cumulative = tuple(sum(weights[: rank + 1]) for rank in range(len(weights)))
    friends = tuple(
        f"cus_{friend:05d}"
        for friend in rng.sample(range(config.customers), _MAX_FRIENDS + 1)
        if friend != index
    )[: rng.randint(1, _MAX_FRIENDS)]
    employer, payday = employment
    salary = rng.randrange(3_000, 30_001) * 100
    age_days = _RECENT_DAYS if rng.random() < config.new_account_share else 3000
    opened_at = config.start_ns - rng.randrange(1, age_days) * DAY - rng.randrange(DAY)
    return Customer(
        actor=Actor(f"cus_{index:05d}", opened_at),
        devices=tuple(new_device(rng) for _ in range(rng.choice((1, 1, 1, 2)))),
        home_ip=new_ip(rng),
        phone=new_phone(rng),
        sessions_per_day=rng.uniform(0.3, 2.5),
        payment_habit=lognormal_minor(rng, 6_000, 0.8),
        merchants=favourites,
        merchant_weights=cumulative,
        friends=friends,
        employer=employer,
        salary=salary,
        payday=payday,
        opening_balance=salary * rng.randint(1, 4),
        new_phone_day=rng.randrange(config.days) if rng.random() < config.new_phone_share else None,
        new_phone_device=new_device(rng),
        laptop=new_device(rng),
        trip=_trip(config, rng),
        home_account=new_account(rng),
        spree_on_payday=rng.random() < config.payday_spree_share,
    )


def _trip(config: SimulationConfig, rng: random.Random) -> Trip | None:
    """At most one trip per customer, with probability travel_rate per simulated day."""
    if rng.random() >= min(1.0, config.travel_rate * config.days):
        return None
    days = rng.randint(1, min(_MAX_TRIP_DAYS, config.days))
    device = new_device(rng) if rng.random() < _TRIP_DEVICE_SHARE else None
    return Trip(
        rng.randrange(config.days - days + 1), tuple(new_ip(rng) for _ in range(days)), device
    )
