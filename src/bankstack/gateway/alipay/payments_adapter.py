"""``PaymentsTrades``: the ``AlipayTrades`` port over the real payments service.

Each protocol command becomes one payments use case for the app's merchant, in CNY:

    precreate      create (no buyer) + the trade's cashier URL as ``qr_code``
    pay            create, then ``pay`` with the buyer's payment code (``auth_code``)
    create         create for ``buyer_id``, a customer with a CNY wallet (the cashier flow)
    query / close  query / close, by ``trade_no`` (the trade id) or else ``out_trade_no``
    refund         ``refund`` with ``out_refund_no`` = ``out_request_no``, by default the
                   trade's ``out_trade_no`` (one refund per trade, as the protocol has it)
    refund query   ``query_refund``; only a succeeded refund is reported
    cancel         ``cancel``; a payment or refund still in flight answers ``retry_flag=Y``

Payments errors are raised as they are; the gateway maps them by code (codes.py).

``out_trade_no`` idempotency is payments': the same order (amount, subject, buyer,
``timeout_express``) returns the trade, another one raises ``out_trade_no_conflict``. As the
protocol answers, a paid or closed trade is reported as such first (``TRADE_HAS_SUCCESS``,
``TRADE_HAS_CLOSE``), whatever the rest of the request says. Fields payments does not keep
(``body``, ``operator_id``, ``store_id``, ``terminal_id``) and ``notify_url`` are not part
of "the same order": ``notify_url`` says where to report, not what was ordered, so a retry
from another of the merchant's servers with its own callback address must not fail. The
trade's notify_url is fixed by the request that created it (``TradeLinks`` keeps the first);
later ones are ignored, so no retry can redirect the notifications of a trade.

Every trade made here is linked to its app before it can be paid (a barcode trade is created,
linked, then paid), so the outbox subscriber never sees a payment of a gateway trade it
cannot attribute.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from bankstack import payments
from bankstack.gateway.alipay import views
from bankstack.gateway.alipay.commands import (
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
    TradeOrder,
    TradeRef,
    TradeView,
)
from bankstack.gateway.alipay.ports import TradeLink, TradeLinks
from bankstack.kernel.clock import Clock

MAX_AUTH_CODE: Final = 32  # payments' payment codes are digits, 18 of them today
_ACTIONS: Final = {"close": CancelAction.CLOSE, "refund": CancelAction.REFUND}


def _ref(ref: TradeRef) -> payments.TradeRef:
    if ref.trade_no is not None:
        return payments.TradeRef.by_id(views.parse_trade_no(ref.trade_no), ref.merchant_id)
    assert ref.out_trade_no is not None  # noqa: S101 - TradeRef guarantees one of the two
    return payments.TradeRef.by_out_trade_no(ref.merchant_id, ref.out_trade_no)


def _create_command(order: TradeOrder, buyer_id: str | None) -> payments.CreateTrade:
    create = payments.CreateTrade(
        merchant_id=order.merchant_id,
        out_trade_no=order.out_trade_no,
        amount=order.total_amount,
        subject=order.subject,
        buyer_id=buyer_id,
    )
    if order.timeout_s is None:
        return create  # payments' default: two hours, as the protocol's QR codes
    return dataclasses.replace(create, timeout_s=order.timeout_s)


def _refuse_if_done(trade: payments.Trade) -> None:
    """A paid or closed trade cannot be opened again, whatever the request says."""
    if trade.status is payments.TradeStatus.SUCCEEDED:
        raise payments.TradeAlreadyPaid("the trade is already paid", trade_id=str(trade.id))
    if trade.status is payments.TradeStatus.CLOSED:
        raise payments.TradeClosed("the trade is closed", trade_id=str(trade.id))


def _check_auth_code(code: str) -> None:
    if not code.isascii() or not code.isdigit() or len(code) > MAX_AUTH_CODE:
        # The protocol allows letters; no payment code payments issues has any.
        raise payments.AuthCodeInvalid("unknown payment code", field="auth_code")


class PaymentsTrades:
    def __init__(self, service: payments.PaymentsService, links: TradeLinks, clock: Clock) -> None:
        self._service = service
        self._links = links
        self._clock = clock

    # -- new trades ------------------------------------------------------------------------

    def precreate(self, command: Precreate) -> TradeView:
        trade, _ = self._open(command.order, buyer_id=None)
        return views.trade_view(trade, qr_code=self._service.cashier_url(trade.id))

    def pay_by_code(self, command: PayByCode) -> TradeView:
        _check_auth_code(command.auth_code)
        _, create = self._open(command.order, buyer_id=None)
        try:
            paid = self._service.pay(payments.PayByCode(trade=create, auth_code=command.auth_code))
        except payments.ChallengeRequired as challenge:
            # Risk wants the buyer to confirm with a one-time code: the protocol's 10003
            # (WAIT_BUYER_PAY, the buyer confirms on the phone); the merchant polls the query.
            paid = self._service.query(int(challenge.details["trade_id"]))
        return views.trade_view(paid)

    def create(self, command: CreateTrade) -> TradeView:
        self._service.get_wallet(command.buyer_id, ASSET)  # a known buyer, or wallet_not_found
        trade, _ = self._open(command.order, buyer_id=command.buyer_id)
        return views.trade_view(trade)

    def _open(
        self, order: TradeOrder, *, buyer_id: str | None
    ) -> tuple[payments.Trade, payments.CreateTrade]:
        """The trade of ``order`` (new, or the same order again), linked to its app."""
        create = _create_command(order, buyer_id)
        try:
            trade = self._service.create(create)
        except payments.OutTradeNoConflict:
            ref = payments.TradeRef.by_out_trade_no(order.merchant_id, order.out_trade_no)
            _refuse_if_done(self._service.query(ref))
            raise
        _refuse_if_done(trade)
        self._links.link(
            TradeLink(
                trade_id=trade.id,
                app_id=order.app_id,
                notify_url=order.notify_url,
                created_at_ns=self._clock.now_ns(),
            )
        )
        return trade, create

    # -- existing trades -------------------------------------------------------------------

    def query(self, ref: TradeRef) -> TradeView:
        return views.trade_view(self._service.query(_ref(ref)))

    def close(self, command: CloseTrade) -> TradeView:
        return views.trade_view(self._service.close(_ref(command.ref)))

    def cancel(self, command: CancelTrade) -> CancelOutcome:
        trade = self._service.query(_ref(command.ref))
        try:
            result = self._service.cancel(trade.id)
        except (payments.TradePaymentInProgress, payments.RefundInProgress):
            # The protocol's answer to "not now": retry_flag=Y, and the merchant calls again.
            return CancelOutcome(
                trade_no=views.trade_no(trade.id),
                out_trade_no=trade.out_trade_no,
                action=CancelAction.NONE,
                retry=True,
            )
        action = _ACTIONS.get(result.action, CancelAction.NONE)
        refunded_at = None
        if action is CancelAction.REFUND:
            # A held escrow is voided without a refund record: the trade closed at that time.
            refunded_at = result.refund.succeeded_at if result.refund else result.trade.closed_at
        return CancelOutcome(
            trade_no=views.trade_no(trade.id),
            out_trade_no=trade.out_trade_no,
            action=action,
            refunded_at_ns=refunded_at,
        )

    # -- refunds ---------------------------------------------------------------------------

    def refund(self, command: Refund) -> RefundView:
        trade = self._service.query(_ref(command.ref))
        request_no = command.out_request_no or trade.out_trade_no
        earlier = self._find_refund(trade.id, request_no)
        refund = self._service.refund(
            payments.RefundTrade(
                trade=payments.TradeRef.by_id(trade.id),
                out_refund_no=request_no,
                amount=command.refund_amount,
                reason=command.reason or "",
            )
        )
        if refund.status is not payments.RefundStatus.SUCCEEDED:
            raise payments.RefundInProgress("the refund is in flight", refund_id=str(refund.id))
        # fund_change=N: this request repeats a refund that had already succeeded.
        repeated = earlier is not None and earlier.status is payments.RefundStatus.SUCCEEDED
        now = self._service.query(trade.id)
        return views.refund_view(now, refund, fund_change=not repeated)

    def refund_query(self, query: RefundQuery) -> RefundView | None:
        trade = self._service.query(_ref(query.ref))
        refund = self._find_refund(trade.id, query.out_request_no)
        if refund is None or refund.status is not payments.RefundStatus.SUCCEEDED:
            # Processing or failed: not a refund yet. Repeating alipay.trade.refund with the
            # same out_request_no is safe and finishes (or retries) it.
            return None
        return views.refund_view(trade, refund, fund_change=False)

    def _find_refund(self, trade_id: int, out_refund_no: str) -> payments.Refund | None:
        try:
            return self._service.query_refund(trade_id, out_refund_no)
        except payments.RefundNotFound:
            return None
