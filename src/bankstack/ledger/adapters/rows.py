"""Column lists and row decoding shared by the ledger's SQL adapters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bankstack.ledger.domain import Account, Transfer

ACCOUNT_COLUMNS = (
    "id, ledger, code, user_data, flags, credit_limit, debits_pending, debits_posted, "
    "credits_pending, credits_posted, timestamp"
)
TRANSFER_COLUMNS = (
    "id, debit_account_id, credit_account_id, amount, pending_id, ledger, code, user_data, "
    "flags, timeout, effective_at, timestamp"
)

IdDecoder = Callable[[Any], int]


def account_from_row(row: Sequence[Any], decode: IdDecoder) -> Account:
    return Account(
        decode(row[0]),
        row[1],
        row[2],
        decode(row[3]),
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
    )


def transfer_from_row(row: Sequence[Any], decode: IdDecoder) -> Transfer:
    return Transfer(
        decode(row[0]),
        decode(row[1]),
        decode(row[2]),
        row[3],
        decode(row[4]) if row[4] is not None else 0,
        row[5],
        row[6],
        decode(row[7]),
        row[8],
        row[9],
        row[10],
        row[11],
    )
