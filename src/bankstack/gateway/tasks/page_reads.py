"""Reads shared by one page of outbox events during the webhook fan-out.

The relay hands events over a page at a time, and under load a page is mostly one merchant's
trades: every event asked for the same apps and the same endpoints, two queries per event
(bench/payments). Within a page they are read once. The page is fanned out at one moment, so
an app or endpoint added while it is processed is seen from the next page on, as it would be
had it been added a moment later.
"""

from __future__ import annotations

from collections.abc import Sequence

from bankstack.gateway.domain.apps import App, WebhookEndpoint
from bankstack.gateway.domain.webhooks import Delivery, WebhookEvent
from bankstack.gateway.ports import WebhookUnit


class PageReads:
    def __init__(self) -> None:
        self.apps: dict[tuple[str, bool], list[App]] = {}
        self.endpoints: dict[str, list[WebhookEndpoint]] = {}

    def over(self, unit: WebhookUnit) -> WebhookUnit:
        """``unit`` (one event's transaction) reading apps and endpoints through this page."""
        return _ReadOnce(unit, self)


class _ReadOnce:
    def __init__(self, unit: WebhookUnit, reads: PageReads) -> None:
        self._unit = unit
        self._reads = reads

    def app(self, app_id: str) -> App | None:
        return self._unit.app(app_id)

    def apps_of_merchant(self, merchant_id: str, *, livemode: bool) -> list[App]:
        key = (merchant_id, livemode)
        found = self._reads.apps.get(key)
        if found is None:
            found = self._reads.apps[key] = self._unit.apps_of_merchant(
                merchant_id, livemode=livemode
            )
        return found

    def endpoints(self, app_id: str) -> list[WebhookEndpoint]:
        found = self._reads.endpoints.get(app_id)
        if found is None:
            found = self._reads.endpoints[app_id] = self._unit.endpoints(app_id)
        return found

    def insert_event(self, event: WebhookEvent) -> bool:
        return self._unit.insert_event(event)

    def insert_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        self._unit.insert_deliveries(deliveries)
