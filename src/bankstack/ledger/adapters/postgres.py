"""The ledger on PostgreSQL: COPY for inserts, one set-based UPDATE for balances.

Ids travel as 32-digit hex text (PostgreSQL casts it to ``uuid``) and come back through a
loader registered on the connection that turns ``uuid`` straight into ``int``. The writer
keeps one connection; ``batch()`` runs at READ COMMITTED, which is correct here because the
head row lock taken first serialises every batch, and each later statement sees what the
previous batch committed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import Loader

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
from bankstack.ledger.ports import BatchSeal, JournalHead

_RETRYABLE = (
    pg_errors.SerializationFailure,
    pg_errors.DeadlockDetected,
    pg_errors.LockNotAvailable,
)


class _UuidIntLoader(Loader):
    def load(self, data: Any) -> int:
        return int(bytes(data).replace(b"-", b""), 16)


class _UuidIntBinaryLoader(Loader):
    format = psycopg.pq.Format.BINARY

    def load(self, data: Any) -> int:
        return int.from_bytes(data, "big")


def register_uuid_as_int(conn: psycopg.Connection[Any]) -> None:
    conn.adapters.register_loader("uuid", _UuidIntLoader)
    conn.adapters.register_loader("uuid", _UuidIntBinaryLoader)


def hex_id(value: int) -> str:
    return f"{value:032x}"


def id_array(ids: Iterable[int]) -> str:
    """A ``uuid[]`` literal in one string: psycopg sends it as is, instead of dumping each
    element in Python, which costs more than the query for a batch of 8,190."""
    return "{" + ",".join([f"{i:032x}" for i in ids]) + "}"


def int_array(values: Iterable[int]) -> str:
    return "{" + ",".join(map(str, values)) + "}"


_NULL = "\\N"  # COPY text format's NULL


def _identity(value: Any) -> int:
    return int(value)


def _bytea(data: bytes) -> str:
    return "\\\\x" + data.hex()


class PostgresBatch:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn
        self._cur = conn.cursor()

    def lock_head(self) -> JournalHead:
        self._cur.execute(
            "SELECT batch_id, hash, last_timestamp FROM ledger_head WHERE id = 1 FOR UPDATE"
        )
        row = self._cur.fetchone()
        assert row is not None  # noqa: S101 - the migration inserts it
        return JournalHead(row[0], bytes(row[1]), row[2])

    def fetch_accounts(self, ids: Collection[int]) -> dict[int, Account]:
        """No row lock here: the head lock already serialises every batch, and the balance
        UPDATE takes the touched accounts' row locks in id order (``_update_balances``)."""
        if not ids:
            return {}
        self._cur.execute(
            f"SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = ANY(%s::uuid[])",
            (id_array(ids),),
        )
        return {row[0]: account_from_row(row, _identity) for row in self._cur}

    def all_accounts(self, limit: int) -> dict[int, Account] | None:
        self._cur.execute("SELECT count(*) FROM ledger_accounts")
        row = self._cur.fetchone()
        if row is None or row[0] > limit:
            return None
        self._cur.execute(f"SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts")
        return {r[0]: account_from_row(r, _identity) for r in self._cur}

    def transfers(self, ids: Collection[int]) -> dict[int, Transfer]:
        if not ids:
            return {}
        self._cur.execute(
            f"SELECT {TRANSFER_COLUMNS} FROM ledger_transfers WHERE id = ANY(%s::uuid[])",
            (id_array(ids),),
        )
        return {row[0]: transfer_from_row(row, _identity) for row in self._cur}

    def failed(self, ids: Collection[int]) -> dict[int, str]:
        if not ids:
            return {}
        self._cur.execute(
            "SELECT id, result FROM ledger_failed_transfers WHERE id = ANY(%s::uuid[])",
            (id_array(ids),),
        )
        return {row[0]: row[1] for row in self._cur}

    def pending_states(self, ids: Collection[int]) -> dict[int, PendingState]:
        if not ids:
            return {}
        self._cur.execute(
            "SELECT pending_id, state FROM ledger_pending_resolutions"
            " WHERE pending_id = ANY(%s::uuid[])",
            (id_array(ids),),
        )
        return {row[0]: PendingState(row[1]) for row in self._cur}

    def due_pending(self, now: int, limit: int) -> list[Transfer]:
        self._cur.execute(
            f"SELECT {', '.join('t.' + c for c in TRANSFER_COLUMNS.split(', '))}"
            " FROM ledger_pending_timeouts p JOIN ledger_transfers t ON t.id = p.transfer_id"
            " WHERE p.expires_at <= %s ORDER BY p.expires_at, p.transfer_id LIMIT %s",
            (now, limit),
        )
        return [transfer_from_row(row, _identity) for row in self._cur]

    def write_accounts(self, effects: AccountEffects, digests: list[bytes], batch_id: int) -> None:
        lines = [
            f"{hex_id(a.id)}\t{a.ledger}\t{a.code}\t{hex_id(a.user_data)}\t{a.flags}\t"
            f"{a.credit_limit}\t0\t0\t0\t0\t{a.timestamp}\t{batch_id}\t{_bytea(d)}\n"
            for a, d in zip(effects.created, digests, strict=True)
        ]
        columns = f"{ACCOUNT_COLUMNS}, batch_id, digest"
        with self._cur.copy(f"COPY ledger_accounts ({columns}) FROM STDIN") as copy:
            copy.write("".join(lines))

    def write_transfers(
        self,
        effects: TransferEffects,
        digests: list[bytes],
        expiry_digests: list[bytes],
        batch_id: int,
    ) -> None:
        if effects.transfers:
            self._copy_transfers(effects.transfers, digests, batch_id)
        self._update_balances(effects)
        if effects.resolutions:
            self._insert_resolutions(effects, expiry_digests, batch_id)
        if effects.failures:
            self._cur.executemany(
                "INSERT INTO ledger_failed_transfers (id, result, timestamp) VALUES (%s, %s, %s)",
                [(hex_id(i), str(code), ts) for i, code, ts in effects.failures],
            )
        if effects.timeouts_added:
            self._cur.executemany(
                "INSERT INTO ledger_pending_timeouts (transfer_id, expires_at) VALUES (%s, %s)",
                [(hex_id(i), at) for i, at in effects.timeouts_added],
            )
        if effects.timeouts_removed:
            self._cur.execute(
                "DELETE FROM ledger_pending_timeouts WHERE transfer_id = ANY(%s::uuid[])",
                (id_array(effects.timeouts_removed),),
            )
        if effects.history:
            with self._cur.copy(
                "COPY ledger_account_history (account_id, timestamp, debits_pending,"
                " debits_posted, credits_pending, credits_posted) FROM STDIN"
            ) as copy:
                copy.write(
                    "".join(
                        f"{hex_id(h.account_id)}\t{h.timestamp}\t{h.debits_pending}\t"
                        f"{h.debits_posted}\t{h.credits_pending}\t{h.credits_posted}\n"
                        for h in effects.history
                    )
                )

    def _copy_transfers(self, transfers: list[Transfer], digests: list[bytes], batch: int) -> None:
        lines = [
            f"{hex_id(t.id)}\t{hex_id(t.debit_account_id)}\t{hex_id(t.credit_account_id)}\t"
            f"{t.amount}\t{hex_id(t.pending_id) if t.pending_id else _NULL}\t{t.ledger}\t"
            f"{t.code}\t{hex_id(t.user_data)}\t{t.flags}\t{t.timeout}\t{t.effective_at}\t"
            f"{t.timestamp}\t{batch}\t{_bytea(d)}\n"
            for t, d in zip(transfers, digests, strict=True)
        ]
        columns = f"{TRANSFER_COLUMNS}, batch_id, digest"
        with self._cur.copy(f"COPY ledger_transfers ({columns}) FROM STDIN") as copy:
            copy.write("".join(lines))

    def _update_balances(self, effects: TransferEffects) -> None:
        """One UPDATE for every touched account, locking them in id order.

        The ids go in sorted; with hash and merge joins off on the writer's connection the
        planner walks them in that order (a nested loop over the primary key), so row locks are
        taken in id order and two writers can never deadlock on accounts.
        """
        touched = sorted(effects.touched.values(), key=lambda a: a.id)
        if not touched:
            return
        self._cur.execute(
            "UPDATE ledger_accounts a SET debits_pending = v.dp, debits_posted = v.dpo,"
            " credits_pending = v.cp, credits_posted = v.cpo, flags = v.flags"
            " FROM unnest(%s::uuid[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[],"
            " %s::integer[]) AS v(id, dp, dpo, cp, cpo, flags) WHERE a.id = v.id",
            (
                id_array(a.id for a in touched),
                int_array(a.debits_pending for a in touched),
                int_array(a.debits_posted for a in touched),
                int_array(a.credits_pending for a in touched),
                int_array(a.credits_posted for a in touched),
                int_array(a.flags for a in touched),
            ),
        )

    def _insert_resolutions(
        self, effects: TransferEffects, expiry_digests: list[bytes], batch_id: int
    ) -> None:
        expiry_digest = iter(expiry_digests)
        rows = [
            (
                hex_id(r.pending_id),
                int(r.state),
                hex_id(r.transfer_id) if r.transfer_id else None,
                r.timestamp,
                batch_id,
                next(expiry_digest) if r.state is PendingState.EXPIRED else None,
            )
            for r in effects.resolutions
        ]
        self._cur.executemany(
            "INSERT INTO ledger_pending_resolutions"
            " (pending_id, state, transfer_id, timestamp, batch_id, digest)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            rows,
        )

    def add_outbox(self, record: OutboxRecord) -> None:
        self._cur.execute(
            "INSERT INTO outbox (topic, key, payload, occurred_at) VALUES (%s, %s, %s, %s)",
            record,
        )

    def seal(self, seal: BatchSeal) -> None:
        self._cur.execute(
            "INSERT INTO ledger_batches (id, kind, previous_hash, hash, first_timestamp,"
            " last_timestamp, record_count, recorded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
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
        self._cur.execute(
            "UPDATE ledger_head SET batch_id = %s, hash = %s, last_timestamp = %s WHERE id = 1",
            (seal.batch_id, seal.hash, seal.last_timestamp),
        )

    def advance_head(self, last_timestamp: int) -> None:
        self._cur.execute(
            "UPDATE ledger_head SET last_timestamp = %s WHERE id = 1 AND last_timestamp < %s",
            (last_timestamp, last_timestamp),
        )

    def commit(self) -> None:
        self._conn.commit()


class PostgresLedgerStore:
    """One connection for the writer thread; reconnects after a failure."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._conn: psycopg.Connection[Any] | None = None

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self._conninfo, autocommit=False)
            register_uuid_as_int(self._conn)
            # Every statement of a batch is a keyed lookup or a keyed update of at most a
            # batch's rows. Statistics gathered while the journal was small can make the
            # planner pick a sequential scan or hash join that turns a 10 ms lookup into a
            # 100 ms one as the journal grows; on this connection only index paths are used.
            # Nested loops over the sorted ids also take row locks in id order.
            with self._conn.cursor() as cur:
                for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin"):
                    cur.execute(f"SET {setting} = off")
            self._conn.commit()
        return self._conn

    @contextmanager
    def batch(self) -> Iterator[PostgresBatch]:
        conn = self._connection()
        try:
            yield PostgresBatch(conn)
        finally:
            if not conn.closed and not conn.broken:
                conn.rollback()  # no-op after commit; undoes everything otherwise

    def next_expiry(self) -> int | None:
        conn = self._connection()
        try:
            row = conn.execute("SELECT min(expires_at) FROM ledger_pending_timeouts").fetchone()
        finally:
            conn.rollback()
        return None if row is None else row[0]

    def is_retryable(self, error: BaseException) -> bool:
        return isinstance(error, _RETRYABLE)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
