"""Use cases of a trade before and around payment: create, precreate (QR), query, close,
and the expiry of unpaid trades.

``out_trade_no`` is unique per merchant forever (a unique index): creating again with the
same parameters returns the trade as it stands (paid, closed or not), with different
parameters raises ``out_trade_no_conflict``. The fee split is fixed at creation from the
merchant's rates of that moment, so a retry or a later rate change never alters it.
"""

from __future__ import annotations

from bankstack.kernel.clock import NS_PER_SECOND
from bankstack.kernel.ids import new_id
from bankstack.kernel.money import Money
from bankstack.payments import events
from bankstack.payments.commands import CreateTrade, PrecreateResult, TradeRef
from bankstack.payments.domain import Trade, TradeStatus
from bankstack.payments.errors import (
    CurrencyMismatch,
    MerchantNotFound,
    OutTradeNoConflict,
    TradeNotFound,
)
from bankstack.payments.fees import Split, split_payment
from bankstack.payments.ports import Deps, PaymentsUnitOfWork
from bankstack.payments.qr import qr_svg


def find_trade(uow: PaymentsUnitOfWork, ref: TradeRef, *, lock: bool = False) -> Trade:
    """The trade ``ref`` names (locked for this unit of work with ``lock``), or raise."""
    if ref.trade_id is not None:
        trade = uow.trades.get(ref.trade_id, lock=lock)
        if trade is not None and ref.merchant_id not in {None, trade.merchant_id}:
            trade = None
    else:
        assert ref.merchant_id is not None  # noqa: S101 - TradeRef guarantees it
        assert ref.out_trade_no is not None  # noqa: S101 - TradeRef guarantees it
        trade = uow.trades.get_by_out_trade_no(ref.merchant_id, ref.out_trade_no, lock=lock)
    if trade is None:
        raise TradeNotFound("no such trade", trade=_describe(ref))
    return trade


def _describe(ref: TradeRef) -> str:
    if ref.trade_id is not None:
        return str(ref.trade_id)
    return f"{ref.merchant_id}/{ref.out_trade_no}"


def cashier_url(deps: Deps, trade_id: int) -> str:
    return f"{deps.config.cashier_base_url.rstrip('/')}/{trade_id}"


def create_trade(deps: Deps, cmd: CreateTrade) -> Trade:
    now = deps.clock.now_ns()
    with deps.store.write() as uow:
        merchant = uow.merchants.get(cmd.merchant_id)
        if merchant is None:
            raise MerchantNotFound(f"no merchant {cmd.merchant_id!r}", merchant_id=cmd.merchant_id)
        if cmd.amount.asset != merchant.currency:
            raise CurrencyMismatch(
                f"the merchant settles in {merchant.currency}", currency=cmd.amount.asset
            )
        trade = Trade(
            id=new_id(),
            merchant_id=merchant.id,
            out_trade_no=cmd.out_trade_no,
            subject=cmd.subject,
            amount=cmd.amount,
            split=split_payment(cmd.amount, merchant.fee_ppm, merchant.commission_ppm),
            status=TradeStatus.WAITING,
            created_at=now,
            expires_at=now + cmd.timeout_s * NS_PER_SECOND,
            timeout_s=cmd.timeout_s,
            buyer_id=cmd.buyer_id,
            partner_account_id=merchant.partner_account_id,
            paid=Money.zero(cmd.amount.asset),
            refunded=Split.zero(cmd.amount.asset),
            escrow_terms=cmd.escrow,
        )
        if uow.trades.add(trade):
            uow.outbox.add(events.trade_event(events.TRADE_CREATED, trade, now))
            uow.commit()
            return trade
        existing = uow.trades.get_by_out_trade_no(cmd.merchant_id, cmd.out_trade_no)
    if existing is None or not existing.same_request(
        amount=cmd.amount,
        subject=cmd.subject,
        buyer_id=cmd.buyer_id,
        timeout_s=cmd.timeout_s,
        escrow=cmd.escrow,
    ):
        raise OutTradeNoConflict(
            "out_trade_no was used with other parameters", out_trade_no=cmd.out_trade_no
        )
    return existing


def precreate_trade(deps: Deps, cmd: CreateTrade) -> PrecreateResult:
    trade = create_trade(deps, cmd)
    url = cashier_url(deps, trade.id)
    return PrecreateResult(trade, url, qr_svg(url))


def list_trades(
    deps: Deps, merchant_id: str, before: tuple[int, int] | None, limit: int
) -> list[Trade]:
    """A page of the merchant's trades, newest first, after the cursor ``before``."""
    with deps.store.read() as uow:
        return uow.trades.page(merchant_id, before, limit)


def query_trade(deps: Deps, ref: TradeRef) -> Trade:
    with deps.store.read() as uow:
        return find_trade(uow, ref)


def close_trade(deps: Deps, ref: TradeRef) -> Trade:
    """Close an unpaid trade; closing a closed one returns it unchanged."""
    now = deps.clock.now_ns()
    with deps.store.write() as uow:
        trade = find_trade(uow, ref, lock=True)
        if trade.status is TradeStatus.CLOSED:
            return trade
        closed = trade.close(now)
        uow.trades.update(closed)
        uow.outbox.add(events.trade_event(events.TRADE_CLOSED, closed, now))
        uow.commit()
    return closed


def close_if_expired(uow: PaymentsUnitOfWork, trade: Trade, now: int) -> Trade | None:
    """Close ``trade`` (locked by the caller) if it waited past its timeout."""
    if not trade.is_expired(now):
        return None
    closed = trade.close(now)
    uow.trades.update(closed)
    uow.outbox.add(events.trade_event(events.TRADE_CLOSED, closed, now))
    return closed


def expire_due(deps: Deps, now: int, limit: int = 500) -> int:
    """Close unpaid trades whose timeout passed; returns how many were closed."""
    with deps.store.read() as uow:
        due = uow.trades.due_for_expiry(now, limit)
    closed = 0
    for trade_id in due:
        with deps.store.write() as uow:
            trade = uow.trades.get(trade_id, lock=True)
            if trade is not None and close_if_expired(uow, trade, now) is not None:
                uow.commit()
                closed += 1
    return closed
