"""The ledger API's responses: the models OpenAPI shows, and the JSON the endpoints send.

The endpoints render JSON themselves (``orjson`` over plain dicts built here) rather than
validating thousands of result objects on the way out; the models document the same shapes.
Ids and ``user_data`` are decimal strings, amounts JSON integers, times RFC 3339 (and ns).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from bankstack.ledger.api.schemas import (
    ACCOUNT_FLAG_BITS,
    TRANSFER_FLAG_BITS,
    AccountFlagName,
    CreateAccounts,
    CreateTransfers,
    TransferFlagName,
    format_rfc3339_ns,
)
from bankstack.ledger.domain import Account, PendingState, Transfer
from bankstack.ledger.queries import StatementPage


class ResultOut(BaseModel):
    index: int
    result: str = Field(description='"ok" or the result code of the failure')


class ResultsOut(BaseModel):
    results: list[ResultOut]


class AccountOut(BaseModel):
    id: str
    ledger: int
    code: int
    user_data: str
    flags: list[AccountFlagName]
    credit_limit: int
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    timestamp: int = Field(description="when the account was created, ns since the epoch")
    created_at: str = Field(description="timestamp as RFC 3339")
    at: str | None = Field(default=None, description="balances are as of this time (?at=)")


class TransferOut(BaseModel):
    id: str
    debit_account_id: str
    credit_account_id: str
    amount: int
    pending_id: str
    ledger: int
    code: int
    user_data: str
    flags: list[TransferFlagName]
    timeout: int
    timestamp: int = Field(description="when the ledger recorded it, ns since the epoch")
    recorded_at: str
    effective_at: str
    effective_at_ns: int
    pending_state: Literal["pending", "posted", "voided", "expired"] | None = Field(
        default=None, description="for pending transfers: where they stand now"
    )


class StatementLineOut(BaseModel):
    transfer_id: str
    side: Literal["debit", "credit"]
    amount: int
    counterparty_account_id: str
    code: int
    user_data: str
    effective_at: str
    timestamp: int
    debits_posted: int
    credits_posted: int
    balance: int = Field(description="credits_posted - debits_posted after this line")


class StatementOut(BaseModel):
    account_id: str
    lines: list[StatementLineOut]
    next_cursor: str | None


def flag_names(flags: int, bits: dict[str, int]) -> list[str]:
    return [name for name, bit in bits.items() if flags & bit]


def account_json(account: Account, at: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(account.id),
        "ledger": account.ledger,
        "code": account.code,
        "user_data": str(account.user_data),
        "flags": flag_names(account.flags, ACCOUNT_FLAG_BITS),
        "credit_limit": account.credit_limit,
        "debits_pending": account.debits_pending,
        "debits_posted": account.debits_posted,
        "credits_pending": account.credits_pending,
        "credits_posted": account.credits_posted,
        "timestamp": account.timestamp,
        "created_at": format_rfc3339_ns(account.timestamp),
    }
    if at is not None:
        body["at"] = format_rfc3339_ns(at)
    return body


def transfer_json(transfer: Transfer, state: PendingState | None) -> dict[str, Any]:
    t = transfer
    return {
        "id": str(t.id),
        "debit_account_id": str(t.debit_account_id),
        "credit_account_id": str(t.credit_account_id),
        "amount": t.amount,
        "pending_id": str(t.pending_id),
        "ledger": t.ledger,
        "code": t.code,
        "user_data": str(t.user_data),
        "flags": flag_names(t.flags, TRANSFER_FLAG_BITS),
        "timeout": t.timeout,
        "timestamp": t.timestamp,
        "recorded_at": format_rfc3339_ns(t.timestamp),
        "effective_at": format_rfc3339_ns(t.effective_at),
        "effective_at_ns": t.effective_at,
        "pending_state": state.name.lower() if state is not None else None,
    }


def statement_json(page: StatementPage) -> dict[str, Any]:
    account_id = page.account.id
    lines = []
    for line in page.lines:
        t = line.transfer
        debit = line.side == "debit"
        lines.append(
            {
                "transfer_id": str(t.id),
                "side": line.side,
                "amount": t.amount,
                "counterparty_account_id": str(
                    t.credit_account_id if debit else t.debit_account_id
                ),
                "code": t.code,
                "user_data": str(t.user_data),
                "effective_at": format_rfc3339_ns(t.effective_at),
                "timestamp": t.timestamp,
                "debits_posted": line.debits_posted,
                "credits_posted": line.credits_posted,
                "balance": line.credits_posted - line.debits_posted,
            }
        )
    return {"account_id": str(account_id), "lines": lines, "next_cursor": page.next_cursor}


def openapi_components() -> dict[str, Any]:
    """JSON schemas of the request bodies the endpoints parse themselves, for OpenAPI."""
    _, top = models_json_schema(
        [(CreateAccounts, "validation"), (CreateTransfers, "validation")],
        ref_template="#/components/schemas/{model}",
    )
    defs: dict[str, Any] = top.get("$defs", {})
    return defs


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` naming ``model`` as a route's JSON request body."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}
