"""Database engines for both storage tiers, with the settings a ledger needs.

SQLite (embedded tier): the file's directory is created; every connection gets WAL,
``synchronous=FULL`` (a commit is on disk before it is acknowledged), a 30 s busy timeout and
foreign keys. pysqlite's own transaction handling is switched off and SQLAlchemy emits
``BEGIN`` itself, so that reads inside a transaction really are inside it and SAVEPOINTs work.
A writer that reads first (lock, check, write) should open its transaction with
``conn.execution_options(sqlite_begin="IMMEDIATE")``: it then takes SQLite's write lock at
``BEGIN`` and waits for it (busy timeout) instead of failing later with ``SQLITE_BUSY``.

PostgreSQL (production tier): ``postgresql://`` and ``postgres://`` URLs are normalised to the
psycopg 3 driver; pooled connections are checked before use.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Self

from sqlalchemy import URL, create_engine, event, make_url

if TYPE_CHECKING:
    from sqlite3 import Connection as SQLiteConnection
    from types import TracebackType

    from sqlalchemy import Connection, Engine, RootTransaction
    from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_PRAGMAS: Final = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=30000",
    "PRAGMA foreign_keys=ON",
)
_SQLITE_BEGIN_MODES: Final = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})
_PG_SCHEMES: Final = frozenset({"postgres", "postgresql", "postgresql+psycopg"})


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
    engine_kwargs.setdefault("pool_pre_ping", True)
    # The HTTP server runs sync endpoints on up to 40 threads: with SQLAlchemy's default
    # pool of 5 (+10 overflow) connections were opened and closed per request under load
    # (a forked PostgreSQL backend each; bench/payments). 20 + 10 keeps two server processes
    # well inside PostgreSQL's default max_connections of 100.
    if "poolclass" not in engine_kwargs:
        engine_kwargs.setdefault("pool_size", 20)
        engine_kwargs.setdefault("max_overflow", 10)
    return create_engine(parsed, **engine_kwargs)


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


class SqlUnitOfWork:
    """One connection, one transaction, a domain's repositories bound to it (``_bind``).

    A write unit of work on SQLite begins with ``BEGIN IMMEDIATE``: it takes the write lock at
    the start and waits for it (busy timeout) instead of failing half-way with ``SQLITE_BUSY``,
    and it serialises with every other writer, which is SQLite's row lock. On PostgreSQL it is
    a READ COMMITTED transaction whose ``lock=True`` reads lock their rows. Nothing commits
    unless ``commit()`` is called; leaving the block rolls back whatever was not committed.
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
        self._conn = conn
        self._tx = conn.begin()
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
            raise RuntimeError("commit() outside the unit of work")
        self._tx.commit()
