"""Pending Alipay notifications on SQLAlchemy Core, shared by every process of a deployment.

``claim_due`` is exclusive across processes: in one short transaction it reads the due rows
and pushes their ``next_attempt_at`` to the lease's end, so no other deliverer sees them
until the lease runs out. On PostgreSQL the read is ``FOR UPDATE SKIP LOCKED`` (concurrent
claimers take disjoint rows without waiting); on SQLite the transaction begins IMMEDIATE,
taking the database's write lock, so claims run one after the other.

A store made with ``on(conn)`` writes on the caller's connection, inside the caller's
transaction: the outbox subscriber records a notification in the same transaction that
marks the source event processed.

The form is stored as JSON, a list of ``[name, value]`` pairs in the order it was signed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, Engine, Row, select, update

from bankstack.gateway.adapters.tables import transaction
from bankstack.gateway.alipay.adapters.tables import notifications as n
from bankstack.gateway.alipay.ports import PendingNotification
from bankstack.platform.sql import insert_absent

PENDING: Final = "pending"
DELIVERED: Final = "delivered"
ABANDONED: Final = "abandoned"


@dataclass(frozen=True, slots=True)
class StoredNotification:
    """A notification with its status, for operators and tests."""

    notification: PendingNotification
    status: str  # pending, delivered or abandoned
    finished_at_ns: int | None


def _pending(row: Row[Any]) -> PendingNotification:
    pairs = json.loads(row.form)
    return PendingNotification(
        notify_id=row.notify_id,
        app_id=row.app_id,
        url=row.url,
        form=tuple((str(name), str(value)) for name, value in pairs),
        charset=row.charset,
        created_ns=row.created_at,
        next_attempt_ns=row.next_attempt_at if row.next_attempt_at is not None else 0,
        attempts=row.attempts,
    )


class SqlNotificationStore:
    def __init__(self, engine: Engine, *, conn: Connection | None = None) -> None:
        self._engine = engine
        self._conn = conn
        self._postgres = engine.dialect.name == "postgresql"

    def on(self, conn: Connection) -> SqlNotificationStore:
        """The store writing on ``conn``, in the transaction it is in."""
        return SqlNotificationStore(self._engine, conn=conn)

    @contextmanager
    def _unit(self, *, write: bool) -> Iterator[Connection]:
        if self._conn is not None:
            yield self._conn
            return
        with transaction(self._engine, write=write) as conn:
            yield conn

    def add(self, notification: PendingNotification) -> None:
        values = {
            "notify_id": notification.notify_id,
            "app_id": notification.app_id,
            "url": notification.url,
            "form": json.dumps([list(pair) for pair in notification.form], ensure_ascii=False),
            "charset": notification.charset,
            "status": PENDING,
            "attempts": notification.attempts,
            "created_at": notification.created_ns,
            "next_attempt_at": notification.next_attempt_ns,
            "finished_at": None,
        }
        with self._unit(write=True) as conn:
            insert_absent(conn, n, values)  # a known notify_id is ignored

    def claim_due(self, now_ns: int, limit: int, lease_until_ns: int) -> list[PendingNotification]:
        due = (
            select(n)
            .where(n.c.status == PENDING, n.c.next_attempt_at <= now_ns)
            .order_by(n.c.next_attempt_at, n.c.created_at, n.c.notify_id)
            .limit(limit)
        )
        if self._postgres:
            due = due.with_for_update(skip_locked=True)
        with self._unit(write=True) as conn:
            claimed = [_pending(row) for row in conn.execute(due)]
            if claimed:
                conn.execute(
                    update(n)
                    .where(n.c.notify_id.in_([x.notify_id for x in claimed]))
                    .values(next_attempt_at=lease_until_ns)
                )
        return claimed

    def delivered(self, notify_id: str, attempts: int, at_ns: int) -> None:
        self._finish(notify_id, DELIVERED, attempts, at_ns)

    def abandon(self, notify_id: str, attempts: int, at_ns: int) -> None:
        self._finish(notify_id, ABANDONED, attempts, at_ns)

    def retry_at(self, notify_id: str, attempts: int, next_attempt_ns: int) -> None:
        with self._unit(write=True) as conn:
            conn.execute(
                update(n)
                .where(n.c.notify_id == notify_id, n.c.status == PENDING)
                .values(attempts=attempts, next_attempt_at=next_attempt_ns)
            )

    def _finish(self, notify_id: str, status: str, attempts: int, at_ns: int) -> None:
        with self._unit(write=True) as conn:
            conn.execute(
                update(n)
                .where(n.c.notify_id == notify_id, n.c.status == PENDING)
                .values(status=status, attempts=attempts, next_attempt_at=None, finished_at=at_ns)
            )

    # -- inspection (operators, tests) -----------------------------------------------------

    def find(self, notify_id: str) -> StoredNotification | None:
        with self._unit(write=False) as conn:
            row = conn.execute(select(n).where(n.c.notify_id == notify_id)).first()
        if row is None:
            return None
        return StoredNotification(_pending(row), row.status, row.finished_at)

    def of_app(self, app_id: str) -> list[StoredNotification]:
        """Every notification of the app, oldest first."""
        query = select(n).where(n.c.app_id == app_id).order_by(n.c.created_at, n.c.notify_id)
        with self._unit(write=False) as conn:
            return [
                StoredNotification(_pending(r), r.status, r.finished_at)
                for r in conn.execute(query)
            ]
