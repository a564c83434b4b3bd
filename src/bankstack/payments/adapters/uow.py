"""The payments unit of work: one connection, one transaction, the repositories on it.

A write unit of work on SQLite begins with ``BEGIN IMMEDIATE``: it takes the write lock at
the start and waits for it (busy timeout) instead of failing half-way with ``SQLITE_BUSY``,
and it serialises with every other writer, which is SQLite's row lock. On PostgreSQL it is a
READ COMMITTED transaction whose ``lock=True`` reads lock their rows. Nothing commits unless
``commit()`` is called; leaving the block rolls back whatever was not committed.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine, RootTransaction

from bankstack.payments.adapters.repositories import (
    SqlCodes,
    SqlMerchants,
    SqlOutbox,
    SqlRefunds,
    SqlTrades,
    SqlWallets,
)


class SqlPaymentsUnitOfWork:
    merchants: SqlMerchants
    wallets: SqlWallets
    trades: SqlTrades
    refunds: SqlRefunds
    codes: SqlCodes
    outbox: SqlOutbox

    def __init__(self, engine: Engine, *, write: bool) -> None:
        self._engine = engine
        self._write = write
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def __enter__(self) -> Self:
        conn = self._engine.connect()
        if self._write and conn.dialect.name == "sqlite":
            conn.execution_options(sqlite_begin="IMMEDIATE")
        self._conn = conn
        self._tx = conn.begin()
        self.merchants = SqlMerchants(conn)
        self.wallets = SqlWallets(conn)
        self.trades = SqlTrades(conn)
        self.refunds = SqlRefunds(conn)
        self.codes = SqlCodes(conn)
        self.outbox = SqlOutbox(conn)
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


class SqlPaymentsStore:
    """Opens payments units of work on ``engine`` (either storage tier)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def write(self) -> SqlPaymentsUnitOfWork:
        return SqlPaymentsUnitOfWork(self._engine, write=True)

    def read(self) -> SqlPaymentsUnitOfWork:
        return SqlPaymentsUnitOfWork(self._engine, write=False)
