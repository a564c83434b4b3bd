"""The two baselines, on the ledger's own tables.

naive: what an application without batching does. 16 client threads, each with its own
connection; per transfer one transaction: lock both accounts (``SELECT ... FOR UPDATE`` in id
order on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), update each balance, insert the transfer
row, commit.

raw: the database's own limit for the same work without any validation: batches of 8,190
transfer rows, COPY (PostgreSQL) or ``executemany`` (SQLite) plus one set-based update of the
touched accounts' balances (pre-aggregated per account), in one transaction, one client back to
back. The COPY payload and the aggregated arrays are built between timed batches, so only the
database's work is timed; throughput is rows / the sum of the timed batch durations.

Both write ``batch_id`` 0, a constant 16-byte digest and unique timestamps from a counter that
starts after every timestamp already in the table (and, at far below 10**9 rows/s, stays behind
the wall clock the ledger takes its own timestamps from).
"""

from __future__ import annotations

import itertools
import random
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, Final

import psycopg
from psycopg import errors as pg_errors

from bankstack.ledger.adapters.pg_plan import hex_id, id_array, int_array
from bankstack.ledger.adapters.sqlite import blob_id, connect_sqlite
from bench.ledger.dbs import BenchDatabase, max_transfer_timestamp
from bench.ledger.loop import frozen_heap, run_closed_loop
from bench.ledger.stats import Cell, latency_summary_ms
from bench.ledger.workload import (
    AMOUNT,
    CODE,
    LEDGER,
    Shape,
    TransferIds,
    pool_requests,
    raw_batches,
    triple_pools,
)

NAIVE_CLIENTS: Final = 16
RAW_BATCH: Final = 8190
DIGEST: Final = bytes(16)
_DIGEST_COPY: Final = "\\\\x" + DIGEST.hex()
_ZERO_ID: Final = hex_id(0)
_TRANSFER_COLUMNS: Final = (
    "id, debit_account_id, credit_account_id, amount, pending_id, ledger, code, user_data,"
    " flags, timeout, effective_at, timestamp, batch_id, digest"
)
_PG_RETRYABLE = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure)


class _Timestamps:
    """Unique, increasing transfer timestamps shared by the baseline's clients."""

    def __init__(self, db: BenchDatabase) -> None:
        self._counter = itertools.count(max(time.time_ns(), max_transfer_timestamp(db) + 1))
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            return next(self._counter)

    def take(self, n: int) -> range:
        with self._lock:
            first = next(self._counter)
            self._counter = itertools.count(first + n)
        return range(first, first + n)


def _require_both(rows: Sequence[Any], debit: int, credit: int) -> None:
    if len(rows) != 2:  # noqa: PLR2004 - a debit and a credit account
        raise RuntimeError(f"accounts {debit}, {credit} not found")


# -- naive -------------------------------------------------------------------------------------


class _NaivePg:
    def __init__(self, db: BenchDatabase, stamps: _Timestamps, cell: Cell) -> None:
        self._conn = psycopg.connect(db.conninfo, autocommit=False)
        self._cur = self._conn.cursor()
        self._stamps = stamps
        self._cell = cell

    def send(self, request: tuple[int, int, int]) -> int:
        transfer_id, debit, credit = request
        while True:
            try:
                self._once(transfer_id, debit, credit)
            except _PG_RETRYABLE:
                self._conn.rollback()
                self._cell.retries += 1
                continue
            return 1

    def _once(self, transfer_id: int, debit: int, credit: int) -> None:
        cur = self._cur
        first, second = sorted((debit, credit))
        cur.execute(
            "SELECT id, flags, credit_limit, debits_pending, debits_posted, credits_pending,"
            " credits_posted FROM ledger_accounts WHERE id IN (%s::uuid, %s::uuid)"
            " ORDER BY id FOR UPDATE",
            (hex_id(first), hex_id(second)),
        )
        _require_both(cur.fetchall(), debit, credit)
        cur.execute(
            "UPDATE ledger_accounts SET debits_posted = debits_posted + %s WHERE id = %s::uuid",
            (AMOUNT, hex_id(debit)),
        )
        cur.execute(
            "UPDATE ledger_accounts SET credits_posted = credits_posted + %s WHERE id = %s::uuid",
            (AMOUNT, hex_id(credit)),
        )
        stamp = self._stamps.next()
        cur.execute(
            f"INSERT INTO ledger_transfers ({_TRANSFER_COLUMNS}) VALUES (%s::uuid, %s::uuid,"
            " %s::uuid, %s, NULL, %s, %s, %s::uuid, 0, 0, %s, %s, 0, %s)",
            (
                hex_id(transfer_id),
                hex_id(debit),
                hex_id(credit),
                AMOUNT,
                LEDGER,
                CODE,
                _ZERO_ID,
                stamp,
                stamp,
                DIGEST,
            ),
        )
        self._conn.commit()

    def close(self) -> None:
        self._conn.close()


