"""Model-based test: a ledger driver and the reference ledger, side by side, step by step.

Hypothesis drives both with the same random mix of account creations, transfers of every
kind, duplicates, retries, invalid events, linked chains (closed and left open), clock moves
and expiries. Ids come from small pools so that collisions and references are frequent.

After every step: every result is identical, every account (balances and flags) and every
transfer record is identical, and the invariants hold on the driver: per ledger
Σ debits_posted == Σ credits_posted and Σ debits_pending == Σ credits_pending, no balance
negative, the balance constraints hold, posted balances never decrease, and a submission in
which nothing was accepted changed nothing.

The test is parametrised by driver factory (``DRIVER_FACTORIES``); a database-backed driver
runs the same test by being added there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from bankstack.ledger.domain import Account, AccountFlags, Transfer, TransferFlags
from tests.ledger_model.drivers import DRIVER_FACTORIES, DriverFactory, LedgerDriver
from tests.ledger_model.reference import AMOUNT_MAX, ID_MAX, NS, ReferenceLedger

ACCOUNT_IDS = (1, 2, 3, 4, 5, 6)  # 1-4 on ledger 1 and 5 on ledger 2 from the start; 6 maybe
UNKNOWN_ACCOUNT = 7  # never created
TRANSFER_IDS = tuple(range(1, 41))

LINKED = int(TransferFlags.LINKED)
PENDING = int(TransferFlags.PENDING)
POST = int(TransferFlags.POST_PENDING_TRANSFER)
VOID = int(TransferFlags.VOID_PENDING_TRANSFER)
BAL_DR = int(TransferFlags.BALANCING_DEBIT)
BAL_CR = int(TransferFlags.BALANCING_CREDIT)
CLOSE_DR = int(TransferFlags.CLOSING_DEBIT)
CLOSE_CR = int(TransferFlags.CLOSING_CREDIT)
DMNEC = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
CMNED = int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)
HISTORY = int(AccountFlags.HISTORY)
CLOSED = int(AccountFlags.CLOSED)

START_NS = 1_000 * NS
FAR_FUTURE = 10**15  # added to now: beyond any timestamp a test run reaches

SETTINGS = settings(
    max_examples=200,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

KINDS = (
    ["plain"] * 4 + ["pending"] * 3 + ["post"] * 3 + ["void"] * 2
    + ["dup"] * 2 + ["dup_changed"] * 2 + ["retry", "invalid", "invalid"]
)  # fmt: skip
VALID_KINDS = ["plain", "plain", "pending", "post", "void"]

amounts = st.one_of(
    st.sampled_from([0, 1, 5, 10, 25, 50, 100]),
    st.integers(0, 300),
    st.sampled_from([AMOUNT_MAX, 2**62, AMOUNT_MAX - 1]),
)


class LedgerComparison(RuleBasedStateMachine):
    driver_factory: ClassVar[DriverFactory]

    def __init__(self) -> None:
        super().__init__()
        self.driver: LedgerDriver = type(self).driver_factory()
        self.model = ReferenceLedger()
        self.now_ns = START_NS
        self._set_clock()
        self.account_requests: list[Account] = []
        self.requests: list[Transfer] = []
        self.posted_floor: dict[int, tuple[int, int]] = {}

    # -- plumbing ---------------------------------------------------------------------------

    def _set_clock(self) -> None:
        self.driver.now_ns = self.now_ns
        self.model.now_ns = self.now_ns

    def _accounts_now(self) -> dict[int, Account | None]:
        return {i: self.driver.account(i) for i in (*ACCOUNT_IDS, UNKNOWN_ACCOUNT)}

    def _run_accounts(self, events: list[Account]) -> list[str]:
        before = self._accounts_now()
        got = self.driver.create_accounts([replace(e) for e in events])
        want = self.model.create_accounts([replace(e) for e in events])
        assert got == want, _explain("create_accounts", events, got, want)
        self.account_requests.extend(events)
        if all(r != "ok" for r in got):
            assert self._accounts_now() == before, "a rejected submission changed accounts"
        return got

    def _run_transfers(self, events: list[Transfer]) -> list[str]:
        before = self._accounts_now()
        recorded_before = {e.id: self.driver.transfer(e.id) for e in events}
        got = self.driver.create_transfers([replace(e) for e in events])
        want = self.model.create_transfers([replace(e) for e in events])
        assert got == want, _explain("create_transfers", events, got, want)
        self.requests.extend(events)
        if all(r != "ok" for r in got):
            assert self._accounts_now() == before, "a rejected submission changed balances"
            recorded = {e.id: self.driver.transfer(e.id) for e in events}
            assert recorded == recorded_before, "a rejected submission recorded a transfer"
        return got

    # -- drawing events ---------------------------------------------------------------------

    def _draw_account(self, data: st.DataObject) -> Account:
        kind = data.draw(st.sampled_from(["new", "new", "new", "dup", "dup_changed", "invalid"]))
        if kind.startswith("dup") and self.account_requests:
            template = data.draw(st.sampled_from(self.account_requests))
            a = replace(template, flags=template.flags & ~LINKED)
            if kind == "dup_changed":
                changed = data.draw(st.sampled_from(["flags", "user_data", "ledger", "code", "cl"]))
                if changed == "flags":
                    a.flags ^= data.draw(st.sampled_from([HISTORY, CLOSED, DMNEC]))
                elif changed == "user_data":
                    a.user_data += 1
                elif changed == "ledger":
                    a.ledger = 3 - a.ledger if a.ledger in (1, 2) else 1
                elif changed == "code":
                    a.code += 1
                else:
                    a.credit_limit += 1
            return a
        flags = 0
        constraint = data.draw(st.sampled_from([0, 0, DMNEC, DMNEC, CMNED]))
        flags |= constraint
        if data.draw(st.integers(0, 4)) == 0:
            flags |= HISTORY
        if data.draw(st.integers(0, 19)) == 0:
            flags |= CLOSED
        credit_limit = 0
        if constraint and data.draw(st.booleans()):
            credit_limit = data.draw(st.sampled_from([1, 10, 50, 100]))
        a = Account(
            id=data.draw(st.sampled_from(ACCOUNT_IDS)),
            ledger=data.draw(st.sampled_from([1, 1, 1, 2])),
            code=data.draw(st.sampled_from([1, 2])),
            user_data=data.draw(st.sampled_from([0, 7])),
            flags=flags,
            credit_limit=credit_limit,
        )
        if kind == "invalid":
            how = data.draw(
                st.sampled_from(
                    ["id0", "idmax", "both", "limit", "ledger0", "code0", "reserved", "reserved6"]
                )
            )
            if how == "id0":
                a.id = 0
            elif how == "idmax":
                a.id = ID_MAX
            elif how == "both":
                a.flags |= DMNEC | CMNED
            elif how == "limit":
                a.flags &= ~(DMNEC | CMNED)
                a.credit_limit = 5
            elif how == "ledger0":
                a.ledger = 0
            elif how == "code0":
                a.code = 0
            elif how == "reserved":
                a.flags |= 1 << 4
            else:
                a.flags |= 1 << 6
        return a

    def _pending_ids(self, *, live: bool = False) -> list[int]:
        return [
            t.id
            for t in self.model.state.transfers.values()
            if t.flags & PENDING and (not live or self.model.pending_state(t.id) == "pending")
        ]

    def _fresh_id(self, data: st.DataObject) -> int:
        """Mostly an id never used yet (or burnt by a failure); sometimes any id of the pool."""
        state = self.model.state
        unused = [i for i in TRANSFER_IDS if i not in state.transfers and i not in state.failed]
        if unused and data.draw(st.integers(0, 4)) != 0:
            return data.draw(st.sampled_from(unused))
        return data.draw(st.sampled_from(TRANSFER_IDS))

    def _draw_pair(self, data: st.DataObject) -> tuple[int, int, int]:
        """Debit, credit and ledger: mostly two accounts of ledger 1, sometimes anything."""
        if data.draw(st.integers(0, 4)):
            debit, credit = data.draw(st.permutations((1, 2, 3, 4)))[:2]
            return debit, credit, 1
        ids = (*ACCOUNT_IDS, UNKNOWN_ACCOUNT)
        debit = data.draw(st.sampled_from(ids))
        credit = data.draw(st.sampled_from(ids).filter(lambda c: c != debit))
        return debit, credit, data.draw(st.sampled_from([1, 2]))

    def _draw_transfer(
        self, data: st.DataObject, kinds: list[str] = KINDS, earlier: list[Transfer] | None = None
    ) -> Transfer:
        """One event; ``earlier`` are the submission's events so far (a post may name one)."""
        kind = data.draw(st.sampled_from(kinds))
        if kind in {"dup", "dup_changed", "retry"}:
            failed = self.model.state.failed
            if kind == "retry":
                pool = [r for r in self.requests if r.id in failed]
            else:  # mostly the very request that was accepted
                recorded = self.model.state.transfers
                pool = [r for r in self.requests if r.id in recorded and r.id not in failed]
                accepted = [r for r in pool if _same_request(r, recorded[r.id])]
                pool = accepted if accepted and data.draw(st.integers(0, 3)) != 0 else pool
            if pool:
                template = data.draw(st.sampled_from(pool))
                t = replace(template, flags=template.flags & ~LINKED)
                if kind == "dup_changed":
                    _change_one_field(data, t)
                return t
            kind = "plain"
        tid = self._fresh_id(data)
        nothing_to_resolve = not self._pending_ids() and not any(
            t.flags & PENDING for t in earlier or []
        )
        if kind in {"post", "void"} and nothing_to_resolve and data.draw(st.integers(0, 3)):
            kind = "pending"  # make something to resolve later instead
        if kind in {"post", "void"}:
            return self._draw_resolution(data, tid, earlier or [], post=kind == "post")
        debit, credit, ledger = self._draw_pair(data)
        t = Transfer(
            id=tid,
            debit_account_id=debit,
            credit_account_id=credit,
            amount=data.draw(amounts),
            ledger=ledger,
            code=data.draw(st.sampled_from([1, 2])),
            user_data=data.draw(st.sampled_from([0, 0, 5])),
            effective_at=data.draw(st.sampled_from([0, 0, 0, 1, self.now_ns - 1])),
        )
        if data.draw(st.integers(0, 3)) == 0:
            t.flags |= data.draw(st.sampled_from([BAL_DR, BAL_CR, BAL_DR | BAL_CR]))
        if kind == "pending":
            t.flags |= PENDING
            t.timeout = data.draw(st.sampled_from([0, 0, 1, 1, 2, 3]))
            if data.draw(st.integers(0, 5)) == 0:
                t.flags |= data.draw(st.sampled_from([CLOSE_DR, CLOSE_CR, CLOSE_DR | CLOSE_CR]))
        if kind == "invalid":
            _make_invalid(data, t, self.now_ns, self._pending_ids())
        return t

    def _draw_resolution(
        self, data: st.DataObject, tid: int, earlier: list[Transfer], *, post: bool
    ) -> Transfer:
        """A post or void: mostly of a live pending transfer, else of any pending or any id."""
        live, pendings = self._pending_ids(live=True), self._pending_ids()
        planned = [t for t in earlier if t.flags & PENDING]
        source = data.draw(
            st.sampled_from(["live"] * 4 + ["planned"] * 2 + ["any_pending", "any_id"])
        )
        p: Transfer | None
        if source == "planned" and planned:
            p = data.draw(st.sampled_from(planned))
            pending_id = p.id
        elif source == "live" and live:
            pending_id = data.draw(st.sampled_from(live))
        elif source != "any_id" and pendings:
            pending_id = data.draw(st.sampled_from(pendings))
        else:
            pending_id = data.draw(st.sampled_from(TRANSFER_IDS))
        if source != "planned" or not planned:
            p = self.model.transfer(pending_id)
        full = p.amount if p is not None and p.amount < AMOUNT_MAX else 10
        t = Transfer(id=tid, pending_id=pending_id, flags=POST if post else VOID)
        if post:
            choices = [AMOUNT_MAX, full, full // 2, full // 2, 0, full + 1]
            t.amount = data.draw(
                st.sampled_from(choices) if data.draw(st.integers(0, 4)) else amounts
            )
        else:
            t.amount = data.draw(st.sampled_from([0, AMOUNT_MAX, full, max(full - 1, 0), full + 1]))
        named = data.draw(st.sampled_from(["none", "none", "none", "same", "same", "wrong"]))
        if named == "same" and p is not None:
            t.debit_account_id = p.debit_account_id
            t.credit_account_id = p.credit_account_id
            t.ledger, t.code = p.ledger, p.code
        elif named == "wrong":
            which = data.draw(st.sampled_from(["debit", "credit", "ledger", "code"]))
            if which == "debit":
                t.debit_account_id = UNKNOWN_ACCOUNT
            elif which == "credit":
                t.credit_account_id = UNKNOWN_ACCOUNT
            elif which == "ledger":
                t.ledger = 9
            else:
                t.code = 9
        t.user_data = data.draw(st.sampled_from([0, 0, 3]))
        t.effective_at = data.draw(st.sampled_from([0, 0, 0, 1]))
        return t

    # -- rules ------------------------------------------------------------------------------

    @initialize(data=st.data())
    def seed_accounts(self, data: st.DataObject) -> None:
        """Four accounts on ledger 1 and one on ledger 2, so most transfers find theirs."""
        events = []
        for account_id, ledger in ((1, 1), (2, 1), (3, 1), (4, 1), (5, 2)):
            flags = data.draw(st.sampled_from([0, 0, DMNEC, CMNED, HISTORY]))
            limit = data.draw(st.sampled_from([0, 0, 20])) if flags & (DMNEC | CMNED) else 0
            events.append(Account(account_id, ledger, 1, flags=flags, credit_limit=limit))
        self._run_accounts(events)

    @rule(data=st.data())
    def create_accounts(self, data: st.DataObject) -> None:
        events = [self._draw_account(data) for _ in range(data.draw(st.integers(1, 3)))]
        _link(data, events)
        self._run_accounts(events)

    @rule(data=st.data())
    def create_transfers(self, data: st.DataObject) -> None:
        events: list[Transfer] = []
        for _ in range(data.draw(st.integers(1, 5))):
            events.append(self._draw_transfer(data, KINDS, events))
        _link(data, events)
        self._run_transfers(events)

    @rule(data=st.data())
    def linked_chain(self, data: st.DataObject) -> None:
        """A chain of 2-4, closed or left open, perhaps between independent events."""
        kinds = KINDS if data.draw(st.integers(0, 2)) == 0 else VALID_KINDS
        chain: list[Transfer] = []
        for _ in range(data.draw(st.integers(2, 4))):
            chain.append(self._draw_transfer(data, kinds, chain))
        for t in chain:
            t.flags |= LINKED
        if data.draw(st.integers(0, 4)) != 0:  # mostly closed
            chain[-1].flags &= ~LINKED
        before = [self._draw_transfer(data) for _ in range(data.draw(st.integers(0, 1)))]
        for t in before:
            t.flags &= ~LINKED
        self._run_transfers(before + chain)

    @rule(seconds=st.sampled_from([0, 0, 1, 2, 4]), ns=st.integers(0, NS - 1))
    def advance_clock(self, seconds: int, ns: int) -> None:
        self.now_ns += seconds * NS + ns
        self._set_clock()

    @rule()
    def expire(self) -> None:
        got = self.driver.expire(self.now_ns)
        want = self.model.expire(self.now_ns)
        assert got == want, f"expire({self.now_ns}): driver {got}, model {want}"

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def same_accounts_and_transfers(self) -> None:
        for account_id in (*ACCOUNT_IDS, UNKNOWN_ACCOUNT):
            got, want = self.driver.account(account_id), self.model.account(account_id)
            assert got == want, f"account {account_id}: driver {got}, model {want}"
        for transfer_id in TRANSFER_IDS:
            got_t, want_t = self.driver.transfer(transfer_id), self.model.transfer(transfer_id)
            assert got_t == want_t, f"transfer {transfer_id}: driver {got_t}, model {want_t}"

    @invariant()
    def books_balance(self) -> None:
        sums: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for account_id in ACCOUNT_IDS:
            a = self.driver.account(account_id)
            if a is None:
                continue
            balances = a.balances()
            assert min(balances) >= 0, f"negative balance: {a}"
            for i, value in enumerate(balances):
                sums[a.ledger][i] += value
            if a.flags & DMNEC:
                assert a.debits_pending + a.debits_posted <= a.credits_posted + a.credit_limit, a
            if a.flags & CMNED:
                assert a.credits_pending + a.credits_posted <= a.debits_posted + a.credit_limit, a
            floor = self.posted_floor.get(account_id, (0, 0))
            assert a.debits_posted >= floor[0], f"debits_posted went down: {a}"
            assert a.credits_posted >= floor[1], f"credits_posted went down: {a}"
            self.posted_floor[account_id] = (a.debits_posted, a.credits_posted)
        for ledger, (dp, dpo, cp, cpo) in sums.items():
            assert dp == cp, f"ledger {ledger}: Σ debits_pending {dp} != Σ credits_pending {cp}"
            assert dpo == cpo, f"ledger {ledger}: Σ debits_posted {dpo} != Σ credits_posted {cpo}"

    @invariant()
    def pending_balances_are_open_reservations(self) -> None:
        """Each account's *_pending is the sum of its still-pending transfers (model side)."""
        held: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for t in self.model.state.transfers.values():
            if t.flags & PENDING and self.model.pending_state(t.id) == "pending":
                held[t.debit_account_id][0] += t.amount
                held[t.credit_account_id][1] += t.amount
        for account_id, account in self.model.state.accounts.items():
            assert held[account_id] == [account.debits_pending, account.credits_pending]


def _link(data: st.DataObject, events: list[Any]) -> None:
    """Lay a submission out: independent events, random links, one chain, or an open chain."""
    layout = data.draw(st.sampled_from(["independent"] * 5 + ["random", "chain", "open"]))
    for i, event in enumerate(events):
        event.flags &= ~LINKED
        if layout == "random":
            linked = data.draw(st.integers(0, 3)) == 0
        else:
            linked = layout == "open" or (layout == "chain" and i < len(events) - 1)
        if linked:
            event.flags |= LINKED


def _same_request(request: Transfer, recorded: Transfer) -> bool:
    """Whether ``recorded`` is what ``request`` created (its id may have been reused)."""
    return request.flags & ~LINKED == recorded.flags & ~LINKED and request.pending_id == (
        recorded.pending_id
    )


def _change_one_field(data: st.DataObject, t: Transfer) -> None:
    field = data.draw(
        st.sampled_from(
            [
                "flags", "pending_id", "timeout", "debit_account_id", "credit_account_id",
                "amount", "user_data", "ledger", "code", "effective_at",
            ]
        )
    )  # fmt: skip
    if field == "flags":
        if t.flags & (POST | VOID):
            t.flags ^= POST | VOID
        else:
            t.flags ^= data.draw(st.sampled_from([PENDING, BAL_DR, BAL_CR]))
    elif field == "pending_id":
        t.pending_id = data.draw(st.sampled_from(TRANSFER_IDS))
    elif field == "timeout":
        t.timeout += 1
    elif field in {"debit_account_id", "credit_account_id"}:
        setattr(t, field, data.draw(st.sampled_from((*ACCOUNT_IDS, UNKNOWN_ACCOUNT))))
    elif field == "amount":
        t.amount = data.draw(st.sampled_from([max(t.amount - 1, 0), t.amount + 1, 0, AMOUNT_MAX]))
    elif field == "user_data":
        t.user_data += 1
    elif field == "ledger":
        t.ledger = data.draw(st.sampled_from([1, 2, 3]))
    elif field == "code":
        t.code += 1
    else:
        t.effective_at = data.draw(st.sampled_from([1, 2]))


_INVALID_FIELDS: dict[str, dict[str, int]] = {
    "id0": {"id": 0},
    "idmax": {"id": ID_MAX},
    "debit0": {"debit_account_id": 0},
    "debitmax": {"debit_account_id": ID_MAX},
    "credit0": {"credit_account_id": 0},
    "creditmax": {"credit_account_id": ID_MAX},
    "ledger0": {"ledger": 0},
    "code0": {"code": 0},
    "wrong_ledger": {"ledger": 3},
    "post_pending_id0": {"flags": POST, "pending_id": 0},
    "pending_id_max": {"flags": VOID, "pending_id": ID_MAX},
}


def _make_invalid(data: st.DataObject, t: Transfer, now_ns: int, pendings: list[int]) -> None:
    """Break one field, or one rule between fields, of a transfer."""
    how = data.draw(
        st.sampled_from(
            [
                *_INVALID_FIELDS, "same", "future", "unknown_pending", "reserved", "exclusive",
                "timeout_not_pending", "closing_not_pending", "pending_id_on_plain", "post_self",
                "post_timeout", "post_with_balancing", "unknown_account",
            ]
        )
    )  # fmt: skip
    some_id = data.draw(st.sampled_from(TRANSFER_IDS))
    if how in _INVALID_FIELDS:
        for name, value in _INVALID_FIELDS[how].items():
            setattr(t, name, value)
    elif how == "same":
        t.credit_account_id = t.debit_account_id
    elif how == "future":
        t.effective_at = now_ns + FAR_FUTURE
    elif how == "unknown_pending":
        t.flags = data.draw(st.sampled_from([POST, VOID]))
        unused = [i for i in TRANSFER_IDS if i not in pendings and i != t.id]
        t.pending_id = data.draw(st.sampled_from(unused or [99]))
    elif how == "reserved":
        t.flags |= 1 << data.draw(st.integers(8, 15))
    elif how == "exclusive":
        t.flags |= data.draw(st.sampled_from([PENDING | POST, POST | VOID, PENDING | VOID]))
    elif how == "timeout_not_pending":
        t.flags, t.timeout = t.flags & ~PENDING, 1
    elif how == "closing_not_pending":
        t.flags = (t.flags & ~PENDING) | CLOSE_DR
    elif how == "pending_id_on_plain":
        t.pending_id = some_id
    elif how == "post_self":
        t.flags, t.pending_id = VOID, t.id
    elif how == "post_timeout":
        t.flags, t.pending_id, t.timeout = POST, some_id, 3
    elif how == "post_with_balancing":
        t.flags = POST | data.draw(st.sampled_from([BAL_DR, BAL_CR, CLOSE_DR, CLOSE_CR]))
        t.pending_id = some_id
    elif data.draw(st.booleans()):  # unknown_account
        t.debit_account_id = UNKNOWN_ACCOUNT
    else:
        t.credit_account_id = UNKNOWN_ACCOUNT


def _explain(what: str, events: list[Any], got: list[str], want: list[str]) -> str:
    lines = [f"{what}: driver and model disagree"]
    for event, g, w in zip(events, got, want, strict=False):
        mark = "  " if g == w else "!!"
        lines.append(f"{mark} {event}\n     driver={g} model={w}")
    if len(got) != len(want):
        lines.append(f"lengths differ: driver {len(got)}, model {len(want)}")
    return "\n".join(lines)


@pytest.mark.parametrize("factory", list(DRIVER_FACTORIES.values()), ids=list(DRIVER_FACTORIES))
def test_driver_matches_reference_model(factory: DriverFactory) -> None:
    machine = type("Comparison", (LedgerComparison,), {"driver_factory": staticmethod(factory)})
    run_state_machine_as_test(machine, settings=SETTINGS)
