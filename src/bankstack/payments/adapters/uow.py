"""The payments unit of work: the payments repositories on one connection and transaction
(``platform.database.SqlUnitOfWork`` says how it begins, commits and rolls back)."""

from __future__ import annotations

from sqlalchemy import Connection, Engine

from bankstack.payments.adapters.p2p_sql import SqlCustomerTransfers
from bankstack.payments.adapters.repositories import (
    SqlCodes,
    SqlMerchants,
    SqlRefunds,
    SqlRiskChecks,
    SqlTrades,
    SqlWallets,
)
from bankstack.platform.database import SqlUnitOfWork
from bankstack.platform.outbox import OutboxWriter


class SqlPaymentsUnitOfWork(SqlUnitOfWork):
    merchants: SqlMerchants
    wallets: SqlWallets
    trades: SqlTrades
    refunds: SqlRefunds
    codes: SqlCodes
    risk_checks: SqlRiskChecks
    transfers: SqlCustomerTransfers
    outbox: OutboxWriter

    def _bind(self, conn: Connection) -> None:
        self.merchants = SqlMerchants(conn)
        self.wallets = SqlWallets(conn)
        self.trades = SqlTrades(conn)
        self.refunds = SqlRefunds(conn)
        self.codes = SqlCodes(conn)
        self.risk_checks = SqlRiskChecks(conn)
        self.transfers = SqlCustomerTransfers(conn)
        self.outbox = OutboxWriter(conn)


class SqlPaymentsStore:
    """Opens payments units of work on ``engine`` (either storage tier)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def write(self) -> SqlPaymentsUnitOfWork:
        return SqlPaymentsUnitOfWork(self._engine, write=True)

    def read(self) -> SqlPaymentsUnitOfWork:
        return SqlPaymentsUnitOfWork(self._engine, write=False)
