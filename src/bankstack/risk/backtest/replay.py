"""Replay recorded decisions under a candidate rule set (and, optionally, a candidate model).

A recorded decision stores the feature vector it saw, so ``engine.assess`` can decide it again
without the history that produced the vector: the replay is exact and needs no feature store.
The *baseline* is the recorded decision itself (its rule set is known only by its version, not
by its text), the *candidate* is what ``assess`` says now.

The model's part of a recorded decision is rebuilt exactly, so that replaying under the very
versions that decided gives back the very same decision (tests prove it):

- the probability is stored as it was (a float, stored as a double), and the model's points
  are a pure function of it (``engine.model_points``);
- the model reasons that reached the decision are the ones whose source is ``model``, in
  order: ``assess`` keeps the first ``MAX_MODEL_REASONS`` of the answer and only when the
  points are positive, so a rebuilt answer of exactly those reasons gives the same list back;
- a degraded decision had no answer: it is replayed with none and ``degraded`` again.

A candidate model scores the stored vector of the kinds it applies to (the fraud model decides
payments and transfers, credit models loan applications); other kinds keep their recorded
answer. A candidate model that raises degrades the replayed decision, as it would live.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from bankstack.risk.domain.decision import Decision, ModelScore, ReasonSource
from bankstack.risk.domain.event import EventKind, RiskEvent
from bankstack.risk.engine import Assessment, RuleSetLike, assess
from bankstack.risk.ports import Scorer

ModelAnswer = tuple[str, ModelScore] | None

# Registry manifest kinds (models/fraud.py, scorecard.py, challenger.py) -> the event kinds their
# models decide. Spelt out rather than imported: importing the models loads numpy and LightGBM.
_FRAUD_KINDS: Final = frozenset({EventKind.PAYMENT, EventKind.TRANSFER})
_CREDIT_KINDS: Final = frozenset({EventKind.LOAN_APPLICATION})
MODEL_KINDS: Final[Mapping[str, frozenset[EventKind]]] = {
    "fraud": _FRAUD_KINDS,
    "scorecard": _CREDIT_KINDS,
    "gbm": _CREDIT_KINDS,
}


class Recorded(Protocol):
    """What a decision log's ``history`` yields (``StoredDecision``): the decision, its event."""

    @property
    def decision(self) -> Decision: ...

    @property
    def event(self) -> RiskEvent: ...


@dataclass(frozen=True, slots=True)
class CandidateModel:
    """A model to try instead of the recorded one, on the event kinds it decides."""

    scorer: Scorer
    kinds: frozenset[EventKind]

    @classmethod
    def for_manifest_kind(cls, scorer: Scorer, manifest_kind: str) -> CandidateModel:
        """The kinds from the registry manifest's ``kind``; ValueError for an unknown one."""
        kinds = MODEL_KINDS.get(manifest_kind)
        if kinds is None:
            known = ", ".join(sorted(MODEL_KINDS))
            raise ValueError(f"no event kind is decided by a {manifest_kind!r} model ({known})")
        return cls(scorer, kinds)

    @property
    def version(self) -> str:
        return self.scorer.version


@dataclass(frozen=True, slots=True)
class Replayed:
    """One event: what was decided (baseline) and what the candidate decides."""

    event: RiskEvent
    baseline: Decision
    candidate: Assessment

    @property
    def changed(self) -> bool:
        return self.candidate.outcome is not self.baseline.outcome


def recorded_answer(decision: Decision) -> ModelAnswer:
    """The model's answer as the decision recorded it, or None (no model, or degraded)."""
    if decision.model_version is None:
        return None
    if decision.model_probability is None:
        raise ValueError(
            f"decision {decision.decision_id} records model {decision.model_version} "
            "without its probability: it cannot be replayed"
        )
    reasons = tuple(r for r in decision.reasons if r.source is ReasonSource.MODEL)
    return decision.model_version, ModelScore(decision.model_probability, reasons)


def replay_one(
    recorded: Recorded, ruleset: RuleSetLike, model: CandidateModel | None = None
) -> Replayed:
    """The candidate's decision on one recorded event, from the stored features: pure."""
    decision = recorded.decision
    answer, degraded = _answer(decision, model)
    candidate = assess(decision.kind, decision.features, ruleset, answer, degraded=degraded)
    return Replayed(recorded.event, decision, candidate)


def replay(
    history: Iterable[Recorded], ruleset: RuleSetLike, model: CandidateModel | None = None
) -> Iterator[Replayed]:
    """Every recorded decision replayed, lazily and in the history's order."""
    for recorded in history:
        yield replay_one(recorded, ruleset, model)


def _answer(decision: Decision, model: CandidateModel | None) -> tuple[ModelAnswer, bool]:
    if model is None or decision.kind not in model.kinds:
        return recorded_answer(decision), decision.degraded
    try:
        score = model.scorer.score(decision.features)
    except Exception:  # noqa: BLE001 - as live: a failing model degrades, never stops the run
        return None, True
    return (model.scorer.version, score), False
