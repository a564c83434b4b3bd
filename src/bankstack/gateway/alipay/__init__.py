"""The Alipay open-platform v2 compatible gateway: ``/gateway.do`` for existing Alipay SDKs.

Wiring over the real payments service (composition root), see wiring.py:

    alipay = build_alipay_gateway(engine, payments, clock, key_path=...)
    app.include_router(alipay.router)        # /gateway.do
    relay subscriber: alipay.subscriber      # payments events -> signed notifications
    periodic worker:  alipay.deliver_due     # POSTs due notifications, with retries
    alipay.apps.register(...)                # app_id -> merchant and RSA public keys

The protocol layer works against the Protocols in ports.py: ``PaymentsTrades``
(payments_adapter.py) implements ``AlipayTrades`` over ``bankstack.payments``, whose errors
are mapped in codes.py and published in ERRORS.md; ``SqlAlipayApps``, ``SqlTradeLinks``,
``SqlNotificationStore`` and ``FilePlatformKeys`` (adapters/) keep apps, trade links,
notifications and the platform key for every process of a deployment. The in-memory
adapters serve single-process tests and demos.
"""

from bankstack.gateway.alipay.adapters.apps_sql import SqlAlipayApps, SqlTradeLinks
from bankstack.gateway.alipay.adapters.keys import FilePlatformKeys
from bankstack.gateway.alipay.adapters.memory import (
    InMemoryNotificationStore,
    StaticApps,
    StaticPlatformKeys,
)
from bankstack.gateway.alipay.adapters.notifications_sql import SqlNotificationStore
from bankstack.gateway.alipay.apps import AlipayAppService
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
from bankstack.gateway.alipay.payments_adapter import PaymentsTrades
from bankstack.gateway.alipay.ports import (
    AlipayApp,
    AlipayApps,
    AlipayTrades,
    AppRecord,
    AppRegistry,
    AppStatus,
    NotificationStore,
    PendingNotification,
    PlatformKeys,
    TradeLink,
    TradeLinks,
)
from bankstack.gateway.alipay.router import alipay_router
from bankstack.gateway.alipay.signing import load_private_key, load_public_key
from bankstack.gateway.alipay.subscriber import AlipayNotificationSubscriber
from bankstack.gateway.alipay.wiring import AlipayWiring, build_alipay_gateway

__all__ = [
    "ASSET",
    "AlipayApp",
    "AlipayAppService",
    "AlipayApps",
    "AlipayGateway",
    "AlipayGatewaySettings",
    "AlipayNotificationSubscriber",
    "AlipayNotifier",
    "AlipayTrades",
    "AlipayWiring",
    "AppRecord",
    "AppRegistry",
    "AppStatus",
    "CancelAction",
    "CancelOutcome",
    "CancelTrade",
    "CloseTrade",
    "CreateTrade",
    "DeliveryReport",
    "FilePlatformKeys",
    "InMemoryNotificationStore",
    "NotificationDeliverer",
    "NotificationStore",
    "PayByCode",
    "PaymentsTrades",
    "PendingNotification",
    "PlatformKeys",
    "Precreate",
    "Refund",
    "RefundQuery",
    "RefundView",
    "Scene",
    "SignType",
    "SqlAlipayApps",
    "SqlNotificationStore",
    "SqlTradeLinks",
    "StaticApps",
    "StaticPlatformKeys",
    "TradeLink",
    "TradeLinks",
    "TradeNotice",
    "TradeOrder",
    "TradeRef",
    "TradeStatus",
    "TradeView",
    "alipay_router",
    "build_alipay_gateway",
    "load_private_key",
    "load_public_key",
    "verify_notification",
]
