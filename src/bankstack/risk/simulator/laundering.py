"""Money-laundering typologies the AML detectors should find, sized like honest money.

- ``mule_fan_in``: 10-30 bystanders, scammed, each send a transfer of 200.00-20,000.00
  (median 1,500.00: a trip share or a second-hand phone, not a bag of cash) to one recently
  opened mule account, in one to three waves; each wave lands within 40 minutes and 5-20
  minutes after its last transfer the mule passes 90-98% of it on to one outside account, in
  one or two transfers (a rapid pass-through). The cash-out comes from a device the mule
  never used (whoever runs the mule; that login is labelled too), or, for
  ``mule_own_device_share`` of the mules, from the mule's own phone in an ordinary session.
- ``structuring``: for one to three consecutive days, three to six transfers a day to one to
  three outside accounts; each is 45,000.00-49,750.00 (half of them rounded to the hundred),
  just under the 50,000.00 reporting threshold, except that with probability
  ``structuring_below_band_share`` a transfer goes out at 30,000.00-45,000.00 instead, to
  look less regular. Three a day always stay in the band: that is what makes it structuring.
- ``cycle``: 9,000.00-60,000.00 (median 15,000.00) leaves one member of a ring of two to four
  customers and comes back to it through the others within 12 hours, each hop keeping 85-99%
  of the previous one.
- ``fan_out``: one customer scatters 100.00-9,000.00 each (median 600.00) to 12-30 distinct
  payees (bystanders and outside accounts) over 2-16 hours.

Transfers between people are whole yuan (lognormal draws rounded down to the yuan). The
launderers log in as themselves, from their own devices: those logins are honest events and
only their money movements carry the typology.
"""

from __future__ import annotations

import random
from typing import Final

from bankstack.risk.domain.event import EventKind
from bankstack.risk.simulator.cast import Cast
from bankstack.risk.simulator.config import (
    CYCLE,
    DAY,
    FAN_OUT,
    HOUR,
    MAX_MULE_SENDERS,
    MINUTE,
    MULE_FAN_IN,
    NS_PER_SECOND,
    REPORTING_THRESHOLD_MINOR,
    STRUCTURING,
    SimulationConfig,
)
from bankstack.risk.simulator.emitter import Emitter
from bankstack.risk.simulator.fraud import episode_start, split
from bankstack.risk.simulator.normal import open_session
from bankstack.risk.simulator.world import (
    Customer,
    World,
    clamp,
    lognormal_minor,
    new_account,
    new_device,
    new_ip,
)

_MIN_MULE_SENDERS: Final = 10
_MIN_WAVE: Final = 4  # senders per wave, at least
_DAY_START_LOCAL: Final = 1 * HOUR  # 09:00 in China, in UTC
_OFFICE_HOURS: Final = 8 * HOUR
_YUAN: Final = 100


