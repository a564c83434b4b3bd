"""A transfer batch in two halves: prepare (reads and pure work) and write (one transaction).

``prepare_transfers`` reads what the batch touches, runs the state machine and turns the
effects into a ``PreparedTransfers``: results, the adapter's write plan, the seal and the head
it expects to extend. Nothing in it refers to the account objects the next batch mutates.

Prepared on top of a batch still committing, the reads go to the database *and* to that
batch's ``Overlay`` (the transfers, failures and resolutions it is writing): a commit landing
between two reads is then seen in one or the other, never missed. The commit checks, under the
head lock, that the head is still the one the plan extends; if another process wrote meanwhile
it raises ``StaleHead`` and nothing is written (see writer.py for what happens next).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from bankstack.kernel.clock import NS_PER_SECOND, Clock
from bankstack.kernel.events import OutboxRecord
from bankstack.ledger.cache import AccountCache
from bankstack.ledger.domain import (
    PendingState,
    Snapshot,
    Transfer,
    TransferEffects,
    TransferFlags,
    TransferResult,
    TransferStateMachine,
    batch_hash,
    expiry_digest,
    transfer_digest,
)
from bankstack.ledger.events import batch_sealed
from bankstack.ledger.ports import (
    BatchSeal,
    JournalHead,
    LedgerBatch,
    LedgerReads,
    LedgerStore,
    WritePlan,
)

_RESOLVES = int(TransferFlags.POST_PENDING_TRANSFER | TransferFlags.VOID_PENDING_TRANSFER)
EXPIRY_BATCH_MAX = 8190


class StaleHead(Exception):
    """The journal head moved since the batch was prepared: it must be prepared again."""


@dataclass(frozen=True, slots=True)
class Overlay:
    """What a batch in flight writes, as the next batch's reads must see it."""

    transfers: Mapping[int, Transfer] = field(default_factory=dict)
    failures: Mapping[int, str] = field(default_factory=dict)
    resolved: Mapping[int, PendingState] = field(default_factory=dict)
    timeouts: Mapping[int, int] = field(default_factory=dict)  # pending id -> expires_at
    removed: frozenset[int] = frozenset()

    @classmethod
    def of(cls, effects: TransferEffects) -> Overlay:
        return cls(
            transfers={t.id: t for t in effects.transfers},
            failures={i: str(code) for i, code, _ in effects.failures},
            resolved={r.pending_id: r.state for r in effects.resolutions},
            timeouts=dict(effects.timeouts_added),
            removed=frozenset(effects.timeouts_removed),
        )


NOTHING_IN_FLIGHT = Overlay()


@dataclass(frozen=True, slots=True)
class PreparedTransfers:
    expected: JournalHead  # the head this batch extends
    head_after: JournalHead
    results: list[list[TransferResult]]
    plan: WritePlan | None = None
    seal: BatchSeal | None = None
    outbox: OutboxRecord | None = None
    advance_to: int = 0  # last timestamp consumed when nothing is sealed
    overlay: Overlay = NOTHING_IN_FLIGHT

    @property
    def writes_anything(self) -> bool:
        return self.plan is not None or self.advance_to > 0


def prepare_transfers(
    reads: LedgerReads,
    store: LedgerStore,
    head: JournalHead,
    cache: AccountCache,
    submissions: Sequence[Sequence[Transfer]],
    clock: Clock,
    *,
    in_flight: Overlay | None = None,
) -> PreparedTransfers:
    """Validate and plan a batch extending ``head``.

    With ``in_flight`` (pipelined) the cache is trusted as it is: it already holds the effects
    of the batch in flight. Without it, ``head`` was read under the head lock and the cache is
    kept only if it was valid at that head.
    """
    base_timestamp = max(clock.now_ns(), head.last_timestamp + 1)
    overlay = in_flight or NOTHING_IN_FLIGHT
    due = _due(reads, base_timestamp, overlay)
    snapshot = _load_snapshot(reads, cache, None if in_flight else head, submissions, due, overlay)
    machine = TransferStateMachine(snapshot, base_timestamp)
    machine.expire(due)
    results = [machine.run(submission) for submission in submissions]
    return _plan(store, head, machine.effects, results, clock)


