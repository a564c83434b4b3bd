"""Asynchronous trade notifications (``notify_type=trade_status_sync``) and their signature.

When a trade changes state, the merchant's ``notify_url`` gets a form POST with the trade's
fields, signed by the platform: the string to sign is every non-empty field except ``sign``
and ``sign_type``, sorted by key and joined ``k=v&...`` with raw values, encoded in the form's
``charset``. Receivers verify with the platform public key (``verify_notification`` here; the
community SDK's ``AliPay.verify`` applies the same rule) and must then still check that
``out_trade_no``, ``total_amount``, ``seller_id`` and ``app_id`` are theirs.

``AlipayNotifier.trade_changed`` signs the form once and puts it in the ``NotificationStore``
due now; ``delivery.NotificationDeliverer`` POSTs it and retries on the protocol's schedule.
A notice carrying an ``event_id`` gets it as ``notify_id``, so an event relayed twice is
stored once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from bankstack.gateway.alipay.commands import SignType, TradeStatus, TradeView
from bankstack.gateway.alipay.ports import (
    AlipayApp,
    AlipayApps,
    NotificationStore,
    PendingNotification,
    PlatformKeys,
)
from bankstack.gateway.alipay.signing import notification_sign_content, sign, verify
from bankstack.gateway.alipay.times import format_beijing
from bankstack.kernel.clock import Clock
from bankstack.platform.logging import get_logger

NOTIFY_TYPE: Final = "trade_status_sync"
NOTIFY_CHARSET: Final = "utf-8"
_PAID: Final = {TradeStatus.TRADE_SUCCESS, TradeStatus.TRADE_FINISHED}
_log = get_logger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeNotice:
    """A trade whose status changed, to be told to its merchant."""

    app_id: str
    trade: TradeView
    notify_url: str | None = None  # the trade's own; None: the app's registered default
    event_id: str | None = None  # the source event's id, to deduplicate relayed events
    passback_params: str | None = None


def notification_form(
    notice: TradeNotice, *, app: AlipayApp, notify_id: str, now_ns: int
) -> dict[str, str]:
    """The unsigned form of ``notice``; fields without a value are left out."""
    trade = notice.trade
    paid = trade.paid_amount if trade.status in _PAID or trade.refunded_amount else None
    fields: dict[str, str | None] = {
        "notify_time": format_beijing(now_ns),
        "notify_type": NOTIFY_TYPE,
        "notify_id": notify_id,
        "app_id": app.app_id,
        "charset": NOTIFY_CHARSET,
        "version": "1.0",
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "seller_id": app.merchant_id,
        "buyer_id": trade.buyer_id,
        "buyer_logon_id": trade.buyer_logon_id,
        "trade_status": trade.status.value,
        "total_amount": trade.total_amount.format(),
        "receipt_amount": paid.format() if paid else None,
        "buyer_pay_amount": paid.format() if paid else None,
        "refund_fee": trade.refunded_amount.format() if trade.refunded_amount else None,
        "subject": trade.subject,
        "gmt_create": format_beijing(trade.created_at_ns),
        "gmt_payment": _time(trade.paid_at_ns),
        "gmt_refund": _time(trade.refunded_at_ns),
        "gmt_close": _time(trade.closed_at_ns),
        "passback_params": notice.passback_params,
    }
    return {key: value for key, value in fields.items() if value}


def _time(ns: int | None) -> str | None:
    return None if ns is None else format_beijing(ns)


def sign_notification(
    form: Mapping[str, str], key: RSAPrivateKey, sign_type: SignType
) -> dict[str, str]:
    """``form`` with ``sign_type`` and ``sign`` added."""
    charset = form.get("charset", NOTIFY_CHARSET)
    content = notification_sign_content(form).encode(charset)
    return {**form, "sign_type": sign_type.value, "sign": sign(key, sign_type, content)}


def verify_notification(form: Mapping[str, str], key: RSAPublicKey) -> bool:
    """The receiving side's check of a decoded notification form."""
    signature = form.get("sign")
    try:
        sign_type = SignType(form.get("sign_type", SignType.RSA2))
        content = notification_sign_content(form).encode(form.get("charset", NOTIFY_CHARSET))
    except (ValueError, LookupError):  # an unknown sign_type or charset
        return False
    return bool(signature) and verify(key, sign_type, content, signature or "")


def _new_notify_id() -> str:
    return uuid.uuid4().hex


class AlipayNotifier:
    """Turns trade changes into signed, stored notifications."""

    def __init__(
        self,
        *,
        apps: AlipayApps,
        keys: PlatformKeys,
        store: NotificationStore,
        clock: Clock,
        new_notify_id: Callable[[], str] = _new_notify_id,
    ) -> None:
        self._apps = apps
        self._keys = keys
        self._store = store
        self._clock = clock
        self._new_notify_id = new_notify_id

    def trade_changed(self, notice: TradeNotice) -> PendingNotification | None:
        """Store the notification of ``notice``; None when there is nowhere to send it."""
        app = self._apps.get(notice.app_id)
        url = notice.notify_url or (app.notify_url if app else None)
        if app is None or url is None:
            _log.debug("alipay notice not sent: no app or notify_url", app_id=notice.app_id)
            return None
        key = self._keys.private_key(app.notify_sign_type)
        if key is None:
            _log.error("alipay notice not sent: no platform key", sign_type=app.notify_sign_type)
            return None
        now_ns = self._clock.now_ns()
        notify_id = notice.event_id or self._new_notify_id()
        form = notification_form(notice, app=app, notify_id=notify_id, now_ns=now_ns)
        signed = sign_notification(form, key, app.notify_sign_type)
        pending = PendingNotification(
            notify_id=notify_id,
            app_id=app.app_id,
            url=url,
            form=tuple(signed.items()),
            charset=NOTIFY_CHARSET,
            created_ns=now_ns,
            next_attempt_ns=now_ns,
        )
        self._store.add(pending)
        return pending
