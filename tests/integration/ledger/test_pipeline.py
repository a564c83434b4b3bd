"""The pipelined writer when the batch in flight does not commit as prepared.

Batch N+1 is prepared on top of N's effects while N commits. Each test makes N's commit go
wrong after N+1 was prepared, and checks that N+1 is prepared again from what the database
really holds: never committed on effects that did not happen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine

from bankstack.kernel.clock import SystemClock
from bankstack.kernel.ids import new_id
from bankstack.ledger import (
    Account,
    AccountResult,
    LedgerUnavailable,
    Transfer,
    TransferFlags,
    TransferResult,
)
from bankstack.ledger.adapters.factory import open_ledger_store
from bankstack.ledger.adapters.reads import SqlLedgerReader
from bankstack.ledger.ports import LedgerBatch, LedgerReads, LedgerStore
from bankstack.ledger.service import apply_transfer_batch
from bankstack.ledger.verify import verify_journal
from bankstack.ledger.writer import GroupCommitWriter
from bankstack.platform.database import make_engine
from bankstack.platform.migrations import upgrade

A = B = 0  # the fixture's two accounts
PENDING = int(TransferFlags.PENDING)
POST = int(TransferFlags.POST_PENDING_TRANSFER)


class Flaky(Exception):
    pass


class FaultyStore:
    """Delays every commit (so the next batch is prepared meanwhile), counts pipelined
    prepares, and runs ``before_next_batch`` once, before the next transaction opens."""

    def __init__(self, store: LedgerStore) -> None:
        self._store = store
        self.prepares = 0
        self.before_next_batch: Callable[[], None] | None = None
        self.retryable = False

    @contextmanager
    def batch(self) -> Iterator[LedgerBatch]:
        hook, self.before_next_batch = self.before_next_batch, None
        if hook is not None:
            hook()
        with self._store.batch() as tx:
            commit = tx.commit

            def slow_commit() -> None:
                time.sleep(0.05)
                commit()

            tx.commit = slow_commit  # type: ignore[method-assign]
            yield tx

    @contextmanager
    def reads(self) -> Iterator[LedgerReads]:
        self.prepares += 1
        with self._store.reads() as reads:
            yield reads

    def is_retryable(self, error: BaseException) -> bool:
        return (self.retryable and isinstance(error, Flaky)) or self._store.is_retryable(error)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


@pytest.fixture
def ledger(db_url: str) -> Iterator[tuple[FaultyStore, GroupCommitWriter, SqlLedgerReader, Engine]]:
    upgrade(db_url)
    store = FaultyStore(open_ledger_store(db_url))
    writer = GroupCommitWriter(store, SystemClock(), batch_max=1)
    writer.start()
    engine = make_engine(db_url)
    global A, B
    A, B = new_id(), new_id()
    accounts = [Account(id=A, ledger=1, code=1), Account(id=B, ledger=1, code=1)]
    for account in accounts:  # one event per submission (batch_max=1)
        assert writer.create_accounts([account]) == [AccountResult.OK]
    try:
        yield store, writer, SqlLedgerReader(engine), engine
    finally:
        writer.stop()
        store.close()
        engine.dispose()


P10, P11, P20, P21 = (new_id() for _ in range(4))


def _pending(transfer_id: int) -> Transfer:
    return Transfer(transfer_id, A, B, 5, ledger=1, code=1, flags=PENDING)


def _post(transfer_id: int, pending_id: int) -> Transfer:
    return Transfer(transfer_id, A, B, 5, pending_id=pending_id, ledger=1, code=1, flags=POST)


def _fail_next_commit(store: FaultyStore) -> None:
    def explode() -> None:
        raise Flaky("the database went away")

    store.before_next_batch = explode


def _submit_pipelined(writer: GroupCommitWriter, *submissions: list[Transfer]) -> list[Any]:
    """Queue every submission at once, under the writer's lock: with one transfer per batch
    (the fixture's ``batch_max=1``) the writer takes the first alone and finds the next one
    queued when it has handed the first to the committer, so the next is always prepared on
    top of the one in flight. (Submitting one by one raced the writer: when it looked for
    more before the next arrived, it finished the first batch first, and the scenario under
    test did not happen.)"""
    with writer._wakeup:
        return [writer.submit_transfers(submission) for submission in submissions]


def test_a_failed_commit_voids_the_batch_prepared_on_it(ledger) -> None:
    store, writer, reader, engine = ledger
    _fail_next_commit(store)
    first, second = _submit_pipelined(writer, [_pending(P10)], [_post(P11, P10)])
    with pytest.raises(LedgerUnavailable):
        first.result(timeout=30)
    # Prepared on the overlay the post would be ok; the pending transfer never committed.
    assert second.result(timeout=30) == [TransferResult.PENDING_TRANSFER_NOT_FOUND]
    assert store.prepares >= 2
    assert reader.transfer(P10) is None
    assert reader.transfer(P11) is None
    assert verify_journal(engine).ok


def test_a_transient_failure_applies_both_batches_the_plain_way(ledger) -> None:
    store, writer, reader, engine = ledger
    store.retryable = True
    _fail_next_commit(store)
    first, second = _submit_pipelined(writer, [_pending(P20)], [_post(P21, P20)])
    assert first.result(timeout=30) == [TransferResult.OK]
    assert second.result(timeout=30) == [TransferResult.OK]
    account = reader.account(B)
    assert account is not None
    assert (account.credits_pending, account.credits_posted) == (0, 5)
    assert verify_journal(engine).ok


def test_another_process_writing_in_between_makes_the_plan_stale(ledger) -> None:
    store, writer, reader, engine = ledger
    other = open_ledger_store(str(engine.url.render_as_string(hide_password=False)))

    def other_process_writes() -> None:
        transfer = Transfer(new_id(), A, B, 7, ledger=1, code=1)
        assert apply_transfer_batch(other, SystemClock(), [[transfer]]) == [[TransferResult.OK]]

    writer.create_transfers([Transfer(new_id(), A, B, 1, ledger=1, code=1)])  # warm: pipelined next
    store.before_next_batch = other_process_writes
    [result] = _submit_pipelined(writer, [Transfer(new_id(), A, B, 2, ledger=1, code=1)])
    assert result.result(timeout=30) == [TransferResult.OK]
    other.close()
    account = reader.account(A)
    assert account is not None
    assert account.debits_posted == 1 + 7 + 2  # no update lost to the stale plan
    assert verify_journal(engine).ok
