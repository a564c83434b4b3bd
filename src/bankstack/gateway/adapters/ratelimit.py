"""Rate limiters: token buckets in memory (one process) or in Redis (shared).

Both run the same integer arithmetic (``gateway.domain.ratelimit``). The Redis limiter does a
whole request (every bucket it draws on) in one Lua script, so the check and the take are one
atomic step: no check-then-act overshoot between processes. Time comes from the injected
clock when one is given (tests), else from Redis' own ``TIME``, so that servers with skewed
clocks still share one view of the buckets.

A Redis failure raises ``RateLimiterUnavailable``; whether that refuses the request (money
endpoints) or lets it through (reads) is the caller's choice (``gateway.api.ratelimit``).
redis-py retries a failed command with backoff by default (seconds when Redis is down);
``hot_path_redis`` builds a client for the request path instead: short timeouts, no retry.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from bankstack.gateway.domain.ratelimit import Bucket, BucketState, Decision, decide, take
from bankstack.gateway.errors import RateLimiterUnavailable
from bankstack.kernel.clock import Clock, SystemClock

if TYPE_CHECKING:
    from redis.commands.core import Script

REDIS_PREFIX: Final = "bankstack:rl:"
_NS_PER_MS: Final = 1_000_000

# KEYS: the buckets. ARGV: now_ms ("" = use TIME), cost, then quota and window_ms per bucket.
# Returns {allowed, level_1, ..., level_n}. Levels are integer ticks below 2**53.
TOKEN_BUCKET_LUA: Final = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local cost = tonumber(ARGV[2])
local levels = {}
local allowed = 1
for i = 1, #KEYS do
  local quota = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  local cap = quota * window
  local state = redis.call('HMGET', KEYS[i], 'l', 't')
  local level = tonumber(state[1])
  local updated = tonumber(state[2])
  if level == nil or updated == nil then
    level = cap
    updated = now
  end
  local elapsed = now - updated
  if elapsed < 0 then elapsed = 0 end
  level = math.min(cap, level + elapsed * quota)
  if level < cost * window then allowed = 0 end
  levels[i] = level
end
local out = {allowed}
for i = 1, #KEYS do
  local quota = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  local level = levels[i]
  if allowed == 1 then level = level - cost * window end
  redis.call('HSET', KEYS[i], 'l', string.format('%d', level), 't', string.format('%d', now))
  local ttl = math.ceil((quota * window - level) / quota) + 1000
  redis.call('PEXPIRE', KEYS[i], ttl)
  out[i + 1] = level
end
return out
"""  # noqa: S105 - a Lua script, not a password


def hot_path_redis(url: str, *, timeout_s: float = 0.5) -> Redis:
    """A Redis client for per-request checks: fail within ``timeout_s``, never retry."""
    return Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )


def _decisions(
    buckets: Sequence[Bucket], allowed: bool, levels: Sequence[int], cost: int
) -> list[Decision]:
    return [
        decide(b.policy, level, allowed=allowed, cost=cost)
        for b, level in zip(buckets, levels, strict=True)
    ]


class MemoryRateLimiter:
    """Buckets in a dict under one lock; idle (full) buckets are dropped by ``sweep``."""

    def __init__(self, *, clock: Clock | None = None, max_buckets: int = 100_000) -> None:
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._states: dict[str, tuple[Bucket, BucketState]] = {}
        self._max = max_buckets

    def take(self, buckets: Sequence[Bucket], cost: int = 1) -> list[Decision]:
        now_ms = self._clock.now_ns() // _NS_PER_MS
        with self._lock:
            if len(self._states) >= self._max:
                self._sweep(now_ms)
            pairs = [(b.policy, self._state(b)) for b in buckets]
            allowed, levels = take(pairs, now_ms, cost)
            for bucket, level in zip(buckets, levels, strict=True):
                self._states[bucket.key] = (bucket, BucketState(level, now_ms))
        return _decisions(buckets, allowed, levels, cost)

    def _state(self, bucket: Bucket) -> BucketState | None:
        found = self._states.get(bucket.key)
        return None if found is None or found[0].policy != bucket.policy else found[1]

    def sweep(self) -> int:
        """Drop buckets that have refilled completely (they equal a new bucket)."""
        with self._lock:
            return self._sweep(self._clock.now_ns() // _NS_PER_MS)

    def _sweep(self, now_ms: int) -> int:
        full = [
            key
            for key, (bucket, state) in self._states.items()
            if state.level + max(0, now_ms - state.updated_ms) * bucket.policy.quota
            >= bucket.policy.capacity
        ]
        for key in full:
            del self._states[key]
        return len(full)


class RedisRateLimiter:
    def __init__(
        self, client: Redis, *, clock: Clock | None = None, prefix: str = REDIS_PREFIX
    ) -> None:
        self._client = client
        self._clock = clock
        self._prefix = prefix
        self._script: Script = client.register_script(TOKEN_BUCKET_LUA)

    def take(self, buckets: Sequence[Bucket], cost: int = 1) -> list[Decision]:
        if cost < 1:
            raise ValueError("cost must be at least 1")
        if not buckets:
            return []
        now = "" if self._clock is None else str(self._clock.now_ns() // _NS_PER_MS)
        args: list[Any] = [now, cost]
        for bucket in buckets:
            args += [bucket.policy.quota, bucket.policy.window_ms]
        keys = [self._prefix + b.key for b in buckets]
        try:
            reply = self._script(keys=keys, args=args)
        except RedisError as error:
            raise RateLimiterUnavailable(f"rate limiter unavailable: {error}") from error
        allowed, *levels = (int(x) for x in reply)
        return _decisions(buckets, allowed == 1, levels, cost)
