"""Normal life: logins, payments to merchants, transfers to friends, salaries.

Customers act in sessions: a login from a home device, then a few actions within minutes. The
number of sessions a day follows each customer's own rate, their hours follow a day-time
profile (China time, UTC+8), payments go mostly to favourite merchants with amounts around the
customer's habit, and about one action in ten is a transfer to a friend. Employers pay
salaries on their payday. Balances are not enforced: opening balances of one to four salaries
keep honest customers solvent without a ledger in the loop.

A session's device and IP follow the customer's life: the new phone once they switched, the
family tablet now and then, a mobile-carrier IP a quarter of the time, and while travelling a
hotel or roaming IP (and the borrowed device, if any). ``web_session_share`` of the sessions
are shopping in a web browser: online checkouts that reach the bank through the merchant, with
no login into the bank and no phone (the merchant forwards the device and IP only). Half are
at shops new to the customer, three in ten of which check the card with a 0.01-1.00 charge
first; four in five are on the customer's own computer, one in five on a computer they never
used before (the office, an internet cafe, a friend's): honest events that look like a
takeover's or a card tester's. The unusual honest days are in lookalike.py and sharing.py.
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
from bankstack.risk.simulator.world import (
    Customer,
    World,
    lognormal_minor,
    new_device,
    new_ip,
    pick,
)

_LOCAL_OFFSET_HOURS: Final = 8
# Relative activity per local hour 0..23, as cumulative weights for random.choices.
_HOUR_WEIGHTS: Final = (1, 1, 1, 1, 1, 1, 2, 4, 4, 5, 6, 6, 8, 8, 5, 5, 5, 5, 8, 8, 8, 8, 5, 3)
_HOUR_CUMULATIVE: Final = tuple(sum(_HOUR_WEIGHTS[: hour + 1]) for hour in range(24))
_HOURS: Final = tuple(range(24))
_ACTIONS_PER_SESSION: Final = (0, 1, 1, 1, 2, 2, 3)
_TRANSFER_SHARE: Final = 0.1
_MOBILE_SHARE: Final = 0.25
_ROAMING_SHARE: Final = 0.4  # away from home: the carrier's roaming IP rather than hotel wifi
_TABLET_SHARE: Final = 0.2
_UNFAMILIAR_SHARE: Final = 0.2  # web sessions on a computer the customer never used before
_FAVOURITE_SHOP_SHARE: Final = 0.5  # online orders at a favourite; the rest anywhere
_CARD_CHECK_SHARE: Final = 0.3  # a new online shop checks the card with a tiny charge first
_LIMIT_CHANGE_SHARE: Final = 0.002
_FRIEND_TRANSFER_MEDIAN: Final = 30_000  # 300.00
_FRIEND_TRANSFER_CAP: Final = 2_000_000  # 20,000.00
PAYMENT_CHANNELS: Final = ("app", "qr", "qr", "api")  # in the app, scanned, online checkout
_NO_ATTRIBUTES: Final[Mapping[str, AttributeValue]] = MappingProxyType({})
_DEVICE: Final = MappingProxyType({"field": "device"})
_LIMITS: Final = MappingProxyType({"field": "limits"})


def device_on(customer: Customer, day: int) -> str:
    """The phone a customer uses on ``day`` (after a phone change, the new one)."""
    if customer.new_phone_day is not None and day >= customer.new_phone_day:
        return customer.new_phone_device
    return customer.devices[0]


def _device_and_ip(
    world: World, customer: Customer, day: int, rng: random.Random
) -> tuple[str, str]:
    device = device_on(customer, day)
    trip = customer.trip
    away = None if trip is None else trip.ip_on(day)
    if trip is not None and away is not None:  # the tablet stays at home
        mobile = rng.random() < _ROAMING_SHARE
        return trip.device or device, rng.choice(world.mobile_ips) if mobile else away
    if len(customer.devices) > 1 and rng.random() < _TABLET_SHARE:
        device = customer.devices[1]
    ip = rng.choice(world.mobile_ips) if rng.random() < _MOBILE_SHARE else customer.home_ip
    return device, ip


def _web_device_and_ip(customer: Customer, rng: random.Random) -> tuple[str, str]:
    """The customer's own computer at home, or now and then one they never used before."""
    if rng.random() < _UNFAMILIAR_SHARE:  # at the office, an internet cafe, a friend's
        return new_device(rng), new_ip(rng)
    return customer.laptop, customer.home_ip


def open_session(
    emitter: Emitter,
    world: World,
    customer: Customer,
    day: int,
    at: int,
    rng: random.Random,
    *,
    web: bool = False,
) -> Session:
    """Emit an honest login at ``at``; return the session, with the device and IP it uses.

    A web session is a shopping trip in a browser: the merchant's checkout reaches the bank
    without a login into the bank, so none is emitted.
    """
    if web:
        device, ip = _web_device_and_ip(customer, rng)
        return Session(emitter, customer, device, ip, web=True)
    device, ip = _device_and_ip(world, customer, day, rng)
    emitter.emit(customer.actor, EventKind.LOGIN, at, device=device, ip=ip, phone=customer.phone)
    return Session(emitter, customer, device, ip)


