"""Webhook events and deliveries on SQLAlchemy Core.

The dispatcher *claims* due deliveries: in one short transaction it pushes their
``next_attempt_at`` forward by a lease, so that another dispatcher (another process) does not
send them too while this one is waiting for the receiver; on PostgreSQL ``FOR UPDATE SKIP
LOCKED`` lets several dispatchers claim disjoint sets. A dispatcher that dies mid-send leaves
the delivery to be picked up again when the lease ends: delivery is at least once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    and_,
    exists,
    not_,
    or_,
    select,
    update,
)

from bankstack.gateway.adapters.apps_sql import SqlAppUnit, endpoint_from_row
from bankstack.gateway.adapters.secret_box import SecretBox
from bankstack.gateway.adapters.tables import deliveries as d
from bankstack.gateway.adapters.tables import events as e
from bankstack.gateway.adapters.tables import transaction
from bankstack.gateway.adapters.tables import webhook_endpoints as we
from bankstack.gateway.domain.apps import App, WebhookEndpoint
from bankstack.gateway.domain.pages import Position
from bankstack.gateway.domain.webhooks import (
    Delivery,
    DeliveryStatus,
    WebhookEvent,
    new_delivery,
)
from bankstack.gateway.ports import DueDelivery
from bankstack.platform.sql import insert_absent

MAX_ERROR: Final = 200
_PENDING: Final = DeliveryStatus.PENDING.value
_SUCCEEDED: Final = DeliveryStatus.SUCCEEDED.value


class SqlWebhookUnit:
    """Writes of new events and their deliveries on the caller's connection."""

    def __init__(self, conn: Connection, secrets: SecretBox) -> None:
        self._conn = conn
        self._apps = SqlAppUnit(conn, secrets)

    def app(self, app_id: str) -> App | None:
        return self._apps.get_app(app_id)

    def apps_of_merchant(self, merchant_id: str, *, livemode: bool) -> list[App]:
        return self._apps.apps_of_merchant(merchant_id, livemode=livemode)

    def endpoints(self, app_id: str) -> list[WebhookEndpoint]:
        # The fan-out schedules deliveries by endpoint id and never signs: the dispatcher
        # opens a secret when it signs a delivery. So an endpoint whose secret does not open
        # (a key retired too early) fails its own deliveries instead of stopping the relay
        # for every event behind it.
        return self._apps.endpoints(app_id, with_secrets=False)

    def insert_event(self, event: WebhookEvent) -> bool:
        """False when the app already has an event from the same source event."""
        return insert_absent(self._conn, e, _event_values(event))

    def insert_deliveries(self, new: Sequence[Delivery]) -> None:
        if new:
            self._conn.execute(d.insert(), [_delivery_values(x) for x in new])


