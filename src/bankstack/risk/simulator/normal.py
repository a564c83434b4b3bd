"""Normal life: logins, payments to merchants, transfers to friends, salaries.

Customers act in sessions: a login from a home device, then a few actions within minutes. The
number of sessions a day follows each customer's own rate, their hours follow a day-time
profile (China time, UTC+8), payments go mostly to favourite merchants with amounts around the
customer's habit, and about one action in ten is a transfer to a friend. Employers pay
salaries on their payday. Balances are not enforced: opening balances of one to four salaries
keep honest customers solvent without a ledger in the loop.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Final

from bankstack.risk.domain.event import AttributeValue, EventKind
from bankstack.risk.simulator.config import HOUR, MINUTE, NS_PER_SECOND, SimulationConfig
from bankstack.risk.simulator.emitter import Emitter
from bankstack.risk.simulator.world import Customer, World, lognormal_minor, pick

_LOCAL_OFFSET_HOURS: Final = 8
# Relative activity per local hour 0..23, as cumulative weights for random.choices.
_HOUR_WEIGHTS: Final = (1, 1, 1, 1, 1, 1, 2, 4, 4, 5, 6, 6, 8, 8, 5, 5, 5, 5, 8, 8, 8, 8, 5, 3)
_HOUR_CUMULATIVE: Final = tuple(sum(_HOUR_WEIGHTS[: hour + 1]) for hour in range(24))
_HOURS: Final = tuple(range(24))
_ACTIONS_PER_SESSION: Final = (0, 1, 1, 1, 2, 2, 3)
_TRANSFER_SHARE: Final = 0.1
_MOBILE_SHARE: Final = 0.25
_BIG_PURCHASE_SHARE: Final = 0.01
_LIMIT_CHANGE_SHARE: Final = 0.002
_FRIEND_TRANSFER_MEDIAN: Final = 30_000  # 300.00
_FRIEND_TRANSFER_CAP: Final = 2_000_000  # 20,000.00
_PAYMENT_CHANNELS: Final = ("app", "qr", "qr", "api")  # in the app, scanned, online checkout
_NO_ATTRIBUTES: Final[Mapping[str, AttributeValue]] = MappingProxyType({})
_DEVICE: Final = MappingProxyType({"field": "device"})
_LIMITS: Final = MappingProxyType({"field": "limits"})


def device_on(customer: Customer, day: int) -> str:
    """The device a customer uses on ``day`` (after a phone change, the new one)."""
    if customer.new_phone_day is not None and day >= customer.new_phone_day:
        return customer.new_phone_device
    return customer.devices[0]


def open_session(
    emitter: Emitter, world: World, customer: Customer, day: int, at: int, rng: random.Random
) -> tuple[str, str]:
    """Emit an honest login at ``at``; return the (device, ip) the session uses."""
    device = device_on(customer, day)
    if len(customer.devices) > 1 and rng.random() < 0.2:  # noqa: PLR2004 - the tablet, sometimes
        device = customer.devices[1]
    ip = rng.choice(world.mobile_ips) if rng.random() < _MOBILE_SHARE else customer.home_ip
    emitter.emit(customer.actor, EventKind.LOGIN, at, device=device, ip=ip, phone=customer.phone)
    return device, ip


def live(emitter: Emitter, world: World, config: SimulationConfig, rng: random.Random) -> None:
    """Every customer's ordinary days, then the salaries."""
    for day in range(config.days):
        day_start = config.start_ns + day * 24 * HOUR
        for customer in world.customers:
            for _ in range(_poisson(rng, customer.sessions_per_day)):
                _session(emitter, world, customer, day, day_start + time_of_day(rng), rng)
    _pay_salaries(emitter, world, config, rng)


def _session(
    emitter: Emitter, world: World, customer: Customer, day: int, at: int, rng: random.Random
) -> None:
    device, ip = open_session(emitter, world, customer, day, at, rng)
    session = _Session(emitter, customer, device, ip)
    change = None
    if customer.new_phone_day == day and device == customer.new_phone_device:
        change = _DEVICE  # the customer binds the new phone, as the app asks
    elif rng.random() < _LIMIT_CHANGE_SHARE:
        change = _LIMITS
    if change is not None:
        at += rng.randrange(10, 60) * NS_PER_SECOND
        session.emit(EventKind.ACCOUNT_CHANGE, at, attributes=change)
    for _ in range(rng.choice(_ACTIONS_PER_SESSION)):
        at += rng.randrange(20 * NS_PER_SECOND, 5 * MINUTE)
        if customer.friends and rng.random() < _TRANSFER_SHARE:
            amount = lognormal_minor(rng, _FRIEND_TRANSFER_MEDIAN, 1.0)
            friend = rng.choice(customer.friends)
            session.emit(
                EventKind.TRANSFER,
                at,
                amount_minor=min(amount, _FRIEND_TRANSFER_CAP),
                counterparty=friend,
            )
            continue
        amount = lognormal_minor(rng, customer.payment_habit, 0.6)
        if rng.random() < _BIG_PURCHASE_SHARE:
            amount *= 20
        merchant = pick(rng, customer.merchants, customer.merchant_weights)
        channel = rng.choice(_PAYMENT_CHANNELS)
        session.emit(EventKind.PAYMENT, at, amount_minor=amount, merchant=merchant, channel=channel)


@dataclass(frozen=True, slots=True)
class _Session:
    """What every event of one session shares: who, from which device and IP."""

    emitter: Emitter
    customer: Customer
    device: str
    ip: str

    def emit(
        self,
        kind: EventKind,
        at: int,
        *,
        amount_minor: int | None = None,
        counterparty: str | None = None,
        merchant: str | None = None,
        channel: str = "app",
        attributes: Mapping[str, AttributeValue] = _NO_ATTRIBUTES,
    ) -> None:
        self.emitter.emit(
            self.customer.actor,
            kind,
            at,
            amount_minor=amount_minor,
            counterparty=counterparty,
            merchant=merchant,
            device=self.device,
            ip=self.ip,
            phone=self.customer.phone,
            channel=channel,
            attributes=attributes,
        )


def _pay_salaries(
    emitter: Emitter, world: World, config: SimulationConfig, rng: random.Random
) -> None:
    for day in range(config.days):
        day_start = config.start_ns + day * 24 * HOUR
        date = datetime.fromtimestamp(day_start // NS_PER_SECOND, tz=UTC)
        for customer in world.customers:
            if customer.payday != date.day:
                continue
            at = day_start + HOUR + rng.randrange(2 * HOUR)  # 09:00-11:00 in China
            emitter.emit(
                customer.employer,
                EventKind.TRANSFER,
                at,
                amount_minor=customer.salary,
                counterparty=customer.customer_id,
                channel="payroll",
            )


def time_of_day(rng: random.Random) -> int:
    """Nanoseconds after UTC midnight for an action at a day-time hour in China."""
    local_hour = pick(rng, _HOURS, _HOUR_CUMULATIVE)
    utc_hour = (local_hour - _LOCAL_OFFSET_HOURS) % 24
    return utc_hour * HOUR + rng.randrange(HOUR - 20 * MINUTE)  # sessions end before midnight


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means of daily sessions."""
    threshold = math.exp(-mean)
    count, product = 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count
