"""``decide``: features -> rules -> model -> one decision with reasons, recorded.

The decision is a pure function of (event, feature vector, rule set, model): ``assess`` computes
it, so that a recorded decision can be replayed from its stored features and versions and must
come out the same (backtests and audits rely on it). ``RiskEngine.decide`` adds the effects
around it: features from the history, the model's time budget and circuit breaker, the shadow
rule set, recording, and adding the event to the history afterwards (attempts count, even
rejected ones: card testing is mostly declined attempts).

Scoring: the rule points of the rules that fired plus the model's points (its probability of the
bad outcome x 1000, rounded half-even), capped at 1000. The rule
set's thresholds turn the score into an outcome; a rule may also force a minimum outcome. The
most severe outcome wins.

Degraded: when the model raises, or answers after its time budget, the decision is taken on
rules alone and says so (``degraded``, reason ``E_MODEL_DEGRADED``). A synchronous call cannot
be cut short, so the budget discards a late answer; the circuit breaker then skips the model for
a cool-down after ``failures_to_open`` consecutive failures, which bounds the latency a sick
model can add to live traffic.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol

from bankstack.kernel.ids import new_id
from bankstack.risk.domain.decision import (
    MAX_SCORE,
    Decision,
    FeatureVector,
    ModelScore,
    Outcome,
    Reason,
    ReasonSource,
)
from bankstack.risk.domain.event import EventKind, RiskEvent
from bankstack.risk.ports import DecisionLog, FeatureSource, Scorer

DEGRADED = Reason(
    "E_MODEL_DEGRADED", ReasonSource.ENGINE, "the model was unavailable: decided on rules alone"
)
MAX_MODEL_REASONS = 4


class RuleHitLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def points(self) -> int: ...
    @property
    def reason(self) -> str: ...


class RuleResultLike(Protocol):
    @property
    def points(self) -> int: ...
    @property
    def hits(self) -> Sequence[RuleHitLike]: ...
    @property
    def minimum_outcome(self) -> Outcome: ...


class RuleSetLike(Protocol):
    """What the engine needs of a compiled rule set (rules/ implements it)."""

    @property
    def version(self) -> str: ...
    def evaluate(self, features: FeatureVector, kind: EventKind) -> RuleResultLike: ...
    def outcome_for(self, score: int) -> Outcome: ...
    @property
    def model_points(self) -> int: ...


class RuleSets(Protocol):
    """The active rule set and the shadow candidate (if any), as staff last set them."""

    def active(self) -> RuleSetLike: ...
    def shadow(self) -> RuleSetLike | None: ...


@dataclass(frozen=True, slots=True)
class Assessment:
    outcome: Outcome
    score: int
    reasons: tuple[Reason, ...]
    rules_fired: tuple[str, ...]
    model_version: str | None
    model_probability: float | None
    degraded: bool


def model_points(probability: float, weight: int = MAX_SCORE) -> int:
    """The model's share of the score: an explicit half-even rounding of p x ``weight`` (the
    rule set's ``model_points``)."""
    exact = Decimal(repr(probability)) * weight
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def assess(
    kind: EventKind,
    features: FeatureVector,
    ruleset: RuleSetLike,
    model: tuple[str, ModelScore] | None,
    *,
    degraded: bool = False,
) -> Assessment:
    """The decision for a feature vector, given the model's answer (or none): pure."""
    result = ruleset.evaluate(features, kind)
    hits = sorted(result.hits, key=lambda hit: (-hit.points, hit.id))
    reasons = [Reason(hit.id, ReasonSource.RULE, hit.reason, hit.points) for hit in hits]
    score = result.points
    version = probability = None
    if model is not None:
        version, answer = model
        probability = answer.probability
        points = model_points(probability, ruleset.model_points)
        score += points
        if points > 0:
            reasons.extend(answer.reasons[:MAX_MODEL_REASONS])
    if degraded:
        reasons.append(DEGRADED)
    score = max(0, min(MAX_SCORE, score))
    outcome = ruleset.outcome_for(score).at_least(result.minimum_outcome)
    return Assessment(
        outcome=outcome,
        score=score,
        reasons=tuple(reasons),
        rules_fired=tuple(hit.id for hit in result.hits),
        model_version=version,
        model_probability=probability,
        degraded=degraded,
    )


