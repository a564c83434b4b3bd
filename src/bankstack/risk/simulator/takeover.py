"""Account takeover: someone else is in the victim's account and takes the money out.

Each takeover has an entry and a way of spending, drawn independently:

- entry: from a device and IP the victim never used (phished credentials, a SIM swap: the
  phone number stays the victim's), half of these first changing the account's phone or
  bound device to lock the owner out; or, for ``takeover_own_device_share`` of them, from the
  victim's own phone and home or carrier IP (malware, a remote-access app), with no change;
- spending: a drain, two to four transfers within minutes to payees the victim never paid,
  taking 90-100% of the balance at that moment (the balance the simulated stream itself
  implies: opening balance plus inflows minus outflows so far); or, for
  ``takeover_mimic_share`` of them, spending like the victim: one to three sessions over a
  few hours, each of one to three payments of about 1.25x the victim's usual amount, mostly
  at the victim's own merchants (goods to resell, gift cards), and now and then a modest
  transfer to a new payee.

Every session of the attacker opens with a login, and every event of a takeover is labelled.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from bankstack.risk.domain.event import AttributeValue, EventKind
from bankstack.risk.simulator.cast import Cast
from bankstack.risk.simulator.config import (
    ACCOUNT_TAKEOVER,
    DAY,
    HOUR,
    MINUTE,
    NS_PER_SECOND,
    SimulationConfig,
)
from bankstack.risk.simulator.emitter import Emitter
from bankstack.risk.simulator.fraud import balances_before, episode_start, split
from bankstack.risk.simulator.normal import PAYMENT_CHANNELS, device_on
from bankstack.risk.simulator.world import (
    Customer,
    World,
    lognormal_minor,
    new_account,
    new_device,
    new_ip,
    new_phone,
)

_MIN_DRAIN: Final = 100_000  # 1,000.00: even a near-empty account is worth emptying
_OWN_MERCHANT_SHARE: Final = 0.7
_MIMIC_TRANSFER_SHARE: Final = 0.3
_MIMIC_TRANSFER_MEDIAN: Final = 80_000  # 800.00: a friend-sized transfer
_PHONE_CHANGE: Final = MappingProxyType({"field": "phone"})
_DEVICE_CHANGE: Final = MappingProxyType({"field": "device"})
_NO_ATTRIBUTES: Final[Mapping[str, AttributeValue]] = MappingProxyType({})


def take_over_accounts(
    emitter: Emitter, config: SimulationConfig, world: World, cast: Cast, rng: random.Random
) -> None:
    """Play every takeover; run last, so that the drained balances include all other events."""
    starts = {victim.customer_id: episode_start(config, rng) for victim in cast.takeover_victims}
    balances = balances_before(emitter.events(), cast.takeover_victims, starts)
    for victim in cast.takeover_victims:
        at = starts[victim.customer_id]
        own = rng.random() < config.takeover_own_device_share
        mimic = rng.random() < config.takeover_mimic_share
        attacker = _Attacker(emitter, world, victim, rng)
        at = attacker.enter(at, (at - config.start_ns) // DAY, own=own)
        if mimic:
            attacker.spend_like_the_victim(at)
        else:
            attacker.drain(at, balances[victim.customer_id])


class _Attacker:
    """One takeover: the device, IP and phone the attacker acts from, and what they do."""

    def __init__(
        self, emitter: Emitter, world: World, victim: Customer, rng: random.Random
    ) -> None:
        self._emitter = emitter
        self._world = world
        self._victim = victim
        self._rng = rng
        self._device, self._ip, self._phone = "", "", victim.phone

    def _emit(
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
        """One event of the attacker's; an online checkout (``api``) carries no phone."""
        self._emitter.emit(
            self._victim.actor,
            kind,
            at,
            amount_minor=amount_minor,
            counterparty=counterparty,
            merchant=merchant,
            device=self._device,
            ip=self._ip,
            phone=None if channel == "api" else self._phone,
            channel=channel,
            attributes=attributes,
            typology=ACCOUNT_TAKEOVER,
        )

    def enter(self, at: int, day: int, *, own: bool) -> int:
        """Log in (and maybe lock the owner out); the time of the last event."""
        rng, victim = self._rng, self._victim
        if own:  # malware or remote access on the victim's own phone and connection
            self._device = device_on(victim, day)
            mobile = rng.random() < 0.25  # noqa: PLR2004
            self._ip = rng.choice(self._world.mobile_ips) if mobile else victim.home_ip
            self._emit(EventKind.LOGIN, at)
            return at
        self._device, self._ip = new_device(rng), new_ip(rng)
        self._emit(EventKind.LOGIN, at)
        if rng.random() < 0.5:  # noqa: PLR2004 - half the attackers lock the owner out first
            at += rng.randrange(20, 90) * NS_PER_SECOND
            change = _PHONE_CHANGE if rng.random() < 0.5 else _DEVICE_CHANGE  # noqa: PLR2004
            if change is _PHONE_CHANGE:
                self._phone = new_phone(rng)
            self._emit(EventKind.ACCOUNT_CHANGE, at, attributes=change)
        return at

    def drain(self, at: int, balance: int) -> None:
        rng = self._rng
        total = max(balance, _MIN_DRAIN) * rng.randrange(90, 101) // 100
        for part in split(total, rng.randint(2, 4), rng):
            at += rng.randrange(15 * NS_PER_SECOND, 4 * MINUTE)
            self._emit(EventKind.TRANSFER, at, amount_minor=part, counterparty=new_account(rng))

    def spend_like_the_victim(self, at: int) -> None:
        rng, victim = self._rng, self._victim
        for session in range(rng.randint(1, 3)):
            if session:  # a later session: log in again
                at += rng.randrange(20 * MINUTE, 2 * HOUR)
                self._emit(EventKind.LOGIN, at)
            for _ in range(rng.randint(1, 3)):
                at += rng.randrange(30 * NS_PER_SECOND, 4 * MINUTE)
                own = rng.random() < _OWN_MERCHANT_SHARE
                merchant = rng.choice(victim.merchants if own else self._world.merchants)
                amount = lognormal_minor(rng, victim.payment_habit * 5 // 4, 0.6)
                channel = rng.choice(PAYMENT_CHANNELS)
                self._emit(
                    EventKind.PAYMENT, at, amount_minor=amount, merchant=merchant, channel=channel
                )
            if rng.random() < _MIMIC_TRANSFER_SHARE:
                at += rng.randrange(30 * NS_PER_SECOND, 3 * MINUTE)
                amount = lognormal_minor(rng, _MIMIC_TRANSFER_MEDIAN, 0.6)
                self._emit(
                    EventKind.TRANSFER, at, amount_minor=amount, counterparty=new_account(rng)
                )