def live(emitter: Emitter, world: World, config: SimulationConfig, rng: random.Random) -> None:
    """Every customer's ordinary days, then the salaries."""
    web_share = config.web_session_share
    for day in range(config.days):
        day_start = config.start_ns + day * 24 * HOUR
        for customer in world.customers:
            for _ in range(poisson(rng, customer.sessions_per_day)):
                at, web = day_start + time_of_day(rng), rng.random() < web_share
                session = open_session(emitter, world, customer, day, at, rng, web=web)
                _session(session, world.merchants, day, at, rng)
    _pay_salaries(emitter, world, config, rng)


def _session(
    session: Session, merchants: tuple[str, ...], day: int, at: int, rng: random.Random
) -> None:
    customer, change = session.customer, None
    if customer.new_phone_day == day and session.device == customer.new_phone_device:
        change = _DEVICE  # the customer binds the new phone, as the app asks
    elif rng.random() < _LIMIT_CHANGE_SHARE:
        change = _LIMITS
    if change is not None:
        at += rng.randrange(10, 60) * NS_PER_SECOND
        session.emit(EventKind.ACCOUNT_CHANGE, at, attributes=change)
    for _ in range(rng.choice(_ACTIONS_PER_SESSION)):
        at += rng.randrange(20 * NS_PER_SECOND, 5 * MINUTE)
        if customer.friends and not session.web and rng.random() < _TRANSFER_SHARE:
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
        if session.web:
            at = _shop_online(session, merchants, at, amount, rng)
            continue
        merchant = pick(rng, customer.merchants, customer.merchant_weights)
        channel = rng.choice(PAYMENT_CHANNELS)
        session.emit(EventKind.PAYMENT, at, amount_minor=amount, merchant=merchant, channel=channel)


def _shop_online(
    session: Session, merchants: tuple[str, ...], at: int, amount: int, rng: random.Random
) -> int:
    """An online order; at a shop new to the customer, maybe after a card check of 0.01-1.00."""
    customer = session.customer
    if rng.random() < _FAVOURITE_SHOP_SHARE:
        shop = pick(rng, customer.merchants, customer.merchant_weights)
    else:
        shop = rng.choice(merchants)
        if rng.random() < _CARD_CHECK_SHARE:
            session.emit(
                EventKind.PAYMENT,
                at,
                amount_minor=rng.randrange(1, 101),
                merchant=shop,
                channel="api",
            )
            at += rng.randrange(10 * NS_PER_SECOND, 2 * MINUTE)
    session.emit(EventKind.PAYMENT, at, amount_minor=amount, merchant=shop, channel="api")
    return at


@dataclass(frozen=True, slots=True)
class Session:
    """What every event of one session shares: who, from which device and IP."""

    emitter: Emitter
    customer: Customer
    device: str
    ip: str
    web: bool = False  # in a browser: payments are online checkouts

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
        typology: str | None = None,
    ) -> None:
        """One event of the session; an online checkout (``api``) carries no phone."""
        self.emitter.emit(
            self.customer.actor,
            kind,
            at,
            amount_minor=amount_minor,
            counterparty=counterparty,
            merchant=merchant,
            device=self.device,
            ip=self.ip,
            phone=None if channel == "api" else self.customer.phone,
            channel=channel,
            attributes=attributes,
            typology=typology,
        )


def _pay_salaries(
    emitter: Emitter, world: World, config: SimulationConfig, rng: random.Random
) -> None:
    for day in range(config.days):
        day_start = config.start_ns + day * 24 * HOUR
        for customer in world.customers:
            if customer.payday != day_of_month(day_start):
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


def day_of_month(day_start: int) -> int:
    return datetime.fromtimestamp(day_start // NS_PER_SECOND, tz=UTC).day


def time_of_day(rng: random.Random) -> int:
    """Nanoseconds after UTC midnight for an action at a day-time hour in China."""
    local_hour = pick(rng, _HOURS, _HOUR_CUMULATIVE)
    utc_hour = (local_hour - _LOCAL_OFFSET_HOURS) % 24
    return utc_hour * HOUR + rng.randrange(HOUR - 20 * MINUTE)  # sessions end before midnight


def local_hour_at(day_start: int, local_hour: int, rng: random.Random, span_hours: int = 1) -> int:
    """A moment in ``[local_hour, local_hour + span_hours)`` China time, within the UTC day
    that starts at ``day_start`` (08:00 to 24:00 China time; a later moment wraps around)."""
    utc_hour = (local_hour - _LOCAL_OFFSET_HOURS) % 24
    return day_start + (utc_hour * HOUR + rng.randrange(span_hours * HOUR)) % (24 * HOUR)


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means of daily sessions."""
    threshold = math.exp(-mean)
    count, product = 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count
