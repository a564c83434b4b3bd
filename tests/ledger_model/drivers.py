"""Drivers: one interface over every implementation of the ledger the model test checks.

A driver owns its ledger and its clock. The test moves ``now_ns`` forward; each call's first
timestamp is ``max(now_ns, last_timestamp + 1)`` and every event (accepted or not) and every
expiry takes the next one, the rule ``ReferenceLedger`` follows, so that timestamps, and with
them timeouts, line up between the two.

``PureDriver`` wraps the domain state machines. With ``persist="snapshot"`` it keeps one
``Snapshot`` across calls and lets the state machine mutate it in place; with
``persist="effects"`` every call runs on a throw-away copy of the store and only what the
state machine reports in its effects is written back, the way a database adapter does, so
the test also checks that the effects are complete.

A database-backed driver only has to satisfy ``LedgerDriver`` and be added to the factories
the model test is parametrised with.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from bankstack.ledger.domain import (
    Account,
    AccountStateMachine,
    PendingState,
    Snapshot,
    Transfer,
    TransferFlags,
    TransferStateMachine,
)

_PENDING = int(TransferFlags.PENDING)


class LedgerDriver(Protocol):
    now_ns: int
    """The clock the test controls (ns); it never moves backwards."""

    def create_accounts(self, accounts: Sequence[Account]) -> list[str]:
        """One submission; one result per event, ``"ok"`` included."""
        ...

    def create_transfers(self, transfers: Sequence[Transfer]) -> list[str]:
        """One submission; one result per event, ``"ok"`` included."""
        ...

    def expire(self, now_ns: int) -> list[int]:
        """Expire every pending transfer due by ``now_ns``; their ids, in expiry order."""
        ...

    def account(self, account_id: int) -> Account | None:
        """The account as stored (balances and flags included), or None."""
        ...

    def transfer(self, transfer_id: int) -> Transfer | None:
        """The transfer as recorded, or None."""
        ...


DriverFactory = Callable[[], LedgerDriver]


@dataclass
class _Store:
    accounts: dict[int, Account] = field(default_factory=dict)
    transfers: dict[int, Transfer] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)
    pending_states: dict[int, PendingState] = field(default_factory=dict)


class PureDriver:
    """The domain state machines over an in-memory store."""

    def __init__(self, persist: Literal["snapshot", "effects"] = "snapshot") -> None:
        self.persist = persist
        self.now_ns = 0
        self.last_timestamp = 0
        self.snapshot = Snapshot(accounts={}, transfers={})

    def _base(self) -> int:
        return max(self.now_ns, self.last_timestamp + 1)

    def _working_copy(self) -> Snapshot:
        if self.persist == "snapshot":
            return self.snapshot
        return copy.deepcopy(self.snapshot)

    # -- commands --------------------------------------------------------------------------

    def create_accounts(self, accounts: Sequence[Account]) -> list[str]:
        if not accounts:
            return []
        base = self._base()
        working = self._working_copy()
        machine = AccountStateMachine(working.accounts, base)
        results = machine.run([replace(a) for a in accounts])
        assert machine.effects.last_timestamp == base + len(accounts) - 1
        self.last_timestamp = machine.effects.last_timestamp
        if self.persist == "effects":
            for account in machine.effects.created:
                self.snapshot.accounts[account.id] = replace(account)
        return [str(r) for r in results]

    def create_transfers(self, transfers: Sequence[Transfer]) -> list[str]:
        if not transfers:
            return []
        base = self._base()
        machine = TransferStateMachine(self._working_copy(), base)
        results = machine.run([replace(t) for t in transfers])
        assert machine.effects.last_timestamp == base + len(transfers) - 1
        self.last_timestamp = machine.effects.last_timestamp
        self._write_back(machine)
        return [str(r) for r in results]

    def expire(self, now_ns: int) -> list[int]:
        self.now_ns = max(self.now_ns, now_ns)
        states = self.snapshot.pending_states
        due = sorted(
            (
                t
                for t in self.snapshot.transfers.values()
                if t.flags & _PENDING
                and t.timeout
                and states.get(t.id) is PendingState.PENDING
                and t.expires_at() <= now_ns
            ),
            key=lambda t: (t.expires_at(), t.id),
        )
        if not due:
            return []
        base = self._base()
        machine = TransferStateMachine(self._working_copy(), base)
        machine.expire([replace(t) for t in due])
        self.last_timestamp = machine.effects.last_timestamp
        self._write_back(machine)
        return [r.pending_id for r in machine.effects.resolutions]

    def _write_back(self, machine: TransferStateMachine) -> None:
        if self.persist == "snapshot":
            return
        store, effects = self.snapshot, machine.effects
        for account in effects.touched.values():
            store.accounts[account.id] = replace(account)
        for recorded in effects.transfers:
            store.transfers[recorded.id] = replace(recorded)
            if recorded.flags & _PENDING:
                store.pending_states[recorded.id] = PendingState.PENDING
        for resolution in effects.resolutions:
            store.pending_states[resolution.pending_id] = resolution.state
        for transfer_id, result, _timestamp in effects.failures:
            store.failed[transfer_id] = result

    # -- queries ---------------------------------------------------------------------------

    def account(self, account_id: int) -> Account | None:
        account = self.snapshot.accounts.get(account_id)
        return None if account is None else replace(account)

    def transfer(self, transfer_id: int) -> Transfer | None:
        transfer = self.snapshot.transfers.get(transfer_id)
        return None if transfer is None else replace(transfer)


DRIVER_FACTORIES: dict[str, DriverFactory] = {
    "pure-snapshot": lambda: PureDriver("snapshot"),
    "pure-effects": lambda: PureDriver("effects"),
}
"""Every driver the model test runs against, by test id. Add database-backed ones here."""
