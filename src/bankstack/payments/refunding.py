"""Refunds: full or partial, several per trade, never more in total than was paid.

1. **reserve** (one transaction, trade row locked): find the refund by ``(trade,
   out_refund_no)``; the same amount returns it (a retry), another raises
   ``out_refund_no_conflict``. A new refund computes the legs it reverses (fees.py: in
   proportion to what is left on each leg) and adds them to the trade's refunded amounts
   with one conditional UPDATE that only succeeds while ``refunded + amount <= paid``; the
   database's CHECK constraint refuses the same even if this code had a bug.
2. **submit** the reversal chain (merchant, fee and partner accounts back to the payer's
   wallet), ids derived from ``(refund, attempt, leg)``.
3. **settle**: ``succeeded`` with ``refund.succeeded`` in the outbox (and ``trade.closed``
   when nothing is left to refund), or ``failed``: the reservation is released and
   ``refund.failed`` written. A failed refund may be retried with the same
   ``out_refund_no``; it runs again as the next attempt.
"""

from __future__ import annotations

from bankstack.kernel.ids import new_id
from bankstack.kernel.money import Money
from bankstack.payments import events
from bankstack.payments.commands import RefundTrade, TradeRef
from bankstack.payments.domain import Trade
from bankstack.payments.errors import (
    LedgerRefused,
    MerchantInsufficientFunds,
    OutRefundNoConflict,
    PaymentDeclined,
    RefundExceedsPaid,
    RefundNotFound,
)
from bankstack.payments.fees import Split, split_refund
from bankstack.payments.ports import Deps, PaymentsUnitOfWork
from bankstack.payments.records import Refund, RefundStatus
from bankstack.payments.trading import find_trade
from bankstack.payments.transfers import Verdict, refund_transfers, verdict


def refund_trade(deps: Deps, cmd: RefundTrade) -> Refund:
    return request_refund(deps, cmd.trade, cmd.out_refund_no, cmd.amount, cmd.reason)


def request_refund(
    deps: Deps, ref: TradeRef, out_refund_no: str, amount: Money, reason: str = ""
) -> Refund:
    refund, trade = _reserve(deps, ref, out_refund_no, amount, reason)
    if refund.status is not RefundStatus.PROCESSING:
        return refund
    return submit_refund(deps, refund, trade)


def _reserve(
    deps: Deps, ref: TradeRef, out_refund_no: str, amount: Money, reason: str
) -> tuple[Refund, Trade]:
    now = deps.clock.now_ns()
    with deps.store.write() as uow:
        trade = find_trade(uow, ref, lock=True)
        existing = uow.refunds.get_by_out_refund_no(trade.id, out_refund_no, lock=True)
        if existing is not None:
            if existing.amount != amount:
                raise OutRefundNoConflict(
                    "out_refund_no was used for another amount", out_refund_no=out_refund_no
                )
            if existing.status is not RefundStatus.FAILED:
                return existing, trade
        trade.check_refundable(amount)
        legs = split_refund(amount, trade.split - trade.refunded)
        if existing is not None:
            refund = existing.retry(legs, now)
            uow.refunds.update(refund)
        else:
            refund = _new_refund(trade, out_refund_no, amount, legs, reason, now)
            uow.refunds.add(refund)
        _reserve_on_trade(uow, trade, refund)
        uow.commit()
    return refund, trade.reserve_refund(refund.legs)


def _new_refund(
    trade: Trade, out_refund_no: str, amount: Money, legs: Split, reason: str, now: int
) -> Refund:
    assert trade.payer_account_id is not None  # noqa: S101 - a paid trade has a payer
    return Refund(
        id=new_id(),
        trade_id=trade.id,
        merchant_id=trade.merchant_id,
        out_trade_no=trade.out_trade_no,
        out_refund_no=out_refund_no,
        amount=amount,
        legs=legs,
        status=RefundStatus.PROCESSING,
        attempt=1,
        payee_account_id=trade.payer_account_id,
        created_at=now,
        reason=reason,
        processing_since=now,
    )


def _reserve_on_trade(uow: PaymentsUnitOfWork, trade: Trade, refund: Refund) -> None:
    if not uow.trades.reserve_refund(trade, refund.legs):
        raise RefundExceedsPaid("the refund exceeds what is left to refund", trade_id=str(trade.id))


def submit_refund(deps: Deps, refund: Refund, trade: Trade) -> Refund:
    results = deps.ledger.create_transfers(refund_transfers(refund, trade))
    return _settle(deps, refund, verdict(results, what="refund"))


def _settle(deps: Deps, refund: Refund, outcome: Verdict) -> Refund:
    now = deps.clock.now_ns()
    with deps.store.write() as uow:
        trade = find_trade(uow, TradeRef.by_id(refund.trade_id), lock=True)
        current = uow.refunds.get(refund.id, lock=True)
        if current is None:
            raise LedgerRefused("a refund in flight vanished", refund_id=str(refund.id))
        ours = current.attempt == refund.attempt
        if not ours or current.status is not RefundStatus.PROCESSING:
            if ours and outcome.applied and current.status is RefundStatus.SUCCEEDED:
                return current  # settled by another caller
            if ours and not outcome.applied and current.status is RefundStatus.FAILED:
                raise _declined(current, outcome)
            raise LedgerRefused("refund state and ledger disagree", refund_id=str(refund.id))
        if outcome.applied:
            done = current.succeed(now)
            uow.refunds.update(done)
            uow.outbox.add(events.refund_event(events.REFUND_SUCCEEDED, done, now))
            others = uow.refunds.count_processing(trade.id)
            closed = trade.close_if_fully_refunded(now, refunds_in_flight=others)
            if closed is not trade:
                uow.trades.update(closed)
                uow.outbox.add(events.trade_event(events.TRADE_CLOSED, closed, now))
            uow.commit()
            return done
        failed = current.fail(outcome.reason or "declined")
        uow.refunds.update(failed)
        uow.trades.update(trade.release_refund(current.legs))
        uow.outbox.add(events.refund_event(events.REFUND_FAILED, failed, now))
        uow.commit()
    raise _declined(refund, outcome)


def _declined(refund: Refund, outcome: Verdict) -> Exception:
    if outcome.reason == "insufficient_funds":
        return MerchantInsufficientFunds(
            "the merchant's balance does not cover the refund", refund_id=str(refund.id)
        )
    return PaymentDeclined(
        "the refund was declined", refund_id=str(refund.id), reason=outcome.reason
    )


def resume_refund(deps: Deps, refund_id: int) -> Refund:
    """Resubmit a refund left in flight (its caller may have died), then settle it."""
    with deps.store.read() as uow:
        refund = uow.refunds.get(refund_id)
        if refund is None:
            raise RefundNotFound("no such refund", refund_id=str(refund_id))
        trade = find_trade(uow, TradeRef.by_id(refund.trade_id))
    if refund.status is not RefundStatus.PROCESSING:
        return refund
    return submit_refund(deps, refund, trade)


def query_refund(deps: Deps, ref: TradeRef, out_refund_no: str) -> Refund:
    with deps.store.read() as uow:
        trade = find_trade(uow, ref)
        refund = uow.refunds.get_by_out_refund_no(trade.id, out_refund_no)
    if refund is None:
        raise RefundNotFound("no such refund", out_refund_no=out_refund_no)
    return refund


def list_refunds(deps: Deps, ref: TradeRef) -> list[Refund]:
    with deps.store.read() as uow:
        trade = find_trade(uow, ref)
        return uow.refunds.for_trade(trade.id)
