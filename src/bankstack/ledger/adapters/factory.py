"""Choose the ledger store for a database URL."""

from __future__ import annotations

from sqlalchemy import make_url

from bankstack.ledger.adapters.postgres import PostgresLedgerStore
from bankstack.ledger.adapters.sqlite import SqliteLedgerStore
from bankstack.ledger.ports import LedgerStore
from bankstack.platform.database import normalize_url


def libpq_conninfo(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as a libpq connection string for psycopg."""
    parsed = normalize_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def open_ledger_store(url: str) -> LedgerStore:
    parsed = make_url(str(normalize_url(url)))
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            msg = "the ledger needs a SQLite file, not an in-memory database"
            raise ValueError(msg)
        return SqliteLedgerStore(parsed.database)
    if parsed.get_backend_name() == "postgresql":
        return PostgresLedgerStore(libpq_conninfo(url))
    msg = f"unsupported database for the ledger: {parsed.get_backend_name()}"
    raise ValueError(msg)
