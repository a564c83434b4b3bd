"""Ledger records: accounts and transfers in TigerBeetle's shape.

Ids, ledgers and codes are plain ints; flags are bit sets (``AccountFlags``, ``TransferFlags``)
stored as ints so the hot loop does integer arithmetic only. Amounts and balances are signed
64-bit integers of minor units, at most ``AMOUNT_MAX`` (ADR 0001); a balance that would pass
it is refused with an ``overflows_*`` result instead of wrapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import Final

from bankstack.kernel.ids import U128_MAX

AMOUNT_MAX: Final = (1 << 63) - 1
"""The largest amount or balance; as a post's amount it means "post the full pending amount"."""
ID_MAX: Final = U128_MAX
TIMESTAMP_MAX: Final = (1 << 63) - 1
TIMEOUT_MAX: Final = (1 << 32) - 1
NS_PER_SECOND: Final = 1_000_000_000


class AccountFlags(IntFlag):
    LINKED = 1 << 0
    DEBITS_MUST_NOT_EXCEED_CREDITS = 1 << 1
    CREDITS_MUST_NOT_EXCEED_DEBITS = 1 << 2
    HISTORY = 1 << 3
    CLOSED = 1 << 5


class TransferFlags(IntFlag):
    LINKED = 1 << 0
    PENDING = 1 << 1
    POST_PENDING_TRANSFER = 1 << 2
    VOID_PENDING_TRANSFER = 1 << 3
    BALANCING_DEBIT = 1 << 4
    BALANCING_CREDIT = 1 << 5
    CLOSING_DEBIT = 1 << 6
    CLOSING_CREDIT = 1 << 7


ACCOUNT_FLAGS_KNOWN: Final = sum(AccountFlags)
TRANSFER_FLAGS_KNOWN: Final = sum(TransferFlags)


class PendingState(IntEnum):
    """Where a pending transfer stands; it leaves PENDING at most once."""

    PENDING = 0
    POSTED = 1
    VOIDED = 2
    EXPIRED = 3


@dataclass(slots=True)
class Account:
    id: int
    ledger: int
    code: int
    user_data: int = 0
    flags: int = 0
    credit_limit: int = 0
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0
    timestamp: int = 0

    def balances(self) -> tuple[int, int, int, int]:
        return (self.debits_pending, self.debits_posted, self.credits_pending, self.credits_posted)


@dataclass(slots=True)
class Transfer:
    """A transfer as submitted (timestamp 0) or as recorded (timestamp set, immutable)."""

    id: int
    debit_account_id: int = 0
    credit_account_id: int = 0
    amount: int = 0
    pending_id: int = 0
    ledger: int = 0
    code: int = 0
    user_data: int = 0
    flags: int = 0
    timeout: int = 0
    effective_at: int = 0
    """When the movement counts (ns); 0 when submitted means "when recorded"."""
    timestamp: int = 0
    """When the ledger recorded it (ns): unique, strictly increasing across the journal."""

    def expires_at(self) -> int:
        """The instant a pending transfer with a timeout expires; 0 when it never does."""
        return self.timestamp + self.timeout * NS_PER_SECOND if self.timeout else 0


@dataclass(frozen=True, slots=True)
class Resolution:
    """A pending transfer leaving PENDING: posted or voided by a transfer, or expired."""

    pending_id: int
    state: PendingState
    transfer_id: int  # the post or void; 0 for an expiry
    timestamp: int


@dataclass(frozen=True, slots=True)
class BalanceRecord:
    """An account's balances right after one transfer (accounts with the HISTORY flag)."""

    account_id: int
    timestamp: int
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
