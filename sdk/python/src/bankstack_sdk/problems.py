"""RFC 9457 problem+json answers and the client's rule for which of them to retry."""

from __future__ import annotations

import email.utils
import json
from collections.abc import Mapping
from typing import Any

from bankstack_sdk.errors import ApiError
from bankstack_sdk.fields import get_header

_CONFLICT_RETRY_CODE = "idempotency_key_in_use"
_HTTP_CONFLICT = 409
_HTTP_TOO_MANY_REQUESTS = 429
_HTTP_SERVER_ERROR = 500


def default_retryable(status: int) -> bool:
    return status >= _HTTP_SERVER_ERROR or status == _HTTP_TOO_MANY_REQUESTS


def should_retry(error: ApiError) -> bool:
    """5xx, 429 and 409 ``idempotency_key_in_use``: answers a retry with the same key can fix."""
    if default_retryable(error.status):
        return True
    return error.status == _HTTP_CONFLICT and error.code == _CONFLICT_RETRY_CODE


def json_or_none(body: bytes) -> Any:
    """The parsed JSON body, or ``None`` when it is empty or not JSON."""
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def retry_after_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from ``Retry-After`` (delta-seconds or an HTTP date), if present."""
    value = get_header(headers, "retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def api_error(status: int, headers: Mapping[str, str], body: bytes, *, signed: bool) -> ApiError:
    """An ``ApiError`` from an RFC 9457 problem+json body, or a generic one for anything else."""
    problem = json_or_none(body)
    if not isinstance(problem, dict):
        problem = {}
    detail = problem.get("detail") or problem.get("title") or body[:200].decode("utf-8", "replace")
    return ApiError(
        status=status,
        code=str(problem.get("code") or f"http_{status}"),
        category=problem.get("category"),
        detail=str(detail or f"HTTP {status}"),
        retryable=bool(problem.get("retryable", default_retryable(status))),
        request_id=problem.get("request_id") or get_header(headers, "request-id"),
        body=problem or body,
        signed=signed,
    )
