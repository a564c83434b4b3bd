"""A decision history with ground truth and no database: simulated traffic through a real engine.

The simulator (risk/simulator) is seeded and labelled, so a backtest over it needs neither a
production history nor resolved cases: the demo and CI use it. ``decide_stream`` decides every
simulated event with a real ``RiskEngine`` (in-memory features, the given rule sets and
models) into the given decision log, and returns the simulator's truth as labels (every event
is labelled, 1 fraud, 0 legitimate). The figures describe the *simulator's* fraud: a check of
the machinery and of a rule change's direction, not a promise about real traffic.

The rule sets and the log are handed in (``FixedRuleSets`` and ``MemoryDecisionLog`` from the
service and adapters layers, which this package does not import: the import contract keeps
backtest beside them, pure). Two choices make the history reproducible:

- each decision is stamped with its event's time, so ``--since``/``--until`` select simulated
  days and the same seed gives the same history;
- the model's time budget is lifted: a live budget discards slow answers (degraded), which would
  make a simulated history depend on the machine's load.

``simulation_config`` sizes a small, busy world: few customers and dense typologies, so that a
few days hold some of every kind of fraud and a run takes seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Final

from bankstack.risk.cases.labels import FRAUD, LEGITIMATE
from bankstack.risk.domain.event import EventKind
from bankstack.risk.engine import CircuitBreaker, EngineConfig, RiskEngine, RuleSets
from bankstack.risk.features.memory import InMemoryFeatureSource
from bankstack.risk.ports import DecisionLog, Scorer
from bankstack.risk.simulator import LabelledEvent, SimulationConfig
from bankstack.risk.simulator.config import DAY

SIMULATED_CUSTOMERS: Final = 300
SIMULATED_MERCHANTS: Final = 40
# Episodes per customer per day: 300 customers x 3 days -> 2 episodes of each typology.
EPISODE_RATE: Final = 0.002
# A structuring spree lasts up to 3 days and the simulator starts it on a day that leaves room
# for all of them: shorter simulations play none (the simulator refuses them otherwise).
STRUCTURING_MIN_DAYS: Final = 4
_NO_BUDGET: Final = EngineConfig(model_budget_ns=DAY)


def simulation_config(
    days: int, *, seed: int = 7, customers: int = SIMULATED_CUSTOMERS
) -> SimulationConfig:
    """A small world with every typology; ValueError when too short or too few customers."""
    structuring = EPISODE_RATE if days >= STRUCTURING_MIN_DAYS else 0.0
    return SimulationConfig(
        seed=seed,
        days=days,
        customers=customers,
        merchants=SIMULATED_MERCHANTS,
        account_takeover_rate=EPISODE_RATE,
        card_testing_rate=EPISODE_RATE,
        mule_fan_in_rate=EPISODE_RATE,
        structuring_rate=structuring,
        cycle_rate=EPISODE_RATE,
        fan_out_rate=EPISODE_RATE,
    )


class _EventClock:
    """``now_ns`` for the engine: the time of the event being decided."""

    def __init__(self) -> None:
        self.at = 0

    def __call__(self) -> int:
        return self.at


def decide_stream(
    stream: Iterable[LabelledEvent],
    *,
    rulesets: RuleSets,
    log: DecisionLog,
    models: Mapping[EventKind, Scorer] | None = None,
    tick: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Decide every event in order into ``log``; the labels (event id -> 1 or 0) of the truth."""
    clock = _EventClock()
    engine = RiskEngine(
        features=InMemoryFeatureSource(),
        rulesets=rulesets,
        models=models or {},
        log=log,
        now_ns=clock,
        config=_NO_BUDGET,
        # The stream runs far faster than its own time: a cool-down measured on the wall
        # clock would skip the model for most of a replay (and differently on a slower machine).
        breaker=CircuitBreaker(monotonic_ns=clock),
    )
    labels: dict[str, int] = {}
    for item in stream:
        clock.at = item.event.occurred_at
        engine.decide(item.event)
        labels[item.event.event_id] = FRAUD if item.fraud else LEGITIMATE
        if tick is not None:
            tick()
    return labels
