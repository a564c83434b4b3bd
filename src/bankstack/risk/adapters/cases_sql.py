"""The case store on SQLAlchemy Core: cases, links, history, alerts, labels and the outbox
on one connection and one transaction (SQLite or PostgreSQL), as payments does it.

A write unit of work on SQLite begins with ``BEGIN IMMEDIATE``: it takes the database's one
write lock at the start and waits for it (busy timeout) rather than failing half-way, which
serialises every writer and stands in for row locks (SQLAlchemy rightly renders no ``FOR
UPDATE`` there). On PostgreSQL it is READ COMMITTED; ``lock=True`` reads take the row lock
(``FOR UPDATE``) and ``lock_subject`` takes a transaction-scoped advisory lock on a 64-bit
hash of the subject. Updates are conditional on the version read (``StaleCase`` otherwise).

Labels are upserted with ``ON CONFLICT (event_id) DO UPDATE ... WHERE`` the stored label is
not higher than the new one: a 1 (fraud confirmed by some case) is never turned into a 0.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Select,
    SmallInteger,
    String,
    literal,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bankstack.platform.database import SqlUnitOfWork
from bankstack.platform.outbox import OutboxWriter
from bankstack.risk.adapters import cases_rows as rows
from bankstack.risk.adapters.tables import alerts, case_history, case_links, cases, labels
from bankstack.risk.cases.case import Case
from bankstack.risk.cases.labels import Label
from bankstack.risk.cases.queue import QueuePosition
from bankstack.risk.cases.records import (
    ACTIVE_STATUSES,
    CaseLink,
    CaseRef,
    CaseStatus,
    HistoryEntry,
    StoredAlert,
)
from bankstack.risk.domain.alert import Alert


class StaleCase(RuntimeError):
    """A conditional update found another version than the one read."""


def _insert(conn: Connection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def _locked(query: Select[Any], lock: bool) -> Select[Any]:
    return query.with_for_update() if lock else query


def subject_lock_key(subject: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_xact_lock`` (same in every process)."""
    digest = hashlib.blake2b(f"risk.case.subject:{subject}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class SqlCases:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, case: Case, entry: HistoryEntry) -> bool:
        statement = (
            _insert(self._conn)(cases)
            .values(rows.case_row(case))
            .on_conflict_do_nothing()
            .returning(cases.c.case_id)
        )
        # Told by RETURNING, not rowcount: psycopg reports -1 for these INSERTs.
        if self._conn.execute(statement).first() is None:
            return False
        self._conn.execute(case_history.insert().values(rows.history_row(case.case_id, entry)))
        return True

    def get(self, case_id: str, *, lock: bool = False) -> Case | None:
        query = _locked(select(cases).where(cases.c.case_id == case_id), lock)
        row = self._conn.execute(query).first()
        return None if row is None else rows.case_from(row)

    def update(self, case: Case, entry: HistoryEntry) -> None:
        values = rows.case_row(case)
        statement = (
            update(cases)
            .where(cases.c.case_id == values.pop("case_id"), cases.c.version == case.version - 1)
            .values(values)
        )
        if self._conn.execute(statement).rowcount != 1:
            raise StaleCase(f"case {case.case_id} is not at version {case.version - 1}")
        self._conn.execute(case_history.insert().values(rows.history_row(case.case_id, entry)))

    def active_for_subject(self, subject: str, *, lock: bool = False) -> Case | None:
        c = cases.c
        query = (
            select(cases)
            .where(c.subject == subject, c.status.in_([s.value for s in ACTIVE_STATUSES]))
            .order_by(c.opened_at, c.case_id)
            .limit(1)
        )
        row = self._conn.execute(_locked(query, lock)).first()
        return None if row is None else rows.case_from(row)

    def lock_subject(self, subject: str) -> None:
        if self._conn.dialect.name == "postgresql":
            key = subject_lock_key(subject)
            self._conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def link(self, case_id: str, refs: Iterable[CaseRef], at: int) -> None:
        values = [
            {"case_id": case_id, "ref_kind": ref.kind.value, "ref_id": ref.ref_id, "linked_at": at}
            for ref in dict.fromkeys(refs)  # once each, in the order given
        ]
        if values:
            statement = _insert(self._conn)(case_links).values(values).on_conflict_do_nothing()
            self._conn.execute(statement)

    def links(self, case_id: str) -> list[CaseLink]:
        c = case_links.c
        query = select(case_links).where(c.case_id == case_id)
        result = self._conn.execute(query.order_by(c.linked_at, c.ref_kind, c.ref_id))
        return [rows.link_from(row) for row in result]

    def history(self, case_id: str) -> list[HistoryEntry]:
        c = case_history.c
        query = select(case_history).where(c.case_id == case_id).order_by(c.seq)
        return [rows.history_from(row) for row in self._conn.execute(query)]

    def queue(
        self, statuses: Collection[CaseStatus], after: QueuePosition | None, limit: int
    ) -> list[Case]:
        c = cases.c
        query = select(cases).where(c.status.in_([s.value for s in statuses]))
        if after is not None:
            position = tuple_(
                literal(after.priority, SmallInteger),
                literal(after.opened_at, BigInteger),
                literal(after.case_id, String),
            )
            query = query.where(tuple_(c.priority, c.opened_at, c.case_id) > position)
        query = query.order_by(c.priority, c.opened_at, c.case_id).limit(limit)
        return [rows.case_from(row) for row in self._conn.execute(query)]


class SqlAlerts:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, alert: Alert, case_id: str) -> None:
        self._conn.execute(alerts.insert().values(rows.alert_row(alert, case_id)))

    def set_case(self, alert_id: str, case_id: str) -> None:
        statement = (
            update(alerts)
            .where(alerts.c.alert_id == alert_id, alerts.c.case_id.is_(None))
            .values(case_id=case_id)
        )
        if self._conn.execute(statement).rowcount != 1:
            raise StaleCase(f"alert {alert_id} is gone or already on a case")

    def by_dedupe_key(self, dedupe_key: str) -> StoredAlert | None:
        row = self._conn.execute(select(alerts).where(alerts.c.dedupe_key == dedupe_key)).first()
        return None if row is None else rows.alert_from(row)

    def for_case(self, case_id: str) -> list[StoredAlert]:
        c = alerts.c
        query = select(alerts).where(c.case_id == case_id).order_by(c.raised_at, c.alert_id)
        return [rows.alert_from(row) for row in self._conn.execute(query)]

    def for_subject(self, subject: str, limit: int) -> list[StoredAlert]:
        c = alerts.c
        query = select(alerts).where(c.subject == subject)
        query = query.order_by(c.raised_at.desc(), c.alert_id.desc()).limit(limit)
        return [rows.alert_from(row) for row in self._conn.execute(query)]


