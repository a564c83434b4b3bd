"""Card testing, and the helpers every typology shares (episode starts, splits, balances).

Card testing: someone checks stolen card credentials with small payments at many merchants
through the merchant API (no phone forwarded, as for any online checkout), from one device:
either one card at 8-20 merchants, or a handful of cards taking turns. Most testers now pace
themselves under the one-minute velocity rules (16 s - 2.5 min apart, so no minute holds more
than four tries) and rotate two to five IPs, some of them shared carrier addresses; the rest
(``1 - card_testing_slow_share``) still fire a burst within a minute or two from one IP. Six
tries in ten are tiny (0.01-1.99, where honest transit rides cost 1.00-8.00); the rest look
like a snack or a ride (2.00-30.00).

Account takeover is in takeover.py.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from typing import Final

from bankstack.risk.domain.event import EventKind
from bankstack.risk.simulator.cast import Cast
from bankstack.risk.simulator.config import CARD_TESTING, DAY, NS_PER_SECOND, SimulationConfig
from bankstack.risk.simulator.emitter import Emitter, LabelledEvent
from bankstack.risk.simulator.normal import time_of_day
from bankstack.risk.simulator.world import Customer, World, new_device, new_ip

_ONE_CARD_SHARE: Final = 0.6
_TINY_SHARE: Final = 0.6
_SHARED_IP_SHARE: Final = 0.3  # a rotating tester's IP that is a carrier's shared address
_SLOW_GAP_NS: Final = (16 * NS_PER_SECOND, 150 * NS_PER_SECOND)  # 4 gaps > 1 min
_BURST_GAP_NS: Final = (NS_PER_SECOND, 6 * NS_PER_SECOND)


def episode_start(config: SimulationConfig, rng: random.Random, span_days: int = 1) -> int:
    """A day-time moment that leaves ``span_days`` for the episode before the simulation ends."""
    day = rng.randrange(config.days - span_days)
    return config.start_ns + day * DAY + time_of_day(rng)


def play_card_testing(
    emitter: Emitter, config: SimulationConfig, world: World, cast: Cast, rng: random.Random
) -> None:
    for _ in range(config.episodes(CARD_TESTING)):
        at = episode_start(config, rng)
        slow = rng.random() < config.card_testing_slow_share
        _test_cards(emitter, world, cast, at, rng, slow=slow)


def _test_cards(
    emitter: Emitter, world: World, cast: Cast, at: int, rng: random.Random, *, slow: bool
) -> None:
    device = new_device(rng)
    tries = rng.randint(8, 20)
    merchants = rng.sample(world.merchants, tries)
    if rng.random() < _ONE_CARD_SHARE:
        cards = [rng.choice(cast.bystanders)] * tries
    elif slow:  # a handful of cards taking turns
        pool = rng.sample(cast.bystanders, rng.randint(3, 8))
        cards = [pool[index % len(pool)] for index in range(tries)]
    else:
        cards = rng.sample(cast.bystanders, tries)
    if slow:
        ips = [_proxy_ip(world, rng) for _ in range(rng.randint(2, 5))]
        gap = _SLOW_GAP_NS
    else:
        ips, gap = [new_ip(rng)], _BURST_GAP_NS
    for card, merchant in zip(cards, merchants, strict=True):
        at += rng.randrange(*gap)
        emitter.emit(
            card.actor,
            EventKind.PAYMENT,
            at,
            amount_minor=_probe(rng),
            merchant=merchant,
            device=device,
            ip=rng.choice(ips),
            channel="api",
            typology=CARD_TESTING,
        )


def _proxy_ip(world: World, rng: random.Random) -> str:
    return rng.choice(world.mobile_ips) if rng.random() < _SHARED_IP_SHARE else new_ip(rng)


def _probe(rng: random.Random) -> int:
    """A test payment: tiny (0.01-1.99) or the size of a snack or a ride (2.00-30.00)."""
    return rng.randrange(1, 200) if rng.random() < _TINY_SHARE else rng.randrange(200, 3_001)


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
