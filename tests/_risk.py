"""A risk engine for tests: answers the outcomes it is given, in order (accept when it runs
out), and remembers every event it was asked about."""

from __future__ import annotations

import itertools

from bankstack.risk import Decision, Outcome, Reason, ReasonSource, RiskEvent


class ScriptedRisk:
    """Answers the outcomes it is given, in order, and remembers what it was asked."""

    def __init__(self, prefix: str = "dec") -> None:
        """Decision ids are ``<prefix>_1``, ``<prefix>_2``...: give a shared database's tests
        a prefix of their own."""
        self.prefix = prefix
        self.outcomes: list[Outcome] = []
        self.asked: list[RiskEvent] = []
        self._ids = itertools.count(1)

    def decide(self, event: RiskEvent) -> Decision:
        self.asked.append(event)
        outcome = self.outcomes.pop(0) if self.outcomes else Outcome.ACCEPT
        return Decision(
            decision_id=f"{self.prefix}_{next(self._ids)}",
            event_id=event.event_id,
            kind=event.kind,
            customer_id=event.customer_id,
            outcome=outcome,
            score=500,
            reasons=(Reason("R_TEST", ReasonSource.RULE, "scripted", 500),),
            rules_fired=("R_TEST",),
            ruleset_version="test@1",
            model_version=None,
            model_probability=None,
            degraded=False,
            decided_at=event.occurred_at,
            features={},
        )
