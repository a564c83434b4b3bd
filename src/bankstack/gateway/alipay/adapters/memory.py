"""In-memory adapters: a notification store, an app registry and platform keys held in memory.

``InMemoryNotificationStore`` is the store for a single process (tests, demos, the embedded
tier); a database store replaces it where several processes deliver. ``StaticApps`` and
``StaticPlatformKeys`` serve apps and keys loaded at start-up from configuration.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from bankstack.gateway.alipay.commands import SignType
from bankstack.gateway.alipay.ports import AlipayApp, PendingNotification


class InMemoryNotificationStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, PendingNotification] = {}
        self._delivered: dict[str, tuple[PendingNotification, int]] = {}
        self._abandoned: dict[str, PendingNotification] = {}

    def add(self, notification: PendingNotification) -> None:
        with self._lock:
            known = (self._pending, self._delivered, self._abandoned)
            if any(notification.notify_id in table for table in known):
                return
            self._pending[notification.notify_id] = notification

    def claim_due(self, now_ns: int, limit: int, lease_until_ns: int) -> list[PendingNotification]:
        with self._lock:
            due = sorted(
                (n for n in self._pending.values() if n.next_attempt_ns <= now_ns),
                key=lambda n: (n.next_attempt_ns, n.created_ns, n.notify_id),
            )[:limit]
            for notification in due:
                leased = replace(notification, next_attempt_ns=lease_until_ns)
                self._pending[notification.notify_id] = leased
            return due

    def delivered(self, notify_id: str, attempts: int, at_ns: int) -> None:
        with self._lock:
            notification = self._pending.pop(notify_id, None)
            if notification is not None:
                self._delivered[notify_id] = (replace(notification, attempts=attempts), at_ns)

    def retry_at(self, notify_id: str, attempts: int, next_attempt_ns: int) -> None:
        with self._lock:
            notification = self._pending.get(notify_id)
            if notification is not None:
                self._pending[notify_id] = replace(
                    notification, attempts=attempts, next_attempt_ns=next_attempt_ns
                )

    def abandon(self, notify_id: str, attempts: int, at_ns: int) -> None:
        del at_ns  # kept by a database store for operators; nothing reads it here
        with self._lock:
            notification = self._pending.pop(notify_id, None)
            if notification is not None:
                self._abandoned[notify_id] = replace(notification, attempts=attempts)

    # -- inspection (operators, tests) ----------------------------------------------------

    def pending(self) -> list[PendingNotification]:
        with self._lock:
            return sorted(self._pending.values(), key=lambda n: (n.next_attempt_ns, n.notify_id))

    def delivered_at(self, notify_id: str) -> int | None:
        with self._lock:
            entry = self._delivered.get(notify_id)
            return None if entry is None else entry[1]

    def abandoned(self) -> list[PendingNotification]:
        with self._lock:
            return list(self._abandoned.values())


class StaticApps:
    """Apps known at start-up, by ``app_id``."""

    def __init__(self, apps: Iterable[AlipayApp]) -> None:
        self._apps = {app.app_id: app for app in apps}

    def get(self, app_id: str) -> AlipayApp | None:
        return self._apps.get(app_id)


class StaticPlatformKeys:
    """The platform's signing keys: an RSA2 key, and optionally one for legacy RSA apps."""

    def __init__(self, rsa2: RSAPrivateKey, rsa: RSAPrivateKey | None = None) -> None:
        self._keys = {SignType.RSA2: rsa2}
        if rsa is not None:
            self._keys[SignType.RSA] = rsa

    def private_key(self, sign_type: SignType) -> RSAPrivateKey | None:
        return self._keys.get(sign_type)
