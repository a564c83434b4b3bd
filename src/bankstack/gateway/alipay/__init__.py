"""The Alipay open-platform v2 compatible gateway: ``/gateway.do`` for existing Alipay SDKs.

Wiring (composition root):

    router = alipay_router(trades, apps, platform_keys, clock)   # AlipayTrades, AlipayApps, ...
    app.include_router(router)
    notifier = AlipayNotifier(apps=apps, keys=platform_keys, store=store, clock=clock)
    deliverer = NotificationDeliverer(store=store, clock=clock, client=httpx.Client())

The payments service implements ``AlipayTrades`` (ports.py), raising errors whose codes are
mapped in codes.py and published in ERRORS.md; trade state changes reach merchants through
``AlipayNotifier.trade_changed`` and the deliverer's ``run_due``.
"""

from bankstack.gateway.alipay.adapters.memory import (
    InMemoryNotificationStore,
    StaticApps,
    StaticPlatformKeys,
)
from bankstack.gateway.alipay.commands import (
    ASSET,
    CancelAction,
    CancelOutcome,
    CancelTrade,
    CloseTrade,
    CreateTrade,
    PayByCode,
    Precreate,
    Refund,
    RefundQuery,
    RefundView,
    Scene,
    SignType,
    TradeOrder,
    TradeRef,
    TradeStatus,
    TradeView,
)
from bankstack.gateway.alipay.delivery import DeliveryReport, NotificationDeliverer
from bankstack.gateway.alipay.gateway import AlipayGateway, AlipayGatewaySettings
from bankstack.gateway.alipay.notify import AlipayNotifier, TradeNotice, verify_notification
from bankstack.gateway.alipay.ports import (
    AlipayApp,
    AlipayApps,
    AlipayTrades,
    NotificationStore,
    PendingNotification,
    PlatformKeys,
)
from bankstack.gateway.alipay.router import alipay_router
from bankstack.gateway.alipay.signing import load_private_key, load_public_key

__all__ = [
    "ASSET",
    "AlipayApp",
    "AlipayApps",
    "AlipayGateway",
    "AlipayGatewaySettings",
    "AlipayNotifier",
    "AlipayTrades",
    "CancelAction",
    "CancelOutcome",
    "CancelTrade",
    "CloseTrade",
    "CreateTrade",
    "DeliveryReport",
    "InMemoryNotificationStore",
    "NotificationDeliverer",
    "NotificationStore",
    "PayByCode",
    "PendingNotification",
    "PlatformKeys",
    "Precreate",
    "Refund",
    "RefundQuery",
    "RefundView",
    "Scene",
    "SignType",
    "StaticApps",
    "StaticPlatformKeys",
    "TradeNotice",
    "TradeOrder",
    "TradeRef",
    "TradeStatus",
    "TradeView",
    "alipay_router",
    "load_private_key",
    "load_public_key",
    "verify_notification",
]