class CircuitBreaker:
    """Skip a failing model for ``open_for_ns`` after ``failures_to_open`` failures in a row."""

    def __init__(
        self,
        *,
        failures_to_open: int = 3,
        open_for_ns: int = 5_000_000_000,
        monotonic_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self._limit = failures_to_open
        self._open_for = open_for_ns
        self._now = monotonic_ns
        self._failures = 0
        self._open_until = 0
        self._lock = threading.Lock()

    def allows(self) -> bool:
        return self._now() >= self._open_until

    def succeeded(self) -> None:
        self._failures = 0

    def failed(self) -> None:
        with self._lock:
            self._failures += 1
            if self._failures >= self._limit:
                self._open_until = self._now() + self._open_for
                self._failures = 0


@dataclass(frozen=True, slots=True)
class EngineConfig:
    model_budget_ns: int = 2_000_000  # 2 ms: a late answer is discarded (degraded)
    record_shadow: bool = True


class RiskEngine:
    def __init__(
        self,
        *,
        features: FeatureSource,
        rulesets: RuleSets,
        models: Mapping[EventKind, Scorer],
        log: DecisionLog,
        now_ns: Callable[[], int],
        config: EngineConfig | None = None,
        breaker: CircuitBreaker | None = None,
        monotonic_ns: Callable[[], int] = time.perf_counter_ns,
    ) -> None:
        self._features = features
        self._rulesets = rulesets
        self._models = dict(models)
        self._log = log
        self._now = now_ns
        self._config = config or EngineConfig()
        self._breaker = breaker or CircuitBreaker()
        self._monotonic = monotonic_ns

    def decide(self, event: RiskEvent) -> Decision:
        features = self._features.compute(event)
        model, degraded = self._score(event.kind, features)
        ruleset = self._rulesets.active()
        assessment = assess(event.kind, features, ruleset, model, degraded=degraded)
        decision = _decision(
            f"dec_{new_id():032x}", event, assessment, ruleset.version, features, self._now()
        )
        self._log.append(decision, event)
        self._shadow(event, features, model, decision)
        self._features.record(event)
        return decision

    def _score(
        self, kind: EventKind, features: FeatureVector
    ) -> tuple[tuple[str, ModelScore] | None, bool]:
        scorer = self._models.get(kind)
        if scorer is None:
            return None, False
        if not self._breaker.allows():
            return None, True
        started = self._monotonic()
        try:
            answer = scorer.score(features)
        except Exception:  # noqa: BLE001 - any model failure degrades, never fails the payment
            self._breaker.failed()
            return None, True
        if self._monotonic() - started > self._config.model_budget_ns:
            self._breaker.failed()
            return None, True
        self._breaker.succeeded()
        return (scorer.version, answer), False

    def _shadow(
        self,
        event: RiskEvent,
        features: FeatureVector,
        model: tuple[str, ModelScore] | None,
        live: Decision,
    ) -> None:
        candidate = self._rulesets.shadow()
        if candidate is None or not self._config.record_shadow:
            return
        assessment = assess(event.kind, features, candidate, model, degraded=live.degraded)
        shadow = _decision(
            live.decision_id, event, assessment, candidate.version, features, live.decided_at
        )
        self._log.append_shadow(shadow)


def _decision(
    decision_id: str,
    event: RiskEvent,
    assessment: Assessment,
    ruleset_version: str,
    features: FeatureVector,
    now: int,
) -> Decision:
    return Decision(
        decision_id=decision_id,
        event_id=event.event_id,
        kind=event.kind,
        customer_id=event.customer_id,
        outcome=assessment.outcome,
        score=assessment.score,
        reasons=assessment.reasons,
        rules_fired=assessment.rules_fired,
        ruleset_version=ruleset_version,
        model_version=assessment.model_version,
        model_probability=assessment.model_probability,
        degraded=assessment.degraded,
        decided_at=now,
        features=features,
    )
