"""The trade methods: each reads its command, calls the port, and writes the answer fields.

A handler returns the fields of the ``_response`` object (``code`` and ``msg`` first); errors
the port raises are left to the gateway, which maps them (``codes.outcome_for_error``).
Amounts are written as yuan strings (``"88.88"``) and times as Beijing ``yyyy-MM-dd HH:mm:ss``,
as the protocol does; a field without a value is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from bankstack.gateway.alipay import biz
from bankstack.gateway.alipay.biz import Call
from bankstack.gateway.alipay.codes import (
    BUSINESS_ERRORS,
    PAY_IN_PROGRESS,
    SUCCESS,
    Outcome,
    error_name,
)
from bankstack.gateway.alipay.commands import (
    ASSET,
    CancelAction,
    RefundView,
    TradeStatus,
    TradeView,
)
from bankstack.gateway.alipay.ports import AlipayTrades
from bankstack.gateway.alipay.times import format_beijing
from bankstack.kernel.errors import BankstackError
from bankstack.kernel.money import Money

Handler = Callable[[Call, AlipayTrades], dict[str, object]]
_ZERO: Final = Money.zero(ASSET)


def _answer(outcome: Outcome, **fields: object) -> dict[str, object]:
    answer = outcome.fields()
    answer.update((key, value) for key, value in fields.items() if value is not None)
    return answer


def _yuan(amount: Money | None) -> str:
    return (amount or _ZERO).format()


def _time(ns: int | None) -> str | None:
    return None if ns is None else format_beijing(ns)


def _paid(view: TradeView) -> bool:
    return view.status in {TradeStatus.TRADE_SUCCESS, TradeStatus.TRADE_FINISHED}


def _precreate(call: Call, trades: AlipayTrades) -> dict[str, object]:
    view = trades.precreate(biz.precreate(call))
    return _answer(SUCCESS, out_trade_no=view.out_trade_no, qr_code=view.qr_code)


def _pay(call: Call, trades: AlipayTrades) -> dict[str, object]:
    view = trades.pay_by_code(biz.pay_by_code(call))
    if view.status is TradeStatus.TRADE_CLOSED:
        return _answer(Outcome(*BUSINESS_ERRORS["trade_closed"]))
    paid = _paid(view)
    return _answer(
        SUCCESS if paid else PAY_IN_PROGRESS,
        trade_no=view.trade_no,
        out_trade_no=view.out_trade_no,
        buyer_logon_id=view.buyer_logon_id,
        buyer_user_id=view.buyer_id,
        total_amount=_yuan(view.total_amount),
        buyer_pay_amount=_yuan(view.paid_amount if paid else None),
        receipt_amount=_yuan(view.paid_amount if paid else None),
        gmt_payment=_time(view.paid_at_ns) if paid else None,
    )


def _create(call: Call, trades: AlipayTrades) -> dict[str, object]:
    view = trades.create(biz.create_trade(call))
    return _answer(SUCCESS, trade_no=view.trade_no, out_trade_no=view.out_trade_no)


def _query(call: Call, trades: AlipayTrades) -> dict[str, object]:
    view = trades.query(call.biz.trade_ref(call.app.merchant_id))
    return _answer(
        SUCCESS,
        trade_no=view.trade_no,
        out_trade_no=view.out_trade_no,
        trade_status=view.status.value,
        total_amount=_yuan(view.total_amount),
        buyer_pay_amount=_yuan(view.paid_amount),
        receipt_amount=_yuan(view.paid_amount),
        buyer_logon_id=view.buyer_logon_id,
        buyer_user_id=view.buyer_id,
        subject=view.subject,
        send_pay_date=_time(view.paid_at_ns),
    )


def _refund(call: Call, trades: AlipayTrades) -> dict[str, object]:
    view = trades.refund(biz.refund(call))
    return _answer(
        SUCCESS,
        trade_no=view.trade_no,
        out_trade_no=view.out_trade_no,
        buyer_logon_id=view.buyer_logon_id,
        buyer_user_id=view.buyer_id,
        fund_change="Y" if view.fund_change else "N",
        refund_fee=_yuan(view.refunded_total),
        send_back_fee=_yuan(view.refund_amount),
        gmt_refund_pay=_time(view.refunded_at_ns),
    )


def _refund_query(call: Call, trades: AlipayTrades) -> dict[str, object]:
    try:
        found: RefundView | None = trades.refund_query(biz.refund_query(call))
    except BankstackError as error:
        if error_name(error) != "refund_not_found":
            raise
        found = None  # a service that raises for a missing refund means the same as None
    if found is None:
        # The protocol's way of saying "no such refund": success without refund fields.
        return _answer(SUCCESS)
    return _answer(
        SUCCESS,
        trade_no=found.trade_no,
        out_trade_no=found.out_trade_no,
        out_request_no=found.out_request_no,
        total_amount=_yuan(found.total_amount),
        refund_amount=_yuan(found.refund_amount),
        refund_status="REFUND_SUCCESS",
        gmt_refund_pay=_time(found.refunded_at_ns),
    )


def _close(call: Call, trades: AlipayTrades) -> dict[str, object]:
    view = trades.close(biz.close_trade(call))
    return _answer(SUCCESS, trade_no=view.trade_no, out_trade_no=view.out_trade_no)


def _cancel(call: Call, trades: AlipayTrades) -> dict[str, object]:
    outcome = trades.cancel(biz.cancel_trade(call))
    return _answer(
        SUCCESS,
        trade_no=outcome.trade_no,
        out_trade_no=outcome.out_trade_no,
        retry_flag="Y" if outcome.retry else "N",
        action=outcome.action.value or None,
        gmt_refund_pay=_time(outcome.refunded_at_ns)
        if outcome.action is CancelAction.REFUND
        else None,
    )


METHODS: Final[dict[str, Handler]] = {
    "alipay.trade.precreate": _precreate,
    "alipay.trade.pay": _pay,
    "alipay.trade.create": _create,
    "alipay.trade.query": _query,
    "alipay.trade.refund": _refund,
    "alipay.trade.fastpay.refund.query": _refund_query,
    "alipay.trade.close": _close,
    "alipay.trade.cancel": _cancel,
}
