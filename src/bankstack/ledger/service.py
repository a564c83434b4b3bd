"""Ledger use cases: apply one batch of account creations or transfers atomically.

Each function owns one database transaction (``store.batch()``): lock the journal head (which
serialises batches across processes and extends the hash chain), read what the batch touches,
run the pure state machine, write its effects with set-based SQL (the balance update locks the
touched accounts in id order), seal the batch into the hash chain with one outbox record
naming it, then commit. Nothing is answered before
the commit returns, so every ``ok`` is durable.

``AccountCache`` spares reloading balances the writer itself wrote: it is valid only while the
journal head is still the batch this writer sealed last, so a batch from any other process
empties it, and so does any failure (the state machine mutates cached accounts in place).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bankstack.kernel.clock import Clock
from bankstack.ledger.domain import (
    Account,
    AccountResult,
    AccountStateMachine,
    PendingState,
    Snapshot,
    Transfer,
    TransferFlags,
    TransferResult,
    TransferStateMachine,
    account_digest,
    batch_hash,
    expiry_digest,
    transfer_digest,
)
from bankstack.ledger.events import batch_sealed
from bankstack.ledger.ports import BatchSeal, JournalHead, LedgerBatch, LedgerStore

_RESOLVES = int(TransferFlags.POST_PENDING_TRANSFER | TransferFlags.VOID_PENDING_TRANSFER)
EXPIRY_BATCH_MAX = 8190
CACHE_MAX = 1_000_000


@dataclass(slots=True)
class AccountCache:
    accounts: dict[int, Account] = field(default_factory=dict)
    head_batch_id: int = -1

    def load(self, tx: LedgerBatch, head: JournalHead, ids: set[int]) -> dict[int, Account]:
        """The accounts of ``ids``: from the cache when still valid, else fetched."""
        if head.batch_id != self.head_batch_id or len(self.accounts) > CACHE_MAX:
            self.accounts.clear()
        cached = self.accounts
        loaded = tx.fetch_accounts([i for i in ids if i not in cached])
        cached.update(loaded)
        return {i: cached[i] for i in ids if i in cached}

    def prime(self, store: LedgerStore, limit: int = 200_000) -> int:
        """Load every account (when there are at most ``limit``), valid at the current head,
        so that a new writer starts warm instead of fetching accounts batch by batch."""
        with store.batch() as tx:
            head = tx.lock_head()
            accounts = tx.all_accounts(limit)
        if accounts is None:
            return 0
        self.accounts = accounts
        self.head_batch_id = head.batch_id
        return len(accounts)

    def invalidate(self) -> None:
        self.accounts.clear()
        self.head_batch_id = -1


def apply_account_batch(
    store: LedgerStore,
    clock: Clock,
    submissions: Sequence[Sequence[Account]],
    cache: AccountCache | None = None,
) -> list[list[AccountResult]]:
    cache = cache or AccountCache()
    ids = {a.id for submission in submissions for a in submission}
    try:
        with store.batch() as tx:
            head = tx.lock_head()
            existing = cache.load(tx, head, ids)
            machine = AccountStateMachine(existing, max(clock.now_ns(), head.last_timestamp + 1))
            results = [machine.run(submission) for submission in submissions]
            effects = machine.effects
            new_head = head.batch_id
            if effects.created:
                digests = [account_digest(a) for a in effects.created]
                tx.write_accounts(effects, digests, head.batch_id + 1)
                new_head = _seal(
                    tx,
                    head,
                    "accounts",
                    digests,
                    effects.first_timestamp,
                    effects.last_timestamp,
                    clock.now_ns(),
                )
            elif effects.last_timestamp:
                tx.advance_head(effects.last_timestamp)  # every event took a timestamp
            tx.commit()
    except BaseException:
        cache.invalidate()
        raise
    cache.accounts.update((a.id, a) for a in effects.created)
    cache.head_batch_id = new_head
    return results


def apply_transfer_batch(
    store: LedgerStore,
    clock: Clock,
    submissions: Sequence[Sequence[Transfer]],
    cache: AccountCache | None = None,
) -> list[list[TransferResult]]:
    """Apply transfers (and expire what is due first); one result list per submission."""
    cache = cache or AccountCache()
    try:
        with store.batch() as tx:
            head = tx.lock_head()
            base_timestamp = max(clock.now_ns(), head.last_timestamp + 1)
            due = tx.due_pending(base_timestamp, EXPIRY_BATCH_MAX)
            snapshot = _load_snapshot(tx, head, cache, submissions, due)
            machine = TransferStateMachine(snapshot, base_timestamp)
            machine.expire(due)
            results = [machine.run(submission) for submission in submissions]
            new_head = _write(tx, head, machine, clock)
    except BaseException:
        cache.invalidate()
        raise
    cache.head_batch_id = new_head
    return results


def _write(tx: LedgerBatch, head: JournalHead, machine: TransferStateMachine, clock: Clock) -> int:
    """Write the batch's effects and commit; return the journal head after it."""
    effects = machine.effects
    if not (effects.transfers or effects.resolutions or effects.failures):
        if effects.last_timestamp:  # all events refused: they still took their timestamps
            tx.advance_head(effects.last_timestamp)
            tx.commit()
        return head.batch_id
    expiries = [r for r in effects.resolutions if r.state is PendingState.EXPIRED]
    expiry_digests = [expiry_digest(r) for r in expiries]
    digests = [transfer_digest(t) for t in effects.transfers]
    tx.write_transfers(effects, digests, expiry_digests, head.batch_id + 1)
    new_head = head.batch_id
    if digests or expiry_digests:
        # Expiries take the batch's first timestamps, so this is timestamp order.
        new_head = _seal(
            tx,
            head,
            "transfers",
            expiry_digests + digests,
            effects.first_timestamp,
            effects.last_timestamp,
            clock.now_ns(),
        )
    else:  # only failures were recorded; their timestamps are taken all the same
        tx.advance_head(effects.last_timestamp)
    tx.commit()
    return new_head


