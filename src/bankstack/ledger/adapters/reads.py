"""Read-side SQL for the ledger: lookups, point-in-time balances and statements.

Runs on a SQLAlchemy engine (either dialect), separate from the writer's connection, so reads
never wait behind a batch. Point-in-time balances are computed from the journal by effective
time: posted amounts effective at or before ``at``, plus pending amounts that were effective
by then and not yet resolved (a post or void resolves at its own effective time, an expiry at
the moment it ran).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Engine, text

from bankstack.ledger.adapters.rows import (
    ACCOUNT_COLUMNS,
    TRANSFER_COLUMNS,
    account_from_row,
    transfer_from_row,
)
from bankstack.ledger.domain import Account, PendingState, Transfer, TransferFlags

_PENDING = int(TransferFlags.PENDING)


class SqlLedgerReader:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._id = "CAST(:{} AS uuid)" if self._postgres else ":{}"
        self._id_param = self._id.format("id")

    def encode(self, value: int) -> Any:
        return f"{value:032x}" if self._postgres else value.to_bytes(16, "big")

    def decode(self, value: Any) -> int:
        if isinstance(value, uuid.UUID):
            return value.int
        if isinstance(value, (bytes, memoryview)):
            return int.from_bytes(value, "big")
        return int(value)

    def _param(self, name: str) -> str:
        return self._id.format(name)

    def account(self, account_id: int) -> Account | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                text(
                    f"SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = {self._param('id')}"
                ),
                {"id": self.encode(account_id)},
            ).first()
        return None if row is None else account_from_row(tuple(row), self.decode)

    def transfer(self, transfer_id: int) -> tuple[Transfer, PendingState | None] | None:
        """The transfer and, for a pending one, where it stands now."""
        with self._engine.connect() as conn:
            row = conn.execute(
                text(
                    f"SELECT {TRANSFER_COLUMNS} FROM ledger_transfers WHERE id = {self._id_param}"
                ),
                {"id": self.encode(transfer_id)},
            ).first()
            if row is None:
                return None
            found = transfer_from_row(tuple(row), self.decode)
            if not found.flags & _PENDING:
                return found, None
            state = conn.execute(
                text(
                    "SELECT state FROM ledger_pending_resolutions"
                    f" WHERE pending_id = {self._param('id')}"
                ),
                {"id": self.encode(transfer_id)},
            ).scalar()
        return found, PendingState(state) if state is not None else PendingState.PENDING

    def balances_at(self, account_id: int, at: int) -> tuple[int, int, int, int]:
        """(debits_pending, debits_posted, credits_pending, credits_posted) effective at ``at``."""
        acct = self._param("acct")
        posted = text(
            "SELECT"
            f" COALESCE(SUM(CASE WHEN debit_account_id = {acct} THEN amount END), 0),"
            f" COALESCE(SUM(CASE WHEN credit_account_id = {acct} THEN amount END), 0)"
            " FROM ledger_transfers"
            f" WHERE (debit_account_id = {acct} OR credit_account_id = {acct})"
            f" AND (flags & {_PENDING}) = 0 AND effective_at <= :at"
        )
        pending = text(
            "SELECT"
            f" COALESCE(SUM(CASE WHEN p.debit_account_id = {acct} THEN p.amount END), 0),"
            f" COALESCE(SUM(CASE WHEN p.credit_account_id = {acct} THEN p.amount END), 0)"
            " FROM ledger_transfers p"
            " LEFT JOIN ledger_pending_resolutions r ON r.pending_id = p.id"
            " LEFT JOIN ledger_transfers t ON t.id = r.transfer_id"
            f" WHERE (p.debit_account_id = {acct} OR p.credit_account_id = {acct})"
            f" AND (p.flags & {_PENDING}) <> 0 AND p.effective_at <= :at"
            " AND (r.pending_id IS NULL OR COALESCE(t.effective_at, r.timestamp) > :at)"
        )
        params = {"acct": self.encode(account_id), "at": at}
        with self._engine.connect() as conn:
            debits_posted, credits_posted = conn.execute(posted, params).one()
            debits_pending, credits_pending = conn.execute(pending, params).one()
        return (int(debits_pending), int(debits_posted), int(credits_pending), int(credits_posted))

    def statement_page(
        self, account_id: int, after: tuple[int, int] | None, limit: int
    ) -> tuple[tuple[int, int], list[Transfer]]:
        """Posted movements after the ``(effective_at, timestamp)`` cursor, oldest first, and
        the account's (debits_posted, credits_posted) just before the first of them."""
        acct = self._param("acct")
        where = (
            f"(debit_account_id = {acct} OR credit_account_id = {acct})"
            f" AND (flags & {_PENDING}) = 0"
        )
        after_clause = ""
        params: dict[str, Any] = {"acct": self.encode(account_id), "limit": limit}
        if after is not None:
            after_clause = " AND (effective_at > :eff OR (effective_at = :eff AND timestamp > :ts))"
            params |= {"eff": after[0], "ts": after[1]}
        opening_sql = text(
            f"SELECT COALESCE(SUM(CASE WHEN debit_account_id = {acct} THEN amount END), 0),"
            f" COALESCE(SUM(CASE WHEN credit_account_id = {acct} THEN amount END), 0)"
            f" FROM ledger_transfers WHERE {where}"
            + (
                " AND (effective_at < :eff OR (effective_at = :eff AND timestamp <= :ts))"
                if after is not None
                else " AND 1 = 0"
            )
        )
        page = text(
            f"SELECT {TRANSFER_COLUMNS} FROM ledger_transfers WHERE {where}{after_clause}"
            " ORDER BY effective_at, timestamp LIMIT :limit"
        )
        with self._engine.connect() as conn:
            opening_debits, opening_credits = conn.execute(opening_sql, params).one()
            rows = conn.execute(page, params).all()
        opening = (int(opening_debits), int(opening_credits))
        return opening, [transfer_from_row(tuple(r), self.decode) for r in rows]
