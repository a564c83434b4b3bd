"""What the backtest tests share: recorded decisions made by hand (``assess`` on catalog vectors,
as the engine would record them), replayed pairs with chosen outcomes, and stub models."""

from __future__ import annotations

from collections.abc import Mapping

from bankstack.kernel.money import Money
from bankstack.risk.adapters.decisions_sql import StoredDecision
from bankstack.risk.backtest import Replayed
from bankstack.risk.domain.decision import (
    Decision,
    FeatureValue,
    FeatureVector,
    ModelScore,
    Outcome,
    Reason,
    ReasonSource,
)
from bankstack.risk.domain.event import EventKind, RiskEvent
from bankstack.risk.engine import Assessment, RuleSetLike, assess
from bankstack.risk.simulator import START_NS
from tests.unit.risk.rules.texts import quiet_vector

SECOND = 1_000_000_000


def event(
    event_id: str, kind: EventKind = EventKind.PAYMENT, amount: Money | None = None, at: int = 0
) -> RiskEvent:
    if amount is None and kind.moves_money:
        amount = Money(15_000, "CNY")
    return RiskEvent(
        event_id=event_id,
        kind=kind,
        occurred_at=START_NS + at * SECOND,
        customer_id=f"cust-{event_id}",
        amount=amount,
        merchant_id="m1" if kind is EventKind.PAYMENT else None,
        counterparty_id="c2" if kind is EventKind.TRANSFER else None,
    )


def vector(kind: EventKind, **overrides: FeatureValue) -> dict[str, FeatureValue]:
    return quiet_vector(kind.value, **overrides)


def decision_from(
    assessment: Assessment,
    happened: RiskEvent,
    features: FeatureVector,
    ruleset_version: str,
    decided_at: int | None = None,
) -> Decision:
    return Decision(
        decision_id=f"dec-{happened.event_id}",
        event_id=happened.event_id,
        kind=happened.kind,
        customer_id=happened.customer_id,
        outcome=assessment.outcome,
        score=assessment.score,
        reasons=assessment.reasons,
        rules_fired=assessment.rules_fired,
        ruleset_version=ruleset_version,
        model_version=assessment.model_version,
        model_probability=assessment.model_probability,
        degraded=assessment.degraded,
        decided_at=happened.occurred_at if decided_at is None else decided_at,
        features=features,
    )


def recorded(
    happened: RiskEvent,
    features: Mapping[str, FeatureValue],
    ruleset: RuleSetLike,
    model: tuple[str, ModelScore] | None = None,
) -> StoredDecision:
    """The decision the engine would have recorded for this event and vector."""
    assessment = assess(happened.kind, features, ruleset, model)
    return StoredDecision(
        decision_from(assessment, happened, dict(features), ruleset.version), happened
    )


def outcome_only(outcome: Outcome, score: int = 0, degraded: bool = False) -> Assessment:
    return Assessment(
        outcome=outcome,
        score=score,
        reasons=(),
        rules_fired=(),
        model_version=None,
        model_probability=None,
        degraded=degraded,
    )


def replayed(
    event_id: str,
    before: Outcome,
    after: Outcome,
    amount: Money | None,
    kind: EventKind = EventKind.PAYMENT,
) -> Replayed:
    """A replayed pair with chosen outcomes (the report only reads outcomes and amounts)."""
    happened = event(event_id, kind, amount)
    baseline = decision_from(outcome_only(before), happened, {}, "hand@1+000000000000")
    return Replayed(happened, baseline, outcome_only(after))


class StubModel:
    """A deterministic model: its probability and its reasons follow the amount; it raises on
    amounts divisible by ``fails_every`` (when set), as a sick model would."""

    features = ("amount",)

    def __init__(self, version: str = "stub-1", *, fails_every: int = 0) -> None:
        self.version = version
        self.fails_every = fails_every

    def score(self, features: FeatureVector) -> ModelScore:
        amount = int(features.get("amount", 0))
        if self.fails_every and amount % self.fails_every == 0:
            raise RuntimeError("model down")
        probability = (amount % 1000) / 1000  # 0.0 .. 0.999, some 0 (no reasons kept)
        count = amount % 7  # 0 to 6 reasons: more than MAX_MODEL_REASONS are cut to 4
        reasons = tuple(
            Reason(f"M_STUB_{i}", ReasonSource.MODEL, f"stub reason {i}", count - i)
            for i in range(count)
        )
        return ModelScore(probability, reasons)
