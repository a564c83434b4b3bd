"""Who plays which part: the actors of each typology and the bystanders.

Every episode gets its own actors, disjoint from every other episode's (a victim is taken over
once, a mule runs one ring, a cycle's members belong to one cycle), so the ground truth can be
read back from the stream: one victim, mule, structurer, scatterer or ring is one episode.
Bystanders are the honest majority; some of them are scammed into paying a mule, have their
card tested, or receive a share of a fan-out, which makes them neither actors nor suspects.

Mule accounts are opened shortly before the simulation starts, as real mule accounts are.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

from bankstack.risk.simulator.config import (
    ACCOUNT_TAKEOVER,
    CYCLE,
    DAY,
    FAN_OUT,
    MAX_RING,
    MULE_FAN_IN,
    STRUCTURING,
    SimulationConfig,
)
from bankstack.risk.simulator.emitter import Actor
from bankstack.risk.simulator.world import Customer, World

_MULE_MAX_AGE_DAYS = 60


@dataclass(frozen=True, slots=True)
class Cast:
    takeover_victims: tuple[Customer, ...]
    mules: tuple[Customer, ...]
    structurers: tuple[Customer, ...]
    rings: tuple[tuple[Customer, ...], ...]
    scatterers: tuple[Customer, ...]
    bystanders: tuple[Customer, ...]


def cast_roles(config: SimulationConfig, world: World, rng: random.Random) -> tuple[World, Cast]:
    """Pick the actors; return the world (mules re-dated) and the cast."""
    order = list(range(config.customers))
    rng.shuffle(order)
    taken = 0

    def take(count: int) -> list[int]:
        nonlocal taken
        picked = order[taken : taken + count]
        taken += count
        return picked

    victims = take(config.episodes(ACCOUNT_TAKEOVER))
    mules = take(config.episodes(MULE_FAN_IN))
    structurers = take(config.episodes(STRUCTURING))
    rings = [take(rng.randint(2, MAX_RING)) for _ in range(config.episodes(CYCLE))]
    scatterers = take(config.episodes(FAN_OUT))
    customers = list(world.customers)
    for index in mules:
        customers[index] = _recently_opened(customers[index], config, rng)
    world = dataclasses.replace(world, customers=tuple(customers))

    def people(indices: list[int]) -> tuple[Customer, ...]:
        return tuple(world.customers[index] for index in indices)

    cast = Cast(
        takeover_victims=people(victims),
        mules=people(mules),
        structurers=people(structurers),
        rings=tuple(people(ring) for ring in rings),
        scatterers=people(scatterers),
        bystanders=people(sorted(order[taken:])),
    )
    return world, cast


def _recently_opened(customer: Customer, config: SimulationConfig, rng: random.Random) -> Customer:
    opened_at = config.start_ns - rng.randrange(1, _MULE_MAX_AGE_DAYS) * DAY
    return dataclasses.replace(customer, actor=Actor(customer.customer_id, opened_at))