def _load_snapshot(
    tx: LedgerBatch,
    head: JournalHead,
    cache: AccountCache,
    submissions: Sequence[Sequence[Transfer]],
    due: Sequence[Transfer],
) -> Snapshot:
    ids: set[int] = set()
    pending_ids: set[int] = set()
    account_ids: set[int] = set()
    for submission in submissions:
        for t in submission:
            ids.add(t.id)
            account_ids.add(t.debit_account_id)
            account_ids.add(t.credit_account_id)
            if t.flags & _RESOLVES:
                pending_ids.add(t.pending_id)
    known = tx.transfers(ids | pending_ids)
    for p in (*due, *(known[i] for i in pending_ids if i in known)):
        account_ids.add(p.debit_account_id)
        account_ids.add(p.credit_account_id)
    for t in due:
        known[t.id] = t
    account_ids.discard(0)
    return Snapshot(
        accounts=cache.load(tx, head, account_ids),
        transfers=known,
        failed=tx.failed(ids),
        pending_states=tx.pending_states(pending_ids),
    )


def _seal(
    tx: LedgerBatch,
    head: JournalHead,
    kind: str,
    digests: list[bytes],
    first_timestamp: int,
    last_timestamp: int,
    recorded_at: int,
) -> int:
    batch_id = head.batch_id + 1
    tx.seal(
        BatchSeal(
            batch_id=batch_id,
            kind=kind,
            previous_hash=head.hash,
            hash=batch_hash(head.hash, batch_id, digests),
            first_timestamp=first_timestamp,
            last_timestamp=last_timestamp,
            record_count=len(digests),
            recorded_at=recorded_at,
        )
    )
    tx.add_outbox(batch_sealed(batch_id, kind, first_timestamp, last_timestamp, len(digests)))
    return batch_id
