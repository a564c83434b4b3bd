"""``/v1/trades``: QR, cashier and barcode trades, refunds and escrow for partner apps.

Every money-moving call is guarded by ``Idempotency-Key`` (the guard replays a stored answer,
refuses a reused key with another body, and a concurrent duplicate); business keys
(``out_trade_no``, ``out_refund_no``) make the payments themselves idempotent on top.
A trade belongs to the merchant of the calling app: another merchant's trade is not found.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, IPvAnyAddress, StrictInt, StrictStr

from bankstack.gateway.api.idempotency import IdempotencyGuard
from bankstack.gateway.api.routing import v1_router
from bankstack.gateway.api.views import (
    TRADE_PREFIX,
    AmountIn,
    TradeMethod,
    list_view,
    refund_view,
    scoped,
    trade_id,
    trade_view,
)
from bankstack.gateway.domain.pages import Position, decode_cursor, encode_cursor
from bankstack.gateway.errors import ParameterInvalid
from bankstack.kernel.errors import Forbidden
from bankstack.payments import (
    CreateTrade,
    PayByCode,
    PaymentsService,
    RefundTrade,
    Trade,
    TradeRef,
)
from bankstack.payments.records import DeadlineAction, EscrowTerms
from bankstack.payments.screening import PayerContext

_STRICT = ConfigDict(extra="forbid")


class TestModeOnly(Forbidden):
    code = "test_mode_only"


class EscrowIn(BaseModel):
    model_config = _STRICT
    deadline_s: Annotated[StrictInt, Field(ge=1, le=180 * 86_400)]
    on_deadline: Literal["release", "refund"] = "refund"


class CreateTradeIn(BaseModel):
    model_config = _STRICT
    out_trade_no: Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    amount: AmountIn
    subject: Annotated[StrictStr, Field(min_length=1, max_length=256)]
    method: TradeMethod = "qr"
    auth_code: Annotated[StrictStr, Field(pattern=r"^[0-9]{1,32}$")] | None = None
    buyer_id: Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")] | None = None
    timeout_s: Annotated[StrictInt, Field(ge=60, le=15 * 86_400)] = 7200
    escrow: EscrowIn | None = None


_CUSTOMER = r"^[A-Za-z0-9_.-]{1,64}$"


class PayIn(BaseModel):
    model_config = _STRICT
    auth_code: Annotated[StrictStr, Field(pattern=r"^[0-9]{1,32}$")] | None = None
    customer_id: Annotated[StrictStr, Field(pattern=_CUSTOMER)] | None = None
    device_id: (
        Annotated[
            StrictStr,
            Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$", description="the payer's device, for risk"),
        ]
        | None
    ) = None
    ip: IPvAnyAddress | None = Field(default=None, description="the payer's IP, for risk")


class ChallengeCodeIn(BaseModel):
    model_config = _STRICT
    customer_id: Annotated[StrictStr, Field(pattern=_CUSTOMER)]
    code: Annotated[StrictStr, Field(pattern=r"^[0-9]{6}$")]


class RefundIn(BaseModel):
    model_config = _STRICT
    out_refund_no: Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    amount: AmountIn
    reason: Annotated[StrictStr, Field(max_length=256)] = ""


class DisputeIn(BaseModel):
    model_config = _STRICT
    reason: Annotated[StrictStr, Field(min_length=1, max_length=256)]


class ConfirmIn(BaseModel):
    model_config = _STRICT
    customer_id: Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


class _Caller:
    """The app's merchant and mode, as the authenticator put them on the request."""

    def __init__(self, request: Request) -> None:
        self.merchant_id = scoped(request.state.merchant_id, livemode=request.state.livemode)
        self.livemode: bool = request.state.livemode

    def ref(self, public_id: str) -> TradeRef:
        return TradeRef.by_id(trade_id(public_id), self.merchant_id)

    def party(self, party_id: str) -> str:
        return scoped(party_id, livemode=self.livemode)


