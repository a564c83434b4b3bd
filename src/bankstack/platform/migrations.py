"""Schema migrations (Alembic), run from code or from the ``alembic`` command line.

The scripts live in the top-level ``migrations/`` directory next to ``alembic.ini``; they are
found by walking up from this file, so ``upgrade(url)`` works from any working directory of
a source checkout or an editable install. Migrations are hand-written, one file per change,
named by date (``2026-11-22-0530_ledger_core.py``).

Each upgrade runs in one transaction. On PostgreSQL it first takes a transaction-scoped
advisory lock, so that processes starting together migrate one after the other. On SQLite
foreign-key enforcement is off while the schema changes (batch mode drops and recreates
tables, which would otherwise cascade or fail) and ``PRAGMA foreign_key_check`` must come
back empty before the transaction commits.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final

from alembic import command
from alembic.config import Config
from sqlalchemy.pool import NullPool

from bankstack.platform.database import is_postgres, is_sqlite, make_engine

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import URL, Connection

# pg_advisory_xact_lock key: "bankstack" migrations (any constant works; it must never change).
MIGRATION_LOCK_KEY: Final = 0x62616E6B_6D696772  # b"bankmigr"


class MigrationsNotFound(RuntimeError):
    """The ``migrations/`` directory is not where a checkout would have it."""


def project_root() -> Path:
    """The directory holding ``alembic.ini`` and ``migrations/env.py``, found upwards."""
    here = Path(__file__).resolve()
    for candidate in here.parents:
        if (candidate / "alembic.ini").is_file() and (candidate / "migrations/env.py").is_file():
            return candidate
    raise MigrationsNotFound(
        f"no alembic.ini with migrations/env.py above {here}; "
        "bankstack must run from a source checkout or an editable install (pip install -e .)"
    )


def alembic_config(url: str | URL, *, script_location: Path | None = None) -> Config:
    """An Alembic ``Config`` for ``url`` with absolute paths, independent of the cwd."""
    if script_location is None:
        root = project_root()
        cfg = Config(str(root / "alembic.ini"))
        location = root / "migrations"
    else:
        cfg = Config()
        location = script_location
    cfg.set_main_option("script_location", str(location.resolve()))
    cfg.set_main_option("path_separator", "os")
    rendered = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    # ConfigParser interpolation: a literal % (say in a password) must be doubled.
    cfg.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    # Our logging is configured by bankstack; alembic.ini's logging is for the CLI only.
    cfg.attributes["configure_logger"] = False
    return cfg


@contextmanager
def migration_connection(url: str | URL) -> Iterator[Connection]:
    """A connection inside a transaction, prepared for schema changes; commits on success."""
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            if is_sqlite(conn):
                # Must happen outside a transaction, or SQLite ignores it.
                driver = conn.connection.driver_connection
                assert driver is not None  # noqa: S101 - a fresh NullPool connection is open
                driver.execute("PRAGMA foreign_keys=OFF")
            with conn.begin():
                if is_postgres(conn):
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
                yield conn
                if is_sqlite(conn):
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration left dangling foreign keys: {broken}")
    finally:
        engine.dispose()


def upgrade(url: str | URL, revision: str = "head", *, script_location: Path | None = None) -> None:
    """Migrate the database at ``url`` up to ``revision`` in one transaction."""
    cfg = alembic_config(url, script_location=script_location)
    with migration_connection(url) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current(url: str | URL) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415 - only here

    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
