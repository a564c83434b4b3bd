"""problem+json for the partner API ``/v1`` (spec F), built on ``platform.problems``.

Every ``/v1`` error is an RFC 9457 document with a real status (never 200-with-error):

    {"type": "https://bankstack.dev/problems/idempotency_key_in_use",
     "title": "Idempotency key in use", "status": 409,
     "detail": "a request with this key is still being processed",
     "instance": "/v1/trades", "code": "idempotency_key_in_use", "category": "idempotency",
     "retryable": true, "request_id": "req_01kf...", "param": "Idempotency-Key",
     "doc_url": "https://docs.bankstack.dev/errors/idempotency_key_in_use"}

``category`` tells a client what to do: invalid_request | authentication | permission |
idempotency | rate_limit | business_declined | upstream_unavailable | internal. The mapping
from error classes to status and category lives here only (``PROBLEMS``); other domains keep
HTTP out of their code and the composition root registers their errors, e.g.
``PROBLEMS.register(InsufficientFunds, status=402, category="business_declined")``.

Each ``/v1`` request gets a ``req_...`` id (``ensure_request_id``), sent back as
``Request-Id`` (and ``X-Request-ID``, the header the rest of bankstack uses) on every answer.
The ledger API keeps ``platform.problems`` unchanged: nothing here is installed app-wide.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

import orjson
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from bankstack.gateway import errors as gw
from bankstack.gateway import ids
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
from bankstack.platform.problems import (
    PROBLEM_JSON,
    TYPE_BASE,
    RequestInvalid,
    RequestTooLarge,
    errors_from_pydantic,
    title_for,
)

if TYPE_CHECKING:
    from starlette.types import Scope

Category = Literal[
    "invalid_request",
    "authentication",
    "permission",
    "idempotency",
    "rate_limit",
    "business_declined",
    "upstream_unavailable",
    "internal",
]
REQUEST_ID_HEADER: Final = "Request-Id"
LEGACY_REQUEST_ID_HEADER: Final = "X-Request-ID"
DOC_BASE: Final = "https://docs.bankstack.dev/errors/"
WWW_AUTHENTICATE: Final = 'Signature realm="bankstack", Bearer realm="bankstack"'
_STATE_KEY: Final = "v1_request_id"

_log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ProblemClass:
    status: int
    category: Category


class ProblemCatalog:
    """Error class -> (status, category); the first matching entry wins."""

    def __init__(self, entries: Sequence[tuple[type[BaseException], ProblemClass]]) -> None:
        self._entries = list(entries)

    def register(self, error: type[BaseException], *, status: int, category: Category) -> None:
        """Map ``error`` (and its subclasses) ahead of every earlier entry."""
        self._entries.insert(0, (error, ProblemClass(status, category)))

    def classify(self, error: BaseException) -> ProblemClass | None:
        for kind, problem in self._entries:
            if isinstance(error, kind):
                return problem
        return None


PROBLEMS: Final = ProblemCatalog(
    [
        (gw.IdempotencyKeyReused, ProblemClass(422, "idempotency")),
        (gw.IdempotencyKeyInUse, ProblemClass(409, "idempotency")),
        (gw.IdempotencyKeyMissing, ProblemClass(400, "idempotency")),
        (gw.IdempotencyKeyInvalid, ProblemClass(400, "idempotency")),
        (gw.RateLimited, ProblemClass(429, "rate_limit")),
        (RequestTooLarge, ProblemClass(413, "invalid_request")),
        (ValidationFailed, ProblemClass(400, "invalid_request")),
        (Unauthenticated, ProblemClass(401, "authentication")),
        (Forbidden, ProblemClass(403, "permission")),
        (NotFound, ProblemClass(404, "invalid_request")),
        (Conflict, ProblemClass(409, "invalid_request")),
        (Unavailable, ProblemClass(503, "upstream_unavailable")),
    ]
)


def ensure_request_id(scope: Scope) -> str:
    """The request's ``req_...`` id, made on first use and kept in the scope's state.

    It is also stored as ``state["request_id"]``, where ``platform.problems`` looks.
    """
    state = scope.setdefault("state", {})
    found = state.get(_STATE_KEY)
    if isinstance(found, str):
        return found
    request_id = ids.new_prefixed_id(ids.REQUEST)
    state[_STATE_KEY] = request_id
    state["request_id"] = request_id
    return request_id


def problem_response(
    scope: Scope,
    *,
    status: int,
    code: str,
    detail: str,
    category: Category,
    retryable: bool = False,
    param: str | None = None,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A ``/v1`` problem response for the request of ``scope``."""
    request_id = ensure_request_id(scope)
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title or title_for(code, status),
        "status": status,
        "detail": detail,
        "instance": scope.get("path", ""),
        "code": code,
        "category": category,
        "retryable": retryable,
        "request_id": request_id,
        "doc_url": DOC_BASE + code,
    }
    if param is not None:
        body["param"] = param
    if errors is not None:
        body["errors"] = errors
    all_headers = dict(headers or {})
    all_headers[REQUEST_ID_HEADER] = request_id
    all_headers[LEGACY_REQUEST_ID_HEADER] = request_id
    if status == 401:  # noqa: PLR2004 - RFC 9110: a 401 names the schemes
        all_headers.setdefault("WWW-Authenticate", WWW_AUTHENTICATE)
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=all_headers
    )