async def _caller(request: Request) -> _Caller:
    # A coroutine, so FastAPI resolves it on the event loop: a plain class dependency costs a
    # worker-thread hand-off per request.
    return _Caller(request)


CallerDep = Annotated[_Caller, Depends(_caller)]


def trades_router(
    payments: PaymentsService, idempotency: IdempotencyGuard, dependencies: list[Any]
) -> APIRouter:
    router = v1_router(prefix="/v1", tags=["trades"], dependencies=dependencies)

    def view(trade: Trade, caller: _Caller) -> dict[str, Any]:
        url = payments.cashier_url(trade.id)
        return trade_view(trade, livemode=caller.livemode, cashier_url=url)

    @router.post("/trades", status_code=201, summary="Create a QR, cashier or barcode trade")
    @idempotency
    def create_trade(body: CreateTradeIn, caller: CallerDep) -> dict[str, Any]:
        command = CreateTrade(
            merchant_id=caller.merchant_id,
            out_trade_no=body.out_trade_no,
            amount=body.amount.money(),
            subject=body.subject,
            buyer_id=caller.party(body.buyer_id) if body.buyer_id else None,
            timeout_s=body.timeout_s,
            escrow=None
            if body.escrow is None
            else EscrowTerms(body.escrow.deadline_s, DeadlineAction(body.escrow.on_deadline)),
        )
        if body.method == "barcode":
            if body.auth_code is None:
                raise _missing("auth_code", "a barcode trade needs the customer's auth_code")
            return view(payments.pay(PayByCode(trade=command, auth_code=body.auth_code)), caller)
        # A QR trade and a cashier trade are the same trade: its cashier URL is what the QR
        # code encodes (``cashier_url`` in the answer). The SVG is left to the partner's
        # till and the cashier page: rendering it here cost a third of the server's CPU.
        return view(payments.create(command), caller)

    @router.get("/trades/{trade}", summary="Retrieve a trade")
    def get_trade(trade: str, caller: CallerDep) -> dict[str, Any]:
        return view(payments.query(caller.ref(trade)), caller)

    @router.get("/trades", summary="List trades newest first, or find one by out_trade_no")
    def list_trades(
        caller: CallerDep,
        out_trade_no: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> dict[str, Any]:
        if out_trade_no is not None:
            ref = TradeRef.by_out_trade_no(caller.merchant_id, out_trade_no)
            return list_view([view(payments.query(ref), caller)])
        before = decode_cursor(cursor)
        after = None if before is None else (before.created_at, trade_id(before.id))
        found = payments.list_trades(caller.merchant_id, before=after, limit=limit + 1)
        page = found[:limit]
        more = len(found) > limit
        last = page[-1] if page and more else None
        return {
            "object": "list",
            "data": [view(t, caller) for t in page],
            "has_more": more,
            "next_cursor": None
            if last is None
            else encode_cursor(Position(last.created_at, f"{TRADE_PREFIX}{last.id:032x}")),
        }

    @router.post("/trades/{trade}/pay", summary="Pay a trade (auth code; test mode: wallet)")
    @idempotency
    def pay_trade(trade: str, body: PayIn, caller: CallerDep) -> dict[str, Any]:
        ref = caller.ref(trade)
        if body.customer_id is not None:
            if caller.livemode:
                raise TestModeOnly("paying as a customer is a test-mode simulation")
            context = PayerContext(
                device_id=body.device_id,
                ip=None if body.ip is None else str(body.ip),
                channel="app",
            )
            paid = payments.pay_with_wallet(ref, caller.party(body.customer_id), context)
            return view(paid, caller)
        if body.auth_code is None:
            raise _missing("auth_code", "send the customer's auth_code")
        current = payments.query(ref)
        command = _same_trade(current, body.auth_code)
        return view(payments.pay(command), caller)

    @router.post("/trades/{trade}/confirm", summary="Confirm a challenged payment (test mode)")
    def confirm_trade(trade: str, body: ChallengeCodeIn, caller: CallerDep) -> dict[str, Any]:
        """The one-time code risk screening sent to the payer (``payments.challenge_required``);
        then pay again. Live payers confirm in the bank's own app or cashier page."""
        if caller.livemode:
            raise TestModeOnly("confirming as a customer is a test-mode simulation")
        ref = caller.ref(trade)
        payments.confirm_challenge(ref, caller.party(body.customer_id), body.code)
        return view(payments.query(ref), caller)

    @router.post("/trades/{trade}/close", summary="Close an unpaid trade")
    @idempotency
    def close_trade(trade: str, caller: CallerDep) -> dict[str, Any]:
        return view(payments.close(caller.ref(trade)), caller)

    @router.post("/trades/{trade}/cancel", summary="Cancel: close if unpaid, refund if paid")
    @idempotency
    def cancel_trade(trade: str, caller: CallerDep) -> dict[str, Any]:
        result = payments.cancel(caller.ref(trade))
        return {**view(result.trade, caller), "cancel_action": result.action}

    _refund_routes(router, payments, idempotency)
    _escrow_routes(router, payments, idempotency, view)
    return router


def _refund_routes(router: APIRouter, payments: PaymentsService, idem: IdempotencyGuard) -> None:
    @router.post("/trades/{trade}/refunds", status_code=201, summary="Refund a paid trade")
    @idem
    def refund_trade(trade: str, body: RefundIn, caller: CallerDep) -> dict[str, Any]:
        command = RefundTrade(
            trade=caller.ref(trade),
            out_refund_no=body.out_refund_no,
            amount=body.amount.money(),
            reason=body.reason,
        )
        return refund_view(payments.refund(command), livemode=caller.livemode)

    @router.get("/trades/{trade}/refunds", summary="List a trade's refunds")
    def list_refunds(trade: str, caller: CallerDep) -> dict[str, Any]:
        refunds = payments.list_refunds(caller.ref(trade))
        return list_view([refund_view(r, livemode=caller.livemode) for r in refunds])

    @router.get("/trades/{trade}/refunds/{out_refund_no}", summary="Retrieve a refund")
    def get_refund(trade: str, out_refund_no: str, caller: CallerDep) -> dict[str, Any]:
        refund = payments.query_refund(caller.ref(trade), out_refund_no)
        return refund_view(refund, livemode=caller.livemode)


def _escrow_routes(
    router: APIRouter, payments: PaymentsService, idem: IdempotencyGuard, view: Any
) -> None:
    @router.post("/trades/{trade}/escrow/release", summary="The buyer confirmed: release")
    @idem
    def release(trade: str, body: ConfirmIn, caller: CallerDep) -> dict[str, Any]:
        confirmed = payments.confirm_receipt(caller.ref(trade), caller.party(body.customer_id))
        return view(confirmed, caller)  # type: ignore[no-any-return]

    @router.post("/trades/{trade}/escrow/refund", summary="Give the held payment back")
    @idem
    def refund_held(trade: str, caller: CallerDep) -> dict[str, Any]:
        return view(payments.refund_escrow(caller.ref(trade)), caller)  # type: ignore[no-any-return]

    @router.post("/trades/{trade}/escrow/dispute", summary="Freeze the held payment")
    @idem
    def dispute(trade: str, body: DisputeIn, caller: CallerDep) -> dict[str, Any]:
        return view(payments.dispute(caller.ref(trade), body.reason), caller)  # type: ignore[no-any-return]


def _same_trade(trade: Trade, auth_code: str) -> PayByCode:
    """Pay an existing trade by code: the command names it by its own parameters."""
    return PayByCode(
        trade=CreateTrade(
            merchant_id=trade.merchant_id,
            out_trade_no=trade.out_trade_no,
            amount=trade.amount,
            subject=trade.subject,
            buyer_id=trade.buyer_id,
            timeout_s=trade.timeout_s,
            escrow=trade.escrow_terms,
        ),
        auth_code=auth_code,
    )


def _missing(param: str, detail: str) -> Exception:
    return ParameterInvalid(detail, param=param)
