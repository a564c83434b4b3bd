"""The ledger on SQLite: the embedded tier for the one-command start and small deployments.

SQLite has one writer at a time; ``BEGIN IMMEDIATE`` takes the write lock at the start of the
batch, which serialises batches across processes as the head row lock does on PostgreSQL.
Ids are 16-byte big-endian BLOBs, so byte order is numeric order. Durability comes from WAL
with ``synchronous=FULL`` (set on every connection by ``platform.database``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bankstack.kernel.events import OutboxRecord
from bankstack.ledger.adapters.rows import (
    ACCOUNT_COLUMNS,
    TRANSFER_COLUMNS,
    account_from_row,
    transfer_from_row,
)
from bankstack.ledger.domain import (
    Account,
    AccountEffects,
    PendingState,
    Transfer,
    TransferEffects,
)
from bankstack.ledger.ports import BatchSeal, JournalHead, WritePlan


def blob_id(value: int) -> bytes:
    return value.to_bytes(16, "big")


def int_id(value: bytes) -> int:
    return int.from_bytes(value, "big")


def _in(ids: Collection[int]) -> tuple[str, list[bytes]]:
    """A ``(?, ?, …)`` list; SQLite allows 32,766 parameters, more than a batch needs."""
    return ",".join("?" * len(ids)), [blob_id(i) for i in ids]


def connect_sqlite(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


@dataclass(frozen=True, slots=True)
class SqliteTransferPlan:
    """A batch's rows as SQLite parameters, built before the transaction (see pg_plan)."""

    batch_id: int
    transfers: list[tuple[Any, ...]]
    balances: list[tuple[int, int, int, int, int, bytes]]
    resolutions: list[tuple[bytes, int, bytes | None, int, int, bytes | None]]
    failures: list[tuple[bytes, str, int]]
    timeouts_added: list[tuple[bytes, int]]
    timeouts_removed: list[tuple[bytes]]
    history: list[tuple[bytes, int, int, int, int, int]]


def plan_transfers(
    effects: TransferEffects, digests: list[bytes], expiry_digests: list[bytes], batch_id: int
) -> SqliteTransferPlan:
    expiry_digest = iter(expiry_digests)
    return SqliteTransferPlan(
        batch_id=batch_id,
        transfers=[
            (*_transfer_row(t), batch_id, d)
            for t, d in zip(effects.transfers, digests, strict=True)
        ],
        balances=[
            (*a.balances(), a.flags, blob_id(a.id))
            for a in sorted(effects.touched.values(), key=lambda a: a.id)
        ],
        resolutions=[
            (
                blob_id(r.pending_id),
                int(r.state),
                blob_id(r.transfer_id) if r.transfer_id else None,
                r.timestamp,
                batch_id,
                next(expiry_digest) if r.state is PendingState.EXPIRED else None,
            )
            for r in effects.resolutions
        ],
        failures=[(blob_id(i), str(code), ts) for i, code, ts in effects.failures],
        timeouts_added=[(blob_id(i), at) for i, at in effects.timeouts_added],
        timeouts_removed=[(blob_id(i),) for i in effects.timeouts_removed],
        history=[
            (
                blob_id(h.account_id),
                h.timestamp,
                h.debits_pending,
                h.debits_posted,
                h.credits_pending,
                h.credits_posted,
            )
            for h in effects.history
        ],
    )


def _transfer_row(t: Transfer) -> tuple[Any, ...]:
    return (
        blob_id(t.id),
        blob_id(t.debit_account_id),
        blob_id(t.credit_account_id),
        t.amount,
        blob_id(t.pending_id) if t.pending_id else None,
        t.ledger,
        t.code,
        blob_id(t.user_data),
        t.flags,
        t.timeout,
        t.effective_at,
        t.timestamp,
    )


