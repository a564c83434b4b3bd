"""A backtest's result: one frozen ``BacktestReport`` from the replayed decisions and labels.

``summarise`` reads the replay once (a history may be long: it keeps counts, not decisions)
and says, for the recorded decisions (*baseline*) and the candidate:

- how many events were replayed, how many decisions change outcome (and score), and the
  transition matrix baseline -> candidate, diagonal included;
- the outcome counts of each side;
- with labels, each side's ``Performance`` (metrics.py): catch, challenge and false-positive
  rates, money at risk and friction per currency. Only events that carry a label count there;
  without any label the performance is None, which readers show as "n/a", never as 0.

``to_json`` gives the same content as plain JSON types: outcome names as keys, rates as exact
``part``/``whole`` plus the fixed-rule decimal string, money as ``{"asset", "minor", "amount"}``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from bankstack.kernel.money import Money
from bankstack.risk.backtest.metrics import (
    Performance,
    PerformanceTally,
    Rate,
    money_text,
    rate_text,
)
from bankstack.risk.backtest.replay import Replayed
from bankstack.risk.domain.decision import Outcome

Transition = tuple[Outcome, Outcome]  # (baseline, candidate)


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicySummary:
    outcomes: Mapping[Outcome, int]  # every outcome, zeros included
    performance: Performance | None  # None when no replayed event carries a label


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestReport:
    events: int
    changed: int  # the outcome differs
    score_changed: int
    transitions: Mapping[Transition, int]  # pairs that occur, diagonal included
    baseline: PolicySummary
    candidate: PolicySummary
    labelled: int  # replayed events that carry a label
    candidate_ruleset: str
    candidate_model: str | None  # None: the recorded model answers were kept
    candidate_degraded: int  # replayed decisions taken without a model answer
    baseline_rulesets: tuple[str, ...]  # the versions that decided, as recorded
    baseline_models: tuple[str, ...]

    @property
    def has_labels(self) -> bool:
        return self.labelled > 0


class _Tally:
    def __init__(self) -> None:
        self.events = self.changed = self.score_changed = self.labelled = self.degraded = 0
        self.transitions: Counter[Transition] = Counter()
        self.baseline_outcomes: Counter[Outcome] = Counter()
        self.candidate_outcomes: Counter[Outcome] = Counter()
        self.baseline = PerformanceTally()
        self.candidate = PerformanceTally()
        self.rulesets: set[str] = set()
        self.models: set[str] = set()

    def add(self, item: Replayed, label: int | None) -> None:
        before, after = item.baseline, item.candidate
        self.events += 1
        self.changed += item.changed
        self.score_changed += after.score != before.score
        self.degraded += after.degraded
        self.transitions[before.outcome, after.outcome] += 1
        self.baseline_outcomes[before.outcome] += 1
        self.candidate_outcomes[after.outcome] += 1
        self.rulesets.add(before.ruleset_version)
        if before.model_version is not None:
            self.models.add(before.model_version)
        if label is not None:
            self.labelled += 1
            self.baseline.add(before.outcome, label, item.event.amount)
            self.candidate.add(after.outcome, label, item.event.amount)


def summarise(
    replayed: Iterable[Replayed],
    labels: Mapping[str, int],
    *,
    candidate_ruleset: str,
    candidate_model: str | None = None,
) -> BacktestReport:
    """The report of a replay; ``labels`` maps event ids to 1 (fraud) or 0 (legitimate)."""
    tally = _Tally()
    for item in replayed:
        tally.add(item, labels.get(item.event.event_id))
    labelled = tally.labelled > 0
    return BacktestReport(
        events=tally.events,
        changed=tally.changed,
        score_changed=tally.score_changed,
        transitions=MappingProxyType(dict(tally.transitions)),
        baseline=_summary(tally.baseline_outcomes, tally.baseline if labelled else None),
        candidate=_summary(tally.candidate_outcomes, tally.candidate if labelled else None),
        labelled=tally.labelled,
        candidate_ruleset=candidate_ruleset,
        candidate_model=candidate_model,
        candidate_degraded=tally.degraded,
        baseline_rulesets=tuple(sorted(tally.rulesets)),
        baseline_models=tuple(sorted(tally.models)),
    )


def transition_matrix(report: BacktestReport) -> tuple[tuple[int, ...], ...]:
    """Counts with baseline outcomes as rows and candidate outcomes as columns, both in
    severity order (accept, challenge, review, reject)."""
    return tuple(
        tuple(report.transitions.get((before, after), 0) for after in Outcome) for before in Outcome
    )


def outcome_rows(report: BacktestReport) -> tuple[tuple[str, str, str, str], ...]:
    """``(outcome, baseline, candidate, change)`` for every outcome, in severity order."""
    counts = ((o, report.baseline.outcomes[o], report.candidate.outcomes[o]) for o in Outcome)
    return tuple((o.value, str(b), str(c), f"{c - b:+d}") for o, b, c in counts)


_MEASURES: tuple[tuple[str, Callable[[Performance], str]], ...] = (
    ("catch rate (fraud reviewed or rejected)", lambda p: rate_text(p.catch_rate)),
    ("fraud challenged", lambda p: rate_text(p.challenge_rate)),
    ("false-positive rate (legit. interrupted)", lambda p: rate_text(p.false_positive_rate)),
    ("money at risk (fraud accepted)", lambda p: money_text(p.money_at_risk)),
    ("friction (legit. reviewed or rejected)", lambda p: money_text(p.friction)),
)


def performance_rows(report: BacktestReport) -> tuple[tuple[str, str, str], ...]:
    """``(measure, baseline, candidate)`` as text by the fixed rules (metrics.py); empty when
    no replayed event carries a label."""
    base, cand = report.baseline.performance, report.candidate.performance
    if base is None or cand is None:
        return ()
    return tuple((name, shown(base), shown(cand)) for name, shown in _MEASURES)


def to_json(report: BacktestReport) -> dict[str, Any]:
    """The report as JSON types (see the module docstring for the shapes)."""
    matrix = transition_matrix(report)
    return {
        "events": report.events,
        "changed": report.changed,
        "score_changed": report.score_changed,
        "labelled": report.labelled,
        "baseline": {
            "rulesets": list(report.baseline_rulesets),
            "models": list(report.baseline_models),
            **_policy_json(report.baseline),
        },
        "candidate": {
            "ruleset": report.candidate_ruleset,
            "model": report.candidate_model,
            "degraded": report.candidate_degraded,
            **_policy_json(report.candidate),
        },
        "transitions": {
            before.value: {after.value: matrix[i][j] for j, after in enumerate(Outcome)}
            for i, before in enumerate(Outcome)
        },
    }


def _summary(outcomes: Counter[Outcome], tally: PerformanceTally | None) -> PolicySummary:
    return PolicySummary(
        outcomes=MappingProxyType({outcome: outcomes[outcome] for outcome in Outcome}),
        performance=None if tally is None else tally.result(),
    )


def _policy_json(summary: PolicySummary) -> dict[str, Any]:
    found = summary.performance
    body: dict[str, Any] = {"outcomes": {o.value: n for o, n in summary.outcomes.items()}}
    if found is None:
        return {**body, "performance": None}
    return {
        **body,
        "performance": {
            "fraud": found.fraud,
            "legitimate": found.legitimate,
            "fraud_stopped": found.fraud_stopped,
            "fraud_challenged": found.fraud_challenged,
            "legitimate_stopped": found.legitimate_stopped,
            "legitimate_challenged": found.legitimate_challenged,
            "catch_rate": _rate_json(found.catch_rate),
            "challenge_rate": _rate_json(found.challenge_rate),
            "false_positive_rate": _rate_json(found.false_positive_rate),
            "money_at_risk": [_money_json(m) for m in found.money_at_risk],
            "friction": [_money_json(m) for m in found.friction],
        },
    }


def _rate_json(value: Rate | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"part": value.part, "whole": value.whole, "value": str(value.decimal())}


def _money_json(amount: Money) -> dict[str, Any]:
    return {"asset": amount.asset, "minor": amount.minor, "amount": amount.format()}
