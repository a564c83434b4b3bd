"""Errors of the partner open API (gateway), each with a stable snake_case ``code``.

Partners branch on these codes, so a code never changes meaning once released. The classes
derive from the kernel categories; ``gateway.api.problems`` is the one place that maps them
to an HTTP status and a problem ``category`` (style guide L5). ``param`` in the details names
the offending request field where there is one.

    ValidationFailed   parameter_invalid, api_version_invalid, merchant_id_invalid,
                       app_key_invalid, webhook_endpoint_invalid, webhook_url_forbidden,
                       cursor_invalid,
                       nonce_invalid, idempotency_key_missing, idempotency_key_invalid,
                       idempotency_key_reused
    NotFound           app_not_found, app_key_not_found, api_key_not_found,
                       webhook_endpoint_not_found, event_not_found
    Conflict           app_key_limit_reached, app_key_last_active,
                       webhook_endpoint_limit_reached, idempotency_key_in_use
    Unauthenticated    api_key_invalid
    Forbidden          app_inactive, api_key_test_mode_only
    Unavailable        rate_limiter_unavailable, nonce_store_unavailable
    (own category)     rate_limited
"""

from __future__ import annotations

from typing import Any

from bankstack.kernel.errors import (
    BankstackError,
    Conflict,
    Forbidden,
    NotFound,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)

# -- invalid requests -----------------------------------------------------------------------


class ParameterInvalid(ValidationFailed):
    code = "parameter_invalid"


class ApiVersionInvalid(ValidationFailed):
    code = "api_version_invalid"


class MerchantIdInvalid(ValidationFailed):
    code = "merchant_id_invalid"


class AppKeyInvalid(ValidationFailed):
    code = "app_key_invalid"


class WebhookEndpointInvalid(ValidationFailed):
    code = "webhook_endpoint_invalid"


class WebhookUrlForbidden(ValidationFailed):
    """The URL points at a loopback, private, link-local or otherwise non-public host."""

    code = "webhook_url_forbidden"


class CursorInvalid(ValidationFailed):
    code = "cursor_invalid"


class NonceInvalid(ValidationFailed):
    code = "nonce_invalid"


# -- not found ------------------------------------------------------------------------------


class AppNotFound(NotFound):
    code = "app_not_found"


class AppKeyNotFound(NotFound):
    code = "app_key_not_found"


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"


class WebhookEndpointNotFound(NotFound):
    code = "webhook_endpoint_not_found"


class EventNotFound(NotFound):
    code = "event_not_found"


# -- state conflicts, authentication, permission --------------------------------------------


class AppKeyLimitReached(Conflict):
    code = "app_key_limit_reached"


class AppKeyLastActive(Conflict):
    code = "app_key_last_active"


class WebhookEndpointLimitReached(Conflict):
    code = "webhook_endpoint_limit_reached"


class ApiKeyInvalid(Unauthenticated):
    code = "api_key_invalid"


class AppInactive(Forbidden):
    code = "app_inactive"


class ApiKeyTestModeOnly(Forbidden):
    code = "api_key_test_mode_only"


# -- idempotency (spec D) -------------------------------------------------------------------


class IdempotencyKeyMissing(ValidationFailed):
    code = "idempotency_key_missing"


class IdempotencyKeyInvalid(ValidationFailed):
    code = "idempotency_key_invalid"


class IdempotencyKeyReused(ValidationFailed):
    """The key was used before with a different method, path or body (HTTP 422)."""

    code = "idempotency_key_reused"


class IdempotencyKeyInUse(Conflict):
    """A request with this key is still running; retry after ``retry_after_s`` (HTTP 409)."""

    code = "idempotency_key_in_use"
    retryable = True

    def __init__(self, message: str, *, retry_after_s: int = 1, **details: Any) -> None:
        super().__init__(message, retry_after_s=retry_after_s, **details)
        self.retry_after_s = retry_after_s


# -- rate limits and shared fast state ------------------------------------------------------


class RateLimited(BankstackError):
    """Over a rate-limit policy; retry after ``retry_after_s`` (HTTP 429)."""

    code = "rate_limited"
    retryable = True

    def __init__(self, message: str, *, retry_after_s: int, **details: Any) -> None:
        super().__init__(message, retry_after_s=retry_after_s, **details)
        self.retry_after_s = retry_after_s


class RateLimiterUnavailable(Unavailable):
    code = "rate_limiter_unavailable"


class NonceStoreUnavailable(Unavailable):
    code = "nonce_store_unavailable"
