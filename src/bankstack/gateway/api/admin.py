"""``/admin``: staff operations for the partner platform (bearer ``BANKSTACK_ADMIN_TOKEN``).

Onboarding a merchant registers it with payments in both modes (live under its id, test
under ``test.<id>``), apps get Ed25519 keys (raw 32 bytes, base64url) and sandbox API keys,
and in test mode staff can open and fund customer wallets and issue payment codes, which is
how the demo and the benchmarks set up their customers. Disputes are resolved here too, and
customers' transfers to each other are sent here (admin_transfers.py) until customers have
an API of their own.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, ConfigDict, Field, SecretStr, StrictStr

from bankstack.gateway.api.admin_transfers import transfer_routes
from bankstack.gateway.api.routing import v1_router
from bankstack.gateway.api.views import AmountIn, money_view, scoped, trade_id
from bankstack.gateway.errors import ParameterInvalid
from bankstack.gateway.service.apps import AppService
from bankstack.kernel.errors import Unauthenticated
from bankstack.payments import FundWallet, PaymentsService, RegisterMerchant, TradeRef
from bankstack.payments.records import DisputeOutcome

_STRICT = ConfigDict(extra="forbid")
_ID = r"^[A-Za-z0-9_-]{1,64}$"


class AdminTokenInvalid(Unauthenticated):
    code = "admin_token_invalid"


class MerchantIn(BaseModel):
    model_config = _STRICT
    merchant_id: Annotated[StrictStr, Field(pattern=_ID)]
    name: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    currency: Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")] = "CNY"
    fee_rate: Annotated[StrictStr, Field(description="Decimal string, e.g. 0.006")] = "0.006"


class AppIn(BaseModel):
    model_config = _STRICT
    merchant_id: Annotated[StrictStr, Field(pattern=_ID)]
    mode: Literal["test", "live"] = "test"
    name: Annotated[StrictStr, Field(max_length=200)] = ""


class KeyIn(BaseModel):
    model_config = _STRICT
    public_key: Annotated[StrictStr, Field(description="Raw Ed25519 public key, base64url")]


class WalletIn(BaseModel):
    model_config = _STRICT
    customer_id: Annotated[StrictStr, Field(pattern=_ID)]
    mode: Literal["test", "live"] = "test"
    deposit: AmountIn | None = None
    reference: Annotated[StrictStr, Field(pattern=_ID)] | None = None


class ResolveIn(BaseModel):
    model_config = _STRICT
    merchant_id: Annotated[StrictStr, Field(pattern=_ID)]
    mode: Literal["test", "live"] = "test"
    outcome: Literal["seller", "buyer"]
    staff_id: Annotated[StrictStr, Field(pattern=_ID)]


def staff_only(admin_token: SecretStr | None) -> Callable[..., None]:
    """A dependency admitting only ``Authorization: Bearer <BANKSTACK_ADMIN_TOKEN>``."""

    def staff(authorization: Annotated[str | None, Header()] = None) -> None:
        expected = admin_token.get_secret_value() if admin_token else None
        given = (authorization or "").removeprefix("Bearer ")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise AdminTokenInvalid("send Authorization: Bearer <BANKSTACK_ADMIN_TOKEN>")

    return staff


def admin_router(
    apps: AppService, payments: PaymentsService, admin_token: SecretStr | None
) -> APIRouter:
    staff = staff_only(admin_token)
    router = v1_router(prefix="/admin", tags=["admin"], dependencies=[Depends(staff)])

    @router.post("/merchants", status_code=201, summary="Onboard a merchant (both modes)")
    def onboard(body: MerchantIn) -> dict[str, Any]:
        rate = _rate(body.fee_rate)
        for live in (True, False):
            payments.register_merchant(
                RegisterMerchant(
                    merchant_id=scoped(body.merchant_id, livemode=live),
                    name=body.name,
                    currency=body.currency,
                    fee_rate=rate,
                )
            )
        return {"object": "merchant", "id": body.merchant_id, "fee_rate": str(rate)}

    @router.post("/apps", status_code=201, summary="Create a partner app")
    def create_app(body: AppIn) -> dict[str, Any]:
        app = apps.create_app(body.merchant_id, mode=body.mode, name=body.name)
        return {"object": "app", "id": app.id, "merchant_id": app.merchant_id, "mode": app.mode}

    @router.post("/apps/{app_id}/keys", status_code=201, summary="Register an Ed25519 key")
    def add_key(app_id: str, body: KeyIn) -> dict[str, Any]:
        key = apps.add_key(app_id, _b64url(body.public_key))
        return {"object": "app_key", "kid": key.kid, "app_id": app_id, "status": str(key.status)}

    @router.post("/apps/{app_id}/api_keys", status_code=201, summary="Issue a sandbox API key")
    def issue_api_key(app_id: str) -> dict[str, Any]:
        issued = apps.issue_api_key(app_id)
        return {"object": "api_key", "id": issued.api_key.id, "secret": issued.secret}

    _wallet_routes(router, payments)
    transfer_routes(router, payments)
    return router


def _wallet_routes(router: APIRouter, payments: PaymentsService) -> None:
    @router.post("/wallets", status_code=201, summary="Open (and fund) a customer wallet")
    def open_wallet(body: WalletIn) -> dict[str, Any]:
        customer = scoped(body.customer_id, livemode=body.mode == "live")
        currency = body.deposit.currency if body.deposit else "CNY"
        payments.open_wallet(customer, currency)
        if body.deposit is not None:
            reference = body.reference or f"open-{body.customer_id}"
            payments.fund_wallet(
                FundWallet(customer_id=customer, amount=body.deposit.money(), reference=reference)
            )
        balance = payments.wallet_balance(customer, currency)
        return {"object": "wallet", "customer_id": body.customer_id, "mode": body.mode,
                "available": money_view(balance.available)}  # fmt: skip

    @router.post("/wallets/{customer_id}/payment_codes", status_code=201,
                 summary="Issue a one-time payment code (the customer's barcode)")  # fmt: skip
    def payment_code(customer_id: str, mode: Literal["test", "live"] = "test") -> dict[str, Any]:
        issued = payments.issue_payment_code(scoped(customer_id, livemode=mode == "live"))
        return {"object": "payment_code", "code": issued.code, "expires_at": issued.expires_at}

    @router.post("/trades/{trade}/dispute/resolve", summary="Resolve a disputed escrow")
    def resolve(trade: str, body: ResolveIn) -> dict[str, Any]:
        merchant = scoped(body.merchant_id, livemode=body.mode == "live")
        ref = TradeRef.by_id(trade_id(trade), merchant)
        resolved = payments.resolve_dispute(
            ref, staff_id=body.staff_id, outcome=DisputeOutcome(body.outcome)
        )
        return {"object": "trade", "id": trade, "status": str(resolved.status)}


def _rate(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as error:
        raise ParameterInvalid("fee_rate must be a decimal string", param="fee_rate") from error


def _b64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise ParameterInvalid("public_key must be base64url", param="public_key") from error
