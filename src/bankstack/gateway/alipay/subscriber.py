"""Alipay notifications from real trade state changes: an outbox subscriber.

Payments writes its events to the outbox in the transaction of the change; the relay hands
them here after commit. Each event of a trade made through the gateway (``TradeLinks``)
becomes one signed ``trade_status_sync`` notification (``AlipayNotifier``):

    trade.succeeded   TRADE_SUCCESS, the trade as the event carries it
    trade.closed      TRADE_CLOSED: closed unpaid (closed, cancelled, expired), or paid and
                      now refunded in full, with ``refund_fee`` and ``gmt_refund``
    refund.succeeded  TRADE_SUCCESS with ``refund_fee`` = refunded as of this refund and
                      ``gmt_refund`` = its time; none when this refund left nothing to refund,
                      since the ``trade.closed`` written with it reports that (once)

Other topics, and trades made elsewhere (the ``/v1`` API), are ignored. The notification goes
to the trade's notify_url, else to the app's default; with neither there is nothing to send.

Exactly once per event: the notification row and the platform ``Inbox`` mark (consumer
``gateway.alipay``) commit in one transaction, and ``notify_id`` is derived from the event id,
so a redelivered event is skipped and could not be stored twice anyway. What needs reading
(the link, a refund's trade) is read before that transaction, which on SQLite holds the
write lock. A payload this module cannot read is logged and skipped; a failure to read or
write the database propagates, and the relay delivers the page again later.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from functools import partial
from typing import Any, Final

from sqlalchemy import Connection, Engine

from bankstack.gateway.alipay.adapters.notifications_sql import SqlNotificationStore
from bankstack.gateway.alipay.commands import TradeStatus, TradeView
from bankstack.gateway.alipay.notify import AlipayNotifier, TradeNotice
from bankstack.gateway.alipay.ports import AlipayApps, PlatformKeys, TradeLink, TradeLinks
from bankstack.gateway.alipay.views import trade_view, view_from_event
from bankstack.kernel.clock import Clock
from bankstack.kernel.events import Event
from bankstack.kernel.money import Money
from bankstack.payments import PaymentsService, RefundStatus
from bankstack.platform.logging import get_logger
from bankstack.platform.outbox import Inbox

CONSUMER: Final = "gateway.alipay"
TRADE_SUCCEEDED: Final = "trade.succeeded"
TRADE_CLOSED: Final = "trade.closed"
REFUND_SUCCEEDED: Final = "refund.succeeded"
TOPICS: Final = frozenset({TRADE_SUCCEEDED, TRADE_CLOSED, REFUND_SUCCEEDED})
_NOTIFY_ID_CHARS: Final = 32
_log = get_logger(__name__)


def notify_id_of(event: Event) -> str:
    """A stable notify_id per event: the same event, relayed again, gets the same one."""
    return hashlib.sha256(event.event_id.encode("utf-8")).hexdigest()[:_NOTIFY_ID_CHARS]


class AlipayNotificationSubscriber:
    name = CONSUMER

    def __init__(
        self,
        *,
        engine: Engine,
        payments: PaymentsService,
        links: TradeLinks,
        apps: AlipayApps,
        keys: PlatformKeys,
        store: SqlNotificationStore,
        clock: Clock,
        inbox: Inbox | None = None,
    ) -> None:
        self._payments = payments
        self._links = links
        self._apps = apps
        self._keys = keys
        self._store = store
        self._clock = clock
        self._inbox = inbox or Inbox(engine, CONSUMER, clock)

    topics = TOPICS

    def handle(self, events: Sequence[Event]) -> None:
        readable: list[tuple[Event, dict[str, Any], int]] = []
        for event in events:
            if event.topic not in TOPICS:
                continue
            try:
                data = _data(event)
                readable.append((event, data, _trade_of(event, data)))
            except (ValueError, KeyError, TypeError):
                _log.warning("unreadable payments event skipped", event_id=event.event_id)
        # Which of the page's trades came through the gateway: one query for the page.
        links = self._links.get_many([trade_id for _, _, trade_id in readable])
        for event, data, trade_id in readable:
            link = links.get(trade_id)
            if link is None:
                continue  # not a trade of the gateway
            try:
                notice = self._notice(event, data, link)
            except (ValueError, KeyError, TypeError):
                _log.warning("unreadable payments event skipped", event_id=event.event_id)
                continue
            if notice is not None:
                self._inbox.process(event, partial(self._record, notice))

    def _record(self, notice: TradeNotice, conn: Connection, event: Event) -> None:
        del event  # the notice was made from it
        notifier = AlipayNotifier(
            apps=self._apps, keys=self._keys, store=self._store.on(conn), clock=self._clock
        )
        notifier.trade_changed(notice)

    def _notice(self, event: Event, data: dict[str, Any], link: TradeLink) -> TradeNotice | None:
        refund = event.topic == REFUND_SUCCEEDED
        view = self._refund_view(data) if refund else _trade_event_view(data)
        if view is None:
            return None
        return TradeNotice(
            app_id=link.app_id,
            trade=view,
            notify_url=link.notify_url,
            event_id=notify_id_of(event),
        )

    def _refund_view(self, data: dict[str, Any]) -> TradeView | None:
        refund_id, succeeded_at = int(data["id"]), int(data["succeeded_at"])
        trade = self._payments.query(int(data["trade_id"]))
        # Refunds in the order they succeeded (ties: in the order they were made, ids grow).
        mark = (succeeded_at, refund_id)
        so_far = sum(
            r.amount.minor
            for r in self._payments.list_refunds(trade.id)
            if r.status is RefundStatus.SUCCEEDED and (r.succeeded_at or 0, r.id) <= mark
        )
        if so_far >= trade.paid.minor:
            return None  # fully refunded: the trade.closed of the same commit tells it
        return dataclasses.replace(
            trade_view(trade),
            status=TradeStatus.TRADE_SUCCESS,
            refunded_amount=Money(so_far, trade.currency),
            refunded_at_ns=succeeded_at,
            closed_at_ns=None,  # the trade as of this refund: not closed yet
        )


def _data(event: Event) -> dict[str, Any]:
    data = json.loads(event.payload)["data"]
    if not isinstance(data, dict):
        raise TypeError("the event's data is not an object")
    return data


def _trade_event_view(data: dict[str, Any]) -> TradeView:
    closed_after_refunds = data["status"] == "closed" and int(data["refunded_amount"]) > 0
    refunded_at = data.get("closed_at") if closed_after_refunds else None
    return view_from_event(data, refunded_at_ns=refunded_at)


def _trade_of(event: Event, data: dict[str, Any]) -> int:
    """The trade an event is about (a refund's trade); KeyError or ValueError if unreadable."""
    return int(data["trade_id"] if event.topic == REFUND_SUCCEEDED else data["id"])
