"""The account state machine: creating accounts, idempotently and in linked chains.

Checks in order: ``reserved_flag``, ``id_must_not_be_zero``, ``id_must_not_be_int_max``,
``flags_are_mutually_exclusive`` (both balance constraints),
``credit_limit_requires_balance_constraint``, ``ledger_must_not_be_zero``,
``code_must_not_be_zero``, then ``exists*`` comparing flags, user_data, ledger, code and
credit_limit. Balances always start at zero; only transfers move them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bankstack.ledger.domain.chains import ChainRunner
from bankstack.ledger.domain.model import (
    ACCOUNT_FLAGS_KNOWN,
    ID_MAX,
    Account,
    AccountFlags,
)
from bankstack.ledger.domain.results import AccountResult

A = AccountResult
_CONSTRAINTS = int(
    AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
)


@dataclass(slots=True)
class AccountEffects:
    created: list[Account] = field(default_factory=list)
    first_timestamp: int = 0
    last_timestamp: int = 0


class AccountStateMachine(ChainRunner[Account, AccountResult]):
    linked_event_failed = A.LINKED_EVENT_FAILED
    linked_event_chain_open = A.LINKED_EVENT_CHAIN_OPEN

    def __init__(self, existing: dict[int, Account], base_timestamp: int) -> None:
        self.accounts = existing
        self.effects = AccountEffects(first_timestamp=base_timestamp)
        self._clock = base_timestamp
        self._mark = 0

    def next_timestamp(self) -> int:
        timestamp = self._clock
        self._clock += 1
        self.effects.last_timestamp = timestamp
        return timestamp

    def create_one(self, event: Account, timestamp: int) -> AccountResult:
        if event.flags & ~ACCOUNT_FLAGS_KNOWN:
            return A.RESERVED_FLAG
        if event.id == 0:
            return A.ID_MUST_NOT_BE_ZERO
        if event.id == ID_MAX:
            return A.ID_MUST_NOT_BE_INT_MAX
        if event.flags & _CONSTRAINTS == _CONSTRAINTS:
            return A.FLAGS_ARE_MUTUALLY_EXCLUSIVE
        if event.credit_limit and not event.flags & _CONSTRAINTS:
            return A.CREDIT_LIMIT_REQUIRES_BALANCE_CONSTRAINT
        if event.ledger == 0:
            return A.LEDGER_MUST_NOT_BE_ZERO
        if event.code == 0:
            return A.CODE_MUST_NOT_BE_ZERO
        existing = self.accounts.get(event.id)
        if existing is not None:
            return _compare(event, existing)
        account = Account(
            event.id,
            event.ledger,
            event.code,
            event.user_data,
            event.flags,
            event.credit_limit,
            timestamp=timestamp,
        )
        self.accounts[event.id] = account
        self.effects.created.append(account)
        return A.OK

    def open_savepoint(self) -> None:
        self._mark = len(self.effects.created)

    def rollback_savepoint(self) -> None:
        for account in self.effects.created[self._mark :]:
            del self.accounts[account.id]
        del self.effects.created[self._mark :]

    def release_savepoint(self) -> None:
        self._mark = len(self.effects.created)


def _compare(event: Account, existing: Account) -> AccountResult:
    # A closed account keeps its identity: the CLOSED bit is state, not a creation field.
    if event.flags != existing.flags & ~AccountFlags.CLOSED and event.flags != existing.flags:
        return A.EXISTS_WITH_DIFFERENT_FLAGS
    if event.user_data != existing.user_data:
        return A.EXISTS_WITH_DIFFERENT_USER_DATA
    if event.ledger != existing.ledger:
        return A.EXISTS_WITH_DIFFERENT_LEDGER
    if event.code != existing.code:
        return A.EXISTS_WITH_DIFFERENT_CODE
    if event.credit_limit != existing.credit_limit:
        return A.EXISTS_WITH_DIFFERENT_CREDIT_LIMIT
    return A.EXISTS
