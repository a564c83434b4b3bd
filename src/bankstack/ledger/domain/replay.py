"""Replaying the journal: the check behind ``bankstack ledger verify``.

The replayer is fed the journal in timestamp order: each sealed batch, then the records it
covers (account creations, transfers, expiries). It recomputes every record's digest, every
batch hash from the previous one, and every balance from zero, and stops at the first
discrepancy, which it names: the record whose fields no longer match its digest, the batch
whose hash breaks the chain, the record no batch covers, or the account whose stored balance
differs from the replayed one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn

from bankstack.ledger.domain.digest import (
    GENESIS,
    account_digest,
    batch_hash,
    expiry_digest,
    transfer_digest,
)
from bankstack.ledger.domain.model import (
    Account,
    AccountFlags,
    PendingState,
    Resolution,
    Transfer,
    TransferFlags,
)

_PENDING = int(TransferFlags.PENDING)
_POST = int(TransferFlags.POST_PENDING_TRANSFER)
_VOID = int(TransferFlags.VOID_PENDING_TRANSFER)
_CLOSE_DR = int(TransferFlags.CLOSING_DEBIT)
_CLOSE_CR = int(TransferFlags.CLOSING_CREDIT)
_CLOSED = int(AccountFlags.CLOSED)


@dataclass(frozen=True, slots=True)
class SealedBatch:
    batch_id: int
    previous_hash: bytes
    hash: bytes
    first_timestamp: int
    last_timestamp: int
    record_count: int


@dataclass(frozen=True, slots=True)
class Discrepancy:
    kind: str  # HASH_MISMATCH, DIGEST_MISMATCH, CHAIN_BROKEN, ... (stable, for scripts)
    subject: str  # what is wrong: "transfer 123", "batch 7", "account 5"
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}: {self.detail}"


class JournalBroken(Exception):
    def __init__(self, discrepancy: Discrepancy) -> None:
        super().__init__(str(discrepancy))
        self.discrepancy = discrepancy


@dataclass
class Replayer:
    accounts: dict[int, Account] = field(default_factory=dict)
    pendings: dict[int, Transfer] = field(default_factory=dict)
    resolved: int = 0
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("batches", "accounts", "transfers", "expiries"), 0)
    )
    _hash: bytes = GENESIS
    _batch: SealedBatch | None = None
    _digests: list[bytes] = field(default_factory=list)

    def begin_batch(self, batch: SealedBatch) -> None:
        self.end_batch()
        expected_id = self.counts["batches"] + 1
        if batch.batch_id != expected_id:
            _fail("SEQUENCE_GAP", f"batch {batch.batch_id}", f"expected batch {expected_id}")
        if batch.previous_hash != self._hash:
            _fail(
                "CHAIN_BROKEN",
                f"batch {batch.batch_id}",
                "its previous_hash is not the hash of the batch before it",
            )
        self._batch = batch
        self._digests = []
        self.counts["batches"] += 1

    def end_batch(self) -> None:
        batch = self._batch
        if batch is None:
            return
        if len(self._digests) != batch.record_count:
            _fail(
                "RECORD_COUNT_MISMATCH",
                f"batch {batch.batch_id}",
                f"sealed {batch.record_count} records, found {len(self._digests)}",
            )
        if batch_hash(self._hash, batch.batch_id, self._digests) != batch.hash:
            _fail(
                "HASH_MISMATCH",
                f"batch {batch.batch_id}",
                "its records do not hash to the sealed hash",
            )
        self._hash = batch.hash
        self._batch = None

    def _cover(self, subject: str, timestamp: int, stored: bytes, computed: bytes) -> None:
        batch = self._batch
        if batch is None or not batch.first_timestamp <= timestamp <= batch.last_timestamp:
            _fail("UNSEALED_RECORD", subject, f"no sealed batch covers timestamp {timestamp}")
        if stored != computed:
            _fail("DIGEST_MISMATCH", subject, "its fields no longer match its digest (altered)")
        self._digests.append(stored)

    def account(self, a: Account, stored_digest: bytes) -> None:
        self._cover(f"account {a.id}", a.timestamp, stored_digest, account_digest(a))
        self.accounts[a.id] = Account(
            a.id,
            a.ledger,
            a.code,
            a.user_data,
            a.flags & ~_CLOSED,
            a.credit_limit,
            timestamp=a.timestamp,
        )
        self.counts["accounts"] += 1

    def transfer(self, t: Transfer, stored_digest: bytes) -> None:
        subject = f"transfer {t.id}"
        self._cover(subject, t.timestamp, stored_digest, transfer_digest(t))
        debit = self._account(subject, t.debit_account_id)
        credit = self._account(subject, t.credit_account_id)
        if t.flags & _PENDING:
            debit.debits_pending += t.amount
            credit.credits_pending += t.amount
            debit.flags |= _CLOSED if t.flags & _CLOSE_DR else 0
            credit.flags |= _CLOSED if t.flags & _CLOSE_CR else 0
            self.pendings[t.id] = t
        elif t.flags & (_POST | _VOID):
            pending = self.pendings.pop(t.pending_id, None)
            if pending is None or t.amount > pending.amount:
                _fail(
                    "INVALID_RESOLUTION",
                    subject,
                    f"resolves {t.pending_id}, which is not an open pending transfer"
                    " of at least its amount",
                )
            self._release(pending, debit, credit, reopen=bool(t.flags & _VOID))
            if t.flags & _POST:
                debit.debits_posted += t.amount
                credit.credits_posted += t.amount
            self.resolved += 1
        else:
            debit.debits_posted += t.amount
            credit.credits_posted += t.amount
        self.counts["transfers"] += 1

    def expiry(self, r: Resolution, stored_digest: bytes) -> None:
        subject = f"expiry of {r.pending_id}"
        self._cover(subject, r.timestamp, stored_digest, expiry_digest(r))
        pending = self.pendings.pop(r.pending_id, None)
        if pending is None or r.state is not PendingState.EXPIRED:
            _fail("INVALID_RESOLUTION", subject, "expires a transfer that is not open and pending")
        debit = self._account(subject, pending.debit_account_id)
        credit = self._account(subject, pending.credit_account_id)
        self._release(pending, debit, credit, reopen=True)
        self.resolved += 1
        self.counts["expiries"] += 1

    def _release(self, pending: Transfer, debit: Account, credit: Account, *, reopen: bool) -> None:
        debit.debits_pending -= pending.amount
        credit.credits_pending -= pending.amount
        if reopen and pending.flags & _CLOSE_DR:
            debit.flags &= ~_CLOSED
        if reopen and pending.flags & _CLOSE_CR:
            credit.flags &= ~_CLOSED

    def _account(self, subject: str, account_id: int) -> Account:
        account = self.accounts.get(account_id)
        if account is None:
            _fail(
                "UNKNOWN_ACCOUNT",
                subject,
                f"moves money on account {account_id}, which no earlier record created",
            )
        return account

    def finish(self, head_batch_id: int, head_hash: bytes) -> None:
        self.end_batch()
        if head_batch_id != self.counts["batches"] or head_hash != self._hash:
            _fail(
                "HEAD_MISMATCH",
                "journal head",
                f"names batch {head_batch_id}; the chain ends at {self.counts['batches']}",
            )

    def compare(self, stored: Account) -> None:
        replayed = self.accounts.get(stored.id)
        if replayed is None:
            _fail("UNKNOWN_ACCOUNT", f"account {stored.id}", "exists but no record created it")
        for name in (
            "debits_pending",
            "debits_posted",
            "credits_pending",
            "credits_posted",
            "flags",
        ):
            if getattr(stored, name) != getattr(replayed, name):
                _fail(
                    "BALANCE_MISMATCH",
                    f"account {stored.id}",
                    f"{name} is {getattr(stored, name)}, the journal gives "
                    f"{getattr(replayed, name)}",
                )

    def check_resolutions(self, stored_count: int) -> None:
        if stored_count != self.resolved:
            _fail(
                "RESOLUTION_MISMATCH",
                "pending resolutions",
                f"{stored_count} stored, the journal resolves {self.resolved}",
            )

    def ledger_totals(self) -> dict[int, tuple[int, int, int, int]]:
        totals: dict[int, list[int]] = {}
        for a in self.accounts.values():
            t = totals.setdefault(a.ledger, [0, 0, 0, 0])
            for i, value in enumerate(a.balances()):
                t[i] += value
        for ledger, (dp, dpo, cp, cpo) in totals.items():
            if dp != cp or dpo != cpo:
                _fail("UNBALANCED_LEDGER", f"ledger {ledger}", "debits and credits differ")
        return {ledger: (t[0], t[1], t[2], t[3]) for ledger, t in totals.items()}


def _fail(kind: str, subject: str, detail: str) -> NoReturn:
    raise JournalBroken(Discrepancy(kind, subject, detail))
