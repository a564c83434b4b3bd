"""Backtests: what a candidate rule set (or model) would have decided on recorded traffic.

replay.py     recorded decisions decided again from their stored features (``engine.assess``);
              the same versions give back the same decisions, exactly
metrics.py    catch, challenge and false-positive rates, money at risk and friction (pure)
report.py     ``summarise`` -> ``BacktestReport``: outcomes, changes, transitions, performance
simulated.py  a labelled history without a database: the simulator through a real engine

Pure: histories come in as iterables (``SqlDecisionLog.history``, ``MemoryDecisionLog``),
labels as a mapping, and the entry points (``bankstack risk backtest``) wire the adapters.
"""

from bankstack.risk.backtest.metrics import Performance, Rate
from bankstack.risk.backtest.replay import (
    CandidateModel,
    Recorded,
    Replayed,
    recorded_answer,
    replay,
    replay_one,
)
from bankstack.risk.backtest.report import (
    BacktestReport,
    PolicySummary,
    summarise,
    to_json,
    transition_matrix,
)
from bankstack.risk.backtest.simulated import decide_stream, simulation_config

__all__ = [
    "BacktestReport",
    "CandidateModel",
    "Performance",
    "PolicySummary",
    "Rate",
    "Recorded",
    "Replayed",
    "decide_stream",
    "recorded_answer",
    "replay",
    "replay_one",
    "simulation_config",
    "summarise",
    "to_json",
    "transition_matrix",
]
