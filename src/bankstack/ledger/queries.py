"""The ledger's read side: accounts, transfers, balances at a time, statements.

Reads go through ``LedgerReader`` (implemented by ``adapters.reads.SqlLedgerReader``) on their
own connections; they never block the writer. A statement lists posted movements in effective
time order with running totals; its cursor is the last row's ``(effective_at, timestamp)``,
so pages stay consistent however many transfers arrive meanwhile.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Protocol

from bankstack.kernel.errors import ValidationFailed
from bankstack.ledger.domain import Account, PendingState, Transfer
from bankstack.ledger.errors import AccountNotFound, TransferNotFound


class LedgerReader(Protocol):
    def account(self, account_id: int) -> Account | None: ...
    def transfer(self, transfer_id: int) -> tuple[Transfer, PendingState | None] | None: ...
    def balances_at(self, account_id: int, at: int) -> tuple[int, int, int, int]: ...
    def statement_page(
        self, account_id: int, after: tuple[int, int] | None, limit: int
    ) -> tuple[tuple[int, int], list[Transfer]]: ...


class InvalidCursor(ValidationFailed):
    code = "ledger.invalid_cursor"


@dataclass(frozen=True, slots=True)
class StatementLine:
    transfer: Transfer
    side: str  # "debit" or "credit": which side of this account the movement hit
    debits_posted: int  # running totals after this movement
    credits_posted: int


@dataclass(frozen=True, slots=True)
class StatementPage:
    account: Account
    lines: list[StatementLine]
    next_cursor: str | None


def get_account(reader: LedgerReader, account_id: int, at: int | None = None) -> Account:
    account = reader.account(account_id)
    if account is None:
        raise AccountNotFound(f"no account {account_id}", account_id=str(account_id))
    if at is not None:
        dp, dpo, cp, cpo = reader.balances_at(account_id, at)
        account.debits_pending, account.debits_posted = dp, dpo
        account.credits_pending, account.credits_posted = cp, cpo
    return account


def get_transfer(reader: LedgerReader, transfer_id: int) -> tuple[Transfer, PendingState | None]:
    found = reader.transfer(transfer_id)
    if found is None:
        raise TransferNotFound(f"no transfer {transfer_id}", transfer_id=str(transfer_id))
    return found


def statement(
    reader: LedgerReader, account_id: int, cursor: str | None = None, limit: int = 100
) -> StatementPage:
    account = get_account(reader, account_id)
    after = _decode_cursor(cursor) if cursor else None
    (debit_total, credit_total), transfers = reader.statement_page(account_id, after, limit)
    lines = []
    for t in transfers:
        if t.debit_account_id == account_id:
            debit_total += t.amount
            side = "debit"
        else:
            credit_total += t.amount
            side = "credit"
        lines.append(StatementLine(t, side, debit_total, credit_total))
    last = transfers[-1] if len(transfers) == limit else None
    next_cursor = _encode_cursor(last.effective_at, last.timestamp) if last else None
    return StatementPage(account, lines, next_cursor)


def _encode_cursor(effective_at: int, timestamp: int) -> str:
    raw = f"{effective_at}:{timestamp}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        effective_at, timestamp = raw.split(":")
        return int(effective_at), int(timestamp)
    except (ValueError, UnicodeDecodeError):
        raise InvalidCursor("the statement cursor is not one this server issued") from None