class SqlWebhookStore:
    def __init__(self, engine: Engine, secrets: SecretBox) -> None:
        self._engine = engine
        self._secrets = secrets
        self._postgres = engine.dialect.name == "postgresql"

    @contextmanager
    def unit(self) -> Iterator[SqlWebhookUnit]:
        with transaction(self._engine, write=True) as conn:
            yield SqlWebhookUnit(conn, self._secrets)

    def event(self, event_id: str) -> WebhookEvent | None:
        with transaction(self._engine, write=False) as conn:
            row = conn.execute(select(e).where(e.c.id == event_id)).first()
        return None if row is None else event_from_row(row)

    def events(
        self, app_id: str, *, delivery_success: bool | None, after: Position | None, limit: int
    ) -> list[WebhookEvent]:
        """Up to ``limit`` events of the app, newest first, after the cursor position."""
        query = select(e).where(e.c.app_id == app_id)
        if after is not None:
            query = query.where(
                or_(
                    e.c.created_at < after.created_at,
                    and_(e.c.created_at == after.created_at, e.c.id < after.id),
                )
            )
        unfinished = exists().where(d.c.event_id == e.c.id, d.c.status != _SUCCEEDED)
        if delivery_success is False:
            query = query.where(unfinished)
        elif delivery_success is True:
            query = query.where(not_(unfinished), exists().where(d.c.event_id == e.c.id))
        query = query.order_by(e.c.created_at.desc(), e.c.id.desc()).limit(limit)
        with transaction(self._engine, write=False) as conn:
            return [event_from_row(r) for r in conn.execute(query)]

    def deliveries(self, event_id: str) -> list[Delivery]:
        with transaction(self._engine, write=False) as conn:
            rows = conn.execute(select(d).where(d.c.event_id == event_id).order_by(d.c.id))
            return [delivery_from_row(r) for r in rows]

    def endpoints(self, app_id: str) -> list[WebhookEndpoint]:
        with transaction(self._engine, write=False) as conn:
            return SqlAppUnit(conn, self._secrets).endpoints(app_id)

    def reset_deliveries(
        self, event: WebhookEvent, endpoint_ids: Sequence[str], now: int
    ) -> list[Delivery]:
        """Schedule the event again, now, to each endpoint (a new schedule of attempts)."""
        with transaction(self._engine, write=True) as conn:
            existing = {
                r.endpoint_id: r.id
                for r in conn.execute(
                    select(d.c.endpoint_id, d.c.id).where(d.c.event_id == event.id)
                )
            }
            for endpoint_id in endpoint_ids:
                if endpoint_id in existing:
                    conn.execute(
                        update(d)
                        .where(d.c.id == existing[endpoint_id])
                        .values(status=_PENDING, attempts=0, next_attempt_at=now, updated_at=now)
                    )
                else:
                    fresh = new_delivery(event, endpoint_id, now)
                    conn.execute(d.insert().values(**_delivery_values(fresh)))
            rows = conn.execute(
                select(d).where(d.c.event_id == event.id, d.c.endpoint_id.in_(endpoint_ids))
            )
            return [delivery_from_row(r) for r in rows]

    def claim_due(self, now: int, limit: int, lease_until: int) -> list[DueDelivery]:
        due = (
            select(d)
            .where(d.c.status == _PENDING, d.c.next_attempt_at <= now)
            .order_by(d.c.next_attempt_at)
            .limit(limit)
        )
        if self._postgres:
            due = due.with_for_update(skip_locked=True)
        with transaction(self._engine, write=True) as conn:
            claimed = [delivery_from_row(r) for r in conn.execute(due)]
            if not claimed:
                return []
            conn.execute(
                update(d)
                .where(d.c.id.in_([x.id for x in claimed]))
                .values(next_attempt_at=lease_until)
            )
            event_rows = conn.execute(select(e).where(e.c.id.in_({x.event_id for x in claimed})))
            found_events = {r.id: event_from_row(r) for r in event_rows}
            endpoint_rows = conn.execute(
                select(we).where(we.c.id.in_({x.endpoint_id for x in claimed}))
            )
            found_endpoints = {r.id: endpoint_from_row(r, self._secrets) for r in endpoint_rows}
        return [
            DueDelivery(x, found_events[x.event_id], found_endpoints[x.endpoint_id])
            for x in claimed
        ]

    def record_attempt(
        self,
        delivery_id: str,
        *,
        status: DeliveryStatus,
        attempts: int,
        next_attempt_at: int | None,
        now: int,
        status_code: int | None,
        error: str | None,
    ) -> None:
        with transaction(self._engine, write=True) as conn:
            conn.execute(
                update(d)
                .where(d.c.id == delivery_id)
                .values(
                    status=status.value,
                    attempts=attempts,
                    next_attempt_at=next_attempt_at,
                    last_attempt_at=now,
                    last_status_code=status_code,
                    last_error=None if error is None else error[:MAX_ERROR],
                    updated_at=now,
                )
            )

    def disable_endpoint(self, endpoint_id: str, reason: str, now: int) -> None:
        with transaction(self._engine, write=True) as conn:
            conn.execute(
                update(we)
                .where(we.c.id == endpoint_id)
                .values(enabled=False, disabled_reason=reason, updated_at=now)
            )


def _event_values(event: WebhookEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "app_id": event.app_id,
        "type": event.type,
        "api_version": event.api_version,
        "livemode": event.livemode,
        "created_at": event.created_at,
        "object_version": event.object_version,
        "source_event_id": event.source_event_id,
        "body": event.body,
    }


def _delivery_values(x: Delivery) -> dict[str, Any]:
    return {
        "id": x.id,
        "event_id": x.event_id,
        "endpoint_id": x.endpoint_id,
        "app_id": x.app_id,
        "livemode": x.livemode,
        "status": x.status.value,
        "attempts": x.attempts,
        "next_attempt_at": x.next_attempt_at,
        "last_attempt_at": x.last_attempt_at,
        "last_status_code": x.last_status_code,
        "last_error": x.last_error,
        "created_at": x.created_at,
        "updated_at": x.created_at,
    }


def event_from_row(row: Row[Any]) -> WebhookEvent:
    return WebhookEvent(
        id=row.id,
        app_id=row.app_id,
        type=row.type,
        api_version=row.api_version,
        livemode=bool(row.livemode),
        created_at=row.created_at,
        object_version=row.object_version,
        source_event_id=row.source_event_id,
        body=bytes(row.body),
    )


def delivery_from_row(row: Row[Any]) -> Delivery:
    return Delivery(
        id=row.id,
        event_id=row.event_id,
        endpoint_id=row.endpoint_id,
        app_id=row.app_id,
        livemode=bool(row.livemode),
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_attempt_at=row.last_attempt_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
    )
