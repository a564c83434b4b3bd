"""Throwaway databases for each (database, shape) group, and facts about the servers.

PostgreSQL: ``bankstack_bench_<pid>`` is created on the server of ``--pg-url`` for one group
and dropped (``WITH (FORCE)``) after it. SQLite: ``<sqlite-dir>/bankstack_bench_<pid>.db``
(plus its WAL files), deleted after the group. Both are migrated with the project's own
migrations and filled with accounts through the ledger writer itself.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import make_url

from bankstack.kernel.clock import SystemClock
from bankstack.ledger.adapters.factory import libpq_conninfo, open_ledger_store
from bankstack.ledger.adapters.sqlite import connect_sqlite
from bankstack.ledger.domain import Account, AccountResult
from bankstack.ledger.writer import BATCH_MAX, GroupCommitWriter
from bankstack.platform.migrations import upgrade
from bench.ledger.workload import CODE, LEDGER

PG_SETTINGS = (
    "shared_buffers",
    "synchronous_commit",
    "fsync",
    "full_page_writes",
    "wal_level",
    "max_wal_size",
    "checkpoint_timeout",
    "max_connections",
)


@dataclass(frozen=True)
class BenchDatabase:
    kind: str  # "pg" | "sqlite"
    url: str  # SQLAlchemy URL, as BANKSTACK_DATABASE_URL takes it

    @property
    def conninfo(self) -> str:
        return libpq_conninfo(self.url)

    @property
    def sqlite_path(self) -> str:
        database = make_url(self.url).database
        assert database
        return database


def database_name() -> str:
    return f"bankstack_bench_{os.getpid()}"


@contextlib.contextmanager
def fresh_database(kind: str, pg_url: str, sqlite_dir: Path) -> Iterator[BenchDatabase]:
    """A migrated, empty ledger database that is removed again afterwards."""
    name = database_name()
    if kind == "pg":
        admin = libpq_conninfo(pg_url)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = make_url(pg_url).set(drivername="postgresql+psycopg", database=name)
        db = BenchDatabase("pg", url.render_as_string(hide_password=False))
        try:
            upgrade(db.url)
            yield db
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
    elif kind == "sqlite":
        sqlite_dir.mkdir(parents=True, exist_ok=True)
        path = (sqlite_dir / f"{name}.db").resolve()
        _remove_sqlite(path)
        db = BenchDatabase("sqlite", f"sqlite:///{path}")
        try:
            upgrade(db.url)
            yield db
        finally:
            _remove_sqlite(path)
    else:
        raise ValueError(f"unknown database {kind!r}: pg or sqlite")


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def create_accounts(db: BenchDatabase, n: int) -> None:
    """Accounts 1..n on ledger 1, no balance constraints (flags 0), through the writer."""
    store = open_ledger_store(db.url)
    writer = GroupCommitWriter(store, SystemClock())
    writer.start()
    try:
        for first in range(1, n + 1, BATCH_MAX):
            batch = [
                Account(i, LEDGER, CODE) for i in range(first, min(n, first + BATCH_MAX - 1) + 1)
            ]
            results = writer.create_accounts(batch)
            bad = [r for r in results if r is not AccountResult.OK]
            if bad:
                raise RuntimeError(f"creating accounts failed: {bad[:5]}")
    finally:
        writer.stop()
        store.close()


def _query_one(db: BenchDatabase, query: str) -> tuple[Any, ...]:
    if db.kind == "pg":
        with psycopg.connect(db.conninfo) as pg_conn:
            row = pg_conn.execute(query).fetchone()
    else:
        lite_conn = connect_sqlite(db.sqlite_path)
        try:
            row = lite_conn.execute(query).fetchone()
        finally:
            lite_conn.close()
    assert row is not None
    return tuple(row)


def ledger_totals(db: BenchDatabase) -> dict[str, int]:
    """Rows in ledger_transfers and the sums of posted balances (a cross-check per group)."""
    row = _query_one(
        db,
        "SELECT (SELECT count(*) FROM ledger_transfers),"
        " (SELECT coalesce(sum(debits_posted), 0) FROM ledger_accounts),"
        " (SELECT coalesce(sum(credits_posted), 0) FROM ledger_accounts)",
    )
    return {"transfers": int(row[0]), "debits_posted": int(row[1]), "credits_posted": int(row[2])}


def max_transfer_timestamp(db: BenchDatabase) -> int:
    return int(_query_one(db, "SELECT coalesce(max(timestamp), 0) FROM ledger_transfers")[0])


def postgres_info(pg_url: str) -> dict[str, Any]:
    """Server version and the settings that decide commit cost, read from the server."""
    with psycopg.connect(libpq_conninfo(pg_url), autocommit=True) as conn:
        version = conn.execute("SELECT version()").fetchone()
        num = conn.execute("SHOW server_version").fetchone()
        settings: dict[str, str] = {}
        for name in PG_SETTINGS:
            row = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
            settings[name] = str(row[0]) if row else "?"
    return {
        "version": str(num[0]) if num else "?",
        "version_full": str(version[0]) if version else "?",
        "settings": settings,
    }


def sqlite_info() -> dict[str, Any]:
    return {
        "version": sqlite3.sqlite_version,
        "settings": {"journal_mode": "WAL", "synchronous": "FULL"},
    }