def problem_for_exception(error: BaseException, scope: Scope) -> Response:
    """The ``/v1`` problem for any exception; internals never reach the body."""
    if isinstance(error, RequestValidationError):
        return _invalid(errors_from_pydantic(error.errors()), scope)
    if isinstance(error, RequestInvalid):
        return _invalid(error.errors, scope)
    if isinstance(error, HTTPException):
        return _http_problem(error, scope)
    found = PROBLEMS.classify(error) if isinstance(error, BankstackError) else None
    if found is None or not isinstance(error, BankstackError):
        _log.error("unhandled error", path=scope.get("path"), exc_info=error)
        return problem_response(
            scope,
            status=500,
            code="internal_error",
            detail="The server failed to handle the request; the failure has been logged.",
            category="internal",
        )
    headers: dict[str, str] = {}
    detail = error.message
    retry_after = getattr(error, "retry_after_s", None)
    if isinstance(retry_after, int):
        headers["Retry-After"] = str(retry_after)
    if found.status >= 500:  # noqa: PLR2004 - a dependency's message may quote a driver
        _log.warning("unavailable", code=error.code, error=error.message)
        detail = "A service the request needs is unavailable; retry shortly."
        if error.retryable:
            headers.setdefault("Retry-After", "1")
    param = error.details.get("param")
    return problem_response(
        scope,
        status=found.status,
        code=error.code,
        detail=detail,
        category=found.category,
        retryable=error.retryable,
        param=param if isinstance(param, str) else None,
        headers=headers,
    )


def _invalid(errors: list[dict[str, Any]], scope: Scope) -> Response:
    first = errors[0] if errors else {}
    loc = [str(part) for part in first.get("loc", ())]
    if loc and loc[0] in {"body", "query", "path", "header", "cookie"}:
        loc = loc[1:]
    count = len(errors)
    return problem_response(
        scope,
        status=400,
        code="parameter_invalid",
        detail=f"{count} parameter{'s' if count != 1 else ''} of the request failed validation",
        category="invalid_request",
        param=".".join(loc) or None,
        errors=errors,
    )


def _http_problem(error: HTTPException, scope: Scope) -> Response:
    status = error.status_code
    codes = {404: "resource_missing", 405: "method_not_allowed", 413: "request_too_large"}
    code = codes.get(status, f"http_{status}")
    detail = str(error.detail)
    if status == 404:  # noqa: PLR2004 - the router's "Not Found"
        detail = f"No resource at {scope.get('path', '')}"
    return problem_response(
        scope,
        status=status,
        code=code,
        detail=detail,
        category="internal" if status >= 500 else "invalid_request",  # noqa: PLR2004 - 5xx
        headers=dict(error.headers or {}),
    )
