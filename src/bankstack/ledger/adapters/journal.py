"""Streams the whole journal in timestamp order, for ``ledger verify``.

Everything is read inside one transaction (REPEATABLE READ on PostgreSQL, one read
transaction on SQLite), so a verify running beside the writer sees one consistent state.
Rows stream through server-side cursors; memory grows with accounts and open pending
transfers, not with the journal.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, text

from bankstack.kernel.events import Event, OutboxRecord
from bankstack.ledger.adapters.reads import SqlLedgerReader
from bankstack.ledger.adapters.rows import (
    ACCOUNT_COLUMNS,
    TRANSFER_COLUMNS,
    account_from_row,
    transfer_from_row,
)
from bankstack.ledger.domain import Account, PendingState, Resolution, Transfer
from bankstack.ledger.domain.replay import SealedBatch
from bankstack.ledger.events import account_event, expiry_event, transfer_event

Record = tuple[
    int, int, Account | Transfer | Resolution, bytes
]  # (timestamp, order, record, digest)


class SqlJournalSource:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._ids = SqlLedgerReader(engine)
        self._open: list[CursorResult[Any]] = []

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        options: dict[str, Any] = {}
        if self._engine.dialect.name == "postgresql":
            options["isolation_level"] = "REPEATABLE READ"
        with self._engine.connect() as raw:
            conn = raw.execution_options(**options)
            try:
                with conn.begin():
                    yield conn
            finally:
                # A verify that stops at the first discrepancy leaves streams half read.
                for result in self._open:
                    result.close()
                self._open.clear()

    def _stream(self, conn: Connection, sql: str) -> Iterator[Any]:
        result = conn.execution_options(stream_results=True, yield_per=2000).execute(text(sql))
        self._open.append(result)
        yield from result

    def batches(self, conn: Connection) -> Iterator[SealedBatch]:
        for row in self._stream(
            conn,
            "SELECT id, previous_hash, hash, first_timestamp,"
            " last_timestamp, record_count FROM ledger_batches ORDER BY id",
        ):
            yield SealedBatch(row[0], bytes(row[1]), bytes(row[2]), row[3], row[4], row[5])

    def records(self, conn: Connection) -> Iterator[Record]:
        decode = self._ids.decode
        accounts = (
            (r[10], 0, account_from_row(tuple(r), decode), bytes(r[11]))
            for r in self._stream(
                conn, f"SELECT {ACCOUNT_COLUMNS}, digest FROM ledger_accounts ORDER BY timestamp"
            )
        )
        transfers = (
            (r[11], 1, transfer_from_row(tuple(r), decode), bytes(r[12]))
            for r in self._stream(
                conn, f"SELECT {TRANSFER_COLUMNS}, digest FROM ledger_transfers ORDER BY timestamp"
            )
        )
        expiries = (
            (r[1], 2, Resolution(decode(r[0]), PendingState.EXPIRED, 0, r[1]), bytes(r[2]))
            for r in self._stream(
                conn,
                "SELECT pending_id, timestamp, digest"
                " FROM ledger_pending_resolutions WHERE state = 3"
                " ORDER BY timestamp",
            )
        )
        merged: Iterator[Record] = heapq.merge(
            accounts, transfers, expiries, key=lambda r: (r[0], r[1])
        )
        yield from merged

    def stored_accounts(self, conn: Connection) -> Iterator[Account]:
        for row in self._stream(conn, f"SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts"):
            yield account_from_row(tuple(row), self._ids.decode)

    def head(self, conn: Connection) -> tuple[int, bytes]:
        row = conn.execute(text("SELECT batch_id, hash FROM ledger_head WHERE id = 1")).one()
        return row[0], bytes(row[1])

    def resolution_count(self, conn: Connection) -> int:
        return int(
            conn.execute(text("SELECT count(*) FROM ledger_pending_resolutions")).scalar_one()
        )


def batch_events(conn: Connection, record: OutboxRecord) -> list[Event]:
    """Expand a ``ledger.batch.sealed`` outbox record into one event per journal record."""
    batch = json.loads(record.payload)
    reader = SqlLedgerReader(conn.engine)
    bounds = {"first": batch["first_timestamp"], "last": batch["last_timestamp"]}
    if batch["kind"] == "accounts":
        rows = conn.execute(
            text(
                f"SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts"
                " WHERE timestamp BETWEEN :first AND :last ORDER BY timestamp"
            ),
            bounds,
        ).all()
        return [account_event(account_from_row(tuple(r), reader.decode)) for r in rows]
    transfers = [
        transfer_event(transfer_from_row(tuple(r), reader.decode))
        for r in conn.execute(
            text(
                f"SELECT {TRANSFER_COLUMNS} FROM ledger_transfers"
                " WHERE timestamp BETWEEN :first AND :last ORDER BY timestamp"
            ),
            bounds,
        )
    ]
    expiries = [
        expiry_event(Resolution(reader.decode(r[0]), PendingState.EXPIRED, 0, r[1]))
        for r in conn.execute(
            text(
                "SELECT pending_id, timestamp FROM ledger_pending_resolutions"
                " WHERE state = 3 AND timestamp BETWEEN :first AND :last ORDER BY timestamp"
            ),
            bounds,
        )
    ]
    return sorted(expiries + transfers, key=lambda e: e.occurred_at)
