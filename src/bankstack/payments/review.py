"""Deciding a payment held for risk review (the hold itself is made by paying.py).

When risk answers *review*, the payer's money goes into a pending ledger transfer (the hold)
and the trade stays ``processing`` without being "in flight", so the worker leaves it alone.
The review case's outcome (risk/cases, announced through the outbox) comes here:

- cleared (``release=True``): post the hold and pay the split out of it in one linked chain,
  then the trade succeeds as any payment (``trade.succeeded`` in the outbox);
- fraud confirmed (``release=False``): void the hold (the payer's money never left) and close
  the trade.

Both are idempotent: the ledger steps have derived ids (a resubmission answers ``exists``) and
a check already ``released``/``returned`` answers the trade as it is. The hold transfer is
resubmitted before a release, so that a process that died between recording the hold and
submitting it still releases correctly.
"""

from __future__ import annotations

from bankstack.ledger import TransferResult
from bankstack.payments import events
from bankstack.payments.commands import TradeRef
from bankstack.payments.domain import Trade
from bankstack.payments.errors import LedgerRefused, NoChallenge
from bankstack.payments.ports import Deps
from bankstack.payments.records import RiskCheck, RiskCheckStatus
from bankstack.payments.trading import find_trade
from bankstack.payments.transfers import (
    review_hold_transfer,
    review_release_transfers,
    review_void_transfer,
    verdict,
)

_DONE = {RiskCheckStatus.RELEASED, RiskCheckStatus.RETURNED}


def resolve_review(deps: Deps, trade_id: int, payer_id: str, *, release: bool) -> Trade:
    with deps.store.read() as uow:
        trade = find_trade(uow, TradeRef.by_id(trade_id))
        check = uow.risk_checks.get(trade_id, payer_id)
    if check is None or check.status not in {RiskCheckStatus.HELD, *_DONE}:
        raise NoChallenge("no payment of this payer is held for review", trade_id=str(trade_id))
    if check.status in _DONE:
        return trade
    attempt = check.hold_attempt or trade.pay_attempt
    if release:
        _release(deps, trade, attempt)
    else:
        _return(deps, trade, attempt)
    return _settle(deps, check, release=release)


def _release(deps: Deps, trade: Trade, attempt: int) -> None:
    held = verdict(deps.ledger.create_transfers([review_hold_transfer(trade)]), what="hold")
    if not held.applied:
        raise LedgerRefused("the review hold cannot be placed", trade_id=str(trade.id))
    results = deps.ledger.create_transfers(review_release_transfers(trade, attempt))
    if not verdict(results, what="review release").applied:
        raise LedgerRefused("the review hold cannot be released", results=list(results))


def _return(deps: Deps, trade: Trade, attempt: int) -> None:
    result = deps.ledger.create_transfers([review_void_transfer(trade, attempt)])[0]
    # Nothing held (the process died before the hold reached the ledger) is fine too.
    if result not in {
        TransferResult.OK,
        TransferResult.EXISTS,
        TransferResult.PENDING_TRANSFER_NOT_FOUND,
    }:
        raise LedgerRefused("the review hold cannot be voided", result=result)


def _settle(deps: Deps, check: RiskCheck, *, release: bool) -> Trade:
    now = deps.clock.now_ns()
    with deps.store.write() as uow:
        trade = find_trade(uow, TradeRef.by_id(check.trade_id), lock=True)
        current = uow.risk_checks.get(check.trade_id, check.payer_id, lock=True)
        if current is None or current.status is not RiskCheckStatus.HELD:
            return trade  # another caller settled it first
        if release:
            done = trade.complete_payment(now)
            uow.outbox.add(events.trade_event(events.TRADE_SUCCEEDED, done, now))
            status = RiskCheckStatus.RELEASED
        else:
            done = trade.close_held(now)
            uow.outbox.add(events.trade_event(events.TRADE_CLOSED, done, now))
            status = RiskCheckStatus.RETURNED
        uow.trades.update(done)
        uow.risk_checks.put(current.moved(status, now))
        uow.commit()
    return done
