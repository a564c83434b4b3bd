"""Ledger errors (per-event outcomes are result codes, not exceptions).

BankstackError
 ├── ValidationFailed
 │    └── BatchTooLarge          a submission over the batch limit
 ├── NotFound
 │    ├── AccountNotFound
 │    └── TransferNotFound
 ├── Conflict
 │    └── JournalTampered         verify found the journal inconsistent
 └── Unavailable
      └── LedgerUnavailable       the writer is stopped or the database failed; retry
"""

from __future__ import annotations

from bankstack.kernel.errors import Conflict, NotFound, Unavailable, ValidationFailed


class BatchTooLarge(ValidationFailed):
    code = "ledger.batch_too_large"


class AccountNotFound(NotFound):
    code = "ledger.account_not_found"


class TransferNotFound(NotFound):
    code = "ledger.transfer_not_found"


class JournalTampered(Conflict):
    code = "ledger.journal_tampered"


class LedgerUnavailable(Unavailable):
    code = "ledger.unavailable"
