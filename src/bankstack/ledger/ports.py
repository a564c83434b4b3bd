"""What the ledger service needs from storage, as Protocols; adapters/ implements them."""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from bankstack.kernel.events import OutboxRecord
from bankstack.ledger.domain import (
    Account,
    AccountEffects,
    PendingState,
    Transfer,
    TransferEffects,
)


@dataclass(frozen=True, slots=True)
class JournalHead:
    batch_id: int
    hash: bytes
    last_timestamp: int


@dataclass(frozen=True, slots=True)
class BatchSeal:
    """The new link of the hash chain a batch writes."""

    batch_id: int
    kind: str
    previous_hash: bytes
    hash: bytes
    first_timestamp: int
    last_timestamp: int
    record_count: int
    recorded_at: int


class LedgerReads(Protocol):
    """What preparing a batch reads: keyed lookups, no locks.

    Inside a batch transaction these see the state under the head lock; on the separate read
    connection of ``LedgerStore.reads()`` they see what was committed when each statement ran.
    """

    def fetch_accounts(self, ids: Collection[int]) -> dict[int, Account]:
        """The accounts of ``ids`` that exist.

        No lock is taken here: the head lock already keeps every balance of the batch from
        changing under it, and adapters take the touched accounts' row locks in id order when
        they write them."""
        ...

    def transfers(self, ids: Collection[int]) -> dict[int, Transfer]: ...
    def failed(self, ids: Collection[int]) -> dict[int, str]: ...
    def pending_states(self, ids: Collection[int]) -> dict[int, PendingState]: ...
    def due_pending(self, now: int, limit: int) -> list[Transfer]:
        """Pending transfers whose timeout is at or before ``now``, earliest first."""
        ...


class WritePlan(Protocol):
    """A batch's writes in the adapter's own wire form (COPY text, array literals, rows).

    Built from the effects before the transaction, so that it holds no reference to the
    account objects the next batch's state machine mutates."""

    @property
    def batch_id(self) -> int: ...


class LedgerBatch(LedgerReads, Protocol):
    """One batch's database transaction; rolled back unless ``commit()`` is reached."""

    def lock_head(self) -> JournalHead: ...
    def all_accounts(self, limit: int) -> dict[int, Account] | None:
        """Every account, or None when there are more than ``limit``."""
        ...

    def write_accounts(
        self, effects: AccountEffects, digests: list[bytes], batch_id: int
    ) -> None: ...
    def write_plan(self, plan: WritePlan) -> None: ...
    def add_outbox(self, record: OutboxRecord) -> None: ...
    def seal(self, seal: BatchSeal) -> None: ...
    def advance_head(self, last_timestamp: int) -> None:
        """Record timestamps a batch consumed without sealing anything (all events failed)."""
        ...

    def commit(self) -> None: ...


class LedgerStore(Protocol):
    def batch(self) -> AbstractContextManager[LedgerBatch]:
        """Open a write transaction for one batch."""
        ...

    def reads(self) -> AbstractContextManager[LedgerReads]:
        """Reads on a connection of their own, outside any batch: what the pipelined writer
        prepares the next batch with while the current one commits."""
        ...

    def plan_transfers(
        self,
        effects: TransferEffects,
        digests: list[bytes],
        expiry_digests: list[bytes],
        batch_id: int,
    ) -> WritePlan:
        """Turn a batch's effects into the adapter's writes; pure, no I/O."""
        ...

    def next_expiry(self) -> int | None:
        """The earliest instant a pending transfer expires, or None."""
        ...

    def is_retryable(self, error: BaseException) -> bool:
        """True when ``error`` is a transient conflict (deadlock, serialization, lost lock)."""
        ...

    def close(self) -> None: ...
