"""Mount the partner API on the app: ``/v1`` (signed), ``/admin`` (staff), the JWKS.

The authenticator sits in front of ``/v1`` (everything but the staff ledger API), so every
partner route sees a verified caller and every answer leaves signed. Money routes take an
``Idempotency-Key`` and are rate limited failing closed; reads fail open when the limiter's
store is down. Payments errors get their HTTP statuses here, the only place that knows both.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Final

from fastapi import Depends, FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from bankstack.entrypoints.bootstrap import Runtime
from bankstack.gateway.alipay.admin import alipay_admin_router
from bankstack.gateway.api.admin import admin_router, staff_only
from bankstack.gateway.api.auth import PartnerAuthMiddleware
from bankstack.gateway.api.events import events_router
from bankstack.gateway.api.idempotency import IdempotencyGuard
from bankstack.gateway.api.problems import PROBLEMS, problem_for_exception
from bankstack.gateway.api.ratelimit import RateLimit, per_app
from bankstack.gateway.api.trades import trades_router
from bankstack.gateway.domain.ratelimit import Policy
from bankstack.payments import (
    AuthCodeExpired,
    AuthCodeInvalid,
    AuthCodeUsed,
    ChallengeRequired,
    InsufficientFunds,
    MerchantInsufficientFunds,
    PaymentDeclined,
    RefundExceedsPaid,
    RiskRejected,
)
from bankstack.payments.api import cashier_router
from bankstack.platform.problems import problem_responses
from bankstack.risk.api.cases import cases_router
from bankstack_sdk.jwks import to_jwks

_DECLINES = (
    InsufficientFunds,
    MerchantInsufficientFunds,
    PaymentDeclined,
    RefundExceedsPaid,
    AuthCodeExpired,
    AuthCodeUsed,
    AuthCodeInvalid,
    RiskRejected,  # the payer's answer is no; support finds why by the decision id
    ChallengeRequired,  # not yet: the payer confirms with a one-time code, then pays again
)
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def install_partner_api(
    app: FastAPI,
    runtime: Runtime,
    *,
    demo_customers: Callable[[], list[tuple[str, str]]] | None = None,
) -> None:
    """Mount ``/v1``, ``/admin``, the cashier and the JWKS.

    ``demo_customers`` lists whom the cashier lets pay (the demo's customers). Without it
    nobody can pay there: a customer paying at the cashier must sign in first, which comes
    with customer identity; the page still shows the trade and its QR code.
    """
    partners = runtime.partners
    for decline in _DECLINES:
        PROBLEMS.register(decline, status=402, category="business_declined")
    policy = Policy("app", runtime.settings.partner_rate_per_s, 1)
    shared = runtime.settings.redis_url is not None  # a network store: call it off the loop
    reads = RateLimit(partners.limiter, per_app(policy), fail_open=True, offload=shared)
    writes = RateLimit(partners.limiter, per_app(policy), fail_open=False, offload=shared)

    async def rate_limit(request: Request) -> None:
        await (reads if request.method in _READS else writes)(request)

    limited = [Depends(rate_limit)]
    guard = IdempotencyGuard(partners.idempotency)
    app.include_router(trades_router(runtime.payments, guard, limited))
    app.include_router(events_router(partners.apps, partners.webhooks, limited))
    app.include_router(admin_router(partners.apps, runtime.payments, runtime.settings.admin_token))
    app.include_router(alipay_admin_router(partners.alipay, runtime.settings.admin_token))
    app.include_router(partners.alipay.router)
    if runtime.risk is not None:
        staff = staff_only(runtime.settings.admin_token)
        app.include_router(cases_router(runtime.risk.cases, staff))
    codes = runtime.codes if demo_customers is not None else None
    app.include_router(
        cashier_router(
            runtime.payments,
            clock=runtime.clock,
            demo_customers=demo_customers or list,
            demo_codes=codes.latest_code if codes is not None else None,
        )
    )
    key = partners.platform_key

    @app.get("/.well-known/jwks.json", tags=["partners"], summary="Platform signing keys")
    def jwks() -> JSONResponse:
        body: dict[str, Any] = to_jwks([(key.key_id, key.private_key.public_key())])
        return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})

    _partner_router_errors(app)
    app.add_middleware(
        PartnerAuthMiddleware,
        apps=partners.apps,
        nonces=partners.nonces,
        platform_key=lambda: key,
        clock=runtime.clock,
        sign_responses=runtime.settings.partner_sign_responses,
        offload=shared,
    )


def _is_partner_path(path: str) -> bool:
    return path.startswith(("/v1/", "/admin/")) and not path.startswith("/v1/ledger")


def _partner_router_errors(app: FastAPI) -> None:
    """The router's own 404 and 405 under ``/v1`` and ``/admin`` in the ``/v1`` problem shape
    (category, ``req_`` request id); elsewhere the app-wide handler stays as it was."""
    fallback = app.exception_handlers[StarletteHTTPException]

    async def http_error(request: Request, error: Exception) -> Response:
        if _is_partner_path(request.url.path):
            return problem_for_exception(error, request.scope)
        answer = fallback(request, error)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(StarletteHTTPException, http_error)


PARTNER_ERRORS: Final = (400, 401, 403, 404, 409, 429)


def document_partner_errors(schema: dict[str, Any]) -> None:
    """In the OpenAPI document, partner operations answer invalid input with 400 problem+json
    (not FastAPI's default 422) and may answer the other partner errors."""
    problems = {str(k): v for k, v in problem_responses(*PARTNER_ERRORS).items()}
    for path, operations in schema.get("paths", {}).items():
        if not _is_partner_path(path):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status, entry in problems.items():
                responses.setdefault(status, entry)
