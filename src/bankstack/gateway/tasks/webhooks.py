"""Background webhook work: the outbox subscriber and the worker thread.

``WebhookFanout`` (an outbox subscriber): domain events (``payments.trade.succeeded`` ...)
become webhook events.

The relay hands every committed domain event to ``handle``. Topics under the configured
prefixes are taken; the webhook type is the topic without its domain (``trade.succeeded``),
unless ``types`` maps the topic explicitly. The payload (JSON) names who is told:

- ``app_id``: that app (a ``livemode`` or ``merchant_id`` in the payload must agree with it);
- else ``merchant_id`` and ``livemode``: every app of the merchant in that mode.

Test and live never mix: an event whose mode is unknown or disagrees is dropped with a
warning. ``data.object`` is the payload's ``object`` when present, else the whole payload;
``previous_attributes`` is passed through.

Each event is processed through the platform ``Inbox`` (consumer ``gateway.webhooks``): the
webhook events, their deliveries and the inbox mark commit together, so a redelivered outbox
event is skipped (and ``UNIQUE (app_id, source_event_id)`` backs that up).

``WebhookWorker`` runs rounds in a thread: ``dispatcher.run_once()``
until nothing is due, then, at most every ``purge_every_s``, ``idempotency.purge()``. A failing
round is logged and retried after the interval; nothing is lost by a crash, because every
step acts on committed rows only.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Final

from sqlalchemy import Connection, Engine

from bankstack.gateway.adapters.secret_box import SecretBox
from bankstack.gateway.adapters.webhooks_sql import SqlWebhookUnit
from bankstack.gateway.domain.apps import App
from bankstack.gateway.domain.webhooks import WebhookEvent
from bankstack.gateway.ports import IdempotencyStore, WebhookUnit
from bankstack.gateway.service.dispatcher import WebhookDispatcher
from bankstack.gateway.service.webhooks import WebhookService
from bankstack.gateway.tasks.page_reads import PageReads
from bankstack.kernel.clock import NS_PER_SECOND, Clock, SystemClock
from bankstack.kernel.events import Event
from bankstack.platform.logging import get_logger
from bankstack.platform.outbox import Inbox

CONSUMER: Final = "gateway.webhooks"
DEFAULT_PREFIXES: Final = ("payments.",)

_log = get_logger(__name__)


class WebhookFanout:
    name = CONSUMER

    def __init__(
        self,
        engine: Engine,
        service: WebhookService,
        secrets: SecretBox,
        *,
        prefixes: Sequence[str] = DEFAULT_PREFIXES,
        types: Mapping[str, str] | None = None,
        inbox: Inbox | None = None,
    ) -> None:
        self._service = service
        self._secrets = secrets  # for the unit's reads; the fan-out opens no endpoint secret
        self._prefixes = tuple(prefixes)
        self._types = dict(types or {})
        self._inbox = inbox or Inbox(engine, CONSUMER)

    def webhook_type(self, topic: str) -> str | None:
        if topic in self._types:
            return self._types[topic]
        if topic.startswith(self._prefixes):
            return topic.split(".", 1)[1]
        return None

    def handle(self, events: Sequence[Event]) -> None:
        ours = [e for e in events if self.webhook_type(e.topic) is not None]
        reads = PageReads()
        for event in ours:
            self._inbox.process(event, partial(self._apply_in, reads))

    def _apply_in(self, reads: PageReads, conn: Connection, event: Event) -> None:
        self.apply(conn, event, reads)

    def apply(
        self, conn: Connection, event: Event, reads: PageReads | None = None
    ) -> list[WebhookEvent]:
        """Write the webhook events for ``event`` on ``conn`` (inside its transaction);
        ``reads`` shares app and endpoint reads with the other events of its page."""
        event_type = self.webhook_type(event.topic)
        payload = _payload(event)
        if event_type is None or payload is None:
            return []
        unit: WebhookUnit = SqlWebhookUnit(conn, self._secrets)
        if reads is not None:
            unit = reads.over(unit)
        published = []
        for app in self._targets(unit, payload, event):
            made = self._service.publish(
                unit,
                app=app,
                event_type=event_type,
                data_object=_object(payload),
                previous_attributes=_mapping(payload.get("previous_attributes")),
                source_event_id=event.event_id,
            )
            if made is not None:
                published.append(made)
        return published

    def _targets(self, unit: WebhookUnit, payload: dict[str, Any], event: Event) -> list[App]:
        livemode = payload.get("livemode")
        merchant_id = payload.get("merchant_id")
        app_id = payload.get("app_id")
        if isinstance(app_id, str):
            app = unit.app(app_id)
            if app is None:
                _log.warning("webhook event for an unknown app", event_id=event.event_id)
                return []
            if (isinstance(livemode, bool) and livemode != app.livemode) or (
                isinstance(merchant_id, str) and merchant_id != app.merchant_id
            ):
                _log.warning("webhook event disagrees with its app", event_id=event.event_id)
                return []
            return [app]
        if isinstance(merchant_id, str) and isinstance(livemode, bool):
            return unit.apps_of_merchant(merchant_id, livemode=livemode)
        _log.warning("webhook event names no app, or no merchant and mode", event_id=event.event_id)
        return []


def _payload(event: Event) -> dict[str, Any] | None:
    try:
        loaded = json.loads(event.payload)
    except ValueError:
        _log.warning("outbox payload is not JSON", event_id=event.event_id)
        return None
    return loaded if isinstance(loaded, dict) else None


def _mapping(value: object) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _object(payload: dict[str, Any]) -> dict[str, Any]:
    found = _mapping(payload.get("object"))
    return payload if found is None else found


class WebhookWorker:
    def __init__(
        self,
        dispatcher: WebhookDispatcher,
        *,
        idempotency: IdempotencyStore | None = None,
        clock: Clock | None = None,
        purge_every_s: int = 3600,
    ) -> None:
        self._dispatcher = dispatcher
        self._idempotency = idempotency
        self._clock = clock or SystemClock()
        self._purge_every_ns = purge_every_s * NS_PER_SECOND
        self._last_purge: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One round; returns the number of deliveries attempted."""
        attempted = 0
        while (sent := self._dispatcher.run_once()) > 0:
            attempted += sent
            if self._stop.is_set():
                break
        now = self._clock.now_ns()
        if self._idempotency is not None and (
            self._last_purge is None or now - self._last_purge >= self._purge_every_ns
        ):
            self._last_purge = now
            purged = self._idempotency.purge()
            if purged:
                _log.info("idempotency keys purged", count=purged)
        return attempted

    def start(self, interval_s: float = 1.0) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(interval_s,), daemon=True, name="gateway-worker"
        )
        self._thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self, interval_s: float) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - logged; the worker must outlive a failed round
                _log.exception("gateway worker round failed; retrying")
            self._stop.wait(interval_s)