class _NaiveSqlite:
    def __init__(self, db: BenchDatabase, stamps: _Timestamps) -> None:
        self._conn = connect_sqlite(db.sqlite_path)
        self._stamps = stamps

    def send(self, request: tuple[int, int, int]) -> int:
        transfer_id, debit, credit = request
        c = self._conn
        c.execute("BEGIN IMMEDIATE")
        try:
            rows = c.execute(
                "SELECT id, flags, credit_limit, debits_pending, debits_posted, credits_pending,"
                " credits_posted FROM ledger_accounts WHERE id IN (?, ?) ORDER BY id",
                (blob_id(debit), blob_id(credit)),
            ).fetchall()
            _require_both(rows, debit, credit)
            c.execute(
                "UPDATE ledger_accounts SET debits_posted = debits_posted + ? WHERE id = ?",
                (AMOUNT, blob_id(debit)),
            )
            c.execute(
                "UPDATE ledger_accounts SET credits_posted = credits_posted + ? WHERE id = ?",
                (AMOUNT, blob_id(credit)),
            )
            stamp = self._stamps.next()
            c.execute(
                f"INSERT INTO ledger_transfers ({_TRANSFER_COLUMNS})"
                " VALUES (?, ?, ?, ?, NULL, ?, ?, ?, 0, 0, ?, ?, 0, ?)",
                (
                    blob_id(transfer_id),
                    blob_id(debit),
                    blob_id(credit),
                    AMOUNT,
                    LEDGER,
                    CODE,
                    blob_id(0),
                    stamp,
                    stamp,
                    DIGEST,
                ),
            )
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise
        return 1

    def close(self) -> None:
        self._conn.close()


def run_naive(
    cell: Cell,
    db: BenchDatabase,
    shape: Shape,
    ids: TransferIds,
    rng: random.Random,
    *,
    warmup_s: float,
    seconds: float,
    pool_scale: float,
) -> None:
    requests = pool_requests("naive", 1, cell.clients, warmup_s + seconds, pool_scale)
    pools = triple_pools(shape, ids, rng, cell.clients, requests)
    stamps = _Timestamps(db)

    def open_client() -> _NaivePg | _NaiveSqlite:
        if db.kind == "pg":
            return _NaivePg(db, stamps, cell)
        return _NaiveSqlite(db, stamps)

    with frozen_heap():
        run_closed_loop(cell, pools, open_client, warmup_s=warmup_s, seconds=seconds)
    cell.note = "one transaction per transfer"
    # Every request is one transaction of one transfer: batch latency = request latency.
    cell.batch_latency_ms = dict(cell.latency_ms)
    cell.batches = cell.requests
    cell.mean_batch_size = 1.0 if cell.requests else None


# -- raw ---------------------------------------------------------------------------------------


