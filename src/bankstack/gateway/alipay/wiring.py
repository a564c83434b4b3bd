"""``build_alipay_gateway``: the Alipay-compatible gateway over the real payments service.

What the composition root does with the result:

    alipay = build_alipay_gateway(runtime.engine, runtime.payments, runtime.clock,
                                  key_path=Path("var/alipay_platform_key.pem"))
    app.include_router(alipay.router)                       # GET/POST /gateway.do
    relay subscribers += [alipay.subscriber]                # outbox -> notifications
    Periodic("alipay-notify", alipay.deliver_due, interval) # POSTs due notifications
    alipay.apps.register(app_id=..., merchant_id=..., rsa2_public_key=...)
    alipay.platform_public_pem                              # merchants' "alipay_public_key"
    alipay.close()                                          # at shutdown

Every process of a deployment passes the same ``key_path`` (shared storage, or the same file
provisioned to each), so all of them sign with one key; the first process creates it.
State lives in the database (migration ``0004_alipay``), so any number of processes may
serve requests, relay events and deliver notifications side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx
from fastapi import APIRouter
from sqlalchemy import Engine

from bankstack.gateway.adapters.destinations import guarded_client
from bankstack.gateway.alipay.adapters.apps_sql import SqlAlipayApps, SqlTradeLinks
from bankstack.gateway.alipay.adapters.keys import FilePlatformKeys
from bankstack.gateway.alipay.adapters.notifications_sql import SqlNotificationStore
from bankstack.gateway.alipay.apps import AlipayAppService
from bankstack.gateway.alipay.commands import SignType
from bankstack.gateway.alipay.delivery import DeliveryReport, NotificationDeliverer
from bankstack.gateway.alipay.gateway import AlipayGatewaySettings
from bankstack.gateway.alipay.payments_adapter import PaymentsTrades
from bankstack.gateway.alipay.router import alipay_router
from bankstack.gateway.alipay.subscriber import AlipayNotificationSubscriber
from bankstack.kernel.clock import Clock
from bankstack.payments import PaymentsService

# A claimed batch must be sent within its lease, even if every receiver times out:
# 10 POSTs of at most 10 s each fit the deliverer's 120 s lease.
DELIVERY_BATCH: Final = 10
MAX_PASSES: Final = 50  # bounds one worker tick; what is left waits for the next


@dataclass(frozen=True, slots=True, kw_only=True)
class AlipayWiring:
    """The wired gateway: what the app factory, the relay and the worker each take."""

    router: APIRouter
    subscriber: AlipayNotificationSubscriber
    apps: AlipayAppService
    trades: PaymentsTrades
    app_directory: SqlAlipayApps
    keys: FilePlatformKeys
    notifications: SqlNotificationStore
    deliverer: NotificationDeliverer
    http: httpx.Client
    owns_http: bool = True  # False: the caller gave the client and closes it

    @property
    def platform_public_pem(self) -> str:
        """The public key merchants configure as ``alipay_public_key`` (RSA2)."""
        pem = self.keys.public_pem(SignType.RSA2)
        if pem is None:  # pragma: no cover - FilePlatformKeys always has an RSA2 key
            raise RuntimeError("no RSA2 platform key")
        return pem

    def deliver_due(self) -> DeliveryReport:
        """POST the notifications due now, batch after batch; for a periodic worker."""
        delivered = retried = abandoned = 0
        for _ in range(MAX_PASSES):
            report = self.deliverer.run_due()
            delivered += report.delivered
            retried += report.retried
            abandoned += report.abandoned
            if report.delivered + report.retried + report.abandoned < DELIVERY_BATCH:
                break  # nothing more is due
        return DeliveryReport(delivered, retried, abandoned)

    def close(self) -> None:
        if self.owns_http:
            self.http.close()


def build_alipay_gateway(
    engine: Engine,
    payments: PaymentsService,
    clock: Clock,
    *,
    key_path: Path | str,
    legacy_key_path: Path | str | None = None,
    http: httpx.Client | None = None,
    settings: AlipayGatewaySettings | None = None,
) -> AlipayWiring:
    """Wire ``/gateway.do``, notifications and app registration on ``engine``'s database.

    ``key_path``: the platform's RSA2 private key (PEM; created, mode 0600, if missing).
    ``legacy_key_path``: a key for the legacy ``RSA`` sign type (may be the same file);
    without it, apps using RSA get unsigned answers, which the SDKs refuse.
    ``http``: the client that POSTs notifications (default: a ``guarded_client`` that
    connects only to public addresses unless ``settings.allow_private_destinations``).
    """
    keys = FilePlatformKeys(key_path, rsa_path=legacy_key_path)
    directory = SqlAlipayApps(engine)
    links = SqlTradeLinks(engine)
    store = SqlNotificationStore(engine)
    settings = settings or AlipayGatewaySettings()
    allow_private = settings.allow_private_destinations
    client = http or guarded_client(allow_private=allow_private)
    trades = PaymentsTrades(payments, links, clock)
    subscriber = AlipayNotificationSubscriber(
        engine=engine,
        payments=payments,
        links=links,
        apps=directory,
        keys=keys,
        store=store,
        clock=clock,
    )
    return AlipayWiring(
        router=alipay_router(trades, directory, keys, clock, settings=settings),
        subscriber=subscriber,
        apps=AlipayAppService(directory, payments, clock, allow_private_destinations=allow_private),
        trades=trades,
        app_directory=directory,
        keys=keys,
        notifications=store,
        deliverer=NotificationDeliverer(
            store=store, clock=clock, client=client, batch=DELIVERY_BATCH
        ),
        http=client,
        owns_http=http is None,
    )
