"""The webhook dispatcher: sends due deliveries and schedules the retries.

Each round claims up to ``batch_size`` due deliveries (see ``SqlWebhookStore.claim_due``),
signs each body with the endpoint's signer (Standard Webhooks headers; the signer comes from
``signer_for(endpoint)``, so the HMAC secret stays per endpoint), POSTs it through the
``WebhookSender`` (10 s timeout) and records the verdict of ``domain.webhooks.after_attempt``.
Time and jitter are injected, so a test can run the whole 3-day schedule in milliseconds.
``tasks.webhooks.WebhookWorker`` runs it in a background thread.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import replace
from typing import Final

from bankstack.gateway.domain.apps import WebhookEndpoint
from bankstack.gateway.domain.webhooks import (
    TIMEOUT_S,
    DeliveryStatus,
    Outcome,
    after_attempt,
    classify,
)
from bankstack.gateway.ports import DueDelivery, Signer, WebhookSender, WebhookStore
from bankstack.kernel.clock import NS_PER_SECOND, Clock, SystemClock

USER_AGENT: Final = "bankstack-webhooks/1"
ENDPOINT_DISABLED: Final = "endpoint_disabled"
GONE_REASON: Final = "gone"

_log = logging.getLogger(__name__)


class WebhookDispatcher:
    def __init__(
        self,
        store: WebhookStore,
        sender: WebhookSender,
        signer_for: Callable[[WebhookEndpoint], Signer],
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        batch_size: int = 10,
        claim_lease_s: int = 150,
    ) -> None:
        """``claim_lease_s`` must outlast sending a whole batch (``batch_size`` x 10 s), or
        another dispatcher could claim the batch's tail while this one is still sending."""
        if claim_lease_s < batch_size * TIMEOUT_S:
            raise ValueError("claim_lease_s must be at least batch_size * the 10 s timeout")
        self._store = store
        self._sender = sender
        self._signer_for = signer_for
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self._batch_size = batch_size
        self._lease_ns = claim_lease_s * NS_PER_SECOND

    def run_once(self) -> int:
        """Attempt every delivery due now (up to a batch); return how many were claimed."""
        now = self._clock.now_ns()
        due = self._store.claim_due(now, self._batch_size, now + self._lease_ns)
        gone: set[str] = set()  # endpoints that answered 410 during this round
        for claimed in due:
            item = claimed
            if item.endpoint.id in gone:
                item = replace(item, endpoint=replace(item.endpoint, enabled=False))
            try:
                if self.deliver(item) is Outcome.GONE:
                    gone.add(item.endpoint.id)
            except Exception:  # noqa: BLE001 - logged; one bad delivery must not stop the rest
                # Its claim's lease runs out and it is attempted again later.
                _log.exception("webhook delivery %s failed", item.delivery.id)
        return len(due)

    def deliver(self, item: DueDelivery) -> Outcome | None:
        """One attempt; None when the endpoint is disabled (the delivery is then failed)."""
        delivery, event, endpoint = item.delivery, item.event, item.endpoint
        if not endpoint.enabled or endpoint.livemode != event.livemode:
            self._store.record_attempt(
                delivery.id,
                status=DeliveryStatus.FAILED,
                attempts=delivery.attempts,
                next_attempt_at=None,
                now=self._clock.now_ns(),
                status_code=None,
                error=ENDPOINT_DISABLED,
            )
            return None
        timestamp = self._clock.now_ns() // NS_PER_SECOND
        headers = {"content-type": "application/json", "user-agent": USER_AGENT}
        headers.update(self._signer_for(endpoint)(event.id, timestamp, event.body))
        result = self._sender.send(endpoint.url, event.body, headers)
        now = self._clock.now_ns()
        verdict = after_attempt(delivery.attempts, result, now, self._rng)
        self._store.record_attempt(
            delivery.id,
            status=verdict.status,
            attempts=verdict.attempts,
            next_attempt_at=verdict.next_attempt_at,
            now=now,
            status_code=result.status_code,
            error=result.error,
        )
        if verdict.disable_endpoint:
            self._store.disable_endpoint(endpoint.id, GONE_REASON, now)
        return classify(result)
