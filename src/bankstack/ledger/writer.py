"""Group commit: many callers, one writer thread, batches of up to ``batch_max`` events.

Callers hand a submission to ``submit_*`` and get a future. The writer thread takes every
submission waiting (of one kind, up to ``batch_max`` events), applies them as one batch in one
database transaction, and only after the commit resolves each caller's future with its own
results. While a batch commits, new submissions queue up and form the next batch, so load
makes batches larger instead of making callers wait in line: a hot account costs one row
update per batch, not one per transfer.

When idle, the writer wakes at the next pending transfer's expiry and runs an expiry-only
batch. Transient database conflicts (possible when several processes write) retry the whole
batch; anything else fails that batch's callers with ``LedgerUnavailable``, having written
nothing, and they may resubmit safely because every event carries its own id.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from bankstack.kernel.clock import NS_PER_SECOND, Clock
from bankstack.ledger.domain import Account, AccountResult, Transfer, TransferResult
from bankstack.ledger.errors import BatchTooLarge, LedgerUnavailable
from bankstack.ledger.ports import LedgerStore
from bankstack.ledger.service import AccountCache, apply_account_batch, apply_transfer_batch

BATCH_MAX = 8190
_ACCOUNTS, _TRANSFERS = "accounts", "transfers"


@dataclass(slots=True)
class _Submission:
    kind: str
    events: Sequence[Any]
    future: Future[Any] = field(default_factory=Future)


class GroupCommitWriter:
    def __init__(
        self,
        store: LedgerStore,
        clock: Clock,
        *,
        batch_max: int = BATCH_MAX,
        batch_window_s: float = 0.0,
        expiry_interval_s: float = 1.0,
        max_retries: int = 20,
        on_batch: Callable[[str, int, float], None] | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._batch_max = batch_max
        self._batch_window_s = batch_window_s
        self._expiry_interval_s = expiry_interval_s
        self._max_retries = max_retries
        self._on_batch = on_batch
        self._cache = AccountCache()
        self._queue: deque[_Submission] = deque()
        self._wakeup = threading.Condition()
        self._running = False
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="ledger-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish what is queued, then stop."""
        with self._wakeup:
            self._running = False
            self._wakeup.notify()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    # -- submissions -------------------------------------------------------------------------

    def submit_accounts(self, accounts: Sequence[Account]) -> Future[list[AccountResult]]:
        return self._submit(_ACCOUNTS, accounts)

    def submit_transfers(self, transfers: Sequence[Transfer]) -> Future[list[TransferResult]]:
        return self._submit(_TRANSFERS, transfers)

    def create_accounts(self, accounts: Sequence[Account]) -> list[AccountResult]:
        return self.submit_accounts(accounts).result()

    def create_transfers(self, transfers: Sequence[Transfer]) -> list[TransferResult]:
        return self.submit_transfers(transfers).result()

    def _submit(self, kind: str, events: Sequence[Any]) -> Future[Any]:
        if len(events) > self._batch_max:
            msg = f"at most {self._batch_max} events per submission, got {len(events)}"
            raise BatchTooLarge(msg, limit=self._batch_max, count=len(events))
        submission = _Submission(kind, events)
        if not events:
            submission.future.set_result([])
            return submission.future
        with self._wakeup:
            if not self._running:
                raise LedgerUnavailable("the ledger writer is not running")
            self._queue.append(submission)
            self._wakeup.notify()
        return submission.future

    # -- the writer thread -------------------------------------------------------------------

    def _loop(self) -> None:
        # Start warm; if the database is unreachable now, batches fetch what they need later.
        with contextlib.suppress(Exception):
            self._cache.prime(self._store)
        while True:
            with self._wakeup:
                if not self._queue:
                    if not self._running:
                        return
                    self._wakeup.wait(self._idle_wait())
                if self._batch_window_s and self._queue:
                    self._wait_for_more()
                batch = self._take_batch()
            if batch:
                self._run(batch)
            else:
                self._expire_if_due()

    def _wait_for_more(self) -> None:
        """Hold the batch open up to the window while it is not full (lock held by caller)."""
        deadline = self._clock.now_ns() + int(self._batch_window_s * NS_PER_SECOND)
        while self._running and sum(len(s.events) for s in self._queue) < self._batch_max:
            remaining = (deadline - self._clock.now_ns()) / NS_PER_SECOND
            if remaining <= 0:
                return
            self._wakeup.wait(remaining)

    def _idle_wait(self) -> float:
        next_expiry = self._store.next_expiry()
        if next_expiry is None:
            return self._expiry_interval_s
        wait = (next_expiry - self._clock.now_ns()) / NS_PER_SECOND
        return min(max(wait, 0.001), self._expiry_interval_s)

    def _take_batch(self) -> list[_Submission]:
        if not self._queue:
            return []
        kind = self._queue[0].kind
        batch: list[_Submission] = []
        size = 0
        while self._queue and self._queue[0].kind == kind:
            if size + len(self._queue[0].events) > self._batch_max:
                break
            submission = self._queue.popleft()
            size += len(submission.events)
            batch.append(submission)
        return batch

    def _run(self, batch: list[_Submission]) -> None:
        events = [s.events for s in batch]
        apply: Callable[..., list[Any]]
        apply = apply_account_batch if batch[0].kind == _ACCOUNTS else apply_transfer_batch
        started = self._clock.now_ns()
        try:
            results = self._with_retries(
                lambda: apply(self._store, self._clock, events, self._cache)
            )
        except Exception as error:  # noqa: BLE001 - every caller must hear of it
            failure = LedgerUnavailable(f"batch not applied: {error}")
            for submission in batch:
                _settle(submission.future, exception=failure)
            return
        for submission, result in zip(batch, results, strict=True):
            _settle(submission.future, result=result)
        if self._on_batch is not None:
            elapsed = (self._clock.now_ns() - started) / NS_PER_SECOND
            self._on_batch(batch[0].kind, sum(len(e) for e in events), elapsed)

    def _expire_if_due(self) -> None:
        next_expiry = self._store.next_expiry()
        if next_expiry is not None and next_expiry <= self._clock.now_ns():
            # A failure here is retried at the next wake-up; callers are not waiting on it.
            with contextlib.suppress(Exception):
                self._with_retries(
                    lambda: apply_transfer_batch(self._store, self._clock, [], self._cache)
                )

    def _with_retries(self, attempt: Callable[[], list[Any]]) -> list[Any]:
        for _ in range(self._max_retries):
            try:
                return attempt()
            except Exception as error:
                if not self._store.is_retryable(error):
                    raise
        return attempt()


def _settle(
    future: Future[Any], *, result: Any = None, exception: BaseException | None = None
) -> None:
    """Resolve a caller's future; a caller that gave up (cancelled) must not stop the writer.

    The batch is committed either way: a cancelled caller only loses the answer, and a retry
    with the same ids answers ``exists``.
    """
    if not future.set_running_or_notify_cancel():
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)
