"""Nonce replay stores: a signed request's ``nonce`` may be used once per key id.

``claim(key_id, nonce, ttl_s)`` returns True the first time a pair is seen and False for a
replay within ``ttl_s`` (600 s by default: twice the signature's 300 s clock-skew window, so a
nonce outlives every timestamp that could carry it). Both stores fail closed: a Redis error
raises ``NonceStoreUnavailable`` (HTTP 503), never "not a replay".

- ``MemoryNonceStore``: one process; thread-safe; expired entries are dropped as time passes
  (a heap ordered by expiry keeps the cost per claim logarithmic).
- ``RedisNonceStore``: several processes; ``SET key 1 NX EX ttl``, atomic in Redis.
"""

from __future__ import annotations

import heapq
import threading
from typing import TYPE_CHECKING, Final

from redis.exceptions import RedisError

from bankstack.gateway.errors import NonceInvalid, NonceStoreUnavailable
from bankstack.kernel.clock import NS_PER_SECOND, Clock, SystemClock

if TYPE_CHECKING:
    from redis import Redis

DEFAULT_TTL_S: Final = 600
MAX_PART: Final = 256
REDIS_PREFIX: Final = "bankstack:nonce:"


def _check(key_id: str, nonce: str, ttl_s: int) -> None:
    if not key_id or not nonce or len(key_id) > MAX_PART or len(nonce) > MAX_PART:
        raise NonceInvalid(f"key id and nonce must be 1-{MAX_PART} characters", param="nonce")
    if ttl_s < 1:
        raise ValueError("ttl_s must be positive")


class MemoryNonceStore:
    def __init__(self, *, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._expiry: dict[tuple[str, str], int] = {}
        self._heap: list[tuple[int, tuple[str, str]]] = []

    def claim(self, key_id: str, nonce: str, ttl_s: int = DEFAULT_TTL_S) -> bool:
        _check(key_id, nonce, ttl_s)
        now = self._clock.now_ns()
        pair = (key_id, nonce)
        with self._lock:
            self._expire(now)
            if pair in self._expiry:
                return False
            expires = now + ttl_s * NS_PER_SECOND
            self._expiry[pair] = expires
            heapq.heappush(self._heap, (expires, pair))
            return True

    def _expire(self, now: int) -> None:
        while self._heap and self._heap[0][0] <= now:
            expires, pair = heapq.heappop(self._heap)
            if self._expiry.get(pair) == expires:
                del self._expiry[pair]

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock.now_ns())
            return len(self._expiry)


class RedisNonceStore:
    def __init__(self, client: Redis, *, prefix: str = REDIS_PREFIX) -> None:
        self._client = client
        self._prefix = prefix

    def claim(self, key_id: str, nonce: str, ttl_s: int = DEFAULT_TTL_S) -> bool:
        _check(key_id, nonce, ttl_s)
        # The length prefix keeps ("a:b", "c") and ("a", "b:c") apart.
        name = f"{self._prefix}{len(key_id)}:{key_id}:{nonce}"
        try:
            created = self._client.set(name, b"1", nx=True, ex=ttl_s)
        except RedisError as error:
            raise NonceStoreUnavailable(f"nonce store unavailable: {error}") from error
        return bool(created)
