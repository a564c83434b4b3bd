"""Ledger use cases: apply one batch of account creations or transfers atomically.

Each function owns one database transaction (``store.batch()``): lock the journal head (which
serialises batches across processes and extends the hash chain), read what the batch touches,
run the pure state machine, write its effects with set-based SQL (the balance update locks the
touched accounts in id order), seal the batch into the hash chain with one outbox record
naming it, then commit. Nothing is answered before the commit returns, so every ``ok`` is
durable. The pipelined writer splits the transfer case in two (batches.py); this is the path
it falls back to, and the one every process can always take.
"""

from __future__ import annotations

from collections.abc import Sequence

from bankstack.kernel.clock import Clock
from bankstack.ledger.batches import prepare_transfers, write_prepared
from bankstack.ledger.cache import AccountCache
from bankstack.ledger.domain import (
    Account,
    AccountResult,
    AccountStateMachine,
    Transfer,
    TransferResult,
    account_digest,
    batch_hash,
)
from bankstack.ledger.events import batch_sealed
from bankstack.ledger.ports import BatchSeal, JournalHead, LedgerBatch, LedgerStore


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
            existing = cache.load(tx, ids, head)
            machine = AccountStateMachine(existing, max(clock.now_ns(), head.last_timestamp + 1))
            results = [machine.run(submission) for submission in submissions]
            new_head = _write_accounts(tx, head, machine, clock)
            tx.commit()
    except BaseException:
        cache.invalidate()
        raise
    cache.accounts.update((a.id, a) for a in machine.effects.created)
    cache.head = new_head
    return results


def _write_accounts(
    tx: LedgerBatch, head: JournalHead, machine: AccountStateMachine, clock: Clock
) -> JournalHead:
    effects = machine.effects
    if not effects.created:
        if not effects.last_timestamp:
            return head
        tx.advance_head(effects.last_timestamp)  # every event took a timestamp
        return JournalHead(head.batch_id, head.hash, effects.last_timestamp)
    digests = [account_digest(a) for a in effects.created]
    batch_id = head.batch_id + 1
    tx.write_accounts(effects, digests, batch_id)
    seal = BatchSeal(
        batch_id=batch_id,
        kind="accounts",
        previous_hash=head.hash,
        hash=batch_hash(head.hash, batch_id, digests),
        first_timestamp=effects.first_timestamp,
        last_timestamp=effects.last_timestamp,
        record_count=len(digests),
        recorded_at=clock.now_ns(),
    )
    tx.seal(seal)
    tx.add_outbox(
        batch_sealed(batch_id, "accounts", seal.first_timestamp, seal.last_timestamp, len(digests))
    )
    return JournalHead(batch_id, seal.hash, seal.last_timestamp)


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
            prepared = prepare_transfers(tx, store, head, cache, submissions, clock)
            if prepared.writes_anything:
                write_prepared(tx, prepared)
                tx.commit()
    except BaseException:
        cache.invalidate()
        raise
    cache.head = prepared.head_after
    return prepared.results