class SqlLabels:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def record(self, found: Sequence[Label]) -> None:
        if not found:
            return
        statement = _insert(self._conn)(labels).values([rows.label_row(x) for x in found])
        new = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=[labels.c.event_id],
            set_={
                "label": new.label,
                "source": new.source,
                "case_id": new.case_id,
                "labelled_at": new.labelled_at,
            },
            where=labels.c.label <= new.label,
        )
        self._conn.execute(statement)

    def all(self) -> dict[str, int]:
        query = select(labels.c.event_id, labels.c.label).order_by(labels.c.event_id)
        return {event_id: int(label) for event_id, label in self._conn.execute(query)}


class SqlCaseUnitOfWork(SqlUnitOfWork):
    cases: SqlCases
    alerts: SqlAlerts
    labels: SqlLabels
    outbox: OutboxWriter

    def _bind(self, conn: Connection) -> None:
        self.cases = SqlCases(conn)
        self.alerts = SqlAlerts(conn)
        self.labels = SqlLabels(conn)
        self.outbox = OutboxWriter(conn)


class SqlCaseStore:
    """Opens case units of work on ``engine`` (either storage tier)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def write(self) -> SqlCaseUnitOfWork:
        return SqlCaseUnitOfWork(self._engine, write=True)

    def read(self) -> SqlCaseUnitOfWork:
        return SqlCaseUnitOfWork(self._engine, write=False)
