"""The ledger on PostgreSQL: COPY for inserts, one set-based UPDATE for balances.

Ids travel as 32-digit hex text (PostgreSQL casts it to ``uuid``) and come back through a
loader registered on the connection that turns ``uuid`` straight into ``int``. The writer
keeps one connection; ``batch()`` runs at READ COMMITTED, which is correct here because the
head row lock taken first serialises every batch, and each later statement sees what the
previous batch committed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import Loader

from bankstack.kernel.events import OutboxRecord
from bankstack.ledger.adapters.pg_plan import (
    PgTransferPlan,
    bytea,
    hex_id,
    id_array,
    plan_transfers,
)
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
)
from bankstack.ledger.ports import BatchSeal, JournalHead, WritePlan

__all__ = ["PostgresBatch", "PostgresLedgerStore", "hex_id", "id_array", "register_uuid_as_int"]

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


def _identity(value: Any) -> int:
    return int(value)


class PostgresReads:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn
        self._cur = conn.cursor()

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


class PostgresBatch(PostgresReads):
    """The batch's transaction: the reads above under the head lock, and the writes."""

    def lock_head(self) -> JournalHead:
        self._cur.execute(
            "SELECT batch_id, hash, last_timestamp FROM ledger_head WHERE id = 1 FOR UPDATE"
        )
        row = self._cur.fetchone()
        assert row is not None  # noqa: S101 - the migration inserts it
        return JournalHead(row[0], bytes(row[1]), row[2])

    def all_accounts(self, limit: int) -> dict[int, Account] | None:
        self._cur.execute("SELECT count(*) FROM ledger_accounts")
        row = self._cur.fetchone()
        if row is None or row[0] > limit:
            return None
        self._cur.execute(f"SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts")
        return {r[0]: account_from_row(r, _identity) for r in self._cur}

    def write_accounts(self, effects: AccountEffects, digests: list[bytes], batch_id: int) -> None:
        lines = [
            f"{hex_id(a.id)}\t{a.ledger}\t{a.code}\t{hex_id(a.user_data)}\t{a.flags}\t"
            f"{a.credit_limit}\t0\t0\t0\t0\t{a.timestamp}\t{batch_id}\t{bytea(d)}\n"
            for a, d in zip(effects.created, digests, strict=True)
        ]
        columns = f"{ACCOUNT_COLUMNS}, batch_id, digest"
        with self._cur.copy(f"COPY ledger_accounts ({columns}) FROM STDIN") as copy:
            copy.write("".join(lines))

    def write_plan(self, plan: WritePlan) -> None:
        assert isinstance(plan, PgTransferPlan)  # noqa: S101 - plans come from this adapter
        cur = self._cur
        if plan.transfers_copy:
            columns = f"{TRANSFER_COLUMNS}, batch_id, digest"
            with cur.copy(f"COPY ledger_transfers ({columns}) FROM STDIN") as copy:
                copy.write(plan.transfers_copy)
        if plan.balances is not None:
            self._update_balances(plan.balances)
        if plan.resolutions:
            cur.executemany(
                "INSERT INTO ledger_pending_resolutions"
                " (pending_id, state, transfer_id, timestamp, batch_id, digest)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                plan.resolutions,
            )
        if plan.failures:
            cur.executemany(
                "INSERT INTO ledger_failed_transfers (id, result, timestamp) VALUES (%s, %s, %s)",
                plan.failures,
            )
        if plan.timeouts_added:
            cur.executemany(
                "INSERT INTO ledger_pending_timeouts (transfer_id, expires_at) VALUES (%s, %s)",
                plan.timeouts_added,
            )
        if plan.timeouts_removed is not None:
            cur.execute(
                "DELETE FROM ledger_pending_timeouts WHERE transfer_id = ANY(%s::uuid[])",
                (plan.timeouts_removed,),
            )
        if plan.history_copy:
            with cur.copy(
                "COPY ledger_account_history (account_id, timestamp, debits_pending,"
                " debits_posted, credits_pending, credits_posted) FROM STDIN"
            ) as copy:
                copy.write(plan.history_copy)

    def _update_balances(self, balances: tuple[str, str, str, str, str, str]) -> None:
        """One UPDATE for every touched account, locking them in id order.

        The ids arrive sorted; with hash and merge joins off on the writer's connection the
        planner walks them in that order (a nested loop over the primary key), so row locks are
        taken in id order and two writers can never deadlock on accounts.
        """
        self._cur.execute(
            "UPDATE ledger_accounts a SET debits_pending = v.dp, debits_posted = v.dpo,"
            " credits_pending = v.cp, credits_posted = v.cpo, flags = v.flags"
            " FROM unnest(%s::uuid[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[],"
            " %s::integer[]) AS v(id, dp, dpo, cp, cpo, flags) WHERE a.id = v.id",
            balances,
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
    """Two connections: one for batch transactions, one for reads outside them.

    The pipelined writer prepares the next batch on the read connection (autocommit, each
    statement sees what was committed when it ran) while a batch commits on the other. Each
    connection is used by one thread at a time, and reconnects after a failure.
    """

    plan_transfers = staticmethod(plan_transfers)

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._conn: psycopg.Connection[Any] | None = None
        self._read_conn: psycopg.Connection[Any] | None = None

    def _open(self, *, autocommit: bool) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self._conninfo, autocommit=autocommit)
        register_uuid_as_int(conn)
        # Every statement of a batch is a keyed lookup or a keyed update of at most a batch's
        # rows. Statistics gathered while the journal was small can make the planner pick a
        # sequential scan or hash join that turns a 10 ms lookup into a 100 ms one as the
        # journal grows; on these connections only index paths are used. Nested loops over
        # the sorted ids also take row locks in id order.
        with conn.cursor() as cur:
            for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin"):
                cur.execute(f"SET {setting} = off")
        if not autocommit:
            conn.commit()
        return conn

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = self._open(autocommit=False)
        return self._conn

    def _reader(self) -> psycopg.Connection[Any]:
        if self._read_conn is None or self._read_conn.closed or self._read_conn.broken:
            self._read_conn = self._open(autocommit=True)
        return self._read_conn

    @contextmanager
    def batch(self) -> Iterator[PostgresBatch]:
        conn = self._connection()
        try:
            yield PostgresBatch(conn)
        finally:
            if not conn.closed and not conn.broken:
                conn.rollback()  # no-op after commit; undoes everything otherwise

    @contextmanager
    def reads(self) -> Iterator[PostgresReads]:
        yield PostgresReads(self._reader())

    def next_expiry(self) -> int | None:
        row = self._reader().execute("SELECT min(expires_at) FROM ledger_pending_timeouts")
        found = row.fetchone()
        return None if found is None else found[0]

    def is_retryable(self, error: BaseException) -> bool:
        return isinstance(error, _RETRYABLE)

    def close(self) -> None:
        for conn in (self._conn, self._read_conn):
            if conn is not None:
                conn.close()
        self._conn = self._read_conn = None
