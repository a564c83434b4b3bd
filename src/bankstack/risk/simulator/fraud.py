"""Fraud typologies the decision engine should stop: account takeover and card testing.

Account takeover: a login from a device and IP the victim never used, sometimes a change of
the account's phone or bound device, then two to four transfers within minutes to payees the
victim never paid, draining 90-100% of the victim's balance at that moment (the balance the
simulated stream itself implies: opening balance plus inflows minus outflows so far).

Card testing: someone checks stolen card credentials with tiny payments (0.01-1.99) at many
merchants within a minute or two, through the merchant API, from one device: either one card
at 8-20 merchants, or 8-20 different customers' cards, one payment each.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from types import MappingProxyType
from typing import Final

from bankstack.risk.domain.event import EventKind
from bankstack.risk.simulator.cast import Cast
from bankstack.risk.simulator.config import (
    ACCOUNT_TAKEOVER,
    CARD_TESTING,
    DAY,
    MINUTE,
    NS_PER_SECOND,
    SimulationConfig,
)
from bankstack.risk.simulator.emitter import Emitter, LabelledEvent
from bankstack.risk.simulator.normal import time_of_day
from bankstack.risk.simulator.world import (
    Customer,
    World,
    new_account,
    new_device,
    new_ip,
    new_phone,
)

_MIN_DRAIN: Final = 100_000  # 1,000.00: even a near-empty account is worth emptying
_ONE_CARD_SHARE: Final = 0.6
_PHONE_CHANGE: Final = MappingProxyType({"field": "phone"})
_DEVICE_CHANGE: Final = MappingProxyType({"field": "device"})


def episode_start(config: SimulationConfig, rng: random.Random, span_days: int = 1) -> int:
    """A day-time moment that leaves ``span_days`` for the episode before the simulation ends."""
    day = rng.randrange(config.days - span_days)
    return config.start_ns + day * DAY + time_of_day(rng)


def take_over_accounts(
    emitter: Emitter, config: SimulationConfig, cast: Cast, rng: random.Random
) -> None:
    """Play every takeover; run last, so that the drained balances include all other events."""
    starts = {victim.customer_id: episode_start(config, rng) for victim in cast.takeover_victims}
    balances = balances_before(emitter.events(), cast.takeover_victims, starts)
    for victim in cast.takeover_victims:
        at = starts[victim.customer_id]
        _take_over(emitter, victim, at, balances[victim.customer_id], rng)


def _take_over(
    emitter: Emitter, victim: Customer, at: int, balance: int, rng: random.Random
) -> None:
    device, ip, phone = new_device(rng), new_ip(rng), victim.phone
    actor = victim.actor
    emitter.emit(
        actor, EventKind.LOGIN, at, device=device, ip=ip, phone=phone, typology=ACCOUNT_TAKEOVER
    )
    if rng.random() < 0.5:  # noqa: PLR2004 - half the attackers lock the owner out first
        at += rng.randrange(20, 90) * NS_PER_SECOND
        change = _PHONE_CHANGE if rng.random() < 0.5 else _DEVICE_CHANGE  # noqa: PLR2004
        if change is _PHONE_CHANGE:
            phone = new_phone(rng)
        emitter.emit(
            actor,
            EventKind.ACCOUNT_CHANGE,
            at,
            device=device,
            ip=ip,
            phone=phone,
            attributes=change,
            typology=ACCOUNT_TAKEOVER,
        )
    drain = max(balance, _MIN_DRAIN) * rng.randrange(90, 101) // 100
    for part in split(drain, rng.randint(2, 4), rng):
        at += rng.randrange(15 * NS_PER_SECOND, 4 * MINUTE)
        emitter.emit(
            actor,
            EventKind.TRANSFER,
            at,
            amount_minor=part,
            counterparty=new_account(rng),
            device=device,
            ip=ip,
            phone=phone,
            typology=ACCOUNT_TAKEOVER,
        )


def play_card_testing(
    emitter: Emitter, config: SimulationConfig, world: World, cast: Cast, rng: random.Random
) -> None:
    for _ in range(config.episodes(CARD_TESTING)):
        at = episode_start(config, rng)
        device, ip = new_device(rng), new_ip(rng)
        tries = rng.randint(8, 20)
        merchants = rng.sample(world.merchants, tries)
        if rng.random() < _ONE_CARD_SHARE:
            cards = [rng.choice(cast.bystanders)] * tries
        else:
            cards = rng.sample(cast.bystanders, tries)
        for card, merchant in zip(cards, merchants, strict=True):
            at += rng.randrange(NS_PER_SECOND, 6 * NS_PER_SECOND)
            emitter.emit(
                card.actor,
                EventKind.PAYMENT,
                at,
                amount_minor=rng.randrange(1, 200),
                merchant=merchant,
                device=device,
                ip=ip,
                channel="api",
                typology=CARD_TESTING,
            )


def balances_before(
    events: Iterable[LabelledEvent], customers: Iterable[Customer], moments: dict[str, int]
) -> dict[str, int]:
    """Each customer's balance just before their moment: opening + inflows - outflows."""
    balances = {customer.customer_id: customer.opening_balance for customer in customers}
    for labelled in events:
        event = labelled.event
        if event.amount is None or not event.kind.moves_money:
            continue
        payer, payee, minor = event.customer_id, event.payee, event.amount.minor
        if payer in moments and event.occurred_at < moments[payer]:
            balances[payer] -= minor
        if payee is not None and payee in moments and event.occurred_at < moments[payee]:
            balances[payee] += minor
    return balances


def split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` in ``parts`` positive integer pieces that add up exactly."""
    cuts = sorted(rng.sample(range(1, total), parts - 1))
    bounds = [0, *cuts, total]
    return [high - low for low, high in itertools.pairwise(bounds)]
