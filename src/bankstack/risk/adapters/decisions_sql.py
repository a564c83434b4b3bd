"""The decision log on SQL (either storage tier), and in memory for tests and benchmarks.

``SqlDecisionLog.append`` inserts the decision (with its event and feature vector) in its own
short transaction before the caller moves money, so a decision exists for every movement it
allowed, even if the process dies right after. Shadow decisions go to their own table, keyed by
the live decision and the candidate's version. ``history`` reads decisions back in time order
for backtests, with their events, a page at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import orjson
from sqlalchemy import Engine, insert, select

from bankstack.platform.database import one_statement
from bankstack.risk.adapters import tables as t
from bankstack.risk.domain.codec import (
    decision_from_row,
    event_from_json,
    event_to_json,
    features_to_json,
    reasons_to_json,
)
from bankstack.risk.domain.decision import Decision
from bankstack.risk.domain.event import RiskEvent
from bankstack.risk.errors import DecisionNotFound


@dataclass(frozen=True, slots=True)
class StoredDecision:
    decision: Decision
    event: RiskEvent


def _row(decision: Decision, event: RiskEvent) -> dict[str, object]:
    amount = event.amount
    return {
        "decision_id": decision.decision_id,
        "event_id": decision.event_id,
        "kind": decision.kind.value,
        "customer_id": decision.customer_id,
        "outcome": decision.outcome.value,
        "score": decision.score,
        "reasons": reasons_to_json(decision.reasons),
        "rules_fired": orjson.dumps(list(decision.rules_fired)).decode(),
        "ruleset_version": decision.ruleset_version,
        "model_version": decision.model_version,
        "model_probability": decision.model_probability,
        "degraded": decision.degraded,
        "decided_at": decision.decided_at,
        "features": features_to_json(decision.features),
        "event": event_to_json(event),
        "amount_minor": None if amount is None else amount.minor,
        "currency": None if amount is None else amount.asset,
    }


def _shadow_row(decision: Decision) -> dict[str, object]:
    return {
        "decision_id": decision.decision_id,
        "ruleset_version": decision.ruleset_version,
        "model_version": decision.model_version,
        "outcome": decision.outcome.value,
        "score": decision.score,
        "reasons": reasons_to_json(decision.reasons),
        "rules_fired": orjson.dumps(list(decision.rules_fired)).decode(),
        "decided_at": decision.decided_at,
    }


class SqlDecisionLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append(self, decision: Decision, event: RiskEvent) -> None:
        with one_statement(self._engine) as conn:
            conn.execute(insert(t.decisions), [_row(decision, event)])

    def append_shadow(self, decision: Decision) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(t.shadow_decisions), [_shadow_row(decision)])

    def get(self, decision_id: str) -> StoredDecision:
        with self._engine.connect() as conn:
            row = (
                conn.execute(select(t.decisions).where(t.decisions.c.decision_id == decision_id))
                .mappings()
                .first()
            )
        if row is None:
            raise DecisionNotFound(f"no decision {decision_id!r}", decision_id=decision_id)
        return StoredDecision(decision_from_row(dict(row)), event_from_json(row["event"]))

    def shadow_of(self, decision_id: str) -> list[dict[str, object]]:
        query = select(t.shadow_decisions).where(t.shadow_decisions.c.decision_id == decision_id)
        with self._engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def history(
        self, since: int = 0, until: int | None = None, page: int = 2000
    ) -> Iterator[StoredDecision]:
        """Decisions in (decided_at, decision_id) order, read a page at a time."""
        cursor: tuple[int, str] = (since, "")
        c = t.decisions.c
        while True:
            query = select(t.decisions).where(
                (c.decided_at > cursor[0])
                | ((c.decided_at == cursor[0]) & (c.decision_id > cursor[1]))
            )
            if until is not None:
                query = query.where(c.decided_at < until)
            query = query.order_by(c.decided_at, c.decision_id).limit(page)
            with self._engine.connect() as conn:
                rows = list(conn.execute(query).mappings())
            for row in rows:
                yield StoredDecision(decision_from_row(dict(row)), event_from_json(row["event"]))
            if len(rows) < page:
                return
            cursor = (rows[-1]["decided_at"], rows[-1]["decision_id"])


class MemoryDecisionLog:
    """Keeps decisions in lists: tests, benchmarks and backtests over simulated traffic."""

    def __init__(self) -> None:
        self.decisions: list[StoredDecision] = []
        self.shadow: list[Decision] = []
        self._lock = threading.Lock()

    def append(self, decision: Decision, event: RiskEvent) -> None:
        with self._lock:
            self.decisions.append(StoredDecision(decision, event))

    def append_shadow(self, decision: Decision) -> None:
        with self._lock:
            self.shadow.append(decision)

    def history(self, since: int = 0, until: int | None = None) -> Iterator[StoredDecision]:
        for stored in list(self.decisions):
            at = stored.decision.decided_at
            if at >= since and (until is None or at < until):
                yield stored
