"""Escrow ("guaranteed transaction"): the payment waits in the escrow hold until released.

Paying an escrow trade records one ledger PENDING transfer, buyer wallet -> escrow hold,
for the whole amount (paying.py): the buyer's money is reserved, not yet anyone else's.
Then exactly one of:

- **release** (the buyer confirms receipt; the deadline passes under ``on_deadline=
  "release"``; staff resolve a dispute to the seller): one linked chain posts the hold and
  pays the split out of the escrow account to merchant, platform fee and partner;
- **refund** (the deadline passes under ``"refund"``; the merchant or a cancel gives the
  money back; staff resolve a dispute to the buyer): the hold is voided.

A dispute freezes the escrow: no release, refund or deadline action until staff resolve it.

The hold carries no ledger ``timeout``. A ledger timeout would void the hold on its own,
which cannot express a "release" rule and would ignore disputes; the deadline lives on the
trade instead, and the payments worker (``process_due``) acts on it. The claim (``held ->
releasing | refunding``, trade row locked) makes the two movements mutually exclusive; the
step is then submitted with derived ids and settled, and a step left in flight by a dead
process is resubmitted by ``process_due``.
"""

from __future__ import annotations

from collections.abc import Callable

from bankstack.kernel.errors import BankstackError
from bankstack.payments import events
from bankstack.payments.commands import PARTY_ID, TradeRef, check_pattern
from bankstack.payments.domain import Trade
from bankstack.payments.errors import LedgerRefused, TradeBuyerMismatch
from bankstack.payments.ports import Deps
from bankstack.payments.records import DeadlineAction, DisputeOutcome, EscrowStatus
from bankstack.payments.trading import find_trade
from bankstack.payments.transfers import (
    escrow_refund_transfers,
    escrow_release_transfers,
    verdict,
)

_DONE = {
    DeadlineAction.RELEASE: EscrowStatus.RELEASED,
    DeadlineAction.REFUND: EscrowStatus.REFUNDED,
}
_IN_FLIGHT = {
    DeadlineAction.RELEASE: EscrowStatus.RELEASING,
    DeadlineAction.REFUND: EscrowStatus.REFUNDING,
}
Guard = Callable[[Trade], bool]


def confirm_receipt(deps: Deps, ref: TradeRef, customer_id: str) -> Trade:
    """The buyer confirms: release the payment to the seller."""

    def buyer_only(trade: Trade) -> bool:
        if trade.payer_id != customer_id:
            raise TradeBuyerMismatch("only the buyer confirms receipt", trade_id=str(trade.id))
        return True

    return _run(deps, ref, DeadlineAction.RELEASE, guard=buyer_only)


def refund_escrow(deps: Deps, ref: TradeRef) -> Trade:
    """Give a held payment back to the buyer in full (the merchant's choice, or a cancel)."""
    return _run(deps, ref, DeadlineAction.REFUND)


def dispute_escrow(deps: Deps, ref: TradeRef, reason: str) -> Trade:
    """Freeze a held escrow until staff resolve it; disputing a disputed one is a no-op."""
    now = deps.clock.now_ns()
    with deps.store.write() as uow:
        trade = find_trade(uow, ref, lock=True)
        disputed = trade.dispute_escrow(reason[:256])
        if disputed is trade:
            return trade
        uow.trades.update(disputed)
        uow.outbox.add(events.escrow_event(events.ESCROW_DISPUTED, disputed, now))
        uow.commit()
    return disputed


def resolve_dispute(deps: Deps, ref: TradeRef, staff_id: str, outcome: DisputeOutcome) -> Trade:
    """Staff decide a disputed escrow: to the seller (release) or to the buyer (refund)."""
    check_pattern(staff_id, PARTY_ID, "staff_id")
    action = DeadlineAction.RELEASE if outcome is DisputeOutcome.SELLER else DeadlineAction.REFUND
    return _run(deps, ref, action, resolver=staff_id)


def run_deadlines(deps: Deps, now: int, limit: int = 500) -> tuple[int, int, list[str]]:
    """Act on held escrows past their deadline; returns (released, refunded, failures)."""
    with deps.store.read() as uow:
        due = uow.trades.escrow_due(now, limit)
    done = {DeadlineAction.RELEASE: 0, DeadlineAction.REFUND: 0}
    failures = []
    for trade_id in due:
        ref = TradeRef.by_id(trade_id)
        try:
            with deps.store.read() as uow:
                terms = find_trade(uow, ref).escrow_terms
            if terms is None:
                continue
            action = terms.on_deadline
            result = _run(deps, ref, action, guard=_still_due(now))
        except BankstackError as error:
            failures.append(f"escrow {trade_id}: {error.code}")
            continue
        if result.escrow is not None and result.escrow.status is _DONE[action]:
            done[action] += 1
    return done[DeadlineAction.RELEASE], done[DeadlineAction.REFUND], failures


def _still_due(now: int) -> Guard:
    """Checked under the row lock: a dispute or a confirmation may have come first."""

    def guard(trade: Trade) -> bool:
        escrow = trade.escrow
        return (
            escrow is not None and escrow.status is EscrowStatus.HELD and escrow.deadline_at <= now
        )

    return guard


def _run(
    deps: Deps,
    ref: TradeRef,
    action: DeadlineAction,
    *,
    resolver: str | None = None,
    guard: Guard | None = None,
) -> Trade:
    now = deps.clock.now_ns()
    with deps.store.write() as uow:
        trade = find_trade(uow, ref, lock=True)
        escrow = trade.held_escrow()
        if escrow.status is _DONE[action]:
            return trade  # already done: a retry
        if escrow.status is not _IN_FLIGHT[action]:
            if guard is not None and not guard(trade):
                return trade
            trade = trade.begin_escrow(action, now, resolver=resolver)
            uow.trades.update(trade)
            uow.commit()
    return submit_escrow(deps, trade)


def submit_escrow(deps: Deps, claimed: Trade) -> Trade:
    """Submit the claimed escrow step's ledger chain and settle the trade."""
    escrow = claimed.held_escrow()
    releasing = escrow.status is EscrowStatus.RELEASING
    transfers = escrow_release_transfers(claimed) if releasing else escrow_refund_transfers(claimed)
    outcome = verdict(deps.ledger.create_transfers(transfers), what="escrow")
    if not outcome.applied:
        # Left in flight on purpose: a hold that cannot be posted or voided needs a person.
        raise LedgerRefused(
            "the ledger declined an escrow step", trade_id=str(claimed.id), reason=outcome.reason
        )
    now = deps.clock.now_ns()
    with deps.store.write() as uow:
        trade = find_trade(uow, TradeRef.by_id(claimed.id), lock=True)
        if trade.held_escrow().status is not escrow.status:
            return trade  # settled by another caller
        done = trade.finish_escrow(now)
        uow.trades.update(done)
        if releasing:
            uow.outbox.add(events.escrow_event(events.ESCROW_RELEASED, done, now))
        else:
            uow.outbox.add(events.escrow_event(events.ESCROW_REFUNDED, done, now))
            uow.outbox.add(events.trade_event(events.TRADE_CLOSED, done, now))
        uow.commit()
    return done
