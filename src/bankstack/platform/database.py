"""Database engines for both storage tiers, with the settings a ledger needs.

SQLite (embedded tier): the file's directory is created; every connection gets WAL,
``synchronous=FULL`` (a commit is on disk before it is acknowledged), a 30 s busy timeout and
foreign keys. pysqlite's own transaction handling is switched off and SQLAlchemy emits
``BEGIN`` itself, so that reads inside a transaction really are inside it and SAVEPOINTs work.
A writer that reads first (lock, check, write) should open its transaction with
``conn.execution_options(sqlite_begin="IMMEDIATE")``: it then takes SQLite's write lock at
``BEGIN`` and waits for it (busy timeout) instead of failing later with ``SQLITE_BUSY``.

PostgreSQL (production tier): ``postgresql://`` and ``postgres://`` URLs are normalised to the
psycopg 3 driver. A pooled connection that sat idle for ``PING_AFTER_IDLE_S`` is pinged before
use (a server restart or failover closes idle connections); one in steady use is not, since a
round trip per checkout was a tenth of a payment's statements (bench/payments). A connection
that dies while in use fails its statement, and SQLAlchemy then invalidates every connection
the pool opened before it, so one request per process sees a failover.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Self

from sqlalchemy import URL, create_engine, event, exc, make_url

if TYPE_CHECKING:
    from sqlite3 import Connection as SQLiteConnection
    from types import TracebackType

    from sqlalchemy import Connection, Engine, RootTransaction
    from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

SQLITE_PRAGMAS: Final = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=30000",
    "PRAGMA foreign_keys=ON",
)
_SQLITE_BEGIN_MODES: Final = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})
_PG_SCHEMES: Final = frozenset({"postgres", "postgresql", "postgresql+psycopg"})
PING_AFTER_IDLE_S: Final = 5.0
POOL_SIZE: Final = 32
# Worker threads for sync endpoints (anyio's default is 40): fewer than the pool holds, with
# room for the outbox relay and the periodic workers, so no request waits for an overflow
# connection to be opened. Two cores gain nothing from more threads waiting on the database.
HTTP_THREADS: Final = 24
_CHECKED_IN_AT: Final = "bankstack_checked_in_at"


def normalize_url(url: str | URL) -> URL:
    """The URL as bankstack uses it: PostgreSQL always through psycopg 3.

    Raises ``ValueError`` for any database other than SQLite and PostgreSQL.
    """
    parsed = make_url(url)
    if parsed.drivername in _PG_SCHEMES:
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        return parsed
    raise ValueError(f"unsupported database {parsed.drivername!r}: use sqlite or postgresql")


def make_engine(url: str | URL, **engine_kwargs: Any) -> Engine:
    """An engine for ``url``; extra keyword arguments go to ``sqlalchemy.create_engine``."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, engine_kwargs)
    ping_idle = "pool_pre_ping" not in engine_kwargs
    # The HTTP server runs sync endpoints on HTTP_THREADS threads, plus the relay and the
    # workers. Every connection they use at once should stay in the pool: one beyond
    # pool_size is an overflow connection, closed when returned, so under load connections
    # were opened and closed per request (a forked PostgreSQL backend each: at 64 partners
    # PostgreSQL's CPU per payment doubled; bench/payments). 32 + 8 per process keeps two
    # server processes inside PostgreSQL's default max_connections of 100.
    if "poolclass" not in engine_kwargs:
        engine_kwargs.setdefault("pool_size", POOL_SIZE)
        engine_kwargs.setdefault("max_overflow", 8)
    engine = create_engine(parsed, **engine_kwargs)
    if ping_idle:
        _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection at checkout only if it was idle ``PING_AFTER_IDLE_S``; a
    dead one is replaced (``DisconnectionError`` makes the pool retry with a new one)."""

    def checkin(_dbapi: Any, record: ConnectionPoolEntry) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    def checkout(dbapi: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        idle_since = record.info.get(_CHECKED_IN_AT)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi)
        except Exception as error:
            raise exc.DisconnectionError(f"pooled connection is gone: {error}") from error
        if not alive:
            raise exc.DisconnectionError("pooled connection did not answer the ping")

    event.listen(engine, "checkin", checkin)
    event.listen(engine, "checkout", checkout)


def is_postgres(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "postgresql"


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_engine(url: URL, engine_kwargs: dict[str, Any]) -> Engine:
    database = url.database or ""
    in_memory = database in {"", ":memory:"} or url.query.get("mode") == "memory"
    if not in_memory and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args = {"check_same_thread": False, **engine_kwargs.pop("connect_args", {})}
    engine = create_engine(url, connect_args=connect_args, **engine_kwargs)
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: SQLiteConnection, _record: ConnectionPoolEntry) -> None:
    # Autocommit at the driver level: pysqlite would otherwise BEGIN only before DML and
    # COMMIT before DDL on its own. SQLAlchemy's "begin" event below takes over.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    options = conn.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return
    # SQLAlchemy resets pysqlite to its legacy mode after a connection was used with
    # AUTOCOMMIT; switch it off again (no transaction is open here, so nothing is committed).
    driver = conn.connection.driver_connection
    if driver is not None and driver.isolation_level is not None:
        driver.isolation_level = None
    mode = str(options.get("sqlite_begin", "DEFERRED")).upper()
    if mode not in _SQLITE_BEGIN_MODES:
        raise ValueError(f"sqlite_begin must be one of {sorted(_SQLITE_BEGIN_MODES)}, not {mode!r}")
    conn.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def one_statement(engine: Engine) -> Iterator[Connection]:
    """A connection for a write that is a single statement, committed when the block ends.

    On PostgreSQL the statement runs in autocommit: one statement is atomic by itself, and
    BEGIN and COMMIT would be two more round trips. On SQLite it is an ordinary write
    transaction (``BEGIN IMMEDIATE``). Run exactly one statement inside.
    """
    with engine.connect() as raw:
        if raw.dialect.name == "postgresql":
            yield raw.execution_options(isolation_level="AUTOCOMMIT")
            return
        conn = raw.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            yield conn


class SqlUnitOfWork:
    """One connection, one transaction, a domain's repositories bound to it (``_bind``).

    A write unit of work on SQLite begins with ``BEGIN IMMEDIATE``: it takes the write lock at
    the start and waits for it (busy timeout) instead of failing half-way with ``SQLITE_BUSY``,
    and it serialises with every other writer, which is SQLite's row lock. On PostgreSQL it is
    a READ COMMITTED transaction whose ``lock=True`` reads lock their rows. Nothing commits
    unless ``commit()`` is called; leaving the block rolls back whatever was not committed.

    A read unit of work on PostgreSQL runs its statements in autocommit: under READ COMMITTED
    every statement takes its own snapshot inside a transaction too, so BEGIN and ROLLBACK
    were two round trips that changed nothing. It may not lock rows (``lock=True`` needs a
    write unit of work) and has nothing to commit.
    """

    def __init__(self, engine: Engine, *, write: bool) -> None:
        self._engine = engine
        self._write = write
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def _bind(self, conn: Connection) -> None:
        """Create the domain's repositories on ``conn`` (subclasses)."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        conn = self._engine.connect()
        if self._write and conn.dialect.name == "sqlite":
            conn.execution_options(sqlite_begin="IMMEDIATE")
        if not self._write and conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT")
        else:
            self._tx = conn.begin()
        self._conn = conn
        self._bind(conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()
        finally:
            if self._conn is not None:
                self._conn.close()
            self._conn = self._tx = None

    def commit(self) -> None:
        if self._tx is None:
            raise RuntimeError("commit() outside a write unit of work")
        self._tx.commit()
