"""The transfer state machine: validates and applies a batch, purely and deterministically.

Given the same snapshot, timestamp and events it always gives the same results and effects;
it reads no clock and does no I/O. The adapter loads a ``Snapshot`` of every account,
transfer, failure and pending state the batch can touch, runs this, and writes the
``TransferEffects``. The checks run in this order; the first that applies decides the result:

1. ``reserved_flag``, ``id_must_not_be_zero``, ``id_must_not_be_int_max``, ``id_already_failed``;
2. ``flags_are_mutually_exclusive`` (more than one of pending/post/void; post or void with
   balancing or closing flags);
3. post or void: ``pending_id_must_not_be_zero``, ``pending_id_must_not_be_int_max``,
   ``pending_id_must_be_different``, ``timeout_reserved_for_pending_transfer``,
   ``effective_at_must_not_be_in_future``, ``exists*``, ``pending_transfer_not_found``,
   ``pending_transfer_not_pending``, ``pending_transfer_has_different_{debit_account_id,
   credit_account_id,ledger,code}`` (only where the post or void names them),
   ``exceeds_pending_transfer_amount`` / ``pending_transfer_has_different_amount``,
   ``pending_transfer_already_{posted,voided}``, ``pending_transfer_expired``,
   ``{debit,credit}_account_already_closed`` (a post only, unless the pending closed it),
   ``overflows_{debits,credits}_posted``;
4. otherwise: ``{debit,credit}_account_id_must_not_be_{zero,int_max}``,
   ``accounts_must_be_different``, ``pending_id_must_be_zero``,
   ``timeout_reserved_for_pending_transfer``, ``closing_transfer_must_be_pending``,
   ``ledger_must_not_be_zero``, ``code_must_not_be_zero``, ``effective_at_must_not_be_in_future``,
   ``exists*``, ``{debit,credit}_account_not_found``, ``accounts_must_have_the_same_ledger``,
   ``transfer_must_have_the_same_ledger_as_accounts``, ``{debit,credit}_account_already_closed``,
   (balancing clamps the amount here), ``overflows_timeout``,
   ``overflows_{debits,credits}_pending`` (pending) or ``overflows_{debits,credits}_posted``,
   ``overflows_debits``, ``overflows_credits``, ``exceeds_credits``, ``exceeds_debits``.

``exists*`` compares in this order: flags, pending_id, timeout, debit_account_id,
credit_account_id, amount, user_data, ledger, code, effective_at; a post or void compares the
inherited fields only where the retry names them (non-zero), a post's ``AMOUNT_MAX`` (a void's
0 or ``AMOUNT_MAX``) as the full pending amount, and a balancing transfer's amount only when the
retry asks for less than was moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bankstack.ledger.domain.chains import ChainRunner
from bankstack.ledger.domain.model import (
    AMOUNT_MAX,
    ID_MAX,
    NS_PER_SECOND,
    TIMESTAMP_MAX,
    TRANSFER_FLAGS_KNOWN,
    Account,
    AccountFlags,
    BalanceRecord,
    PendingState,
    Resolution,
    Transfer,
    TransferFlags,
)
from bankstack.ledger.domain.results import TRANSIENT_FAILURES, TransferResult

R = TransferResult
_PENDING = int(TransferFlags.PENDING)
_POST = int(TransferFlags.POST_PENDING_TRANSFER)
_VOID = int(TransferFlags.VOID_PENDING_TRANSFER)
_BAL_DR = int(TransferFlags.BALANCING_DEBIT)
_BAL_CR = int(TransferFlags.BALANCING_CREDIT)
_CLOSE_DR = int(TransferFlags.CLOSING_DEBIT)
_CLOSE_CR = int(TransferFlags.CLOSING_CREDIT)
_DMNEC = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
_CMNED = int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)
_HISTORY = int(AccountFlags.HISTORY)
_CLOSED = int(AccountFlags.CLOSED)
_RESOLVED_RESULT = {
    PendingState.POSTED: R.PENDING_TRANSFER_ALREADY_POSTED,
    PendingState.VOIDED: R.PENDING_TRANSFER_ALREADY_VOIDED,
    PendingState.EXPIRED: R.PENDING_TRANSFER_EXPIRED,
}


@dataclass(slots=True)
class Snapshot:
    """What a batch can touch, loaded before it runs; the state machine mutates it."""

    accounts: dict[int, Account]
    transfers: dict[int, Transfer]
    failed: dict[int, str] = field(default_factory=dict)
    pending_states: dict[int, PendingState] = field(default_factory=dict)


@dataclass(slots=True)
class TransferEffects:
    """Everything the batch changed, for the adapter to write in one transaction."""

    transfers: list[Transfer] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    failures: list[tuple[int, str, int]] = field(default_factory=list)
    touched: dict[int, Account] = field(default_factory=dict)
    history: list[BalanceRecord] = field(default_factory=list)
    timeouts_added: list[tuple[int, int]] = field(default_factory=list)
    timeouts_removed: list[int] = field(default_factory=list)
    first_timestamp: int = 0
    last_timestamp: int = 0


class TransferStateMachine(ChainRunner[Transfer, TransferResult]):
    linked_event_failed = R.LINKED_EVENT_FAILED
    linked_event_chain_open = R.LINKED_EVENT_CHAIN_OPEN

    def __init__(self, snapshot: Snapshot, base_timestamp: int) -> None:
        self.snapshot = snapshot
        self.effects = TransferEffects(first_timestamp=base_timestamp)
        self._clock = base_timestamp
        self._saved: dict[int, tuple[int, int, int, int, int]] | None = None
        self._marks: tuple[int, ...] = ()
        self._saved_states: dict[int, PendingState | None] = {}

    # -- the batch -------------------------------------------------------------------------

    def expire(self, due: Sequence[Transfer]) -> None:
        """Expire pending transfers whose timeout has passed, releasing what they held."""
        states = self.snapshot.pending_states
        for pending in due:
            if states.get(pending.id, PendingState.PENDING) is not PendingState.PENDING:
                continue
            timestamp = self.next_timestamp()
            debit = self.snapshot.accounts[pending.debit_account_id]
            credit = self.snapshot.accounts[pending.credit_account_id]
            self._touch(debit)
            self._touch(credit)
            debit.debits_pending -= pending.amount
            credit.credits_pending -= pending.amount
            self._reopen_closed_by(pending, debit, credit)
            states[pending.id] = PendingState.EXPIRED
            self.effects.resolutions.append(
                Resolution(pending.id, PendingState.EXPIRED, 0, timestamp)
            )
            self.effects.timeouts_removed.append(pending.id)
            self._record_history(debit, credit, timestamp)

    def next_timestamp(self) -> int:
        timestamp = self._clock
        self._clock += 1
        self.effects.last_timestamp = timestamp
        return timestamp

    def record_failure(self, event: Transfer, result: TransferResult, timestamp: int) -> None:
        if result in TRANSIENT_FAILURES:
            self.snapshot.failed[event.id] = result
            self.effects.failures.append((event.id, result, timestamp))

    # -- one transfer ----------------------------------------------------------------------

    def create_one(self, event: Transfer, timestamp: int) -> TransferResult:
        flags = event.flags
        if flags & ~TRANSFER_FLAGS_KNOWN:
            return R.RESERVED_FLAG
        if event.id == 0:
            return R.ID_MUST_NOT_BE_ZERO
        if event.id == ID_MAX:
            return R.ID_MUST_NOT_BE_INT_MAX
        if event.id in self.snapshot.failed:
            return R.ID_ALREADY_FAILED
        phase = flags & (_PENDING | _POST | _VOID)
        if phase & (phase - 1):  # more than one bit
            return R.FLAGS_ARE_MUTUALLY_EXCLUSIVE
        if phase & (_POST | _VOID):
            if flags & (_BAL_DR | _BAL_CR | _CLOSE_DR | _CLOSE_CR):
                return R.FLAGS_ARE_MUTUALLY_EXCLUSIVE
            return self._resolve_pending(event, timestamp)
        return self._create_new(event, timestamp)

    def _create_new(self, t: Transfer, timestamp: int) -> TransferResult:
        result = self._check_new_fields(t, timestamp)
        if result is not None:
            return result
        existing = self.snapshot.transfers.get(t.id)
        if existing is not None:
            return _compare_new(t, existing)
        accounts = self.snapshot.accounts
        debit = accounts.get(t.debit_account_id)
        if debit is None:
            return R.DEBIT_ACCOUNT_NOT_FOUND
        credit = accounts.get(t.credit_account_id)
        if credit is None:
            return R.CREDIT_ACCOUNT_NOT_FOUND
        if debit.ledger != credit.ledger:
            return R.ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER
        if t.ledger != debit.ledger:
            return R.TRANSFER_MUST_HAVE_THE_SAME_LEDGER_AS_ACCOUNTS
        if debit.flags & _CLOSED:
            return R.DEBIT_ACCOUNT_ALREADY_CLOSED
        if credit.flags & _CLOSED:
            return R.CREDIT_ACCOUNT_ALREADY_CLOSED
        amount = _balanced_amount(t, debit, credit)
        pending = t.flags & _PENDING
        if pending:
            if t.timeout and timestamp + t.timeout * NS_PER_SECOND > TIMESTAMP_MAX:
                return R.OVERFLOWS_TIMEOUT
            if debit.debits_pending + amount > AMOUNT_MAX:
                return R.OVERFLOWS_DEBITS_PENDING
            if credit.credits_pending + amount > AMOUNT_MAX:
                return R.OVERFLOWS_CREDITS_PENDING
        else:
            if debit.debits_posted + amount > AMOUNT_MAX:
                return R.OVERFLOWS_DEBITS_POSTED
            if credit.credits_posted + amount > AMOUNT_MAX:
                return R.OVERFLOWS_CREDITS_POSTED
        debit_total = debit.debits_pending + debit.debits_posted + amount
        credit_total = credit.credits_pending + credit.credits_posted + amount
        if debit_total > AMOUNT_MAX:
            return R.OVERFLOWS_DEBITS
        if credit_total > AMOUNT_MAX:
            return R.OVERFLOWS_CREDITS
        if debit.flags & _DMNEC and debit_total > debit.credits_posted + debit.credit_limit:
            return R.EXCEEDS_CREDITS
        if credit.flags & _CMNED and credit_total > credit.debits_posted + credit.credit_limit:
            return R.EXCEEDS_DEBITS
        self._apply_new(t, amount, debit, credit, timestamp)
        return R.OK

    def _apply_new(
        self, t: Transfer, amount: int, debit: Account, credit: Account, timestamp: int
    ) -> None:
        self._touch(debit)
        self._touch(credit)
        recorded = Transfer(
            t.id,
            debit.id,
            credit.id,
            amount,
            0,
            t.ledger,
            t.code,
            t.user_data,
            t.flags,
            t.timeout,
            t.effective_at or timestamp,
            timestamp,
        )
        if t.flags & _PENDING:
            debit.debits_pending += amount
            credit.credits_pending += amount
            if t.flags & _CLOSE_DR:
                debit.flags |= _CLOSED
            if t.flags & _CLOSE_CR:
                credit.flags |= _CLOSED
            self._set_state(t.id, PendingState.PENDING)
            if t.timeout:
                self.effects.timeouts_added.append((t.id, recorded.expires_at()))
        else:
            debit.debits_posted += amount
            credit.credits_posted += amount
        self.snapshot.transfers[t.id] = recorded
        self.effects.transfers.append(recorded)
        self._record_history(debit, credit, timestamp)

    def _check_new_fields(self, t: Transfer, timestamp: int) -> TransferResult | None:
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
        if not t.flags & _PENDING:
            if t.timeout != 0:
                return R.TIMEOUT_RESERVED_FOR_PENDING_TRANSFER
            if t.flags & (_CLOSE_DR | _CLOSE_CR):
                return R.CLOSING_TRANSFER_MUST_BE_PENDING
        if t.ledger == 0:
            return R.LEDGER_MUST_NOT_BE_ZERO
        if t.code == 0:
            return R.CODE_MUST_NOT_BE_ZERO
        if t.effective_at > timestamp:
            return R.EFFECTIVE_AT_MUST_NOT_BE_IN_FUTURE
        return None

    def _resolve_pending(self, t: Transfer, timestamp: int) -> TransferResult:
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
        existing = self.snapshot.transfers.get(t.id)
        if existing is not None:
            return _compare_resolution(t, existing, self.snapshot.transfers.get(t.pending_id))
        pending = self.snapshot.transfers.get(t.pending_id)
        if pending is None:
            return R.PENDING_TRANSFER_NOT_FOUND
        if not pending.flags & _PENDING:
            return R.PENDING_TRANSFER_NOT_PENDING
        mismatch = _pending_mismatch(t, pending)
        if mismatch is not None:
            return mismatch
        posting = t.flags & _POST
        if posting:
            amount = pending.amount if t.amount == AMOUNT_MAX else t.amount
            if amount > pending.amount:
                return R.EXCEEDS_PENDING_TRANSFER_AMOUNT
        else:
            if t.amount not in (0, pending.amount, AMOUNT_MAX):
                if t.amount > pending.amount:  # as for a post, and in TigerBeetle
                    return R.EXCEEDS_PENDING_TRANSFER_AMOUNT
                return R.PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT
            amount = pending.amount
        state = self.snapshot.pending_states.get(pending.id, PendingState.PENDING)
        if state is not PendingState.PENDING:
            return _RESOLVED_RESULT[state]
        if pending.timeout and pending.expires_at() <= timestamp:
            return R.PENDING_TRANSFER_EXPIRED
        debit = self.snapshot.accounts[pending.debit_account_id]
        credit = self.snapshot.accounts[pending.credit_account_id]
        if posting:
            if debit.flags & _CLOSED and not pending.flags & _CLOSE_DR:
                return R.DEBIT_ACCOUNT_ALREADY_CLOSED
            if credit.flags & _CLOSED and not pending.flags & _CLOSE_CR:
                return R.CREDIT_ACCOUNT_ALREADY_CLOSED
            if debit.debits_posted + amount > AMOUNT_MAX:
                return R.OVERFLOWS_DEBITS_POSTED
            if credit.credits_posted + amount > AMOUNT_MAX:
                return R.OVERFLOWS_CREDITS_POSTED
        self._apply_resolution(t, pending, amount, debit, credit, timestamp)
        return R.OK

    def _apply_resolution(
        self,
        t: Transfer,
        pending: Transfer,
        amount: int,
        debit: Account,
        credit: Account,
        timestamp: int,
    ) -> None:
        self._touch(debit)
        self._touch(credit)
        debit.debits_pending -= pending.amount
        credit.credits_pending -= pending.amount
        if t.flags & _POST:
            debit.debits_posted += amount
            credit.credits_posted += amount
            state = PendingState.POSTED
        else:
            self._reopen_closed_by(pending, debit, credit)
            state = PendingState.VOIDED
        recorded = Transfer(
            t.id,
            debit.id,
            credit.id,
            amount,
            pending.id,
            pending.ledger,
            pending.code,
            t.user_data or pending.user_data,
            t.flags,
            0,
            t.effective_at or timestamp,
            timestamp,
        )
        self._set_state(pending.id, state)
        self.effects.resolutions.append(Resolution(pending.id, state, t.id, timestamp))
        if pending.timeout:
            self.effects.timeouts_removed.append(pending.id)
        self.snapshot.transfers[t.id] = recorded
        self.effects.transfers.append(recorded)
        self._record_history(debit, credit, timestamp)

    # -- bookkeeping and savepoints ----------------------------------------------------------

    def _touch(self, account: Account) -> None:
        self.effects.touched[account.id] = account
        saved = self._saved
        if saved is not None and account.id not in saved:
            saved[account.id] = (*account.balances(), account.flags)

    def _set_state(self, pending_id: int, state: PendingState) -> None:
        if self._saved is not None and pending_id not in self._saved_states:
            self._saved_states[pending_id] = self.snapshot.pending_states.get(pending_id)
        self.snapshot.pending_states[pending_id] = state

    def _reopen_closed_by(self, pending: Transfer, debit: Account, credit: Account) -> None:
        if pending.flags & _CLOSE_DR:
            debit.flags &= ~_CLOSED
        if pending.flags & _CLOSE_CR:
            credit.flags &= ~_CLOSED

    def _record_history(self, debit: Account, credit: Account, timestamp: int) -> None:
        for account in (debit, credit):
            if account.flags & _HISTORY:
                self.effects.history.append(
                    BalanceRecord(account.id, timestamp, *account.balances())
                )

    def open_savepoint(self) -> None:
        self._saved = {}
        self._saved_states = {}
        e = self.effects
        self._marks = (
            len(e.transfers),
            len(e.resolutions),
            len(e.history),
            len(e.timeouts_added),
            len(e.timeouts_removed),
        )

    def rollback_savepoint(self) -> None:
        e, snapshot = self.effects, self.snapshot
        n_transfers, n_resolutions, n_history, n_added, n_removed = self._marks
        for recorded in e.transfers[n_transfers:]:
            del snapshot.transfers[recorded.id]
        del e.transfers[n_transfers:]
        del e.resolutions[n_resolutions:]
        del e.history[n_history:]
        del e.timeouts_added[n_added:]
        del e.timeouts_removed[n_removed:]
        for account_id, (dp, dpo, cp, cpo, flags) in (self._saved or {}).items():
            account = snapshot.accounts[account_id]
            account.debits_pending, account.debits_posted = dp, dpo
            account.credits_pending, account.credits_posted = cp, cpo
            account.flags = flags
        for pending_id, state in self._saved_states.items():
            if state is None:
                snapshot.pending_states.pop(pending_id, None)
            else:
                snapshot.pending_states[pending_id] = state
        self._saved = None

    def release_savepoint(self) -> None:
        self._saved = None


def _balanced_amount(t: Transfer, debit: Account, credit: Account) -> int:
    """A balancing transfer moves at most ``amount``: as much as keeps its side within limit.

    The credit limit widens only the constraint the account has: a debit line does not let
    credits pass debits, nor a credit line debits pass credits.
    """
    amount = t.amount
    if t.flags & _BAL_DR:
        limit = debit.credit_limit if debit.flags & _DMNEC else 0
        room = debit.credits_posted + limit - debit.debits_posted
        amount = min(amount, max(room - debit.debits_pending, 0))
    if t.flags & _BAL_CR:
        limit = credit.credit_limit if credit.flags & _CMNED else 0
        room = credit.debits_posted + limit - credit.credits_posted
        amount = min(amount, max(room - credit.credits_pending, 0))
    return amount


def _pending_mismatch(t: Transfer, pending: Transfer) -> TransferResult | None:
    if t.debit_account_id and t.debit_account_id != pending.debit_account_id:
        return R.PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID
    if t.credit_account_id and t.credit_account_id != pending.credit_account_id:
        return R.PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID
    if t.ledger and t.ledger != pending.ledger:
        return R.PENDING_TRANSFER_HAS_DIFFERENT_LEDGER
    if t.code and t.code != pending.code:
        return R.PENDING_TRANSFER_HAS_DIFFERENT_CODE
    return None


def _compare_new(t: Transfer, e: Transfer) -> TransferResult:
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
    balancing = t.flags & (_BAL_DR | _BAL_CR)
    if (t.amount < e.amount) if balancing else (t.amount != e.amount):
        return R.EXISTS_WITH_DIFFERENT_AMOUNT
    return _compare_tail(t, e, named_only=False)


def _compare_resolution(t: Transfer, e: Transfer, pending: Transfer | None) -> TransferResult:
    if t.flags != e.flags:
        return R.EXISTS_WITH_DIFFERENT_FLAGS
    if t.pending_id != e.pending_id:
        return R.EXISTS_WITH_DIFFERENT_PENDING_ID
    if t.timeout != e.timeout:
        return R.EXISTS_WITH_DIFFERENT_TIMEOUT
    if t.debit_account_id and t.debit_account_id != e.debit_account_id:
        return R.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID
    if t.credit_account_id and t.credit_account_id != e.credit_account_id:
        return R.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID
    # "The full pending amount" (AMOUNT_MAX; for a void also 0) matches only a full post, as in
    # TigerBeetle: a retry asking for all of it must not be told a partial post "exists".
    if t.amount in ((AMOUNT_MAX,) if t.flags & _POST else (0, AMOUNT_MAX)):
        if pending is not None and e.amount != pending.amount:
            return R.EXISTS_WITH_DIFFERENT_AMOUNT
    elif t.amount != e.amount:
        return R.EXISTS_WITH_DIFFERENT_AMOUNT
    return _compare_tail(t, e, named_only=True)


def _compare_tail(t: Transfer, e: Transfer, *, named_only: bool) -> TransferResult:
    if (t.user_data or not named_only) and t.user_data != e.user_data:
        return R.EXISTS_WITH_DIFFERENT_USER_DATA
    if (t.ledger or not named_only) and t.ledger != e.ledger:
        return R.EXISTS_WITH_DIFFERENT_LEDGER
    if (t.code or not named_only) and t.code != e.code:
        return R.EXISTS_WITH_DIFFERENT_CODE
    if t.effective_at and t.effective_at != e.effective_at:
        return R.EXISTS_WITH_DIFFERENT_EFFECTIVE_AT
    return R.EXISTS
