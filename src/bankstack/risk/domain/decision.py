"""A decision and its reasons, pure data.

An outcome is one of four, ordered by severity: ``accept < challenge < review < reject``.
When several sources ask for different outcomes the most severe wins. The ``score`` is an
integer from 0 (no risk seen) to 1000; rule points and the model's points add up to it and
the rule set's thresholds turn it into an outcome.

Every reason carries a stable ``code`` (documented for staff and for adverse-action notices),
where it came from (a rule or a model) and a human sentence. A decision records the rule-set
and model versions and the feature values it saw, so that it can be replayed and audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bankstack.risk.domain.event import EventKind

FeatureValue = int | float | bool | str
FeatureVector = Mapping[str, FeatureValue]

MAX_SCORE = 1000


class Outcome(StrEnum):
    ACCEPT = "accept"
    CHALLENGE = "challenge"  # step-up: the customer confirms (one-time code, later a passkey)
    REVIEW = "review"  # money held until a person decides the case
    REJECT = "reject"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    def at_least(self, other: Outcome) -> Outcome:
        """The more severe of the two."""
        return self if self.severity >= other.severity else other


_SEVERITY = {Outcome.ACCEPT: 0, Outcome.CHALLENGE: 1, Outcome.REVIEW: 2, Outcome.REJECT: 3}


class ReasonSource(StrEnum):
    RULE = "rule"
    MODEL = "model"
    ENGINE = "engine"  # e.g. the model was skipped (degraded)


@dataclass(frozen=True, slots=True)
class Reason:
    code: str  # stable, e.g. "R_VELOCITY_1M" or "M_AMOUNT_DEVIATION"
    source: ReasonSource
    text: str  # one sentence a reviewer (or a customer, for credit) can read
    points: int = 0  # what it added to the score


@dataclass(frozen=True, slots=True)
class ModelScore:
    """A model's answer: the probability of the bad outcome and the reasons that drove it,
    strongest first."""

    probability: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    decision_id: str
    event_id: str
    kind: EventKind
    customer_id: str
    outcome: Outcome
    score: int
    reasons: tuple[Reason, ...]
    rules_fired: tuple[str, ...]
    ruleset_version: str
    model_version: str | None  # None when no model applies to the kind, or it was skipped
    model_probability: float | None
    degraded: bool  # the model failed or ran out of time: decided on rules alone
    decided_at: int  # ns
    features: FeatureVector

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(reason.code for reason in self.reasons)
