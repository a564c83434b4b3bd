"""The error hierarchy every domain builds on.

    BankstackError                 code, message, details (no HTTP here)
     ├── ValidationFailed          the request itself is wrong           (API: 422)
     ├── NotFound                  the thing named does not exist        (API: 404)
     ├── Conflict                  the request clashes with state        (API: 409)
     ├── Unauthenticated           who is asking is unknown              (API: 401)
     ├── Forbidden                 known, but not allowed                (API: 403)
     └── Unavailable               a dependency is down; safe to retry   (API: 503)

Each concrete error carries a stable ``code`` such as ``"ledger.batch_too_large"``; clients
branch on it, so a code never changes meaning once released. Only the gateway maps a
category to an HTTP status.
"""

from __future__ import annotations

from typing import Any, ClassVar


class BankstackError(Exception):
    code: ClassVar[str] = "bankstack.error"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationFailed(BankstackError):
    code = "bankstack.validation_failed"


class NotFound(BankstackError):
    code = "bankstack.not_found"


class Conflict(BankstackError):
    code = "bankstack.conflict"


class Unauthenticated(BankstackError):
    code = "bankstack.unauthenticated"


class Forbidden(BankstackError):
    code = "bankstack.forbidden"


class Unavailable(BankstackError):
    code = "bankstack.unavailable"
    retryable = True
