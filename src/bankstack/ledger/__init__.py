"""The ledger: double-entry accounts and transfers with TigerBeetle's semantics.

Other domains use this surface only: records, flags and result codes, the group-commit
writer (every money movement goes through it), and the read-side queries.
"""

from bankstack.ledger.domain import (
    AMOUNT_MAX,
    Account,
    AccountFlags,
    AccountResult,
    PendingState,
    Transfer,
    TransferFlags,
    TransferResult,
)
from bankstack.ledger.errors import (
    AccountNotFound,
    BatchTooLarge,
    LedgerUnavailable,
    TransferNotFound,
)
from bankstack.ledger.writer import GroupCommitWriter

__all__ = [
    "AMOUNT_MAX",
    "Account",
    "AccountFlags",
    "AccountNotFound",
    "AccountResult",
    "BatchTooLarge",
    "GroupCommitWriter",
    "LedgerUnavailable",
    "PendingState",
    "Transfer",
    "TransferFlags",
    "TransferNotFound",
    "TransferResult",
]
