"""A driver that runs the model test against the real ledger service and database.

It calls the use cases directly (``apply_account_batch`` / ``apply_transfer_batch``), one
submission per call, with a manual clock the test moves, so every step is deterministic. Each
driver gets a database of its own (timestamps are compared with the model's, so the journal
must start empty): a copy of a migrated SQLite file, or a PostgreSQL database cloned from a
migrated template.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text

from bankstack.kernel.clock import ManualClock
from bankstack.ledger.adapters.factory import open_ledger_store
from bankstack.ledger.adapters.reads import SqlLedgerReader
from bankstack.ledger.cache import AccountCache
from bankstack.ledger.domain import Account, Transfer, TransferFlags
from bankstack.ledger.ports import LedgerBatch, LedgerStore
from bankstack.ledger.service import apply_account_batch, apply_transfer_batch
from bankstack.ledger.writer import GroupCommitWriter
from bankstack.platform.database import make_engine


class DbDriver:
    def __init__(self, url: str, on_close: Callable[[], None] = lambda: None) -> None:
        self._clock = ManualClock(0)
        self._store = open_ledger_store(url)
        self._engine = make_engine(url)
        self._reader = SqlLedgerReader(self._engine)
        self._cache = AccountCache()
        self._last_expiry = 0
        self._on_close = on_close

    @property
    def now_ns(self) -> int:
        return self._clock.now_ns()

    @now_ns.setter
    def now_ns(self, value: int) -> None:
        self._clock.set(value)

    def create_accounts(self, accounts: Sequence[Account]) -> list[str]:
        if not accounts:
            return []
        [results] = apply_account_batch(self._store, self._clock, [accounts], self._cache)
        return [str(r) for r in results]

    def create_transfers(self, transfers: Sequence[Transfer]) -> list[str]:
        if not transfers:
            return []
        [results] = apply_transfer_batch(self._store, self._clock, [transfers], self._cache)
        return [str(r) for r in results]

    def expire(self, now_ns: int) -> list[int]:
        self._clock.set(max(self.now_ns, now_ns))
        apply_transfer_batch(self._store, self._clock, [], self._cache)
        return self._expired_since_last()

    def _expired_since_last(self) -> list[int]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT pending_id, timestamp FROM ledger_pending_resolutions"
                    " WHERE state = 3 AND timestamp > :after ORDER BY timestamp"
                ),
                {"after": self._last_expiry},
            ).all()
        if rows:
            self._last_expiry = rows[-1][1]
        return [self._reader.decode(r[0]) for r in rows]

    def account(self, account_id: int) -> Account | None:
        return self._reader.account(account_id)

    def transfer(self, transfer_id: int) -> Transfer | None:
        found = self._reader.transfer(transfer_id)
        return None if found is None else found[0]

    def close(self) -> None:
        self._store.close()
        self._engine.dispose()
        self._on_close()


class PipelinedDbDriver(DbDriver):
    """The same comparison through the group-commit writer with its pipeline on.

    Each submission is cut at linked-chain boundaries (which leaves its results unchanged: a
    chain is the unit of all-or-nothing, and a trailing open chain stays last) and the parts
    are submitted back to back without waiting, with a small batch limit, so that batch N+1 is
    prepared while batch N commits and must read N's effects from the overlay.
    """

    BATCH_MAX = 8  # above the largest step (6 events), below most steps' sum of parts
    COMMIT_DELAY_S = 0.01  # holds each commit open while the next batch is prepared

    def __init__(self, url: str, on_close: Callable[[], None] = lambda: None) -> None:
        super().__init__(url, on_close)
        self._writer = GroupCommitWriter(
            SlowCommitStore(self._store, self.COMMIT_DELAY_S),
            self._clock,
            batch_max=self.BATCH_MAX,
            expiry_interval_s=3600,
        )
        self._writer.start()

    def create_accounts(self, accounts: Sequence[Account]) -> list[str]:
        futures = [self._writer.submit_accounts(part) for part in _parts(accounts, self.BATCH_MAX)]
        return [str(r) for f in futures for r in f.result(timeout=60)]

    def create_transfers(self, transfers: Sequence[Transfer]) -> list[str]:
        parts = _chain_parts(transfers)
        if any(len(p) > self.BATCH_MAX for p in parts):  # a chain longer than a batch
            return [str(r) for r in self._writer.submit_transfers(transfers).result(60)]
        futures = []
        for part in parts:
            futures.append(self._writer.submit_transfers(part))
            self._until_taken()  # one part per batch: the next is prepared while this commits
        return [str(r) for f in futures for r in f.result(timeout=60)]

    def _until_taken(self) -> None:
        deadline = time.monotonic() + 5
        while self._writer._queue and time.monotonic() < deadline:
            time.sleep(0.0002)

    def expire(self, now_ns: int) -> list[int]:
        self._clock.set(max(self.now_ns, now_ns))
        self._writer.expire_due().result(timeout=60)
        return self._expired_since_last()

    def close(self) -> None:
        self._writer.stop()
        super().close()


def _parts(items: Sequence[Account], size: int) -> list[Sequence[Account]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _chain_parts(transfers: Sequence[Transfer]) -> list[Sequence[Transfer]]:
    parts: list[Sequence[Transfer]] = []
    start = 0
    for i, t in enumerate(transfers):
        if not t.flags & TransferFlags.LINKED:
            parts.append(transfers[start : i + 1])
            start = i + 1
    if start < len(transfers):
        parts.append(transfers[start:])
    return parts


class SlowCommitStore:
    """A store whose transactions wait before committing, so that the next batch is prepared
    (and reads the database) while this one is still uncommitted: only the overlay can tell
    it what the batch in flight wrote."""

    def __init__(self, store: LedgerStore, delay_s: float) -> None:
        self._store = store
        self._delay_s = delay_s

    @contextmanager
    def batch(self) -> Iterator[LedgerBatch]:
        with self._store.batch() as tx:
            commit = tx.commit

            def slow_commit() -> None:
                time.sleep(self._delay_s)
                commit()

            tx.commit = slow_commit  # type: ignore[method-assign]
            yield tx

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)
