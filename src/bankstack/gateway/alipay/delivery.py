"""Delivery of stored notifications: POST, acknowledgement, and the protocol's retry schedule.

A notification counts as delivered only when the receiver answers HTTP 200 with exactly the
seven bytes ``success``; anything else (another body, another status, a timeout, a refused
connection) is a failed attempt. After the first POST, failed attempts are retried 4 min,
10 min, 10 min, 1 h, 2 h, 6 h and 15 h after the previous one: eight POSTs in about 25 hours,
then the notification is abandoned. Redirects are not followed. A notify_url whose host
is, or resolves to, a non-public address (``adapters.destinations``, when the client is
``guarded_client``) is abandoned at once: retrying would only knock at an internal host again.

``run_due()`` is one pass: it claims what is due on the injected clock, POSTs each, and
records the result; a worker calls it periodically. Claims are leased, so a deliverer that
dies mid-pass leaves its notifications to be picked up again when the lease ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

import httpx

from bankstack.gateway.adapters.destinations import DestinationForbidden
from bankstack.gateway.alipay.ports import NotificationStore, PendingNotification
from bankstack.kernel.clock import NS_PER_SECOND, Clock
from bankstack.platform.logging import get_logger

RETRY_SCHEDULE_S: Final = (4 * 60, 10 * 60, 10 * 60, 3600, 2 * 3600, 6 * 3600, 15 * 3600)
ACK: Final = b"success"
_log = get_logger(__name__)


def next_attempt_ns(failed_attempts: int, now_ns: int) -> int | None:
    """When the next POST is due after ``failed_attempts`` failures; None: give up."""
    if not 1 <= failed_attempts <= len(RETRY_SCHEDULE_S):
        return None
    return now_ns + RETRY_SCHEDULE_S[failed_attempts - 1] * NS_PER_SECOND


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    abandoned: int = 0


class NotificationDeliverer:
    def __init__(
        self,
        *,
        store: NotificationStore,
        clock: Clock,
        client: httpx.Client,
        timeout_s: float = 10.0,
        lease_s: int = 120,
        batch: int = 100,
    ) -> None:
        self._store = store
        self._clock = clock
        self._client = client
        self._timeout = httpx.Timeout(timeout_s)
        self._lease_ns = lease_s * NS_PER_SECOND
        self._batch = batch

    def run_due(self) -> DeliveryReport:
        """POST every notification due now (up to one batch) and record each outcome."""
        now_ns = self._clock.now_ns()
        claimed = self._store.claim_due(now_ns, self._batch, now_ns + self._lease_ns)
        delivered = retried = abandoned = 0
        for notification in claimed:
            acknowledged = self._post(notification)
            done_ns = self._clock.now_ns()
            attempts = notification.attempts + 1
            if acknowledged:
                self._store.delivered(notification.notify_id, attempts, done_ns)
                delivered += 1
                continue
            # A refused destination (not a public address) is never retried.
            due_ns = None if acknowledged is None else next_attempt_ns(attempts, done_ns)
            if due_ns is None:
                self._store.abandon(notification.notify_id, attempts, done_ns)
                _log.warning("alipay notification abandoned", notify_id=notification.notify_id)
                abandoned += 1
            else:
                self._store.retry_at(notification.notify_id, attempts, due_ns)
                retried += 1
        return DeliveryReport(delivered, retried, abandoned)

    def _post(self, notification: PendingNotification) -> bool | None:
        """Whether the receiver acknowledged; None when its address was refused."""
        body = urlencode(notification.form, encoding=notification.charset).encode("ascii")
        content_type = f"application/x-www-form-urlencoded; charset={notification.charset}"
        try:
            with self._client.stream(
                "POST",
                notification.url,
                content=body,
                headers={"Content-Type": content_type},
                timeout=self._timeout,
                follow_redirects=False,
            ) as response:
                if response.status_code != 200:  # noqa: PLR2004 - HTTP OK is the only ack status
                    return False
                received = b""
                for chunk in response.iter_bytes():
                    received += chunk
                    if len(received) > len(ACK):  # no need to read a long body to refuse it
                        return False
                return received == ACK
        except DestinationForbidden as error:
            _log.warning(
                "alipay notification refused: destination not public",
                notify_id=notification.notify_id,
                reason=str(error),
            )
            return None
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            _log.info(
                "alipay notification not delivered",
                notify_id=notification.notify_id,
                error=type(error).__name__,
            )
            return False
