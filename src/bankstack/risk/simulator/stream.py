"""``simulate``: the whole synthetic stream in time order; ``movements`` and ``summary`` over it.

Each part of the world draws from its own ``random.Random``, seeded from the config's seed and
the part's name, so the stream is a pure function of the config, and changing a typology's
rate changes who is cast in it but never shifts the times and amounts of normal life or of
the honest look-alikes.

Account takeovers are played last: the balance they drain is what the rest of the stream
left in the victim's account at that moment.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator

from bankstack.risk.domain.alert import Movement
from bankstack.risk.simulator.cast import cast_roles
from bankstack.risk.simulator.config import (
    ACCOUNT_TAKEOVER,
    CARD_TESTING,
    CYCLE,
    FAN_OUT,
    MULE_FAN_IN,
    STRUCTURING,
    TYPOLOGIES,
    SimulationConfig,
)
from bankstack.risk.simulator.emitter import Emitter, LabelledEvent
from bankstack.risk.simulator.fraud import play_card_testing
from bankstack.risk.simulator.laundering import Laundering
from bankstack.risk.simulator.lookalike import live_lookalikes
from bankstack.risk.simulator.normal import live
from bankstack.risk.simulator.takeover import take_over_accounts
from bankstack.risk.simulator.world import build_world

NORMAL = "normal"


def simulate(config: SimulationConfig) -> Iterator[LabelledEvent]:
    """Every synthetic event of the configured world, in time order, with its label."""
    world = build_world(config, _rng(config, "world"))
    world, cast = cast_roles(config, world, _rng(config, "cast"))
    emitter = Emitter(seed=config.seed, currency=config.currency)
    live(emitter, world, config, _rng(config, "normal"))
    live_lookalikes(emitter, world, config, _rng(config, "lookalike"))
    play_card_testing(emitter, config, world, cast, _rng(config, CARD_TESTING))
    laundering = Laundering(emitter, world, config)
    laundering.mule_fan_in(cast, _rng(config, MULE_FAN_IN))
    laundering.structuring(cast, _rng(config, STRUCTURING))
    laundering.cycle(cast, _rng(config, CYCLE))
    laundering.fan_out(cast, _rng(config, FAN_OUT))
    take_over_accounts(emitter, config, world, cast, _rng(config, ACCOUNT_TAKEOVER))
    yield from emitter.in_time_order()


def movements(labelled: Iterable[LabelledEvent]) -> Iterator[Movement]:
    """The money-moving events as AML movements: payer = the customer, payee = event.payee."""
    for item in labelled:
        event = item.event
        if not event.kind.moves_money or event.amount is None or event.payee is None:
            continue
        yield Movement(
            movement_id=event.event_id,
            payer=event.customer_id,
            payee=event.payee,
            amount=event.amount,
            occurred_at=event.occurred_at,
            source=event.kind.value,
        )


def summary(stream: Iterable[LabelledEvent]) -> dict[str, int]:
    """Event counts: all events, honest ones, and the fraudulent ones of each typology."""
    counts = dict.fromkeys(("events", NORMAL, *TYPOLOGIES), 0)
    for item in stream:
        counts["events"] += 1
        counts[item.typology or NORMAL] += 1
    return counts


def _rng(config: SimulationConfig, part: str) -> random.Random:
    # A string seed is hashed with SHA-512 by random.Random: stable across runs and platforms.
    return random.Random(f"{config.seed}/{part}")  # noqa: S311 - synthetic data, not secrets