class SqliteBatch:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def _select(self, sql: str, ids: Collection[int]) -> list[Any]:
        marks, params = _in(ids)
        return self._conn.execute(sql.format(marks=marks), params).fetchall()

    def lock_head(self) -> JournalHead:
        row = self._conn.execute(
            "SELECT batch_id, hash, last_timestamp FROM ledger_head WHERE id = 1"
        ).fetchone()
        return JournalHead(row[0], bytes(row[1]), row[2])

    def fetch_accounts(self, ids: Collection[int]) -> dict[int, Account]:
        # BEGIN IMMEDIATE already holds SQLite's single write lock, which covers every row.
        if not ids:
            return {}
        rows = self._select(
            f"SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id IN ({{marks}})",
            ids,
        )
        return {int_id(row[0]): account_from_row(row, int_id) for row in rows}

    def all_accounts(self, limit: int) -> dict[int, Account] | None:
        (count,) = self._conn.execute("SELECT count(*) FROM ledger_accounts").fetchone()
        if count > limit:
            return None
        rows = self._conn.execute(f"SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts").fetchall()
        return {int_id(row[0]): account_from_row(row, int_id) for row in rows}

    def transfers(self, ids: Collection[int]) -> dict[int, Transfer]:
        if not ids:
            return {}
        rows = self._select(
            f"SELECT {TRANSFER_COLUMNS} FROM ledger_transfers WHERE id IN ({{marks}})", ids
        )
        return {int_id(row[0]): transfer_from_row(row, int_id) for row in rows}

    def failed(self, ids: Collection[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = self._select(
            "SELECT id, result FROM ledger_failed_transfers WHERE id IN ({marks})", ids
        )
        return {int_id(row[0]): row[1] for row in rows}

    def pending_states(self, ids: Collection[int]) -> dict[int, PendingState]:
        if not ids:
            return {}
        rows = self._select(
            "SELECT pending_id, state FROM ledger_pending_resolutions"
            " WHERE pending_id IN ({marks})",
            ids,
        )
        return {int_id(row[0]): PendingState(row[1]) for row in rows}

    def due_pending(self, now: int, limit: int) -> list[Transfer]:
        columns = ", ".join("t." + c for c in TRANSFER_COLUMNS.split(", "))
        rows = self._conn.execute(
            f"SELECT {columns} FROM ledger_pending_timeouts p"
            " JOIN ledger_transfers t ON t.id = p.transfer_id"
            " WHERE p.expires_at <= ? ORDER BY p.expires_at, p.transfer_id LIMIT ?",
            (now, limit),
        ).fetchall()
        return [transfer_from_row(row, int_id) for row in rows]

    def write_accounts(self, effects: AccountEffects, digests: list[bytes], batch_id: int) -> None:
        self._conn.executemany(
            f"INSERT INTO ledger_accounts ({ACCOUNT_COLUMNS}, batch_id, digest)"
            " VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, 0, ?, ?, ?)",
            [
                (
                    blob_id(a.id),
                    a.ledger,
                    a.code,
                    blob_id(a.user_data),
                    a.flags,
                    a.credit_limit,
                    a.timestamp,
                    batch_id,
                    d,
                )
                for a, d in zip(effects.created, digests, strict=True)
            ],
        )

    def write_plan(self, plan: WritePlan) -> None:
        assert isinstance(plan, SqliteTransferPlan)  # noqa: S101 - plans come from this adapter
        c = self._conn
        c.executemany(
            f"INSERT INTO ledger_transfers ({TRANSFER_COLUMNS}, batch_id, digest)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            plan.transfers,
        )
        c.executemany(
            "UPDATE ledger_accounts SET debits_pending = ?, debits_posted = ?,"
            " credits_pending = ?, credits_posted = ?, flags = ? WHERE id = ?",
            plan.balances,
        )
        c.executemany(
            "INSERT INTO ledger_pending_resolutions"
            " (pending_id, state, transfer_id, timestamp, batch_id, digest)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            plan.resolutions,
        )
        c.executemany(
            "INSERT INTO ledger_failed_transfers (id, result, timestamp) VALUES (?, ?, ?)",
            plan.failures,
        )
        c.executemany(
            "INSERT INTO ledger_pending_timeouts (transfer_id, expires_at) VALUES (?, ?)",
            plan.timeouts_added,
        )
        c.executemany(
            "DELETE FROM ledger_pending_timeouts WHERE transfer_id = ?", plan.timeouts_removed
        )
        c.executemany(
            "INSERT INTO ledger_account_history (account_id, timestamp, debits_pending,"
            " debits_posted, credits_pending, credits_posted) VALUES (?, ?, ?, ?, ?, ?)",
            plan.history,
        )

    def add_outbox(self, record: OutboxRecord) -> None:
        self._conn.execute(
            "INSERT INTO outbox (topic, key, payload, occurred_at) VALUES (?, ?, ?, ?)", record
        )

    def seal(self, seal: BatchSeal) -> None:
        self._conn.execute(
            "INSERT INTO ledger_batches (id, kind, previous_hash, hash, first_timestamp,"
            " last_timestamp, record_count, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seal.batch_id,
                seal.kind,
                seal.previous_hash,
                seal.hash,
                seal.first_timestamp,
                seal.last_timestamp,
                seal.record_count,
                seal.recorded_at,
            ),
        )
        self._conn.execute(
            "UPDATE ledger_head SET batch_id = ?, hash = ?, last_timestamp = ? WHERE id = 1",
            (seal.batch_id, seal.hash, seal.last_timestamp),
        )

    def advance_head(self, last_timestamp: int) -> None:
        self._conn.execute(
            "UPDATE ledger_head SET last_timestamp = ? WHERE id = 1 AND last_timestamp < ?",
            (last_timestamp, last_timestamp),
        )

    def commit(self) -> None:
        self._conn.execute("COMMIT")


class SqliteLedgerStore:
    """A connection for batch transactions and one for reads outside them (WAL lets readers
    run beside the writer); each is used by one thread at a time."""

    plan_transfers = staticmethod(plan_transfers)

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._read_conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = connect_sqlite(self._path)
        return self._conn

    def _reader(self) -> sqlite3.Connection:
        if self._read_conn is None:
            self._read_conn = connect_sqlite(self._path)
        return self._read_conn

    @contextmanager
    def batch(self) -> Iterator[SqliteBatch]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield SqliteBatch(conn)
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    @contextmanager
    def reads(self) -> Iterator[SqliteBatch]:
        """Autocommit reads: each statement sees the last committed state."""
        yield SqliteBatch(self._reader())

    def next_expiry(self) -> int | None:
        row = self._reader().execute("SELECT min(expires_at) FROM ledger_pending_timeouts")
        found = row.fetchone()
        return None if found is None else found[0]

    def is_retryable(self, error: BaseException) -> bool:
        return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)

    def close(self) -> None:
        for conn in (self._conn, self._read_conn):
            if conn is not None:
                conn.close()
        self._conn = self._read_conn = None
