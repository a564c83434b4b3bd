"""Use cases for webhook events: publish, list, redeliver.

``publish`` writes an event and one delivery per interested endpoint inside the caller's
unit (for the outbox consumer, the same transaction that records the outbox event as
processed). An event is stored even when no endpoint wants it, so a partner that polls
``GET /v1/events`` sees it too. Events of a suspended app are stored but not delivered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bankstack.gateway import ids
from bankstack.gateway.domain.apps import App, is_event_type
from bankstack.gateway.domain.pages import Page, Position, check_limit, decode_cursor, page_of
from bankstack.gateway.domain.webhooks import (
    Delivery,
    WebhookEvent,
    new_delivery,
    object_version,
    render_body,
)
from bankstack.gateway.errors import AppNotFound, EventNotFound, ParameterInvalid
from bankstack.gateway.ports import WebhookStore, WebhookUnit
from bankstack.kernel.clock import Clock, SystemClock


class WebhookService:
    def __init__(self, store: WebhookStore, *, clock: Clock | None = None) -> None:
        self._store = store
        self._clock = clock or SystemClock()

    def publish(
        self,
        unit: WebhookUnit,
        *,
        app: App,
        event_type: str,
        data_object: Mapping[str, Any],
        previous_attributes: Mapping[str, Any] | None = None,
        source_event_id: str | None = None,
    ) -> WebhookEvent | None:
        """Store the event for ``app`` and schedule its deliveries.

        Returns None when the app already has an event from ``source_event_id``.
        """
        if not is_event_type(event_type):
            raise ParameterInvalid(f"not an event type: {event_type!r}", param="type")
        now = self._clock.now_ns()
        event_id = ids.new_prefixed_id(ids.EVENT)
        event = WebhookEvent(
            id=event_id,
            app_id=app.id,
            type=event_type,
            api_version=app.api_version,
            livemode=app.livemode,
            created_at=now,
            object_version=object_version(data_object),
            source_event_id=source_event_id,
            body=render_body(
                event_id=event_id,
                event_type=event_type,
                api_version=app.api_version,
                created_at=now,
                livemode=app.livemode,
                data_object=data_object,
                previous_attributes=previous_attributes,
            ),
        )
        if not unit.insert_event(event):
            return None
        if app.active:
            unit.insert_deliveries(
                [
                    new_delivery(event, endpoint.id, now)
                    for endpoint in unit.endpoints(app.id)
                    if endpoint.wants(event_type) and endpoint.livemode == app.livemode
                ]
            )
        return event

    def publish_event(
        self,
        app_id: str,
        event_type: str,
        data_object: Mapping[str, Any],
        *,
        previous_attributes: Mapping[str, Any] | None = None,
    ) -> WebhookEvent:
        """``publish`` in a transaction of its own, for callers outside the outbox."""
        with self._store.unit() as unit:
            app = unit.app(app_id)
            if app is None:
                raise AppNotFound(f"no app {app_id!r}", param="app_id")
            event = self.publish(
                unit,
                app=app,
                event_type=event_type,
                data_object=data_object,
                previous_attributes=previous_attributes,
            )
        if event is None:  # pragma: no cover - without a source event id nothing collides
            raise RuntimeError("the event was not stored")
        return event

    def event(self, event_id: str, *, app_id: str | None = None) -> WebhookEvent:
        """The event; with ``app_id``, only if it belongs to that app."""
        event = self._store.event(event_id)
        if event is None or (app_id is not None and event.app_id != app_id):
            raise EventNotFound(f"no event {event_id!r}", param="id")
        return event

    def list_events(
        self,
        app_id: str,
        *,
        delivery_success: bool | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> Page[WebhookEvent]:
        """The app's events, newest first. ``delivery_success=False``: events with a
        delivery still pending or failed; ``True``: events delivered to every endpoint."""
        size = check_limit(limit)
        rows = self._store.events(
            app_id,
            delivery_success=delivery_success,
            after=decode_cursor(cursor),
            limit=size + 1,
        )
        return page_of(rows, size, lambda e: Position(e.created_at, e.id))

    def deliveries(self, event_id: str, *, app_id: str | None = None) -> list[Delivery]:
        return self._store.deliveries(self.event(event_id, app_id=app_id).id)

    def redeliver(self, event_id: str, *, app_id: str | None = None) -> list[Delivery]:
        """Send the event again, from the first attempt of a fresh schedule, to every
        enabled endpoint of its app that wants it (also ones added since)."""
        event = self.event(event_id, app_id=app_id)
        targets = [
            endpoint.id
            for endpoint in self._store.endpoints(event.app_id)
            if endpoint.wants(event.type) and endpoint.livemode == event.livemode
        ]
        if not targets:
            return []
        return self._store.reset_deliveries(event, targets, self._clock.now_ns())
