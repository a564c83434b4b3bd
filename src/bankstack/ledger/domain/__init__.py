"""The ledger's pure core: records, result codes, state machines and the journal digest."""

from bankstack.ledger.domain.accounts import AccountEffects, AccountStateMachine
from bankstack.ledger.domain.digest import (
    GENESIS,
    account_digest,
    batch_hash,
    expiry_digest,
    transfer_digest,
)
from bankstack.ledger.domain.model import (
    AMOUNT_MAX,
    ID_MAX,
    NS_PER_SECOND,
    Account,
    AccountFlags,
    BalanceRecord,
    PendingState,
    Resolution,
    Transfer,
    TransferFlags,
)
from bankstack.ledger.domain.results import TRANSIENT_FAILURES, AccountResult, TransferResult
from bankstack.ledger.domain.transfers import Snapshot, TransferEffects, TransferStateMachine

__all__ = [
    "AMOUNT_MAX",
    "GENESIS",
    "ID_MAX",
    "NS_PER_SECOND",
    "TRANSIENT_FAILURES",
    "Account",
    "AccountEffects",
    "AccountFlags",
    "AccountResult",
    "AccountStateMachine",
    "BalanceRecord",
    "PendingState",
    "Resolution",
    "Snapshot",
    "Transfer",
    "TransferEffects",
    "TransferFlags",
    "TransferResult",
    "TransferStateMachine",
    "account_digest",
    "batch_hash",
    "expiry_digest",
    "transfer_digest",
]
