"""The synthetic population: customers with habits, merchants, employers, devices and IPs.

Each customer has one or two home devices, a home IP (and sometimes a shared mobile-carrier
IP), a phone, an account open date, an employer that pays a salary on a fixed day of the
month, a typical payment size, a few favourite merchants and a few friends to send money to.
Some customers change phones during the month (a benign new device), so "new device" alone
does not mean fraud.

Ids are neutral (``cus_00042``, ``dev_<hex>``, ``acc_<hex>``): nothing in an id says whether
its owner is honest, so no rule or model can read the label from a name.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from bankstack.risk.simulator.config import DAY, SimulationConfig
from bankstack.risk.simulator.emitter import Actor

T = TypeVar("T")

_MOBILE_IPS = 64  # carrier NAT addresses shared by many customers
_MAX_FRIENDS = 5
# Small employers (1-8 staff): a payday never pays 10 people, so it is no fan-out. A large
# employer's payroll is a classic fan-out false positive; real monitors exempt payroll.
_MAX_STAFF = 8
_NEW_PHONE_SHARE = 0.03  # customers who switch to a new phone during the simulation


@dataclass(frozen=True, slots=True)
class Customer:
    actor: Actor
    devices: tuple[str, ...]  # home devices, the main one first
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

    @property
    def customer_id(self) -> str:
        return self.actor.party_id


@dataclass(frozen=True, slots=True)
class World:
    customers: tuple[Customer, ...]
    merchants: tuple[str, ...]
    mobile_ips: tuple[str, ...]


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


def build_world(config: SimulationConfig, rng: random.Random) -> World:
    merchants = tuple(f"mch_{index:04d}" for index in range(config.merchants))
    employers = _employers(config.customers, rng)
    customers = tuple(
        _customer(config, rng, index, merchants, employers[index])
        for index in range(config.customers)
    )
    mobile_ips = tuple(new_ip(rng) for _ in range(_MOBILE_IPS))
    return World(customers=customers, merchants=merchants, mobile_ips=mobile_ips)


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
    opened_at = config.start_ns - rng.randrange(30, 3000) * DAY - rng.randrange(DAY)
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
        new_phone_day=rng.randrange(config.days) if rng.random() < _NEW_PHONE_SHARE else None,
        new_phone_device=new_device(rng),
    )
