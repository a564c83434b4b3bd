"""Alembic environment for SQLite and PostgreSQL.

Two ways in:
- ``bankstack.platform.migrations.upgrade(url)`` passes an open connection (already inside a
  transaction, with SQLite foreign keys off and the PostgreSQL migration lock held) in
  ``config.attributes["connection"]``;
- the ``alembic`` command line, where the URL comes from the ``sqlalchemy.url`` option if set,
  else ``BANKSTACK_DATABASE_URL``, else the settings default; this file then opens the same
  kind of connection itself.

Migrations are hand-written (``target_metadata = None``). On SQLite, ALTER goes through
Alembic's batch mode (copy and move), so ``render_as_batch`` is on.
"""

from __future__ import annotations

import logging.config
from typing import TYPE_CHECKING

from alembic import context

from bankstack.platform.database import is_sqlite, normalize_url
from bankstack.platform.migrations import migration_connection
from bankstack.platform.settings import load_settings

if TYPE_CHECKING:
    from sqlalchemy import Connection

config = context.config
target_metadata = None

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or load_settings().database_url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite(connection),
        transaction_per_migration=False,
    )


def run_migrations_offline() -> None:
    """Print the SQL instead of running it (``alembic upgrade head --sql``)."""
    url = normalize_url(_url())
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    with migration_connection(_url()) as own:
        _configure(own)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
