"""``biz_content``: the JSON object of business fields, read into typed commands.

Each field is checked against the protocol's rules before any command exists: identifiers
(``out_trade_no``, ``trade_no``, ``out_request_no``, ``buyer_id``) are 1-64 of
``[A-Za-z0-9_-]``; amounts are yuan with at most two decimals in [0.01, 100000000], read
exactly (a JSON number is read from its own digits, never through a float); free text has a
length limit and no control characters. A failure is ``40004 ACQ.INVALID_PARAMETER`` naming
the field. Fields the gateway does not know are ignored, as the protocol does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Final

from bankstack.gateway.alipay.codes import invalid, invalid_biz, missing
from bankstack.gateway.alipay.commands import (
    ASSET,
    CancelTrade,
    CloseTrade,
    CreateTrade,
    PayByCode,
    Precreate,
    Refund,
    RefundQuery,
    Scene,
    TradeOrder,
    TradeRef,
)
from bankstack.gateway.alipay.ports import AlipayApp
from bankstack.kernel.money import Money

MIN_AMOUNT: Final = Money(1, ASSET)  # 0.01
MAX_AMOUNT: Final = Money(100_000_000_00, ASSET)  # 100000000.00
_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_AUTH_CODE: Final = re.compile(r"[A-Za-z0-9]{1,64}")
_AMOUNT: Final = re.compile(r"(?:0|[1-9][0-9]{0,8})(?:\.[0-9]{1,2})?")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
_TIMEOUT: Final = re.compile(r"([1-9][0-9]{0,5})([mhd])")
_UNIT_SECONDS: Final = {"m": 60, "h": 3600, "d": 86400}
MAX_TIMEOUT_S: Final = 15 * 86400  # the protocol's longest timeout_express is 15d


class _Number(str):
    """A JSON number kept as the digits the client wrote."""

    __slots__ = ()


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not allowed")


@dataclass(frozen=True, slots=True)
class Biz:
    data: dict[str, object]

    @classmethod
    def parse(cls, text: str | None) -> Biz:
        if text is None:
            raise missing("biz_content")
        try:
            data = json.loads(
                text, parse_float=_Number, parse_int=_Number, parse_constant=_no_constants
            )
        except (ValueError, RecursionError):
            raise invalid("isv.invalid-parameter", "biz_content is not valid JSON") from None
        if not isinstance(data, dict):
            raise invalid("isv.invalid-parameter", "biz_content must be a JSON object")
        return cls(data)

    def text(self, name: str, max_len: int) -> str | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise invalid_biz(f"{name} must be a string")
        if len(value) > max_len or _CONTROL.search(value):
            raise invalid_biz(f"{name} must be at most {max_len} characters, without controls")
        return str(value)

    def required_text(self, name: str, max_len: int) -> str:
        value = self.text(name, max_len)
        if value is None:
            raise invalid_biz(f"{name} is required")
        return value

    def ident(self, name: str, *, pattern: re.Pattern[str] = _ID) -> str | None:
        value = self.text(name, 64)
        if value is not None and not pattern.fullmatch(value):
            allowed = "letters, digits, _ and -" if pattern is _ID else "letters and digits"
            raise invalid_biz(f"{name} must be 1-64 characters: {allowed}")
        return value

    def required_ident(self, name: str, *, pattern: re.Pattern[str] = _ID) -> str:
        value = self.ident(name, pattern=pattern)
        if value is None:
            raise invalid_biz(f"{name} is required")
        return value

    def amount(self, name: str) -> Money:
        value = self.data.get(name)
        if value is None or value == "":
            raise invalid_biz(f"{name} is required")
        if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
            raise invalid_biz(f"{name} must be yuan with at most 2 decimals, e.g. 88.88")
        money = Money.parse(str(value), ASSET)
        if money < MIN_AMOUNT:
            raise invalid_biz(f"{name} must be at least 0.01")
        if money > MAX_AMOUNT:
            raise invalid_biz(f"{name} must be at most 100000000")
        return money

    def timeout_s(self) -> int | None:
        value = self.text("timeout_express", 8)
        if value is None:
            return None
        match = _TIMEOUT.fullmatch(value)
        if match is None:
            raise invalid_biz("timeout_express must be like 90m, 2h or 1d")
        seconds = int(match[1]) * _UNIT_SECONDS[match[2]]
        if seconds > MAX_TIMEOUT_S:
            raise invalid_biz("timeout_express must be at most 15d")
        return seconds

    def trade_ref(self, merchant_id: str) -> TradeRef:
        """The trade named by ``trade_no``, else by ``out_trade_no`` (trade_no wins)."""
        trade_no = self.ident("trade_no")
        out_trade_no = self.ident("out_trade_no")
        if trade_no is not None:
            return TradeRef(merchant_id=merchant_id, trade_no=trade_no)
        if out_trade_no is not None:
            return TradeRef(merchant_id=merchant_id, out_trade_no=out_trade_no)
        raise invalid_biz("out_trade_no or trade_no is required")


@dataclass(frozen=True, slots=True)
class Call:
    """One verified request: the app it is for, its business fields, its notify_url."""

    app: AlipayApp
    biz: Biz
    notify_url: str | None


def _order(call: Call) -> TradeOrder:
    biz = call.biz
    return TradeOrder(
        app_id=call.app.app_id,
        merchant_id=call.app.merchant_id,
        out_trade_no=biz.required_ident("out_trade_no"),
        total_amount=biz.amount("total_amount"),
        subject=biz.required_text("subject", 256),
        body=biz.text("body", 128),
        timeout_s=biz.timeout_s(),
        notify_url=call.notify_url or call.app.notify_url,
        operator_id=biz.text("operator_id", 28),
        store_id=biz.text("store_id", 32),
        terminal_id=biz.text("terminal_id", 32),
    )


def precreate(call: Call) -> Precreate:
    return Precreate(order=_order(call))


def pay_by_code(call: Call) -> PayByCode:
    scene = call.biz.required_text("scene", 32)
    if scene not in {Scene.BAR_CODE, Scene.WAVE_CODE}:
        raise invalid_biz("scene must be bar_code or wave_code")
    auth_code = call.biz.required_ident("auth_code", pattern=_AUTH_CODE)
    return PayByCode(order=_order(call), scene=Scene(scene), auth_code=auth_code)


def create_trade(call: Call) -> CreateTrade:
    return CreateTrade(order=_order(call), buyer_id=call.biz.required_ident("buyer_id"))


def refund(call: Call) -> Refund:
    biz = call.biz
    return Refund(
        ref=biz.trade_ref(call.app.merchant_id),
        refund_amount=biz.amount("refund_amount"),
        out_request_no=biz.ident("out_request_no"),
        reason=biz.text("refund_reason", 256),
        operator_id=biz.text("operator_id", 28),
    )


def refund_query(call: Call) -> RefundQuery:
    return RefundQuery(
        ref=call.biz.trade_ref(call.app.merchant_id),
        out_request_no=call.biz.required_ident("out_request_no"),
    )


def close_trade(call: Call) -> CloseTrade:
    return CloseTrade(
        ref=call.biz.trade_ref(call.app.merchant_id),
        operator_id=call.biz.text("operator_id", 28),
    )


def cancel_trade(call: Call) -> CancelTrade:
    return CancelTrade(ref=call.biz.trade_ref(call.app.merchant_id))
