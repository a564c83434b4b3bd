"""Group commit: many callers, one writer thread, batches of up to ``batch_max`` events.

Callers hand a submission to ``submit_*`` and get a future. The writer thread takes every
submission waiting (of one kind, up to ``batch_max`` events), applies them as one batch in one
database transaction, and only after the commit resolves each caller's future with its own
results. While a batch commits, new submissions queue up and form the next batch, so load
makes batches larger instead of making callers wait in line: a hot account costs one row
update per batch, not one per transfer.

Pipelined (the default for transfers): while batch N commits on the committer thread, the
writer thread prepares N+1 (reads, state machine, digests, write plan) on top of N's effects
(batches.py), then waits for N and hands N+1 to the committer. The committer answers N's
callers as soon as N is durable. If N fails, or the head moved because another process wrote,
the cache is emptied, N and then N+1 are applied again the plain way (one locked transaction
each, service.py), and pipelining resumes from there. Account batches, expiry-only batches
and batches after a failure always take the plain way.

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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bankstack.kernel.clock import NS_PER_SECOND, Clock
from bankstack.ledger.batches import (
    NOTHING_IN_FLIGHT,
    PreparedTransfers,
    StaleHead,
    commit_prepared,
    prepare_transfers,
)
from bankstack.ledger.cache import AccountCache
from bankstack.ledger.domain import Account, AccountResult, Transfer, TransferResult
from bankstack.ledger.errors import BatchTooLarge, LedgerUnavailable
from bankstack.ledger.ports import LedgerStore
from bankstack.ledger.service import apply_account_batch, apply_transfer_batch

BATCH_MAX = 8190
_ACCOUNTS, _TRANSFERS, _EXPIRE = "accounts", "transfers", "expire"


@dataclass(slots=True)
class _Submission:
    kind: str
    events: Sequence[Any]
    future: Future[Any] = field(default_factory=Future)


@dataclass(slots=True)
class _InFlight:
    batch: list[_Submission]
    prepared: PreparedTransfers
    committed: Future[None]


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
        pipeline: bool = True,
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
        self._pipeline = pipeline
        self._committer: ThreadPoolExecutor | None = None
        self._in_flight: _InFlight | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._running = True
        if self._pipeline:
            self._committer = ThreadPoolExecutor(1, thread_name_prefix="ledger-committer")
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
        if self._committer is not None:
            self._committer.shutdown(wait=True)
            self._committer = None

    # -- submissions -------------------------------------------------------------------------

    def submit_accounts(self, accounts: Sequence[Account]) -> Future[list[AccountResult]]:
        return self._submit(_ACCOUNTS, accounts)

    def submit_transfers(self, transfers: Sequence[Transfer]) -> Future[list[TransferResult]]:
        return self._submit(_TRANSFERS, transfers)

    def create_accounts(self, accounts: Sequence[Account]) -> list[AccountResult]:
        return self.submit_accounts(accounts).result()

    def create_transfers(self, transfers: Sequence[Transfer]) -> list[TransferResult]:
        return self.submit_transfers(transfers).result()

    def expire_due(self) -> Future[None]:
        """Expire what is due now, without waiting for the idle timer; resolves when done."""
        return self._enqueue(_Submission(_EXPIRE, ()))

    def _submit(self, kind: str, events: Sequence[Any]) -> Future[Any]:
        if len(events) > self._batch_max:
            msg = f"at most {self._batch_max} events per submission, got {len(events)}"
            raise BatchTooLarge(msg, limit=self._batch_max, count=len(events))
        submission = _Submission(kind, events)
        if not events:
            submission.future.set_result([])
            return submission.future
        return self._enqueue(submission)

    def _enqueue(self, submission: _Submission) -> Future[Any]:
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
        while (batch := self._next_batch()) is not None:
            if not batch:
                self._expire_if_due()
            elif batch[0].kind == _EXPIRE:
                self._drain()
                self._expire_if_due()
                for submission in batch:
                    _settle(submission.future, result=None)
            elif batch[0].kind == _TRANSFERS and self._can_pipeline():
                self._run_pipelined(batch)
            else:
                self._drain()
                self._run(batch)
        self._drain()

    def _next_batch(self) -> list[_Submission] | None:
        """The next batch; [] when woken with nothing queued; None when stopped and empty."""
        with self._wakeup:
            if self._queue:
                if self._batch_window_s:
                    self._wait_for_more()
                return self._take_batch()
        self._drain()  # nothing queued: finish the batch in flight before sleeping
        with self._wakeup:
            if not self._queue:
                if not self._running:
                    return None
                self._wakeup.wait(self._idle_wait())
            if self._batch_window_s and self._queue:
                self._wait_for_more()
            return self._take_batch()

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

    # -- the pipeline ------------------------------------------------------------------------

    def _can_pipeline(self) -> bool:
        return (
            self._committer is not None and self._cache.head is not None and not (self._cache.full)
        )

    def _run_pipelined(self, batch: list[_Submission]) -> None:
        """Prepare ``batch`` on top of the batch in flight, then hand it to the committer."""
        in_flight = self._in_flight
        head = in_flight.prepared.head_after if in_flight else self._cache.head
        assert head is not None  # noqa: S101 - _can_pipeline checked it
        overlay = in_flight.prepared.overlay if in_flight else NOTHING_IN_FLIGHT
        try:
            with self._store.reads() as reads:
                prepared = prepare_transfers(
                    reads,
                    self._store,
                    head,
                    self._cache,
                    [s.events for s in batch],
                    self._clock,
                    in_flight=overlay,
                )
        except Exception:  # noqa: BLE001 - a failed read: the plain way reports or retries it
            self._drain()
            self._cache.invalidate()
            self._run(batch)
            return
        if not self._drain():  # the batch in flight did not commit: this plan is void
            self._cache.invalidate()
            self._run(batch)
            return
        assert self._committer is not None  # noqa: S101 - _can_pipeline checked it
        started = self._clock.now_ns()
        committed = self._committer.submit(self._commit, batch, prepared, started)
        self._in_flight = _InFlight(batch, prepared, committed)

    def _commit(self, batch: list[_Submission], prepared: PreparedTransfers, started: int) -> None:
        """On the committer thread: write, then answer the callers at once."""
        if prepared.writes_anything:
            commit_prepared(self._store, prepared)
        for submission, result in zip(batch, prepared.results, strict=True):
            _settle(submission.future, result=result)
        if self._on_batch is not None:
            elapsed = (self._clock.now_ns() - started) / NS_PER_SECOND
            self._on_batch(_TRANSFERS, sum(len(s.events) for s in batch), elapsed)

    def _drain(self) -> bool:
        """Wait for the batch in flight; True when it committed as prepared.

        Otherwise its plan (and the cache it was prepared with) is void: apply it again the
        plain way when it may still succeed (the head moved, a transient conflict), or fail
        its callers, who may resubmit safely.
        """
        in_flight, self._in_flight = self._in_flight, None
        if in_flight is None:
            return True
        try:
            in_flight.committed.result()
        except Exception as error:  # noqa: BLE001 - every caller must hear of it
            self._cache.invalidate()
            if isinstance(error, StaleHead) or self._store.is_retryable(error):
                self._run(in_flight.batch)
            else:
                failure = LedgerUnavailable(f"batch not applied: {error}")
                for submission in in_flight.batch:
                    _settle(submission.future, exception=failure)
            return False
        self._cache.head = in_flight.prepared.head_after
        return True

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
