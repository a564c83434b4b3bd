"""What the Alipay-compatible gateway needs from the rest of bankstack, as Protocols.

- ``AlipayTrades``: the payments service, one method per trade API. Each takes a command of
  ``commands`` and returns a result, or raises a ``BankstackError`` whose ``code`` ends with one
  of the names in ``codes.BUSINESS_ERRORS`` (``trade_already_paid``, ``out_trade_no_conflict``,
  ...; ``errors`` has ready-made classes). Methods are synchronous: the router runs them in a
  worker thread. ``out_trade_no`` and ``out_request_no`` idempotency is the service's job: the
  gateway passes every field through and never caches answers.
- ``AlipayApps``: the registry of apps: who the merchant is, which public keys verify its
  requests, where its notifications go by default.
- ``PlatformKeys``: the platform's private keys, one per signature type, which sign every
  response and notification; merchants hold the matching public key ("Alipay public key").
- ``NotificationStore``: pending asynchronous notifications and their retry state.
- ``TradeLinks``: which payments trades were made through the gateway, by which app, and
  where their notifications go (payments itself knows nothing of apps or notify_url).
- ``AppRegistry``: the stored app registrations behind ``AlipayApps``, for the
  registration service (``apps.AlipayAppService``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, Protocol

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from bankstack.gateway.alipay.commands import (
    CancelOutcome,
    CancelTrade,
    CloseTrade,
    CreateTrade,
    PayByCode,
    Precreate,
    Refund,
    RefundQuery,
    RefundView,
    SignType,
    TradeRef,
    TradeView,
)


class AlipayTrades(Protocol):
    def precreate(self, command: Precreate) -> TradeView:
        """A WAIT_BUYER_PAY trade with its ``qr_code``; the same order again returns it."""
        ...

    def pay_by_code(self, command: PayByCode) -> TradeView:
        """TRADE_SUCCESS when charged now, WAIT_BUYER_PAY while the buyer must confirm."""
        ...

    def create(self, command: CreateTrade) -> TradeView: ...

    def query(self, ref: TradeRef) -> TradeView: ...

    def refund(self, command: Refund) -> RefundView: ...

    def refund_query(self, query: RefundQuery) -> RefundView | None:
        """The refund named by ``out_request_no``, or None when there is none."""
        ...

    def close(self, command: CloseTrade) -> TradeView: ...

    def cancel(self, command: CancelTrade) -> CancelOutcome: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class AlipayApp:
    """A merchant's registered app, as the gateway needs it."""

    app_id: str
    merchant_id: str  # also sent as seller_id in notifications
    public_keys: Mapping[SignType, RSAPublicKey] = field(default_factory=dict)
    notify_url: str | None = None  # used when a request carries no notify_url
    notify_sign_type: SignType = SignType.RSA2

    def public_key(self, sign_type: SignType) -> RSAPublicKey | None:
        return self.public_keys.get(sign_type)


class AlipayApps(Protocol):
    def get(self, app_id: str) -> AlipayApp | None:
        """The app, or None when ``app_id`` is unknown (or no longer active)."""
        ...


class PlatformKeys(Protocol):
    def private_key(self, sign_type: SignType) -> RSAPrivateKey | None:
        """The key that signs answers of ``sign_type``, or None when the platform has none."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingNotification:
    """A signed notification form and its delivery state.

    ``attempts`` counts the POSTs already made; ``next_attempt_ns`` is when the next one is due.
    The form is signed once, when the notification is made: every retry sends the same
    ``notify_id`` and ``notify_time``, so a receiver can deduplicate on ``notify_id``.
    """

    notify_id: str
    app_id: str
    url: str
    form: tuple[tuple[str, str], ...]
    charset: str
    created_ns: int
    next_attempt_ns: int
    attempts: int = 0


class NotificationStore(Protocol):
    """Pending notifications. A database implementation must make ``claim_due`` exclusive,
    so that two deliverers never POST the same notification at the same time."""

    def add(self, notification: PendingNotification) -> None:
        """Store a new notification; a ``notify_id`` already known is ignored."""
        ...

    def claim_due(self, now_ns: int, limit: int, lease_until_ns: int) -> list[PendingNotification]:
        """Up to ``limit`` notifications due at ``now_ns``, oldest due first; each is hidden
        from other claims until ``lease_until_ns`` (a deliverer that dies releases it then)."""
        ...

    def delivered(self, notify_id: str, attempts: int, at_ns: int) -> None: ...

    def retry_at(self, notify_id: str, attempts: int, next_attempt_ns: int) -> None: ...

    def abandon(self, notify_id: str, attempts: int, at_ns: int) -> None:
        """No more attempts: the retry schedule is exhausted."""
        ...


NOTIFY_URL_CHARS: Final = 256  # the protocol's limit for a notify_url


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeLink:
    """A payments trade made through the gateway: the app that made it, and the notify_url
    fixed when it was made (the request's, else the app's default of that moment)."""

    trade_id: int
    app_id: str
    notify_url: str | None
    created_at_ns: int


class TradeLinks(Protocol):
    def link(self, link: TradeLink) -> TradeLink:
        """Record ``link`` unless the trade has one; returns the link stored (the first)."""
        ...

    def get(self, trade_id: int) -> TradeLink | None: ...
    def get_many(self, trade_ids: Sequence[int]) -> dict[int, TradeLink]:
        """The links of those of ``trade_ids`` that have one, by trade id."""
        ...


class AppStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # its requests are refused as from an unknown app_id


@dataclass(frozen=True, slots=True, kw_only=True)
class AppRecord:
    """An app registration as stored; public keys are SubjectPublicKeyInfo PEM text."""

    app_id: str
    merchant_id: str
    rsa2_public_pem: str
    rsa_public_pem: str | None = None
    notify_url: str | None = None
    status: AppStatus = AppStatus.ACTIVE
    created_at_ns: int = 0
    updated_at_ns: int = 0


class AppRegistry(Protocol):
    def record(self, app_id: str) -> AppRecord | None: ...

    def insert(self, record: AppRecord) -> bool:
        """Store a new registration; False (storing nothing) when the app_id exists."""
        ...

    def update(self, record: AppRecord) -> bool:
        """Replace the registration of ``record.app_id``; False when there is none."""
        ...
