"""An in-memory fake of the ``AlipayTrades`` port, with the protocol's idempotency rules.

The unit tests of the protocol layer (tests/unit/gateway/alipay) use it, including cases the
real service never produces (a code payment waiting for the buyer's confirmation: 10003);
the end-to-end tests here run over the real payments service.

Buyers have a balance and payment codes; a code in ``slow_codes`` makes ``pay_by_code``
answer WAIT_BUYER_PAY until ``confirm`` is called. ``scan`` is a buyer paying a precreated QR
code or a created trade. Every state change is passed to ``listener`` as a ``TradeNotice``.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from bankstack.gateway.alipay import (
    ASSET,
    CancelAction,
    CancelOutcome,
    CancelTrade,
    CloseTrade,
    CreateTrade,
    PayByCode,
    Precreate,
    Refund,
    RefundQuery,
    RefundView,
    TradeNotice,
    TradeOrder,
    TradeRef,
    TradeStatus,
    TradeView,
)
from bankstack.gateway.alipay import errors as e
from bankstack.kernel.clock import Clock
from bankstack.kernel.errors import NotFound
from bankstack.kernel.money import Money

PAID = {TradeStatus.TRADE_SUCCESS, TradeStatus.TRADE_FINISHED}


class BuyerNotFound(NotFound):
    code = "payments.buyer_not_found"


@dataclass
class _Refund:
    out_request_no: str
    amount: Money
    at_ns: int


@dataclass
class _Trade:
    trade_no: str
    command: object
    order: TradeOrder
    created_at_ns: int
    status: TradeStatus = TradeStatus.WAIT_BUYER_PAY
    buyer_id: str | None = None
    qr_code: str | None = None
    paid_at_ns: int | None = None
    closed_at_ns: int | None = None
    refunds: dict[str, _Refund] = field(default_factory=dict)

    def refunded(self) -> Money:
        return sum((r.amount for r in self.refunds.values()), Money.zero(ASSET))


class FakeTrades:
    def __init__(
        self, clock: Clock, listener: Callable[[TradeNotice], object] | None = None
    ) -> None:
        self.clock = clock
        self.listener = listener
        self.balances: dict[str, Money] = {}
        self.auth_codes: dict[str, str] = {}
        self.slow_codes: set[str] = set()
        self.calls: list[object] = []
        self._trades: dict[str, _Trade] = {}
        self._by_out: dict[tuple[str, str], str] = {}
        self._numbers = itertools.count(1)
        self._lock = threading.RLock()

    def add_buyer(self, buyer_id: str, balance: str, auth_code: str | None = None) -> None:
        self.balances[buyer_id] = Money.parse(balance, ASSET)
        if auth_code is not None:
            self.auth_codes[auth_code] = buyer_id

    # -- the port --------------------------------------------------------------------------

    def precreate(self, command: Precreate) -> TradeView:
        with self._lock:
            self.calls.append(command)
            trade = self._existing(command.order, command) or self._open(command.order, command)
            trade.qr_code = trade.qr_code or f"https://qr.bankstack.test/{trade.trade_no}"
            return self._view(trade)

    def pay_by_code(self, command: PayByCode) -> TradeView:
        with self._lock:
            self.calls.append(command)
            if (trade := self._existing(command.order, command)) is not None:
                return self._view(trade)
            buyer_id = self.auth_codes.get(command.auth_code)
            if buyer_id is None:
                raise e.AuthCodeInvalid("unknown payment code")
            if self.balances[buyer_id] < command.order.total_amount:
                raise e.InsufficientFunds("balance too low")
            trade = self._open(command.order, command)
            trade.buyer_id = buyer_id
            if command.auth_code not in self.slow_codes:
                self._pay(trade, buyer_id)
            return self._view(trade)

    def create(self, command: CreateTrade) -> TradeView:
        with self._lock:
            self.calls.append(command)
            if command.buyer_id not in self.balances:
                raise BuyerNotFound("no such buyer")
            trade = self._existing(command.order, command) or self._open(command.order, command)
            trade.buyer_id = command.buyer_id
            return self._view(trade)

    def query(self, ref: TradeRef) -> TradeView:
        with self._lock:
            self.calls.append(ref)
            return self._view(self._find(ref))

    def refund(self, command: Refund) -> RefundView:
        with self._lock:
            self.calls.append(command)
            trade = self._find(command.ref)
            request_no = command.out_request_no or trade.order.out_trade_no
            if (known := trade.refunds.get(request_no)) is not None:
                if known.amount != command.refund_amount:
                    raise e.RefundRequestConflict("out_request_no reused")
                return self._refund_view(trade, known, fund_change=False)
            if trade.status not in PAID:
                raise e.TradeStatusInvalid("not paid")
            if trade.refunded() + command.refund_amount > trade.order.total_amount:
                raise e.RefundExceedsPaid("too much")
            refund = _Refund(request_no, command.refund_amount, self.clock.now_ns())
            trade.refunds[request_no] = refund
            self.balances[trade.buyer_id or ""] += command.refund_amount
            if trade.refunded() == trade.order.total_amount:
                trade.status, trade.closed_at_ns = TradeStatus.TRADE_CLOSED, refund.at_ns
            self._notify(trade)
            return self._refund_view(trade, refund, fund_change=True)

    def refund_query(self, query: RefundQuery) -> RefundView | None:
        with self._lock:
            self.calls.append(query)
            trade = self._find(query.ref)
            known = trade.refunds.get(query.out_request_no)
            return None if known is None else self._refund_view(trade, known, fund_change=False)

    def close(self, command: CloseTrade) -> TradeView:
        with self._lock:
            self.calls.append(command)
            trade = self._find(command.ref)
            if trade.status in PAID:
                raise e.TradeStatusInvalid("paid trades are refunded, not closed")
            if trade.status is TradeStatus.WAIT_BUYER_PAY:
                trade.status, trade.closed_at_ns = TradeStatus.TRADE_CLOSED, self.clock.now_ns()
            return self._view(trade)

    def cancel(self, command: CancelTrade) -> CancelOutcome:
        with self._lock:
            self.calls.append(command)
            trade = self._find(command.ref)
            action, refunded_at = CancelAction.NONE, None
            if trade.status is TradeStatus.WAIT_BUYER_PAY:
                action = CancelAction.CLOSE
            elif trade.status in PAID:
                action, refunded_at = CancelAction.REFUND, self.clock.now_ns()
                rest = trade.order.total_amount - trade.refunded()
                trade.refunds["cancel"] = _Refund("cancel", rest, refunded_at)
                self.balances[trade.buyer_id or ""] += rest
            if action is not CancelAction.NONE:
                trade.status, trade.closed_at_ns = TradeStatus.TRADE_CLOSED, self.clock.now_ns()
                self._notify(trade)
            return CancelOutcome(
                trade_no=trade.trade_no,
                out_trade_no=trade.order.out_trade_no,
                action=action,
                refunded_at_ns=refunded_at,
            )

    # -- the buyer's side ------------------------------------------------------------------

    def scan(self, trade_no: str, buyer_id: str) -> TradeView:
        """The buyer pays a precreated or created trade in the wallet app."""
        with self._lock:
            trade = self._trades[trade_no]
            self._pay(trade, buyer_id)
            return self._view(trade)

    def confirm(self, trade_no: str) -> TradeView:
        """The buyer confirms a slow code payment."""
        with self._lock:
            trade = self._trades[trade_no]
            self._pay(trade, trade.buyer_id or "")
            return self._view(trade)

    def trade_no_of(self, merchant_id: str, out_trade_no: str) -> str:
        return self._by_out[merchant_id, out_trade_no]

    # -- helpers ---------------------------------------------------------------------------

    def _existing(self, order: TradeOrder, command: object) -> _Trade | None:
        trade_no = self._by_out.get((order.merchant_id, order.out_trade_no))
        if trade_no is None:
            return None
        trade = self._trades[trade_no]
        if trade.status in PAID:
            raise e.TradeAlreadyPaid("paid")
        if trade.status is TradeStatus.TRADE_CLOSED:
            raise e.TradeClosed("closed")
        if trade.command != command:
            raise e.OutTradeNoConflict("different parameters")
        return trade

    def _open(self, order: TradeOrder, command: object) -> _Trade:
        now = self.clock.now_ns()
        trade_no = f"2026{next(self._numbers):024d}"
        trade = _Trade(trade_no=trade_no, command=command, order=order, created_at_ns=now)
        self._trades[trade_no] = trade
        self._by_out[order.merchant_id, order.out_trade_no] = trade_no
        return trade

    def _pay(self, trade: _Trade, buyer_id: str) -> None:
        if trade.status is not TradeStatus.WAIT_BUYER_PAY:
            raise e.TradeStatusInvalid("not payable")
        if self.balances[buyer_id] < trade.order.total_amount:
            raise e.InsufficientFunds("balance too low")
        self.balances[buyer_id] -= trade.order.total_amount
        trade.buyer_id, trade.status = buyer_id, TradeStatus.TRADE_SUCCESS
        trade.paid_at_ns = self.clock.now_ns()
        self._notify(trade)

    def _find(self, ref: TradeRef) -> _Trade:
        trade_no = ref.trade_no or self._by_out.get((ref.merchant_id, ref.out_trade_no or ""))
        trade = self._trades.get(trade_no or "")
        if trade is None or trade.order.merchant_id != ref.merchant_id:
            raise e.TradeNotFound("no such trade")
        return trade

    def _notify(self, trade: _Trade) -> None:
        if self.listener is not None:
            notice = TradeNotice(
                app_id=trade.order.app_id,
                trade=self._view(trade),
                notify_url=trade.order.notify_url,
            )
            self.listener(notice)

    def _view(self, trade: _Trade) -> TradeView:
        refunded = trade.refunded()
        paid = trade.paid_at_ns is not None
        return TradeView(
            trade_no=trade.trade_no,
            out_trade_no=trade.order.out_trade_no,
            status=trade.status,
            total_amount=trade.order.total_amount,
            subject=trade.order.subject,
            created_at_ns=trade.created_at_ns,
            paid_amount=trade.order.total_amount if paid else None,
            refunded_amount=refunded if refunded.minor else None,
            buyer_id=trade.buyer_id,
            buyer_logon_id=f"{trade.buyer_id[:3]}***" if trade.buyer_id else None,
            qr_code=trade.qr_code,
            paid_at_ns=trade.paid_at_ns,
            closed_at_ns=trade.closed_at_ns,
            refunded_at_ns=max((r.at_ns for r in trade.refunds.values()), default=None),
        )

    def _refund_view(self, trade: _Trade, refund: _Refund, *, fund_change: bool) -> RefundView:
        return RefundView(
            trade_no=trade.trade_no,
            out_trade_no=trade.order.out_trade_no,
            out_request_no=refund.out_request_no,
            refund_amount=refund.amount,
            total_amount=trade.order.total_amount,
            refunded_total=trade.refunded(),
            fund_change=fund_change,
            refunded_at_ns=refund.at_ns,
            buyer_id=trade.buyer_id,
            buyer_logon_id=f"{trade.buyer_id[:3]}***" if trade.buyer_id else None,
        )
