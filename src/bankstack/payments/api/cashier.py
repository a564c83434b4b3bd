"""The hosted cashier: the page a customer reaches by scanning a trade's QR code.

    GET  /cashier/{trade_id}       merchant, subject, amount, status, time left, QR code, and
                                   while the trade can be paid, a form to pay as a demo customer
    POST /cashier/{trade_id}/pay   form field ``customer_id``: pay from that customer's wallet,
                                   then 303 back to the page (POST-redirect-GET, so a refresh
                                   never posts again; paying is idempotent in the service too)
    POST /cashier/{trade_id}/confirm  fields ``customer_id`` and ``code``: when risk screening
                                   challenged the payment, the one-time code sent to the
                                   customer; a right code pays, then 303 back to the page

A challenged payment answers the page with the code form instead of a redirect. With
``demo_codes`` (the demo) the form also shows the code the customer's phone received.

``trade_id`` is the decimal id exactly as ``PaymentsService.cashier_url`` writes it (no sign,
no leading zeros, at most 2**128-1); anything else is the same 404 page as an unknown trade.
A refused payment re-renders the page with a message and the status of its category (see
notices.py); an unexpected error is a short 500 page, logged here, never a traceback. Every
answer forbids scripts, framing and caching (``SECURITY_HEADERS``).

Demo only: the form names who pays and nobody signs in. With ``demo_customers`` the payer
must be one of the customers it lists, so the page cannot spend any other wallet.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bankstack.kernel.clock import Clock, SystemClock
from bankstack.kernel.errors import BankstackError
from bankstack.kernel.ids import U128_MAX
from bankstack.payments.api import notices
from bankstack.payments.api.page import (
    ConfirmForm,
    PayForm,
    render_message_page,
    render_trade_page,
)
from bankstack.payments.api.view import Notice, trade_view
from bankstack.payments.errors import (
    ChallengeCodeInvalid,
    ChallengeRequired,
    MerchantNotFound,
    TradeNotFound,
)
from bankstack.payments.qr import qr_svg
from bankstack.payments.service import PaymentsService
from bankstack.platform.logging import get_logger

DemoCustomers = Callable[[], list[tuple[str, str]]]
DemoCodes = Callable[[str], str | None]  # customer id -> the newest code sent to them
FormAction = Callable[[int, dict[str, str], "Paths"], Response]

SECURITY_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
FORM_TYPE: Final = "application/x-www-form-urlencoded"
MAX_FORM_BYTES: Final = 4096  # one customer id; anything bigger is not our form
_TRADE_ID: Final = re.compile(r"[1-9][0-9]{0,38}")

_log = get_logger(__name__)


def parse_trade_id(text: str) -> int | None:
    """The trade id in a cashier URL, or None when ``text`` is not exactly such an id."""
    if _TRADE_ID.fullmatch(text) is None:
        return None
    value = int(text)
    return value if value <= U128_MAX else None


class FormUnreadable(Exception):
    def __init__(self, status: HTTPStatus) -> None:
        super().__init__(status.phrase)
        self.status = status


async def read_form(request: Request) -> dict[str, str]:
    """The fields of an urlencoded form body, stripped; a repeated field is left out."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        raise FormUnreadable(HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormUnreadable(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    try:
        fields = parse_qs(
            body.decode("ascii"), keep_blank_values=True, errors="strict", max_num_fields=16
        )
    except ValueError as error:  # UnicodeDecodeError is a ValueError too
        raise FormUnreadable(HTTPStatus.UNPROCESSABLE_ENTITY) from error
    return {name: values[0].strip() for name, values in fields.items() if len(values) == 1}


def _html(body: str, status: int = HTTPStatus.OK) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


def _missing() -> HTMLResponse:
    return _html(render_message_page(notices.TRADE_NOT_FOUND), HTTPStatus.NOT_FOUND)


@dataclass(frozen=True, slots=True)
class Paths:
    page: str
    pay: str
    confirm: str


