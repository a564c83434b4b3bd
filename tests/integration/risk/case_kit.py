"""What the case integration tests share: a migrated database, the service on it, and ids
unique to the test (the PostgreSQL database is shared by the whole session)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import Engine, text

from bankstack.kernel.clock import ManualClock, datetime_to_ns
from bankstack.kernel.ids import new_id
from bankstack.kernel.money import Money
from bankstack.platform.database import make_engine
from bankstack.platform.migrations import upgrade
from bankstack.risk.adapters.cases_sql import SqlCaseStore
from bankstack.risk.cases.case import Case
from bankstack.risk.cases.service import CaseService
from bankstack.risk.domain.alert import Alert, Severity
from bankstack.risk.domain.decision import Outcome

T = TypeVar("T")

START = datetime_to_ns(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))


@dataclass
class World:
    engine: Engine
    clock: ManualClock
    service: CaseService
    resolved: list[Case]
    tag: str = field(default_factory=lambda: f"{new_id():x}"[-10:])

    def name(self, base: str) -> str:
        return f"{base}-{self.tag}"

    def open_decision(
        self, base: str, customer: str = "alice", outcome: Outcome = Outcome.REVIEW
    ) -> Case:
        return self.service.open_for_decision(
            self.name(f"dec-{base}"),
            self.name(f"evt-{base}"),
            self.name(customer),
            outcome,
            f"{outcome} decision {base}",
        )

    def alert(
        self,
        base: str,
        subject: str = "alice",
        severity: Severity = Severity.HIGH,
        movements: tuple[str, ...] = (),
    ) -> Alert:
        return Alert(
            alert_id=self.name(f"al-{base}"),
            detector="fan_in",
            subject=self.name(subject),
            severity=severity,
            summary=f"{severity} fan-in into {subject} ({base})",
            raised_at=self.clock.now_ns(),
            dedupe_key=self.name(f"fan_in:{subject}:{base}"),
            amount=Money(1_250_000, "CNY"),
            movement_ids=tuple(self.name(m) for m in movements),
            details={"window_s": 86_400, "payers": 12, "structured": True},
        )

    def outbox(self, key: str) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            found = conn.execute(
                text("SELECT topic, payload FROM outbox WHERE key = :k ORDER BY id"), {"k": key}
            )
            return [(row.topic, row.payload) for row in found]


@contextmanager
def world_on(url: str, store: Callable[[Engine], SqlCaseStore] = SqlCaseStore) -> Iterator[World]:
    upgrade(url)
    engine = make_engine(url)
    clock = ManualClock(START)
    resolved: list[Case] = []
    service = CaseService(store(engine), clock, on_resolved=resolved.append)
    try:
        yield World(engine, clock, service, resolved)
    finally:
        engine.dispose()


def together(*calls: Callable[[], T]) -> list[T | Exception]:
    """Run the calls in threads released at the same moment; each one's result or error."""
    barrier = threading.Barrier(len(calls))
    results: list[T | Exception] = [RuntimeError("did not run")] * len(calls)

    def run(index: int, call: Callable[[], T]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects what each call raised
            results[index] = error

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
