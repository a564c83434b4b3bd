"""Forget what has been delivered: published outbox rows and processed-event marks, once old.

Both tables grow with every committed change and are needed only briefly: an outbox row until
the relay has handed it to every subscriber (``published_at`` set), a ``processed_events`` mark
while its event could still be redelivered (a relay that died between delivering and marking a
page delivers it again within seconds). After ``retention_ns`` both are history the domains
keep in their own tables (the ledger's journal, trades, cases): ``purge_delivered`` deletes
them in bounded batches, so a purge never holds a long lock next to the hot write path.

Ids are never reused (AUTOINCREMENT on SQLite, an identity column on PostgreSQL), so a purged
row's event id cannot come back and meet a stale mark. Unpublished rows are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, TextClause, text

from bankstack.kernel.clock import Clock

BATCH = 5_000

_OUTBOX = text(
    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
    " WHERE published_at IS NOT NULL AND published_at < :before ORDER BY id LIMIT :n)"
)
_MARKS = text(
    "DELETE FROM processed_events WHERE (consumer, event_id) IN (SELECT consumer, event_id"
    " FROM processed_events WHERE processed_at < :before LIMIT :n)"
)


@dataclass(frozen=True, slots=True)
class Purged:
    outbox_rows: int
    processed_marks: int


def purge_delivered(
    engine: Engine, clock: Clock, retention_ns: int, *, batch: int = BATCH
) -> Purged:
    """Delete published outbox rows and processed marks older than ``retention_ns``."""
    if retention_ns <= 0:
        raise ValueError("the retention must be positive")
    before = clock.now_ns() - retention_ns
    return Purged(
        outbox_rows=_drain(engine, _OUTBOX, before, batch),
        processed_marks=_drain(engine, _MARKS, before, batch),
    )


def _drain(engine: Engine, statement: TextClause, before: int, batch: int) -> int:
    # On SQLite take the write lock at BEGIN and wait behind the ledger writer (as the relay
    # does) rather than fail half-way with "database is locked".
    options = {"sqlite_begin": "IMMEDIATE"} if engine.dialect.name == "sqlite" else {}
    total = 0
    while True:
        with engine.connect() as raw, raw.execution_options(**options).begin():
            deleted: int = raw.execute(statement, {"before": before, "n": batch}).rowcount
        total += deleted
        if deleted < batch:
            return total
