"""A rule set's parts as pure data: rules, thresholds, and what an evaluation returns.

A rule that fires adds its ``points`` to the score and may force a minimum outcome (a hard
floor: a rule can say "at least review" whatever the score). The thresholds turn the final
score (rule points plus the model's points, computed by the engine) into an outcome:

    0 ........ challenge_at ........ review_at ........ reject_at ........ 1000
       accept             challenge            review              reject

A rule whose evaluation fails (a type mismatch, a missing feature, a division by zero) counts
as not fired; the failure is reported in ``RuleResult.errors`` so that it is seen, but it never
turns into a failed decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from bankstack.risk.domain.decision import Outcome
from bankstack.risk.domain.event import EventKind


@dataclass(frozen=True, slots=True)
class Thresholds:
    challenge_at: int
    review_at: int
    reject_at: int
    # The points a model answer of probability 1 adds (p x model_points, half-even). Below
    # review_at, the model alone can at most challenge: holding or refusing money then takes
    # a rule too, which keeps a model trained elsewhere from stopping payments on its own.
    model_points: int = 1000

    def outcome_for(self, score: int) -> Outcome:
        if score >= self.reject_at:
            return Outcome.REJECT
        if score >= self.review_at:
            return Outcome.REVIEW
        if score >= self.challenge_at:
            return Outcome.CHALLENGE
        return Outcome.ACCEPT


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    id: str  # stable: it is the reason code decisions record ("R_CARD_TESTING")
    when: str  # the CEL condition, as written
    points: int
    outcome: Outcome | None  # a hard minimum outcome when it fires
    reason: str  # one sentence for staff
    kinds: frozenset[EventKind]
    enabled: bool
    features: tuple[str, ...]  # the catalog features the condition reads, sorted


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that fired: what the engine turns into ``Reason(code=id, source=RULE, ...)``."""

    id: str
    points: int
    outcome: Outcome | None
    reason: str


@dataclass(frozen=True, slots=True)
class RuleError:
    """A rule that could not be evaluated on this feature vector (counted as not fired)."""

    id: str
    message: str


@dataclass(frozen=True, slots=True)
class RuleResult:
    points: int  # the sum of the points of the rules that fired
    hits: tuple[RuleHit, ...]  # in rule-set order
    minimum_outcome: Outcome  # the most severe outcome a fired rule forces (accept: none)
    errors: tuple[RuleError, ...] = ()

    @property
    def fired(self) -> tuple[str, ...]:
        return tuple(hit.id for hit in self.hits)
