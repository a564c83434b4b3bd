"""Errors over HTTP: RFC 9457 ``application/problem+json``, and a request id on every response.

This module is the only place that maps an error category of ``kernel.errors`` to an HTTP
status (style guide L5); domains raise ``BankstackError`` subclasses and never name a status.

    ValidationFailed 422 · NotFound 404 · Conflict 409 · Unauthenticated 401 (WWW-Authenticate)
    Forbidden 403 · Unavailable 503 (Retry-After when retryable) · anything else 500

Every problem body has ``type`` (``https://bankstack.dev/problems/<code>``), ``title``,
``status``, ``detail``, the stable ``code`` clients branch on, ``retryable`` and the
``request_id``; a malformed request adds ``errors``, one ``{loc, msg, type}`` per field. An
unexpected exception becomes a bare 500 ``internal.error`` (logged here with its traceback,
never sent), and an ``Unavailable`` error's message is logged rather than sent, because it
may quote a database driver.

``install_problem_handlers(app)`` registers the handlers and an ASGI middleware that gives
each request an id (the caller's ``X-Request-ID`` when it is sane, else a fresh one), binds it
to the structlog context and echoes it on the response.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final

import orjson
import structlog
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from bankstack.kernel.errors import (
    BankstackError,
    Conflict,
    Forbidden,
    NotFound,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)
from bankstack.platform.logging import get_logger

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_JSON: Final = "application/problem+json"
TYPE_BASE: Final = "https://bankstack.dev/problems/"
REQUEST_ID_HEADER: Final = "X-Request-ID"
_REQUEST_ID_BYTES: Final = b"x-request-id"
_SANE_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
MAX_LISTED_ERRORS: Final = 100

_CATEGORY_STATUS: Final[tuple[tuple[type[BankstackError], int], ...]] = (
    (ValidationFailed, 422),
    (NotFound, 404),
    (Conflict, 409),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (Unavailable, 503),
)
_TITLES: Final[dict[str, str]] = {
    "request.invalid": "The request is malformed",
    "request.too_large": "The request body is too large",
    "internal.error": "Internal server error",
}

_log = get_logger(__name__)


class RequestInvalid(ValidationFailed):
    """The request does not match its schema; ``errors`` lists each offending field."""

    code = "request.invalid"

    def __init__(self, errors: Sequence[Mapping[str, Any]], message: str | None = None) -> None:
        count = len(errors)
        shown = f" (the first {MAX_LISTED_ERRORS} are listed)" if count > MAX_LISTED_ERRORS else ""
        plural = "s" if count != 1 else ""
        super().__init__(
            message or f"{count} field{plural} of the request failed validation{shown}"
        )
        self.errors = [dict(e) for e in errors[:MAX_LISTED_ERRORS]]


class RequestTooLarge(ValidationFailed):
    """The body is over the size limit (HTTP 413)."""

    code = "request.too_large"


class Problem(BaseModel):
    """An RFC 9457 problem document, as every error of the API is sent."""

    type: str = Field(examples=["https://bankstack.dev/problems/ledger.account_not_found"])
    title: str
    status: int
    detail: str
    code: str = Field(description="stable machine-readable code; branch on this")
    retryable: bool
    request_id: str | None
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="request.invalid only: one {loc, msg, type} per field"
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json answers with these statuses."""
    ref = {"$ref": "#/components/schemas/Problem"}
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": ref}},
        }
        for status in statuses
    }


def openapi_components() -> dict[str, Any]:
    """Schemas ``problem_responses`` refers to, for the app's OpenAPI components."""
    return {"Problem": Problem.model_json_schema(ref_template="#/components/schemas/{model}")}


def field_error(loc: Sequence[str | int], msg: str, kind: str = "value_error") -> dict[str, Any]:
    """One entry of a problem's ``errors`` list."""
    return {"loc": list(loc), "msg": msg, "type": kind}


def errors_from_pydantic(
    errors: Sequence[Mapping[str, Any]], prefix: Sequence[str | int] = ()
) -> list[dict[str, Any]]:
    """Pydantic's error dicts reduced to ``loc``/``msg``/``type`` (the input is not echoed)."""
    return [
        field_error([*prefix, *e.get("loc", ())], str(e.get("msg", "")), str(e.get("type", "")))
        for e in errors
    ]


def request_invalid(
    error: ValidationError, prefix: Sequence[str | int] = ("body",)
) -> RequestInvalid:
    """A ``RequestInvalid`` for a pydantic ``ValidationError`` raised while parsing a body."""
    return RequestInvalid(errors_from_pydantic(error.errors(include_url=False), prefix))


def status_for(error: BaseException) -> int:
    if isinstance(error, RequestTooLarge):
        return 413
    for category, status in _CATEGORY_STATUS:
        if isinstance(error, category):
            return status
    return 500


