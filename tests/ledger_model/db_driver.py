"""A driver that runs the model test against the real ledger service and database.

It calls the use cases directly (``apply_account_batch`` / ``apply_transfer_batch``), one
submission per call, with a manual clock the test moves, so every step is deterministic. Each
driver gets a database of its own (timestamps are compared with the model's, so the journal
must start empty): a copy of a migrated SQLite file, or a PostgreSQL database cloned from a
migrated template.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import text

from bankstack.kernel.clock import ManualClock
from bankstack.ledger.adapters.factory import open_ledger_store
from bankstack.ledger.adapters.reads import SqlLedgerReader
from bankstack.ledger.domain import Account, Transfer
from bankstack.ledger.service import AccountCache, apply_account_batch, apply_transfer_batch
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
