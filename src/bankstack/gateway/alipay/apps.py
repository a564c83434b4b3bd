"""Registering Alipay apps: which merchant an ``app_id`` acts for, and the app's public keys.

A merchant generates an RSA key pair (2048 bits or more), keeps the private key, and
registers the public one ("app public key") with an app id; the gateway verifies every
request of the app with it. Keys are accepted as PEM (SubjectPublicKeyInfo or PKCS#1) or as
the bare base64 the Alipay console shows, and stored as SubjectPublicKeyInfo PEM.

- ``register`` is idempotent: the same registration again returns it; the same ``app_id``
  with anything else raises ``alipay_app_conflict`` (use ``rotate_key`` and friends).
  The merchant must exist in payments and settle in CNY, the protocol's currency.
- ``rotate_key`` replaces the key of one sign type at once, as the Alipay console does: from
  then on only the new key verifies, in every process (apps are read per request).
- ``suspend`` makes the gateway treat the app as unknown (``isv.invalid-app-id``) until
  ``activate``.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Final

from cryptography.hazmat.primitives import serialization

from bankstack.gateway.alipay.commands import ASSET, SignType
from bankstack.gateway.alipay.ports import NOTIFY_URL_CHARS as URL_CHARS
from bankstack.gateway.alipay.ports import AppRecord, AppRegistry, AppStatus
from bankstack.gateway.alipay.signing import load_public_key
from bankstack.gateway.domain.destinations import url_refusal
from bankstack.kernel.clock import Clock
from bankstack.kernel.errors import Conflict, NotFound, ValidationFailed
from bankstack.payments import PaymentsService
from bankstack.platform.logging import get_logger

APP_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,32}")
_log = get_logger(__name__)


class AlipayAppInvalid(ValidationFailed):
    code = "alipay_app_invalid"


class AlipayAppNotFound(NotFound):
    code = "alipay_app_not_found"


class AlipayAppConflict(Conflict):
    code = "alipay_app_conflict"


def normalize_public_key(text: str, field: str = "public_key") -> str:
    """The key as SubjectPublicKeyInfo PEM; raises ``AlipayAppInvalid`` for anything else."""
    try:
        key = load_public_key(text)
    except (ValueError, TypeError, binascii.Error) as error:
        raise AlipayAppInvalid(
            f"{field} must be an RSA public key of at least 2048 bits", field=field
        ) from error
    data = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return data.decode("ascii")


def check_notify_url(url: str | None, *, allow_private: bool = False) -> str | None:
    """An http(s) URL of a public host (any host with ``allow_private``, for development):
    the bank's notifier must not be pointed at its own network."""
    if url is None:
        return None
    if len(url) > URL_CHARS or url_refusal(url, allow_private=True) is not None:
        raise AlipayAppInvalid(
            f"notify_url must be an http(s) URL of at most {URL_CHARS} characters",
            field="notify_url",
        )
    reason = None if allow_private else url_refusal(url, allow_private=False)
    if reason is not None:
        raise AlipayAppInvalid(
            f"notify_url must point to a public host: {reason}", field="notify_url"
        )
    return url


class AlipayAppService:
    def __init__(
        self,
        registry: AppRegistry,
        payments: PaymentsService,
        clock: Clock,
        *,
        allow_private_destinations: bool = False,
    ) -> None:
        self._registry = registry
        self._payments = payments
        self._clock = clock
        self._allow_private = allow_private_destinations

    def register(
        self,
        *,
        app_id: str,
        merchant_id: str,
        rsa2_public_key: str,
        rsa_public_key: str | None = None,
        notify_url: str | None = None,
    ) -> AppRecord:
        if not APP_ID.fullmatch(app_id):
            raise AlipayAppInvalid("app_id must be 1-32 letters, digits, _ or -", field="app_id")
        merchant = self._payments.get_merchant(merchant_id)  # raises merchant_not_found
        if merchant.currency != ASSET:
            raise AlipayAppInvalid(
                f"the merchant settles in {merchant.currency}; Alipay trades are in {ASSET}",
                field="merchant_id",
            )
        now = self._clock.now_ns()
        record = AppRecord(
            app_id=app_id,
            merchant_id=merchant_id,
            rsa2_public_pem=normalize_public_key(rsa2_public_key, "rsa2_public_key"),
            rsa_public_pem=None
            if rsa_public_key is None
            else normalize_public_key(rsa_public_key, "rsa_public_key"),
            notify_url=check_notify_url(notify_url, allow_private=self._allow_private),
            created_at_ns=now,
            updated_at_ns=now,
        )
        if self._registry.insert(record):
            _log.info("alipay app registered", app_id=app_id, merchant_id=merchant_id)
            return record
        existing = self.get(app_id)
        if _terms(existing) != _terms(record):
            raise AlipayAppConflict("the app_id is registered otherwise", app_id=app_id)
        return existing

    def get(self, app_id: str) -> AppRecord:
        record = self._registry.record(app_id)
        if record is None:
            raise AlipayAppNotFound(f"no Alipay app {app_id!r}", app_id=app_id)
        return record

    def rotate_key(
        self, app_id: str, public_key: str, *, sign_type: SignType = SignType.RSA2
    ) -> AppRecord:
        """Replace the app's key for ``sign_type`` (the legacy RSA key may be added so)."""
        pem = normalize_public_key(public_key)
        if sign_type is SignType.RSA2:
            changed = self._change(app_id, lambda r: replace(r, rsa2_public_pem=pem))
        else:
            changed = self._change(app_id, lambda r: replace(r, rsa_public_pem=pem))
        _log.info("alipay app key rotated", app_id=app_id, sign_type=sign_type.value)
        return changed

    def set_notify_url(self, app_id: str, notify_url: str | None) -> AppRecord:
        url = check_notify_url(notify_url, allow_private=self._allow_private)
        return self._change(app_id, lambda r: replace(r, notify_url=url))

    def suspend(self, app_id: str) -> AppRecord:
        return self._change(app_id, lambda r: replace(r, status=AppStatus.SUSPENDED))

    def activate(self, app_id: str) -> AppRecord:
        return self._change(app_id, lambda r: replace(r, status=AppStatus.ACTIVE))

    def _change(self, app_id: str, change: Callable[[AppRecord], AppRecord]) -> AppRecord:
        record = replace(change(self.get(app_id)), updated_at_ns=self._clock.now_ns())
        if not self._registry.update(record):  # pragma: no cover - apps are never deleted
            raise AlipayAppNotFound(f"no Alipay app {app_id!r}", app_id=app_id)
        return record


def _terms(record: AppRecord) -> tuple[object, ...]:
    return (
        record.merchant_id,
        record.rsa2_public_pem,
        record.rsa_public_pem,
        record.notify_url,
        record.status,
    )