def title_for(code: str, status: int) -> str:
    """A short summary of the problem type: the same for every occurrence of ``code``."""
    if code in _TITLES:
        return _TITLES[code]
    last = code.rsplit(".", 1)[-1].replace("_", " ").strip()
    return last[:1].upper() + last[1:] if last else HTTPStatus(status).phrase


def request_id_of(scope_or_request: Scope | Request) -> str | None:
    """The id ``RequestContextMiddleware`` gave the request (None outside of it)."""
    scope = scope_or_request.scope if isinstance(scope_or_request, Request) else scope_or_request
    state = scope.get("state")
    if isinstance(state, dict):
        value = state.get("request_id")
        return value if isinstance(value, str) else None
    return None


def problem_response(
    *,
    status: int,
    code: str,
    detail: str,
    request_id: str | None,
    retryable: bool = False,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title or title_for(code, status),
        "status": status,
        "detail": detail,
        "code": code,
        "retryable": retryable,
        "request_id": request_id,
    }
    if errors is not None:
        body["errors"] = errors
    if extra:
        for key, value in extra.items():
            body.setdefault(key, value)
    all_headers = dict(headers or {})
    if request_id is not None:
        all_headers[REQUEST_ID_HEADER] = request_id
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=all_headers
    )


def problem_for(error: BaseException, request_id: str | None) -> Response:
    """The problem response for any exception; internals never reach the body."""
    if not isinstance(error, BankstackError) or status_for(error) == 500:  # noqa: PLR2004
        if isinstance(error, BankstackError):  # an error outside every category: a bug
            _log.error("uncategorised error", code=error.code, error=error.message)
        return problem_response(
            status=500,
            code="internal.error",
            detail="The server failed to handle the request; the failure has been logged.",
            request_id=request_id,
        )
    status = status_for(error)
    detail = error.message
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if status == 401:  # noqa: PLR2004
        headers["WWW-Authenticate"] = 'Bearer realm="bankstack"'
    if status >= 500 and error.retryable:  # noqa: PLR2004
        # A transient failure's message may quote a database driver: log it, do not send it.
        _log.warning("unavailable", code=error.code, error=error.message)
        headers["Retry-After"] = "1"
        detail = "A service the request needs is unavailable; retry shortly."
    elif status < 500:  # noqa: PLR2004
        extra = {k: v for k, v in error.details.items() if _json_scalar(v)}
    return problem_response(
        status=status,
        code=error.code,
        detail=detail,
        request_id=request_id,
        retryable=error.retryable,
        errors=error.errors if isinstance(error, RequestInvalid) else None,
        extra=extra,
        headers=headers,
    )


def _json_scalar(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


# -- handlers --------------------------------------------------------------------------------


async def _bankstack_error(request: Request, exc: Exception) -> Response:
    return problem_for(exc, request_id_of(request))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for it only
    errors = errors_from_pydantic(exc.errors())
    return problem_for(RequestInvalid(errors), request_id_of(request))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it only
    status = exc.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    code = "http." + re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_")
    detail = str(exc.detail) or phrase
    if status == 404 and detail == phrase:  # noqa: PLR2004
        detail = f"No resource at {request.url.path}"
    elif status == 405 and detail == phrase:  # noqa: PLR2004
        detail = f"{request.method} is not allowed on {request.url.path}"
    return problem_response(
        status=status,
        code=code,
        detail=detail,
        title=phrase,
        request_id=request_id_of(request),
        headers=dict(exc.headers or {}),
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error of ``app`` as problem+json and give every response a request id."""
    app.add_exception_handler(BankstackError, _bankstack_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(RequestContextMiddleware)


class RequestContextMiddleware:
    """Request ids, and the last line of defence: an unexpected exception becomes a 500.

    Pure ASGI (no ``BaseHTTPMiddleware``), so that it adds nothing measurable per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        # The same dict object is ``request.state`` further in, and outer middleware see it.
        scope.setdefault("state", {})["request_id"] = request_id
        raw_id = request_id.encode("ascii")
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                if not any(name.lower() == _REQUEST_ID_BYTES for name, _ in headers):
                    headers.append((_REQUEST_ID_BYTES, raw_id))
                message["headers"] = headers
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception as error:
                if started:
                    raise
                _log.exception("unhandled error", path=scope.get("path"), exc_info=error)
                response = problem_for(error, request_id)
                await response(scope, receive, send_with_id)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == _REQUEST_ID_BYTES:
            try:
                text = value.decode("ascii")
            except UnicodeDecodeError:
                return None
            return text if _SANE_REQUEST_ID.fullmatch(text) else None
    return None