def write_prepared(tx: LedgerBatch, prepared: PreparedTransfers) -> None:
    if prepared.plan is not None:
        tx.write_plan(prepared.plan)
    if prepared.seal is not None and prepared.outbox is not None:
        tx.seal(prepared.seal)
        tx.add_outbox(prepared.outbox)
    elif prepared.advance_to:  # refused events still took their timestamps
        tx.advance_head(prepared.advance_to)


def commit_prepared(store: LedgerStore, prepared: PreparedTransfers) -> None:
    """Write a batch prepared ahead of its transaction, if the head is still what it extends."""
    with store.batch() as tx:
        head = tx.lock_head()
        if head != prepared.expected:
            msg = f"head is batch {head.batch_id}, the plan extends {prepared.expected.batch_id}"
            raise StaleHead(msg)
        write_prepared(tx, prepared)
        tx.commit()


def _plan(
    store: LedgerStore,
    head: JournalHead,
    effects: TransferEffects,
    results: list[list[TransferResult]],
    clock: Clock,
) -> PreparedTransfers:
    overlay = Overlay.of(effects)
    advanced = replace(head, last_timestamp=max(head.last_timestamp, effects.last_timestamp))
    if not (effects.transfers or effects.resolutions or effects.failures):
        return PreparedTransfers(
            head, advanced, results, advance_to=effects.last_timestamp, overlay=overlay
        )
    expiries = [r for r in effects.resolutions if r.state is PendingState.EXPIRED]
    expiry_digests = [expiry_digest(r) for r in expiries]
    digests = [transfer_digest(t) for t in effects.transfers]
    batch_id = head.batch_id + 1
    plan = store.plan_transfers(effects, digests, expiry_digests, batch_id)
    if not (digests or expiry_digests):  # only failures: recorded, nothing sealed
        return PreparedTransfers(
            head, advanced, results, plan, advance_to=effects.last_timestamp, overlay=overlay
        )
    records = expiry_digests + digests  # expiries take the first timestamps: time order
    seal = BatchSeal(
        batch_id=batch_id,
        kind="transfers",
        previous_hash=head.hash,
        hash=batch_hash(head.hash, batch_id, records),
        first_timestamp=effects.first_timestamp,
        last_timestamp=effects.last_timestamp,
        record_count=len(records),
        recorded_at=clock.now_ns(),
    )
    outbox = batch_sealed(
        batch_id, "transfers", seal.first_timestamp, seal.last_timestamp, len(records)
    )
    after = JournalHead(batch_id, seal.hash, seal.last_timestamp)
    return PreparedTransfers(head, after, results, plan, seal, outbox, overlay=overlay)


def _due(reads: LedgerReads, now: int, overlay: Overlay) -> list[Transfer]:
    """Pending transfers to expire first: the database's, less what the batch in flight
    resolves, plus what it opens that is already due."""
    due = [t for t in reads.due_pending(now, EXPIRY_BATCH_MAX) if t.id not in overlay.removed]
    if overlay.timeouts:
        seen = {t.id for t in due}
        due += [
            overlay.transfers[i]
            for i, at in overlay.timeouts.items()
            if at <= now and i not in overlay.removed and i not in seen
        ]
        due.sort(key=lambda t: (t.timestamp + t.timeout * NS_PER_SECOND, t.id))
    return due[:EXPIRY_BATCH_MAX]


def _load_snapshot(
    reads: LedgerReads,
    cache: AccountCache,
    head: JournalHead | None,
    submissions: Sequence[Sequence[Transfer]],
    due: Sequence[Transfer],
    overlay: Overlay,
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
    lookup = ids | pending_ids
    known = reads.transfers(lookup)
    known.update((i, t) for i, t in overlay.transfers.items() if i in lookup)
    for p in (*due, *(known[i] for i in pending_ids if i in known)):
        account_ids.add(p.debit_account_id)
        account_ids.add(p.credit_account_id)
    for t in due:
        known[t.id] = t
    account_ids.discard(0)
    failed = reads.failed(ids)
    failed.update((i, code) for i, code in overlay.failures.items() if i in ids)
    states = reads.pending_states(pending_ids)
    states.update(overlay.resolved)
    return Snapshot(
        accounts=cache.load(reads, account_ids, head),
        transfers=known,
        failed=failed,
        pending_states=states,
    )
