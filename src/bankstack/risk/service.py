"""``RiskService``: what other domains call. ``decide(event)`` runs the engine and, when the
decision asks a person to look (review), opens the decision's case in the review queue.

Rule sets come from a ``RuleSets`` provider: ``FixedRuleSets`` (files: the demo, tests,
benchmarks) or ``StoredRuleSets`` (the database: what staff activated, re-read every few
seconds so an activation reaches every process without a restart).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bankstack.risk.cases.records import CaseRef, RefKind
from bankstack.risk.cases.service import CaseService
from bankstack.risk.domain.decision import Decision, Outcome
from bankstack.risk.domain.event import RiskEvent
from bankstack.risk.engine import RiskEngine, RuleSetLike
from bankstack.risk.rules import CompiledRuleSet, RuleSetRepository, compile_ruleset

CASE_OUTCOMES = frozenset({Outcome.REVIEW})


class FixedRuleSets:
    def __init__(self, active: RuleSetLike, shadow: RuleSetLike | None = None) -> None:
        self._active, self._shadow = active, shadow

    def active(self) -> RuleSetLike:
        return self._active

    def shadow(self) -> RuleSetLike | None:
        return self._shadow


class StoredRuleSets:
    """The active and shadow versions of one named rule set, as stored; ``fallback`` until
    staff activate one. Compiled once per stored version, re-read at most every
    ``refresh_s`` seconds."""

    def __init__(
        self,
        repository: RuleSetRepository,
        name: str,
        fallback: CompiledRuleSet,
        *,
        refresh_s: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._repository, self._name, self._fallback = repository, name, fallback
        self._refresh_s, self._monotonic = refresh_s, monotonic
        self._lock = threading.Lock()
        self._loaded_at = -refresh_s
        self._compiled: dict[str, CompiledRuleSet] = {}
        self._active: CompiledRuleSet = fallback
        self._shadow: CompiledRuleSet | None = None

    def active(self) -> RuleSetLike:
        self._refresh()
        return self._active

    def shadow(self) -> RuleSetLike | None:
        self._refresh()
        return self._shadow

    def _refresh(self) -> None:
        if self._monotonic() - self._loaded_at < self._refresh_s:
            return
        with self._lock:
            self._loaded_at = self._monotonic()
            active = self._repository.active(self._name)
            shadow = self._repository.candidate(self._name)
            self._active = self._compile(active.body) if active else self._fallback
            self._shadow = self._compile(shadow.body) if shadow else None

    def _compile(self, body: str) -> CompiledRuleSet:
        if body not in self._compiled:
            self._compiled[body] = compile_ruleset(body)
        return self._compiled[body]


class RiskService:
    def __init__(self, engine: RiskEngine, cases: CaseService | None = None) -> None:
        self._engine = engine
        self._cases = cases

    def decide(self, event: RiskEvent) -> Decision:
        decision = self._engine.decide(event)
        if self._cases is not None and decision.outcome in CASE_OUTCOMES:
            self._cases.open_for_decision(
                decision.decision_id,
                decision.event_id,
                decision.customer_id,
                decision.outcome,
                _title(decision, event),
                _refs(event),
            )
        return decision


def _title(decision: Decision, event: RiskEvent) -> str:
    amount = "" if event.amount is None else f" of {event.amount}"
    top = decision.reasons[0].code if decision.reasons else "no reason"
    return f"{event.kind.value}{amount} by {event.customer_id}: {decision.outcome.value} ({top})"


def _refs(event: RiskEvent) -> tuple[CaseRef, ...]:
    """What the case holds money of (the trade, the transfer), for staff to see: the event's
    subject, as its caller named it."""
    if event.subject is None:
        return ()
    return (CaseRef(RefKind(event.subject.kind), event.subject.ref_id),)
