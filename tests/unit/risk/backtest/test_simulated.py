"""The simulated source: every event decided once by a real engine, stamped with its own time,
labelled from the simulator's truth, and the same history for the same seed."""

from __future__ import annotations

import pytest

from bankstack.risk.adapters.decisions_sql import MemoryDecisionLog
from bankstack.risk.backtest import decide_stream, simulation_config
from bankstack.risk.backtest.simulated import EPISODE_RATE, STRUCTURING_MIN_DAYS
from bankstack.risk.rules import default_ruleset
from bankstack.risk.service import FixedRuleSets
from bankstack.risk.simulator import STRUCTURING, TYPOLOGIES, simulate


def _run(seed: int) -> tuple[MemoryDecisionLog, dict[str, int], int]:
    stream = list(simulate(simulation_config(2, seed=seed, customers=150)))
    log = MemoryDecisionLog()
    ticks: list[None] = []
    labels = decide_stream(
        stream,
        rulesets=FixedRuleSets(default_ruleset()),
        log=log,
        tick=lambda: ticks.append(None),
    )
    truth = {item.event.event_id: int(item.fraud) for item in stream}
    assert labels == truth
    assert len(ticks) == len(stream)
    return log, labels, sum(truth.values())


def test_every_event_is_decided_at_its_own_time_and_labelled_by_the_truth():
    log, labels, fraud = _run(seed=3)
    assert len(log.decisions) == len(labels)
    assert fraud > 0
    assert all(s.decision.decided_at == s.event.occurred_at for s in log.decisions)
    assert all(s.decision.event_id == s.event.event_id for s in log.decisions)
    again, _, _ = _run(seed=3)
    assert [(s.decision.outcome, s.decision.score) for s in again.decisions] == [
        (s.decision.outcome, s.decision.score) for s in log.decisions
    ]


def test_the_world_is_small_and_busy_and_structuring_needs_four_days():
    short = simulation_config(3)
    assert short.rate(STRUCTURING) == 0.0
    assert all(short.rate(t) == EPISODE_RATE for t in TYPOLOGIES if t != STRUCTURING)
    assert simulation_config(STRUCTURING_MIN_DAYS).rate(STRUCTURING) == EPISODE_RATE
    with pytest.raises(ValueError, match="too few"):
        simulation_config(2, customers=10)
