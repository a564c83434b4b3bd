"""In-memory stand-ins for the gateway's ports, for tests without a database."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from bankstack.gateway.domain.idempotency import (
    LEASE_S,
    RETENTION_S,
    ConflictInProgress,
    Decision,
    FingerprintMismatch,
    Proceed,
    Replay,
    StoredResponse,
)
from bankstack.gateway.domain.ratelimit import Bucket
from bankstack.gateway.domain.ratelimit import Decision as RateDecision
from bankstack.gateway.errors import RateLimiterUnavailable
from bankstack.kernel.clock import NS_PER_SECOND, Clock, ManualClock


@dataclass
class _Record:
    fingerprint: str
    token: str
    expires_at: int
    response: StoredResponse | None = None


@dataclass
class MemoryIdempotencyStore:
    """The port's semantics in a dict (the SQL store is tested against the same cases)."""

    clock: Clock = field(default_factory=ManualClock)
    records: dict[tuple[str, str], _Record] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def begin(self, scope: str, key: str, fingerprint: str) -> Decision:
        now = self.clock.now_ns()
        with self.lock:
            found = self.records.get((scope, key))
            if found is None or found.expires_at <= now:
                token = secrets.token_hex(8)
                self.records[scope, key] = _Record(
                    fingerprint, token, now + LEASE_S * NS_PER_SECOND
                )
                return Proceed(token)
            if found.fingerprint != fingerprint:
                return FingerprintMismatch()
            if found.response is None:
                return ConflictInProgress()
            return Replay(found.response)

    def complete(self, scope: str, key: str, token: str, response: StoredResponse) -> bool:
        with self.lock:
            found = self.records.get((scope, key))
            if found is None or found.token != token or found.response is not None:
                return False
            found.response = response
            found.expires_at = self.clock.now_ns() + RETENTION_S * NS_PER_SECOND
            return True

    def abandon(self, scope: str, key: str, token: str) -> bool:
        with self.lock:
            found = self.records.get((scope, key))
            if found is None or found.token != token or found.response is not None:
                return False
            del self.records[scope, key]
            return True

    def purge(self, limit: int = 10_000) -> int:
        now = self.clock.now_ns()
        with self.lock:
            expired = [k for k, r in self.records.items() if r.expires_at <= now][:limit]
            for k in expired:
                del self.records[k]
            return len(expired)


class BrokenLimiter:
    """A limiter whose store is down."""

    def take(self, buckets: Sequence[Bucket], cost: int = 1) -> list[RateDecision]:
        del buckets, cost
        raise RateLimiterUnavailable("redis: connection refused")
