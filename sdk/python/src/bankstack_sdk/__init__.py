"""bankstack-sdk: signed requests, verified responses and webhooks for the bankstack open API.

``bankstack_sdk.signing``, ``bankstack_sdk.digest``, ``bankstack_sdk.webhooks`` and
``bankstack_sdk.jwks`` are also what the bankstack server uses, so both sides run the same code.
"""

from bankstack_sdk.client import ApiResponse, BankstackClient
from bankstack_sdk.digest import content_digest, verify_content_digest
from bankstack_sdk.errors import (
    ApiError,
    BankstackSdkError,
    KeyFormatError,
    ResponseSignatureError,
    SignatureError,
    SignatureErrorCode,
    TransportFailed,
    WebhookErrorCode,
    WebhookVerificationError,
)
from bankstack_sdk.fields import format_idempotency_key, parse_idempotency_key
from bankstack_sdk.jwks import keys_from_jwks, public_jwk, public_key_from_jwk, to_jwks
from bankstack_sdk.signing import (
    SigningKey,
    VerifiedRequest,
    sign_request,
    sign_response,
    verify_request,
    verify_response,
)
from bankstack_sdk.webhooks import (
    generate_hmac_secret,
    generate_signing_key,
    public_key_for,
    sign_webhook,
    verify_webhook,
)

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "ApiResponse",
    "BankstackClient",
    "BankstackSdkError",
    "KeyFormatError",
    "ResponseSignatureError",
    "SignatureError",
    "SignatureErrorCode",
    "SigningKey",
    "TransportFailed",
    "VerifiedRequest",
    "WebhookErrorCode",
    "WebhookVerificationError",
    "__version__",
    "content_digest",
    "format_idempotency_key",
    "generate_hmac_secret",
    "generate_signing_key",
    "keys_from_jwks",
    "parse_idempotency_key",
    "public_jwk",
    "public_key_for",
    "public_key_from_jwk",
    "sign_request",
    "sign_response",
    "sign_webhook",
    "to_jwks",
    "verify_content_digest",
    "verify_request",
    "verify_response",
    "verify_webhook",
]
