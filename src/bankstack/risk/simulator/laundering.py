"""Money-laundering typologies the AML detectors should find.

- ``mule_fan_in``: 10-30 bystanders, scammed, each send 5,000-40,000 to one recently opened
  mule account within 1-6 hours; 5-30 minutes after the last one the mule, from a device it
  never used, moves 90-98% of what came in to an outside account in one or two transfers
  (a rapid pass-through).
- ``structuring``: for one to three consecutive days, three to five transfers a day of
  45,000.00-49,750.00 (half of them rounded to the hundred) to one to three outside accounts:
  always just under the 50,000.00 reporting threshold.
- ``cycle``: 20,000-200,000 leaves one member of a ring of two to four customers and comes
  back to it through the others within 12 hours, each hop keeping 85-99% of the previous one.
- ``fan_out``: one customer scatters 1,000-9,000 each to 12-30 distinct payees (bystanders
  and outside accounts) within 1-6 hours.

The launderers log in as themselves, from their own devices: those logins are honest events
and only their money movements carry the typology. The mule's cash-out is different: it comes
from a device the mule never used (whoever runs the mule), so that login is labelled too.
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
from bankstack.risk.simulator.world import Customer, World, new_account, new_device, new_ip

_MIN_MULE_SENDERS: Final = 10
_DAY_START_LOCAL: Final = 1 * HOUR  # 09:00 in China, in UTC
_OFFICE_HOURS: Final = 8 * HOUR


class Laundering:
    """The four laundering typologies over one world; each method plays all its episodes."""

    def __init__(self, emitter: Emitter, world: World, config: SimulationConfig) -> None:
        self._emitter = emitter
        self._world = world
        self._config = config

    def _send(
        self,
        rng: random.Random,
        sender: Customer,
        at: int,
        amount: int,
        payee: str,
        typology: str,
    ) -> None:
        """An honest-looking session: the sender's own login, then the transfer."""
        login_at = at - rng.randrange(20 * NS_PER_SECOND, 3 * MINUTE)
        day = (login_at - self._config.start_ns) // DAY
        device, ip = open_session(self._emitter, self._world, sender, day, login_at, rng)
        self._emitter.emit(
            sender.actor,
            EventKind.TRANSFER,
            at,
            amount_minor=amount,
            counterparty=payee,
            device=device,
            ip=ip,
            phone=sender.phone,
            typology=typology,
        )

    def mule_fan_in(self, cast: Cast, rng: random.Random) -> None:
        for mule in cast.mules:
            start = episode_start(self._config, rng)
            senders = rng.sample(cast.bystanders, rng.randint(_MIN_MULE_SENDERS, MAX_MULE_SENDERS))
            span = rng.randrange(HOUR, 6 * HOUR)
            moments = sorted(start + rng.randrange(span) for _ in senders)
            received = 0
            for sender, at in zip(senders, moments, strict=True):
                amount = rng.randrange(5_000, 40_001) * 100
                received += amount
                self._send(rng, sender, at, amount, mule.customer_id, MULE_FAN_IN)
            self._cash_out(rng, mule, moments[-1], received * rng.randrange(90, 99) // 100)

    def _cash_out(self, rng: random.Random, mule: Customer, last_inflow: int, amount: int) -> None:
        at = last_inflow + rng.randrange(5 * MINUTE, 30 * MINUTE)
        device, ip, outside = new_device(rng), new_ip(rng), new_account(rng)
        emit = self._emitter.emit
        emit(mule.actor, EventKind.LOGIN, at, device=device, ip=ip, typology=MULE_FAN_IN)
        for part in split(amount, rng.randint(1, 2), rng):
            at += rng.randrange(10 * NS_PER_SECOND, 2 * MINUTE)
            emit(
                mule.actor,
                EventKind.TRANSFER,
                at,
                amount_minor=part,
                counterparty=outside,
                device=device,
                ip=ip,
                typology=MULE_FAN_IN,
            )

    def structuring(self, cast: Cast, rng: random.Random) -> None:
        for structurer in cast.structurers:
            days = rng.randint(1, min(3, self._config.days))  # a short run still structures
            first_day = rng.randrange(self._config.days - days + 1)
            payees = [new_account(rng) for _ in range(rng.randint(1, 3))]
            for day in range(first_day, first_day + days):
                office = self._config.start_ns + day * DAY + _DAY_START_LOCAL
                for at in sorted(
                    office + rng.randrange(_OFFICE_HOURS) for _ in range(rng.randint(3, 5))
                ):
                    self._send(
                        rng, structurer, at, _just_under(rng), rng.choice(payees), STRUCTURING
                    )

    def cycle(self, cast: Cast, rng: random.Random) -> None:
        for ring in cast.rings:
            at = episode_start(self._config, rng)
            amount = rng.randrange(20_000, 200_001) * 100
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
            span = rng.randrange(HOUR, 6 * HOUR)
            for payee, at in zip(
                payees, sorted(start + rng.randrange(span) for _ in payees), strict=True
            ):
                self._send(rng, scatterer, at, rng.randrange(1_000, 9_001) * 100, payee, FAN_OUT)


def _just_under(rng: random.Random) -> int:
    """An amount in [90%, 99.5%) of the reporting threshold; half are round hundreds."""
    amount = rng.randrange(
        REPORTING_THRESHOLD_MINOR * 90 // 100, REPORTING_THRESHOLD_MINOR * 995 // 1000
    )
    if rng.random() < 0.5:  # noqa: PLR2004
        amount -= amount % 10_000
    return amount
