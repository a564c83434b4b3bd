"""The writer's account cache: balances it wrote itself need not be read back.

It is valid only at the journal head it was last brought to: a batch sealed by any other
process moves the head and empties it, and so does any failure (the state machine mutates
cached accounts in place, so a batch that did not commit leaves them wrong).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from bankstack.ledger.domain import Account
from bankstack.ledger.ports import JournalHead, LedgerReads, LedgerStore

CACHE_MAX = 1_000_000


@dataclass(slots=True)
class AccountCache:
    accounts: dict[int, Account] = field(default_factory=dict)
    head: JournalHead | None = None  # the head the cached balances are valid at

    def load(
        self, reads: LedgerReads, ids: AbstractSet[int], head: JournalHead | None
    ) -> dict[int, Account]:
        """The accounts of ``ids``, from the cache where possible.

        ``head``: the head read under the lock; the cache is emptied unless it is valid there.
        None: the caller vouches for the cache (it holds a batch still committing).
        """
        if head is not None and (self.head is None or head.batch_id != self.head.batch_id):
            self.accounts.clear()
        cached = self.accounts
        loaded = reads.fetch_accounts([i for i in ids if i not in cached])
        cached.update(loaded)
        return {i: cached[i] for i in ids if i in cached}

    @property
    def full(self) -> bool:
        return len(self.accounts) > CACHE_MAX

    def prime(self, store: LedgerStore, limit: int = 200_000) -> int:
        """Load every account (when there are at most ``limit``), valid at the current head,
        so that a new writer starts warm instead of fetching accounts batch by batch."""
        with store.batch() as tx:
            head = tx.lock_head()
            accounts = tx.all_accounts(limit)
        if accounts is None:
            return 0
        self.accounts = accounts
        self.head = head
        return len(accounts)

    def invalidate(self) -> None:
        self.accounts.clear()
        self.head = None
