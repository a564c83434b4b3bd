"""A reference ledger: small, slow and meant to be obviously right.

Written from the specification (TigerBeetle's account/transfer semantics as restated in the
module docstrings of ``bankstack.ledger.domain.{transfers,accounts,chains}``), not from the
state machine's code. It shares only the record types and result names with the domain, so
that results and records can be compared field by field.

Simplicity beats speed everywhere:

- the whole state is four dicts; a linked chain deep-copies all of it first and puts the copy
  back when a member fails;
- every check is one ``if`` in the order the specification lists it, and nothing is applied
  before every check has passed;
- expiry scans every transfer.

Clock: each call takes ``max(now_ns, last_timestamp + 1)`` as its first timestamp and every
event, accepted or not, and every expiry consumes the next one. The test moves ``now_ns``.

Where the specification is silent or ambiguous this model follows TigerBeetle; those places
are marked "(TB)".
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Final, Protocol, TypeVar

from bankstack.ledger.domain.model import Account, AccountFlags, Transfer, TransferFlags
from bankstack.ledger.domain.results import AccountResult, TransferResult

# The limits, restated from the specification rather than imported.
AMOUNT_MAX: Final = 2**63 - 1
ID_MAX: Final = 2**128 - 1
TIMESTAMP_MAX: Final = 2**63 - 1
NS: Final = 1_000_000_000

LINKED: Final = 1
# Account flags.
DMNEC: Final = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
CMNED: Final = int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)
CLOSED: Final = int(AccountFlags.CLOSED)
ACCOUNT_FLAGS: Final = int(
    AccountFlags.LINKED | DMNEC | CMNED | AccountFlags.HISTORY | AccountFlags.CLOSED
)
# Transfer flags.
PENDING: Final = int(TransferFlags.PENDING)
POST: Final = int(TransferFlags.POST_PENDING_TRANSFER)
VOID: Final = int(TransferFlags.VOID_PENDING_TRANSFER)
BALANCING_DEBIT: Final = int(TransferFlags.BALANCING_DEBIT)
BALANCING_CREDIT: Final = int(TransferFlags.BALANCING_CREDIT)
CLOSING_DEBIT: Final = int(TransferFlags.CLOSING_DEBIT)
CLOSING_CREDIT: Final = int(TransferFlags.CLOSING_CREDIT)
TRANSFER_FLAGS: Final = 0xFF  # bits 0..7: linked .. closing_credit

# The failures that depend on the ledger's state: the id is burnt (TigerBeetle >= 0.16.4).
TRANSIENT: Final = frozenset(
    {
        "debit_account_not_found",
        "credit_account_not_found",
        "pending_transfer_not_found",
        "exceeds_credits",
        "exceeds_debits",
        "debit_account_already_closed",
        "credit_account_already_closed",
    }
)

OK: Final = "ok"
# Where a pending transfer stands.
STATE_PENDING: Final = "pending"
STATE_POSTED: Final = "posted"
STATE_VOIDED: Final = "voided"
STATE_EXPIRED: Final = "expired"

R = TransferResult
A = AccountResult


class _Event(Protocol):
    @property
    def flags(self) -> int: ...


E = TypeVar("E", bound=_Event)


@dataclass
class State:
    accounts: dict[int, Account] = field(default_factory=dict)
    transfers: dict[int, Transfer] = field(default_factory=dict)
    pending: dict[int, str] = field(default_factory=dict)  # pending transfer id -> state
    failed: dict[int, str] = field(default_factory=dict)  # transfer id -> transient failure


class ReferenceLedger:
    def __init__(self) -> None:
        self.state = State()
        self.now_ns = 0
        self.last_timestamp = 0
        self._next = 0

    # -- the clock -------------------------------------------------------------------------

    def _begin(self) -> None:
        self._next = max(self.now_ns, self.last_timestamp + 1)

    def _tick(self) -> int:
        timestamp = self._next
        self._next += 1
        self.last_timestamp = timestamp
        return timestamp

    # -- queries ---------------------------------------------------------------------------

    def balances(self, account_id: int) -> tuple[int, int, int, int]:
        a = self.state.accounts[account_id]
        return (a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted)

    def account(self, account_id: int) -> Account | None:
        a = self.state.accounts.get(account_id)
        return None if a is None else replace(a)

    def transfer(self, transfer_id: int) -> Transfer | None:
        t = self.state.transfers.get(transfer_id)
        return None if t is None else replace(t)

    def pending_state(self, transfer_id: int) -> str | None:
        return self.state.pending.get(transfer_id)

    # -- submissions -----------------------------------------------------------------------

    def create_accounts(self, events: Sequence[Account]) -> list[str]:
        return self._submit(
            events,
            self._create_account,
            linked_failed=A.LINKED_EVENT_FAILED,
            chain_open=A.LINKED_EVENT_CHAIN_OPEN,
        )

    def create_transfers(self, events: Sequence[Transfer]) -> list[str]:
        return self._submit(
            events,
            self._create_transfer,
            linked_failed=R.LINKED_EVENT_FAILED,
            chain_open=R.LINKED_EVENT_CHAIN_OPEN,
            remember=self._remember_failure,
        )

    def _submit(
        self,
        events: Sequence[E],
        create_one: Callable[[E, int], str],
        *,
        linked_failed: str,
        chain_open: str,
        remember: Callable[[E, str], None] | None = None,
    ) -> list[str]:
        """Split the submission into chains; a chain is all-or-nothing.

        A chain runs to the first event without ``linked``. The first member to fail keeps its
        own result, every other member answers ``linked_event_failed``. A chain still open at
        the end of the submission is evaluated like any other (TB), except that its last event
        is not: it answers ``linked_event_chain_open``, which fails the chain.
        """
        self._begin()
        results: list[str] = []
        start = 0
        while start < len(events):
            end = start
            while end < len(events) - 1 and events[end].flags & LINKED:
                end += 1
            chain = events[start : end + 1]
            is_open = bool(chain[-1].flags & LINKED)
            # A lone event is a chain of one: the same code path, nothing to special-case.
            saved = copy.deepcopy(self.state)
            broken = False
            chain_results: list[str] = []
            for position, event in enumerate(chain):
                timestamp = self._tick()
                if is_open and position == len(chain) - 1:
                    result = str(chain_open)
                elif broken:
                    result = str(linked_failed)
                else:
                    result = str(create_one(copy.deepcopy(event), timestamp))
                if result != OK and not broken:
                    broken = True
                    self.state = saved
                    chain_results = [str(linked_failed)] * len(chain_results)
                if result != OK and remember is not None:
                    remember(event, result)
                chain_results.append(result)
            results.extend(chain_results)
            start = end + 1
        return results

    def _remember_failure(self, event: Transfer, result: str) -> None:
        if result in TRANSIENT:
            self.state.failed[event.id] = result

    # -- accounts --------------------------------------------------------------------------

    def _create_account(self, a: Account, timestamp: int) -> str:
        if a.flags & ~ACCOUNT_FLAGS:
            return A.RESERVED_FLAG
        if a.id == 0:
            return A.ID_MUST_NOT_BE_ZERO
        if a.id == ID_MAX:
            return A.ID_MUST_NOT_BE_INT_MAX
        if a.flags & DMNEC and a.flags & CMNED:
            return A.FLAGS_ARE_MUTUALLY_EXCLUSIVE
        if a.credit_limit != 0 and not a.flags & (DMNEC | CMNED):
            return A.CREDIT_LIMIT_REQUIRES_BALANCE_CONSTRAINT
        if a.ledger == 0:
            return A.LEDGER_MUST_NOT_BE_ZERO
        if a.code == 0:
            return A.CODE_MUST_NOT_BE_ZERO
        e = self.state.accounts.get(a.id)
        if e is not None:
            # CLOSED is state, not a creation field: a retry may name it or not.
            if a.flags not in (e.flags, e.flags & ~CLOSED):
                return A.EXISTS_WITH_DIFFERENT_FLAGS
            if a.user_data != e.user_data:
                return A.EXISTS_WITH_DIFFERENT_USER_DATA
            if a.ledger != e.ledger:
                return A.EXISTS_WITH_DIFFERENT_LEDGER
            if a.code != e.code:
                return A.EXISTS_WITH_DIFFERENT_CODE
            if a.credit_limit != e.credit_limit:
                return A.EXISTS_WITH_DIFFERENT_CREDIT_LIMIT
            return A.EXISTS
        self.state.accounts[a.id] = Account(
            id=a.id,
            ledger=a.ledger,
            code=a.code,
            user_data=a.user_data,
            flags=a.flags,
            credit_limit=a.credit_limit,
            timestamp=timestamp,
        )
        return A.OK

    # -- transfers -------------------------------------------------------------------------

    def _create_transfer(self, t: Transfer, timestamp: int) -> str:
        if t.flags & ~TRANSFER_FLAGS:
            return R.RESERVED_FLAG
        if t.id == 0:
            return R.ID_MUST_NOT_BE_ZERO
        if t.id == ID_MAX:
            return R.ID_MUST_NOT_BE_INT_MAX
        if t.id in self.state.failed:
            return R.ID_ALREADY_FAILED
        phases = [bool(t.flags & PENDING), bool(t.flags & POST), bool(t.flags & VOID)]
        if sum(phases) > 1:
            return R.FLAGS_ARE_MUTUALLY_EXCLUSIVE
        if t.flags & (POST | VOID):
            if t.flags & (BALANCING_DEBIT | BALANCING_CREDIT | CLOSING_DEBIT | CLOSING_CREDIT):
                return R.FLAGS_ARE_MUTUALLY_EXCLUSIVE
            return self._post_or_void(t, timestamp)
        return self._new_transfer(t, timestamp)

    def _new_transfer(self, t: Transfer, timestamp: int) -> str:
        if t.debit_account_id == 0:
            return R.DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO
        if t.debit_account_id == ID_MAX:
            return R.DEBIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX
        if t.credit_account_id == 0:
            return R.CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO
        if t.credit_account_id == ID_MAX:
            return R.CREDIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX
        if t.debit_account_id == t.credit_account_id:
            return R.ACCOUNTS_MUST_BE_DIFFERENT
        if t.pending_id != 0:
            return R.PENDING_ID_MUST_BE_ZERO
        if not t.flags & PENDING and t.timeout != 0:
            return R.TIMEOUT_RESERVED_FOR_PENDING_TRANSFER
        if not t.flags & PENDING and t.flags & (CLOSING_DEBIT | CLOSING_CREDIT):
            return R.CLOSING_TRANSFER_MUST_BE_PENDING
        if t.ledger == 0:
            return R.LEDGER_MUST_NOT_BE_ZERO
        if t.code == 0:
            return R.CODE_MUST_NOT_BE_ZERO
        if t.effective_at > timestamp:
            return R.EFFECTIVE_AT_MUST_NOT_BE_IN_FUTURE
        e = self.state.transfers.get(t.id)
        if e is not None:
            return _exists_new(t, e)
        dr = self.state.accounts.get(t.debit_account_id)
        if dr is None:
            return R.DEBIT_ACCOUNT_NOT_FOUND
        cr = self.state.accounts.get(t.credit_account_id)
        if cr is None:
            return R.CREDIT_ACCOUNT_NOT_FOUND
        if dr.ledger != cr.ledger:
            return R.ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER
        if t.ledger != dr.ledger:
            return R.TRANSFER_MUST_HAVE_THE_SAME_LEDGER_AS_ACCOUNTS
        if dr.flags & CLOSED:
            return R.DEBIT_ACCOUNT_ALREADY_CLOSED
        if cr.flags & CLOSED:
            return R.CREDIT_ACCOUNT_ALREADY_CLOSED

        amount = _balancing_amount(t, dr, cr)
        if t.flags & PENDING and t.timeout != 0 and timestamp + t.timeout * NS > TIMESTAMP_MAX:
            return R.OVERFLOWS_TIMEOUT
        if t.flags & PENDING:
            if dr.debits_pending + amount > AMOUNT_MAX:
                return R.OVERFLOWS_DEBITS_PENDING
            if cr.credits_pending + amount > AMOUNT_MAX:
                return R.OVERFLOWS_CREDITS_PENDING
        else:
            if dr.debits_posted + amount > AMOUNT_MAX:
                return R.OVERFLOWS_DEBITS_POSTED
            if cr.credits_posted + amount > AMOUNT_MAX:
                return R.OVERFLOWS_CREDITS_POSTED
        dr_debits = dr.debits_pending + dr.debits_posted + amount
        cr_credits = cr.credits_pending + cr.credits_posted + amount
        if dr_debits > AMOUNT_MAX:
            return R.OVERFLOWS_DEBITS
        if cr_credits > AMOUNT_MAX:
            return R.OVERFLOWS_CREDITS
        if dr.flags & DMNEC and dr_debits > dr.credits_posted + dr.credit_limit:
            return R.EXCEEDS_CREDITS
        if cr.flags & CMNED and cr_credits > cr.debits_posted + cr.credit_limit:
            return R.EXCEEDS_DEBITS

        # Every check passed: apply.
        if t.flags & PENDING:
            dr.debits_pending += amount
            cr.credits_pending += amount
            if t.flags & CLOSING_DEBIT:
                dr.flags |= CLOSED
            if t.flags & CLOSING_CREDIT:
                cr.flags |= CLOSED
            self.state.pending[t.id] = STATE_PENDING
        else:
            dr.debits_posted += amount
            cr.credits_posted += amount
        self.state.transfers[t.id] = replace(
            t,
            amount=amount,
            effective_at=t.effective_at or timestamp,
            timestamp=timestamp,
        )
        return R.OK

    def _post_or_void(self, t: Transfer, timestamp: int) -> str:
        if t.pending_id == 0:
            return R.PENDING_ID_MUST_NOT_BE_ZERO
        if t.pending_id == ID_MAX:
            return R.PENDING_ID_MUST_NOT_BE_INT_MAX
        if t.pending_id == t.id:
            return R.PENDING_ID_MUST_BE_DIFFERENT
        if t.timeout != 0:
            return R.TIMEOUT_RESERVED_FOR_PENDING_TRANSFER
        if t.effective_at > timestamp:
            return R.EFFECTIVE_AT_MUST_NOT_BE_IN_FUTURE
        e = self.state.transfers.get(t.id)
        if e is not None:
            return self._exists_post_or_void(t, e)
        p = self.state.transfers.get(t.pending_id)
        if p is None:
            return R.PENDING_TRANSFER_NOT_FOUND
        if not p.flags & PENDING:
            return R.PENDING_TRANSFER_NOT_PENDING
        # Fields a post or void may leave zero, or else must match the pending transfer.
        if t.debit_account_id not in (0, p.debit_account_id):
            return R.PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID
        if t.credit_account_id not in (0, p.credit_account_id):
            return R.PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID
        if t.ledger not in (0, p.ledger):
            return R.PENDING_TRANSFER_HAS_DIFFERENT_LEDGER
        if t.code not in (0, p.code):
            return R.PENDING_TRANSFER_HAS_DIFFERENT_CODE
        if t.flags & POST:
            amount = p.amount if t.amount == AMOUNT_MAX else t.amount
            if amount > p.amount:
                return R.EXCEEDS_PENDING_TRANSFER_AMOUNT
        else:
            amount = p.amount
            if t.amount not in (0, AMOUNT_MAX, p.amount):
                if t.amount > p.amount:  # (TB) "exceeds" takes precedence for voids too
                    return R.EXCEEDS_PENDING_TRANSFER_AMOUNT
                return R.PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT
        state = self.state.pending[p.id]
        if state == STATE_POSTED:
            return R.PENDING_TRANSFER_ALREADY_POSTED
        if state == STATE_VOIDED:
            return R.PENDING_TRANSFER_ALREADY_VOIDED
        if state == STATE_EXPIRED:
            return R.PENDING_TRANSFER_EXPIRED
        if p.timeout != 0 and p.timestamp + p.timeout * NS <= timestamp:
            return R.PENDING_TRANSFER_EXPIRED  # due, though expire() has not run yet
        dr = self.state.accounts[p.debit_account_id]
        cr = self.state.accounts[p.credit_account_id]
        if t.flags & POST:
            # A post may not move money on a closed account, unless this pending closed it.
            if dr.flags & CLOSED and not p.flags & CLOSING_DEBIT:
                return R.DEBIT_ACCOUNT_ALREADY_CLOSED
            if cr.flags & CLOSED and not p.flags & CLOSING_CREDIT:
                return R.CREDIT_ACCOUNT_ALREADY_CLOSED
            if dr.debits_posted + amount > AMOUNT_MAX:
                return R.OVERFLOWS_DEBITS_POSTED
            if cr.credits_posted + amount > AMOUNT_MAX:
                return R.OVERFLOWS_CREDITS_POSTED

        # Every check passed: release the whole reservation, post what was asked.
        dr.debits_pending -= p.amount
        cr.credits_pending -= p.amount
        if t.flags & POST:
            dr.debits_posted += amount
            cr.credits_posted += amount
            self.state.pending[p.id] = STATE_POSTED
        else:
            self._reopen(p)
            self.state.pending[p.id] = STATE_VOIDED
        self.state.transfers[t.id] = Transfer(
            id=t.id,
            debit_account_id=p.debit_account_id,
            credit_account_id=p.credit_account_id,
            amount=amount,
            pending_id=p.id,
            ledger=p.ledger,
            code=p.code,
            user_data=t.user_data or p.user_data,
            flags=t.flags,
            timeout=0,
            effective_at=t.effective_at or timestamp,
            timestamp=timestamp,
        )
        return R.OK

    def _exists_post_or_void(self, t: Transfer, e: Transfer) -> str:
        if t.flags != e.flags:
            return R.EXISTS_WITH_DIFFERENT_FLAGS
        if t.pending_id != e.pending_id:
            return R.EXISTS_WITH_DIFFERENT_PENDING_ID
        if t.timeout != e.timeout:
            return R.EXISTS_WITH_DIFFERENT_TIMEOUT
        # Inherited fields are compared only where the retry names them (non-zero).
        if t.debit_account_id not in (0, e.debit_account_id):
            return R.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID
        if t.credit_account_id not in (0, e.credit_account_id):
            return R.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID
        # (TB) The amount the retry asks for is compared with what was moved: "the full
        # pending amount" (AMOUNT_MAX; for a void also 0) is not "whatever was posted".
        p = self.state.transfers[e.pending_id]
        full = (AMOUNT_MAX,) if t.flags & POST else (0, AMOUNT_MAX)
        asked = p.amount if t.amount in full else t.amount
        if asked != e.amount:
            return R.EXISTS_WITH_DIFFERENT_AMOUNT
        if t.user_data not in (0, e.user_data):
            return R.EXISTS_WITH_DIFFERENT_USER_DATA
        if t.ledger not in (0, e.ledger):
            return R.EXISTS_WITH_DIFFERENT_LEDGER
        if t.code not in (0, e.code):
            return R.EXISTS_WITH_DIFFERENT_CODE
        if t.effective_at not in (0, e.effective_at):
            return R.EXISTS_WITH_DIFFERENT_EFFECTIVE_AT
        return R.EXISTS

    def _reopen(self, p: Transfer) -> None:
        """Undo what a closing pending transfer did (on void or expiry)."""
        if p.flags & CLOSING_DEBIT:
            self.state.accounts[p.debit_account_id].flags &= ~CLOSED
        if p.flags & CLOSING_CREDIT:
            self.state.accounts[p.credit_account_id].flags &= ~CLOSED

    # -- expiry ----------------------------------------------------------------------------

    def expire(self, now_ns: int) -> list[int]:
        """Expire every pending transfer due by ``now_ns``, in (expires_at, id) order."""
        self.now_ns = max(self.now_ns, now_ns)
        due = sorted(
            (p.timestamp + p.timeout * NS, p.id)
            for p in self.state.transfers.values()
            if p.flags & PENDING
            and p.timeout != 0
            and self.state.pending[p.id] == STATE_PENDING
            and p.timestamp + p.timeout * NS <= now_ns
        )
        self._begin()
        for _, pending_id in due:
            self._tick()
            p = self.state.transfers[pending_id]
            self.state.accounts[p.debit_account_id].debits_pending -= p.amount
            self.state.accounts[p.credit_account_id].credits_pending -= p.amount
            self._reopen(p)
            self.state.pending[pending_id] = STATE_EXPIRED
        return [pending_id for _, pending_id in due]


def _balancing_amount(t: Transfer, dr: Account, cr: Account) -> int:
    """At most ``t.amount``: as much as keeps each balancing side within its limit (or 0)."""
    amount = t.amount
    if t.flags & BALANCING_DEBIT:
        room = dr.credits_posted + _limit(dr, DMNEC) - dr.debits_posted - dr.debits_pending
        amount = min(amount, max(room, 0))
    if t.flags & BALANCING_CREDIT:
        room = cr.debits_posted + _limit(cr, CMNED) - cr.credits_posted - cr.credits_pending
        amount = min(amount, max(room, 0))
    return amount


def _limit(account: Account, constraint: int) -> int:
    """The credit limit, where the account has the constraint it belongs to; else 0."""
    return account.credit_limit if account.flags & constraint else 0


def _exists_new(t: Transfer, e: Transfer) -> str:
    if t.flags != e.flags:
        return R.EXISTS_WITH_DIFFERENT_FLAGS
    if t.pending_id != e.pending_id:
        return R.EXISTS_WITH_DIFFERENT_PENDING_ID
    if t.timeout != e.timeout:
        return R.EXISTS_WITH_DIFFERENT_TIMEOUT
    if t.debit_account_id != e.debit_account_id:
        return R.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID
    if t.credit_account_id != e.credit_account_id:
        return R.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID
    if t.flags & (BALANCING_DEBIT | BALANCING_CREDIT):
        # The amount was an upper bound: any bound at least what was moved is the same ask.
        if t.amount < e.amount:
            return R.EXISTS_WITH_DIFFERENT_AMOUNT
    elif t.amount != e.amount:
        return R.EXISTS_WITH_DIFFERENT_AMOUNT
    if t.user_data != e.user_data:
        return R.EXISTS_WITH_DIFFERENT_USER_DATA
    if t.ledger != e.ledger:
        return R.EXISTS_WITH_DIFFERENT_LEDGER
    if t.code != e.code:
        return R.EXISTS_WITH_DIFFERENT_CODE
    # effective_at 0 means "when recorded", which no retry can repeat: compare only if named.
    if t.effective_at not in (0, e.effective_at):
        return R.EXISTS_WITH_DIFFERENT_EFFECTIVE_AT
    return R.EXISTS