@dataclass(frozen=True, slots=True)
class Cashier:
    """The page's work, all blocking (database, ledger): the routes run it in threads."""

    payments: PaymentsService
    demo_customers: DemoCustomers | None
    clock: Clock
    demo_codes: DemoCodes | None = None

    def page(
        self,
        trade_id: int,
        paths: Paths,
        *,
        status: int = HTTPStatus.OK,
        notice: Notice | None = None,
        selected: str = "",
        confirming: bool = False,
    ) -> HTMLResponse:
        try:
            trade = self.payments.query(trade_id)
        except TradeNotFound:
            return _missing()
        try:
            merchant_name = self.payments.get_merchant(trade.merchant_id).name
        except MerchantNotFound:  # merchants are never removed, but a name must not fail the page
            merchant_name = trade.merchant_id
        url = self.payments.cashier_url(trade.id)
        view = trade_view(
            trade, merchant_name=merchant_name, cashier_url=url, now_ns=self.clock.now_ns()
        )
        form: PayForm | ConfirmForm | None = None
        if view.payable and confirming:
            code = self.demo_codes(selected) if self.demo_codes is not None else None
            form = ConfirmForm(paths.confirm, selected, code)
        elif view.payable:
            customers = self.demo_customers() if self.demo_customers is not None else None
            form = PayForm(paths.pay, customers, selected)
        qr = qr_svg(url) if view.shows_qr else None
        body = render_trade_page(view, page_path=paths.page, form=form, notice=notice, qr_svg=qr)
        return _html(body, status)

    def pay(self, trade_id: int, customer_id: str, paths: Paths) -> Response:
        return self._paying(trade_id, customer_id, paths, code=None)

    def pay_form(self, trade_id: int, form: dict[str, str], paths: Paths) -> Response:
        return self.pay(trade_id, form.get("customer_id", ""), paths)

    def confirm(self, trade_id: int, form: dict[str, str], paths: Paths) -> Response:
        return self._paying(trade_id, form.get("customer_id", ""), paths, code=form.get("code", ""))

    def _paying(self, trade_id: int, customer_id: str, paths: Paths, code: str | None) -> Response:
        if self.demo_customers is not None and customer_id not in {
            known for known, _ in self.demo_customers()
        }:
            return self.refused(
                trade_id, paths, HTTPStatus.UNPROCESSABLE_ENTITY, notices.NOT_A_DEMO_CUSTOMER
            )
        try:
            if code is not None:
                self.payments.confirm_challenge(trade_id, customer_id, code)
            self.payments.pay_with_wallet(trade_id, customer_id)
        except TradeNotFound:
            return _missing()
        except ChallengeRequired:
            return self.page(
                trade_id, paths, notice=notices.CODE_SENT, selected=customer_id, confirming=True
            )
        except ChallengeCodeInvalid as error:
            status, notice = notices.refusal(error)
            return self.page(
                trade_id, paths, status=status, notice=notice, selected=customer_id,
                confirming=True,
            )  # fmt: skip
        except BankstackError as error:
            status, notice = notices.refusal(error)
            if status is HTTPStatus.INTERNAL_SERVER_ERROR:  # a bug or a misconfiguration
                _log.error("cashier payment failed", trade_id=str(trade_id), code=error.code)
            return self.refused(trade_id, paths, status, notice, customer_id)
        return RedirectResponse(paths.page, HTTPStatus.SEE_OTHER, headers=SECURITY_HEADERS)

    def refused(
        self, trade_id: int, paths: Paths, status: int, notice: Notice, selected: str = ""
    ) -> HTMLResponse:
        return self.page(trade_id, paths, status=status, notice=notice, selected=selected)


def cashier_router(
    payments: PaymentsService,
    *,
    demo_customers: DemoCustomers | None = None,
    clock: Clock | None = None,
    demo_codes: DemoCodes | None = None,
) -> APIRouter:
    """The cashier routes over ``payments``; ``demo_customers()`` lists (customer_id, label)
    to pay as (else the form asks for a customer id); ``clock`` (default: system time) must
    be the payments service's clock, since it decides what has expired; ``demo_codes``
    shows the one-time code a challenged demo customer received."""
    cashier = Cashier(payments, demo_customers, clock or SystemClock(), demo_codes)
    router = APIRouter(tags=["cashier"], include_in_schema=False)

    def paths_of(request: Request, trade_id: str) -> Paths:
        return Paths(
            page=request.url_for("cashier_page", trade_id=trade_id).path,
            pay=request.url_for("cashier_pay", trade_id=trade_id).path,
            confirm=request.url_for("cashier_confirm", trade_id=trade_id).path,
        )

    @router.get("/cashier/{trade_id}", name="cashier_page", response_class=HTMLResponse)
    async def cashier_page(request: Request, trade_id: str) -> Response:
        parsed = parse_trade_id(trade_id)
        if parsed is None:
            return _missing()
        return await _guarded(cashier.page, parsed, paths_of(request, trade_id))

    async def posted(request: Request, trade_id: str, act: FormAction) -> Response:
        """A form post: the trade id checked, the form read (a bad one re-renders the page)."""
        parsed = parse_trade_id(trade_id)
        if parsed is None:
            return _missing()
        paths = paths_of(request, trade_id)
        try:
            form = await read_form(request)
        except FormUnreadable as error:
            return await _guarded(
                cashier.refused, parsed, paths, error.status, notices.UNREADABLE_FORM
            )
        return await _guarded(act, parsed, form, paths)

    @router.post("/cashier/{trade_id}/pay", name="cashier_pay", response_class=HTMLResponse)
    async def cashier_pay(request: Request, trade_id: str) -> Response:
        return await posted(request, trade_id, cashier.pay_form)

    @router.post("/cashier/{trade_id}/confirm", name="cashier_confirm",
                 response_class=HTMLResponse)  # fmt: skip
    async def cashier_confirm(request: Request, trade_id: str) -> Response:
        return await posted(request, trade_id, cashier.confirm)

    return router


async def _guarded(work: Callable[..., Response], *args: object) -> Response:
    """Run ``work`` in a thread; an unexpected error becomes a plain 500 page, logged."""
    try:
        return await run_in_threadpool(work, *args)
    except Exception:  # noqa: BLE001 - the customer sees a page, the log gets the traceback
        _log.exception("cashier page failed")
        return _html(render_message_page(notices.FAILED), HTTPStatus.INTERNAL_SERVER_ERROR)