def _aggregate(rows: Sequence[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """(account, debits, credits) per touched account, in id order."""
    totals: dict[int, list[int]] = {}
    for _, debit, credit in rows:
        totals.setdefault(debit, [0, 0])[0] += AMOUNT
        totals.setdefault(credit, [0, 0])[1] += AMOUNT
    return [(i, d, c) for i, (d, c) in sorted(totals.items())]


class _RawPg:
    def __init__(self, db: BenchDatabase) -> None:
        self._conn = psycopg.connect(db.conninfo, autocommit=False)
        self._cur = self._conn.cursor()

    def prepare(self, rows: Sequence[tuple[int, int, int]], stamps: range) -> tuple[Any, ...]:
        copy_text = "".join(
            [
                f"{t:032x}\t{d:032x}\t{c:032x}\t{AMOUNT}\t\\N\t{LEDGER}\t{CODE}\t{_ZERO_ID}"
                f"\t0\t0\t{s}\t{s}\t0\t{_DIGEST_COPY}\n"
                for (t, d, c), s in zip(rows, stamps, strict=True)
            ]
        )
        touched = _aggregate(rows)
        return (
            copy_text,
            id_array(a for a, _, _ in touched),
            int_array(d for _, d, _ in touched),
            int_array(c for _, _, c in touched),
        )

    def apply(self, prepared: tuple[Any, ...]) -> None:
        copy_text, account_ids, debit_sums, credit_sums = prepared
        cur = self._cur
        with cur.copy(f"COPY ledger_transfers ({_TRANSFER_COLUMNS}) FROM STDIN") as copy:
            copy.write(copy_text)
        cur.execute(
            "UPDATE ledger_accounts a SET debits_posted = a.debits_posted + v.dr,"
            " credits_posted = a.credits_posted + v.cr"
            " FROM unnest(%s::uuid[], %s::bigint[], %s::bigint[]) AS v(id, dr, cr)"
            " WHERE a.id = v.id",
            (account_ids, debit_sums, credit_sums),
        )
        self._conn.commit()

    def close(self) -> None:
        self._conn.close()


class _RawSqlite:
    def __init__(self, db: BenchDatabase) -> None:
        self._conn = connect_sqlite(db.sqlite_path)

    def prepare(self, rows: Sequence[tuple[int, int, int]], stamps: range) -> tuple[Any, ...]:
        zero, digest = blob_id(0), DIGEST
        inserts = [
            (blob_id(t), blob_id(d), blob_id(c), AMOUNT, LEDGER, CODE, zero, s, s, digest)
            for (t, d, c), s in zip(rows, stamps, strict=True)
        ]
        updates = [(d, c, blob_id(a)) for a, d, c in _aggregate(rows)]
        return inserts, updates

    def apply(self, prepared: tuple[Any, ...]) -> None:
        inserts, updates = prepared
        c = self._conn
        c.execute("BEGIN IMMEDIATE")
        try:
            c.executemany(
                f"INSERT INTO ledger_transfers ({_TRANSFER_COLUMNS})"
                " VALUES (?, ?, ?, ?, NULL, ?, ?, ?, 0, 0, ?, ?, 0, ?)",
                inserts,
            )
            # One prepared statement over the aggregated rows (SQLite has no unnest).
            c.executemany(
                "UPDATE ledger_accounts SET debits_posted = debits_posted + ?,"
                " credits_posted = credits_posted + ? WHERE id = ?",
                updates,
            )
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._conn.close()


def run_raw(
    cell: Cell,
    db: BenchDatabase,
    shape: Shape,
    ids: TransferIds,
    rng: random.Random,
    *,
    warmup_s: float,
    seconds: float,
) -> None:
    stamps = _Timestamps(db)
    store = _RawPg(db) if db.kind == "pg" else _RawSqlite(db)
    durations: list[int] = []
    batches: Iterator[list[tuple[int, int, int]]] = raw_batches(shape, ids, rng, cell.batch_size)
    warm_ns, measured_ns = 0, 0
    try:
        while measured_ns < seconds * 1e9:
            rows = next(batches)
            prepared = store.prepare(rows, stamps.take(len(rows)))
            began = time.perf_counter_ns()
            store.apply(prepared)
            took = time.perf_counter_ns() - began
            cell.applied_total += len(rows)
            if warm_ns < warmup_s * 1e9:
                warm_ns += took
                continue
            measured_ns += took
            durations.append(took)
            cell.applied += len(rows)
    except (psycopg.Error, sqlite3.Error) as error:
        cell.error = f"{type(error).__name__}: {error}"
    finally:
        store.close()
    cell.requests = cell.batches = len(durations)
    cell.window_s = measured_ns / 1e9
    cell.tps = cell.applied / cell.window_s if measured_ns else None
    cell.latency_ms = latency_summary_ms(durations)
    cell.batch_latency_ms = latency_summary_ms(durations)
    cell.mean_batch_size = float(cell.batch_size) if durations else None
    cell.note = "no validation; tps = rows / sum of timed batch durations"
