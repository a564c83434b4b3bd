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

from sqlalchemy import Connection, Executable, Table, bindparam, update
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


def update_versioned(
    conn: Connection, table: Table, key: object, expected_version: int, values: Mapping[str, Any]
) -> bool:
    """``UPDATE table SET values WHERE <primary key> = key AND version = expected_version``;
    True when the row was at that version (optimistic check behind the caller's row lock).

    ``values`` names the columns to set (the new ``version`` among them); the primary key is
    not one of them.
    """
    params = {**values, "p_key": key, "p_version": expected_version}
    return conn.execute(_update_versioned(table), params).rowcount == 1


@functools.cache
def _update_versioned(table: Table) -> Executable:
    # SET takes every parameter named after a column; the WHERE parameters are named apart.
    key = next(iter(table.primary_key.columns))
    return update(table).where(key == bindparam("p_key"), table.c.version == bindparam("p_version"))
