"""The run's throwaway PostgreSQL database, the facts about the servers, and the cross-check.

``bankstack_bench_pay_<pid>`` is created on the server of ``--pg-url``, migrated by the first
``bankstack serve`` (each start migrates; later starts find it current), shared by every cell
of the run and dropped (``WITH (FORCE)``) at the end, whatever happened.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import sql
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import make_url

from bankstack.ledger.adapters.factory import libpq_conninfo


def database_name() -> str:
    return f"bankstack_bench_pay_{os.getpid()}"


@contextlib.contextmanager
def fresh_database(pg_url: str) -> Iterator[str]:
    """Create the run's database; yield its SQLAlchemy URL; drop it afterwards."""
    name = database_name()
    admin = libpq_conninfo(pg_url)
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(drop)
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(pg_url).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(drop)


def redis_version(url: str) -> str | None:
    try:
        client = Redis.from_url(url, socket_timeout=2)
        info: dict[str, Any] = client.info("server")
        client.close()
    except RedisError:
        return None
    return str(info.get("redis_version"))


PG_COUNTERS = ("sessions", "xact_commit", "xact_rollback", "tup_inserted", "tup_updated")


def pg_counters(pg_url: str, database: str) -> dict[str, int]:
    """The bench database's cumulative counters from ``pg_stat_database``, read through the
    admin database so that reading them opens no session in the bench database. Backends
    flush their counts about once a second (and when they exit), so a delta over a window is
    right to about a second's worth."""
    query = sql.SQL("SELECT {} FROM pg_stat_database WHERE datname = %s").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in PG_COUNTERS)
    )
    with psycopg.connect(libpq_conninfo(pg_url), autocommit=True) as conn:
        row = conn.execute(query, (database,)).fetchone()
    return {} if row is None else {c: int(v or 0) for c, v in zip(PG_COUNTERS, row, strict=True)}


def cross_check(database_url: str, merchant_id: str) -> dict[str, Any]:
    """Trades the database holds as paid for the bench merchant, and the ledger's balance."""
    with psycopg.connect(libpq_conninfo(database_url)) as conn:
        paid = conn.execute(
            "SELECT count(*) FROM payments_trades WHERE merchant_id = %s AND status = 'succeeded'",
            (f"test.{merchant_id}",),
        ).fetchone()
        waiting = conn.execute(
            "SELECT count(*) FROM payments_trades WHERE merchant_id = %s AND status <> 'succeeded'",
            (f"test.{merchant_id}",),
        ).fetchone()
        ledger = conn.execute(
            "SELECT (SELECT count(*) FROM ledger_transfers),"
            " (SELECT coalesce(sum(debits_posted), 0) FROM ledger_accounts),"
            " (SELECT coalesce(sum(credits_posted), 0) FROM ledger_accounts)"
        ).fetchone()
    assert paid is not None
    assert waiting is not None
    assert ledger is not None
    return {
        "paid_trades_in_db": int(paid[0]),
        "unpaid_trades_in_db": int(waiting[0]),
        "ledger_transfers": int(ledger[0]),
        "ledger_balanced": int(ledger[1]) == int(ledger[2]),
    }