class Laundering:
    """The four laundering typologies over one world; each method plays all its episodes."""

    def __init__(self, emitter: Emitter, world: World, config: SimulationConfig) -> None:
        self._emitter = emitter
        self._world = world
        self._config = config

    def _send(
        self, rng: random.Random, sender: Customer, at: int, amount: int, payee: str, typology: str
    ) -> None:
        """An honest-looking session: the sender's own login, then the transfer."""
        login_at = at - rng.randrange(20 * NS_PER_SECOND, 5 * MINUTE)  # as honest sessions
        day = (login_at - self._config.start_ns) // DAY
        session = open_session(self._emitter, self._world, sender, day, login_at, rng)
        session.emit(
            EventKind.TRANSFER, at, amount_minor=amount, counterparty=payee, typology=typology
        )

    def mule_fan_in(self, cast: Cast, rng: random.Random) -> None:
        for mule in cast.mules:
            at = episode_start(self._config, rng)
            senders = rng.sample(cast.bystanders, rng.randint(_MIN_MULE_SENDERS, MAX_MULE_SENDERS))
            outside = new_account(rng)
            own = rng.random() < self._config.mule_own_device_share
            herder = None if own else (new_device(rng), new_ip(rng))
            for wave in _waves(senders, rng):
                moments = sorted(at + rng.randrange(5 * MINUTE, 40 * MINUTE) for _ in wave)
                received = 0
                for sender, moment in zip(wave, moments, strict=True):
                    amount = _whole(clamp(lognormal_minor(rng, 150_000, 0.7), 20_000, 2_000_000))
                    received += amount
                    self._send(rng, sender, moment, amount, mule.customer_id, MULE_FAN_IN)
                at = moments[-1] + rng.randrange(5 * MINUTE, 20 * MINUTE)
                self._cash_out(
                    rng, mule, at, received * rng.randrange(90, 99) // 100, outside, herder
                )
                at += rng.randrange(30 * MINUTE, 2 * HOUR)

    def _cash_out(
        self,
        rng: random.Random,
        mule: Customer,
        at: int,
        amount: int,
        outside: str,
        herder: tuple[str, str] | None,
    ) -> None:
        """The mule passes the wave on: from its own session, or the herder's device."""
        parts = split(amount, rng.randint(1, 2), rng)
        if herder is None:
            day = (at - self._config.start_ns) // DAY
            session = open_session(self._emitter, self._world, mule, day, at, rng)
            device, ip = session.device, session.ip
        else:
            device, ip = herder
            self._emitter.emit(
                mule.actor,
                EventKind.LOGIN,
                at,
                device=device,
                ip=ip,
                phone=mule.phone,
                typology=MULE_FAN_IN,
            )
        for part in parts:
            at += rng.randrange(10 * NS_PER_SECOND, 2 * MINUTE)
            self._emitter.emit(
                mule.actor,
                EventKind.TRANSFER,
                at,
                amount_minor=part,
                counterparty=outside,
                device=device,
                ip=ip,
                phone=mule.phone,
                typology=MULE_FAN_IN,
            )

    def structuring(self, cast: Cast, rng: random.Random) -> None:
        below_share = self._config.structuring_below_band_share
        for structurer in cast.structurers:
            days = rng.randint(1, min(3, self._config.days))  # a short run still structures
            first_day = rng.randrange(self._config.days - days + 1)
            payees = [new_account(rng) for _ in range(rng.randint(1, 3))]
            for day in range(first_day, first_day + days):
                count = rng.randint(3, 6)
                below = min(sum(rng.random() < below_share for _ in range(count)), count - 3)
                amounts = [_below_band(rng) for _ in range(below)]
                amounts += [_just_under(rng) for _ in range(count - below)]
                rng.shuffle(amounts)
                office = self._config.start_ns + day * DAY + _DAY_START_LOCAL
                moments = sorted(office + rng.randrange(_OFFICE_HOURS) for _ in amounts)
                for at, amount in zip(moments, amounts, strict=True):
                    self._send(rng, structurer, at, amount, rng.choice(payees), STRUCTURING)

    def cycle(self, cast: Cast, rng: random.Random) -> None:
        for ring in cast.rings:
            at = episode_start(self._config, rng)
            amount = _whole(clamp(lognormal_minor(rng, 1_500_000, 0.5), 900_000, 6_000_000))
            for hop, payer in enumerate(ring):
                if hop:
                    amount = amount * rng.randrange(85, 100) // 100  # the launderer's cut
                    at += rng.randrange(10 * MINUTE, 3 * HOUR)
                payee = ring[(hop + 1) % len(ring)]
                self._send(rng, payer, at, amount, payee.customer_id, CYCLE)

    def fan_out(self, cast: Cast, rng: random.Random) -> None:
        for scatterer in cast.scatterers:
            start = episode_start(self._config, rng)
            count = rng.randint(12, 30)
            insiders = rng.sample(cast.bystanders, count // 2)
            payees = [person.customer_id for person in insiders]
            payees += [new_account(rng) for _ in range(count - len(payees))]
            span = rng.randrange(2 * HOUR, 16 * HOUR)
            moments = sorted(start + rng.randrange(span) for _ in payees)
            for payee, at in zip(payees, moments, strict=True):
                amount = _whole(clamp(lognormal_minor(rng, 60_000, 0.8), 10_000, 900_000))
                self._send(rng, scatterer, at, amount, payee, FAN_OUT)


def _waves(senders: list[Customer], rng: random.Random) -> list[list[Customer]]:
    """The senders in one to three consecutive waves of at least ``_MIN_WAVE`` each."""
    count = rng.randint(1, min(3, len(senders) // _MIN_WAVE))
    spare = split(len(senders) - count * (_MIN_WAVE - 1), count, rng)
    waves, start = [], 0
    for extra in spare:
        size = _MIN_WAVE - 1 + extra
        waves.append(senders[start : start + size])
        start += size
    return waves


def _just_under(rng: random.Random) -> int:
    """An amount in [90%, 99.5%) of the reporting threshold; half are round hundreds."""
    amount = rng.randrange(
        REPORTING_THRESHOLD_MINOR * 90 // 100, REPORTING_THRESHOLD_MINOR * 995 // 1000
    )
    if rng.random() < 0.5:  # noqa: PLR2004
        amount -= amount % 10_000
    return amount


def _below_band(rng: random.Random) -> int:
    """A whole-yuan amount in [60%, 90%) of the reporting threshold: under any band rule."""
    low, high = REPORTING_THRESHOLD_MINOR * 60 // 100, REPORTING_THRESHOLD_MINOR * 90 // 100
    return _whole(rng.randrange(low, high))


def _whole(amount: int) -> int:
    """Rounded down to the whole yuan (never below one yuan)."""
    return max(_YUAN, amount - amount % _YUAN)
