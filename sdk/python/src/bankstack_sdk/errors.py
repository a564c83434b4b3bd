"""Every error the SDK raises, in one hierarchy.

    BankstackSdkError                code, message
     ├── SignatureError              an RFC 9421 signature or its Content-Digest was refused
     │    └── ResponseSignatureError the client refused a response (unsigned or badly signed)
     ├── WebhookVerificationError    a Standard Webhooks delivery was refused
     ├── KeyFormatError              a PEM, JWK or webhook key could not be read
     ├── ApiError                    the API answered with a problem+json error
     └── TransportFailed             no answer after every retry (connection errors)

``code`` is a stable snake_case string. The server returns the ``SignatureError`` codes verbatim
in its 401 problem+json bodies, so a code never changes meaning once released.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class SignatureErrorCode(StrEnum):
    """Why a signed message was refused; each value is what a 401 body carries as ``code``."""

    SIGNATURE_MISSING = "signature_missing"
    SIGNATURE_MALFORMED = "signature_malformed"
    SIGNATURE_INVALID = "signature_invalid"
    DIGEST_MISSING = "digest_missing"
    DIGEST_MISMATCH = "digest_mismatch"
    SIGNATURE_EXPIRED = "signature_expired"
    UNKNOWN_KEY = "unknown_key"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    UNKNOWN_TAG = "unknown_tag"
    COMPONENT_MISSING = "component_missing"


class WebhookErrorCode(StrEnum):
    WEBHOOK_SIGNATURE_MISSING = "webhook_signature_missing"
    WEBHOOK_TIMESTAMP_INVALID = "webhook_timestamp_invalid"
    WEBHOOK_SIGNATURE_INVALID = "webhook_signature_invalid"


class BankstackSdkError(Exception):
    """Base of every SDK error: a stable ``code`` and a human ``message``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class SignatureError(BankstackSdkError):
    """A signature, its parameters or the Content-Digest it covers was refused."""

    code: SignatureErrorCode

    def __init__(self, code: SignatureErrorCode, message: str) -> None:
        super().__init__(code, message)
        self.code = code


class ResponseSignatureError(SignatureError):
    """The client refused a response whose signature is missing or does not verify.

    ``code`` is the underlying reason (for example ``signature_missing``); ``status`` and
    ``body`` describe the refused response, which must not be trusted.
    """

    def __init__(self, code: SignatureErrorCode, message: str, *, status: int, body: bytes) -> None:
        super().__init__(code, message)
        self.status = status
        self.body = body


class WebhookVerificationError(BankstackSdkError):
    code: WebhookErrorCode

    def __init__(self, code: WebhookErrorCode, message: str) -> None:
        super().__init__(code, message)
        self.code = code


class KeyFormatError(BankstackSdkError, ValueError):
    """A key could not be decoded; ``code`` is always ``key_invalid``."""

    def __init__(self, message: str) -> None:
        super().__init__("key_invalid", message)


class ApiError(BankstackSdkError):
    """An RFC 9457 problem+json answer (or a non-JSON error from something in between).

    ``retryable`` is the server's own advice; the client has already retried what was safe.
    ``signed`` says whether the error response carried a verified platform signature: errors
    from proxies in front of the API are not signed.
    """

    def __init__(
        self,
        *,
        status: int,
        code: str,
        category: str | None,
        detail: str,
        retryable: bool,
        request_id: str | None,
        body: Any,
        signed: bool = True,
    ) -> None:
        super().__init__(code, detail)
        self.status = status
        self.category = category
        self.detail = detail
        self.retryable = retryable
        self.request_id = request_id
        self.body = body
        self.signed = signed


class TransportFailed(BankstackSdkError):
    """The request never got an answer (connection refused, reset, timed out) after retries."""

    def __init__(self, message: str) -> None:
        super().__init__("transport_error", message)
