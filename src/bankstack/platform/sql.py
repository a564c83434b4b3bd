"""Statements the adapters of every domain share, built once and executed with parameters.

Building a Core statement per call (``insert(t).values(row)``, ``t.c.id == value``) makes a
bound parameter per value and walks them all for the compiled-statement cache key: for a
30-column row that was most of a payment's SQLAlchemy time (bench/payments). A statement
built once with ``bindparam`` and executed with a parameter dict skips both.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Executable, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_absent(conn: Connection, table: Table, values: Mapping[str, Any]) -> bool:
    """``INSERT ... ON CONFLICT DO NOTHING``; True when the row was inserted.

    Atomic on both dialects: of two concurrent inserts of one key exactly one returns True
    (PostgreSQL makes the second wait for the first to commit or roll back). Told by
    RETURNING, not ``rowcount``: psycopg reports -1 for these INSERTs.
    """
    statement = _insert_absent(table, conn.dialect.name)
    return conn.execute(statement, dict(values)).first() is not None


@functools.cache
def _insert_absent(table: Table, dialect: str) -> Executable:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    key = next(iter(table.primary_key.columns))
    return insert(table).on_conflict_do_nothing().returning(key)
