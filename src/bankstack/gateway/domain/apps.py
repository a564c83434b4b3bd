"""Partner apps, their signing keys, sandbox API keys and webhook endpoints (pure rules).

An app belongs to one merchant (an opaque id owned by the payments domain) and lives in one
mode for ever: ``livemode`` is fixed at creation and copied onto everything stored for the
app, so test traffic can never read or move live data. The app is pinned to a dated API
version at creation; responses and webhooks are shaped by it.

Request signatures use Ed25519 keys registered as raw 32-byte public keys. An app has two
key *slots*, so rotation never interrupts traffic: add the new key (both are active), move
the clients over, retire the old one. A key id is ``<app id>_k<n>``, counting every key the
app ever had, so a ``keyid`` names its app.

Sandbox API keys (``sk_test_...``) exist for test-mode apps only; the secret is shown once
and only its SHA-256 is stored (the secret is 256 random bits, so a fast hash is enough).
Webhook endpoints get a ``whsec_`` secret in the Standard Webhooks format (base64 of 32
random bytes) for the ``v1`` HMAC signature.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bankstack.gateway.domain.destinations import host_refusal
from bankstack.gateway.errors import (
    ApiVersionInvalid,
    AppKeyInvalid,
    MerchantIdInvalid,
    WebhookEndpointInvalid,
    WebhookUrlForbidden,
)

DEFAULT_API_VERSION: Final = "2026-11-01"
SUPPORTED_API_VERSIONS: Final = frozenset({DEFAULT_API_VERSION})
MAX_ACTIVE_KEYS: Final = 2
KEY_SLOTS: Final = (1, 2)
ED25519: Final = "ed25519"
ED25519_KEY_BYTES: Final = 32
MAX_WEBHOOK_ENDPOINTS: Final = 16
MAX_EVENT_FILTERS: Final = 32
MAX_URL_LENGTH: Final = 2048
API_KEY_PREFIX: Final = "sk_test_"
WEBHOOK_SECRET_PREFIX: Final = "whsec_"  # noqa: S105 - the format's prefix, not a secret

_MERCHANT_ID: Final = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
_API_VERSION: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_EVENT_TYPE: Final = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*")
_EVENT_FILTER: Final = re.compile(r"\*|[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*(?:\.\*)?")


class AppStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class KeyStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class ApiKeyStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True, kw_only=True)
class App:
    id: str
    merchant_id: str
    name: str
    livemode: bool
    api_version: str
    status: AppStatus
    created_at: int  # ns since the epoch
    updated_at: int

    @property
    def mode(self) -> str:
        return "live" if self.livemode else "test"

    @property
    def active(self) -> bool:
        return self.status is AppStatus.ACTIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class AppKey:
    kid: str
    app_id: str
    algorithm: str
    public_key: bytes  # raw 32-byte Ed25519 public key
    status: KeyStatus
    slot: int | None  # 1 or 2 while active, None once retired
    livemode: bool
    created_at: int
    retired_at: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyBinding:
    """What a signature verifier needs for a ``keyid``: the key and the app it speaks for."""

    kid: str
    algorithm: str
    public_key: bytes
    app_id: str
    merchant_id: str
    livemode: bool
    api_version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKey:
    id: str
    app_id: str
    last4: str
    status: ApiKeyStatus
    livemode: bool
    created_at: int
    revoked_at: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedApiKey:
    """A new API key and its secret; the secret is never available again."""

    api_key: ApiKey
    secret: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEndpoint:
    id: str
    app_id: str
    url: str
    secret: str = field(repr=False)  # whsec_...; kept out of logs and tracebacks
    enabled: bool
    event_types: tuple[str, ...]  # filters; empty = every type
    livemode: bool
    disabled_reason: str | None
    created_at: int
    updated_at: int

    def wants(self, event_type: str) -> bool:
        return self.enabled and matches_filters(self.event_types, event_type)


def matches_filters(filters: tuple[str, ...], event_type: str) -> bool:
    """``()`` and ``("*",)`` match everything; ``"trade.*"`` matches ``trade.succeeded``."""
    if not filters:
        return True
    for pattern in filters:
        if pattern in {"*", event_type}:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def check_merchant_id(merchant_id: str) -> str:
    if not _MERCHANT_ID.fullmatch(merchant_id):
        raise MerchantIdInvalid(
            "merchant_id must be 1-64 letters, digits or _.:-", param="merchant_id"
        )
    return merchant_id


def check_api_version(version: str, supported: frozenset[str]) -> str:
    """A dated version ``YYYY-MM-DD`` that names a real day and is supported."""
    if not _is_day(version) or version not in supported:
        raise ApiVersionInvalid(
            f"unsupported API version {version!r}; supported: {', '.join(sorted(supported))}",
            param="api_version",
        )
    return version


def _is_day(text: str) -> bool:
    if not _API_VERSION.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def check_public_key(raw: bytes) -> bytes:
    """A raw Ed25519 public key (32 bytes) that decodes."""
    if len(raw) != ED25519_KEY_BYTES:
        raise AppKeyInvalid("an Ed25519 public key is 32 raw bytes", param="public_key")
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as error:
        raise AppKeyInvalid("not an Ed25519 public key", param="public_key") from error
    return raw


def key_id(app_id: str, number: int) -> str:
    return f"{app_id}_k{number}"


def check_webhook_url(url: str, *, livemode: bool, allow_private: bool = False) -> str:
    """HTTPS (plain HTTP only in test mode), with a host and without embedded credentials.

    Unless ``allow_private`` (development), a host that is a non-public address or a local
    name is refused with ``webhook_url_forbidden``: the bank must not be made to call its own
    network. Names are resolved and checked again at every delivery.
    """
    if len(url) > MAX_URL_LENGTH:
        raise WebhookEndpointInvalid("url is too long", param="url")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as error:
        raise WebhookEndpointInvalid("url is not a valid URL", param="url") from error
    allowed = {"https"} if livemode else {"https", "http"}
    if parts.scheme not in allowed:
        raise WebhookEndpointInvalid(
            "url must use https" + ("" if livemode else " (or http in test mode)"), param="url"
        )
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        raise WebhookEndpointInvalid("url needs a host and no credentials or fragment", param="url")
    reason = None if allow_private else host_refusal(host)
    if reason is not None:
        raise WebhookUrlForbidden(
            f"url must point to a public host: {reason}", param="url", reason=reason
        )
    return url


def check_event_filters(filters: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    if len(filters) > MAX_EVENT_FILTERS:
        raise WebhookEndpointInvalid(
            f"at most {MAX_EVENT_FILTERS} event types", param="event_types"
        )
    for pattern in filters:
        if not _EVENT_FILTER.fullmatch(pattern):
            raise WebhookEndpointInvalid(
                f"not an event type filter: {pattern!r}", param="event_types"
            )
    return tuple(dict.fromkeys(filters))  # keep order, drop repeats


def is_event_type(value: str) -> bool:
    return bool(_EVENT_TYPE.fullmatch(value)) and len(value) <= 100  # noqa: PLR2004 - column


def new_webhook_secret() -> str:
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def new_api_secret() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()
