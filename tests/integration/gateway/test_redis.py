"""Nonces and the Lua token bucket on a real Redis (127.0.0.1:6379).

Skipped when no Redis answers, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import random
import threading

import pytest
import redis

from bankstack.gateway.adapters.nonces import RedisNonceStore
from bankstack.gateway.adapters.ratelimit import (
    MemoryRateLimiter,
    RedisRateLimiter,
    hot_path_redis,
)
from bankstack.gateway.domain.ratelimit import Bucket, Policy
from bankstack.gateway.errors import NonceStoreUnavailable, RateLimiterUnavailable
from bankstack.kernel.clock import ManualClock
from tests._redis import REDIS_URL, connect, drop_prefix, fresh_prefix


@pytest.fixture(scope="module")
def client():
    made = connect("the gateway tests")
    yield made
    made.close()


@pytest.fixture
def prefix(client):
    made = fresh_prefix()
    yield made
    drop_prefix(client, made)


@pytest.fixture
def dead_client():
    # Port 1 on localhost: refused at once, like a Redis that is down.
    made = hot_path_redis("redis://127.0.0.1:1/0")
    yield made
    made.close()


class TestRedisNonceStore:
    def test_set_nx_with_expiry(self, client, prefix):
        store = RedisNonceStore(client, prefix=prefix)
        assert store.claim("app_1_k1", "n1", ttl_s=600)
        assert not store.claim("app_1_k1", "n1", ttl_s=600)
        assert store.claim("app_1_k2", "n1")
        (key,) = list(client.scan_iter(match=prefix + "8:app_1_k1:*"))
        assert 590 <= client.ttl(key) <= 600

    def test_key_ids_and_nonces_cannot_blur(self, client, prefix):
        store = RedisNonceStore(client, prefix=prefix)
        assert store.claim("a:b", "c")
        assert store.claim("a", "b:c")

    def test_concurrent_claims_succeed_once(self, client, prefix):
        store = RedisNonceStore(client, prefix=prefix)
        barrier, results = threading.Barrier(6), []

        def claim() -> None:
            barrier.wait()
            results.append(store.claim("k", "same"))

        threads = [threading.Thread(target=claim) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert sorted(results) == [False] * 5 + [True]

    def test_fails_closed_when_redis_is_down(self, dead_client):
        with pytest.raises(NonceStoreUnavailable):
            RedisNonceStore(dead_client).claim("k", "n")


class TestRedisRateLimiter:
    def test_matches_the_in_memory_arithmetic_step_for_step(self, client, prefix):
        clock = ManualClock()
        shared = RedisRateLimiter(client, clock=clock, prefix=prefix)
        local = MemoryRateLimiter(clock=clock)
        buckets = [Bucket("app:a", Policy("app", 5, 1)), Bucket("merchant:m", Policy("m", 7, 2))]
        rng = random.Random(3)
        for _ in range(300):
            clock.advance(ns=rng.choice([0, 0, 10, 90, 250, 1200]) * 1_000_000)
            chosen = rng.sample(buckets, rng.randint(1, 2))
            cost = rng.choice([1, 1, 2])
            assert shared.take(chosen, cost) == local.take(chosen, cost)

    def test_all_or_nothing_across_buckets(self, client, prefix):
        limiter = RedisRateLimiter(client, clock=ManualClock(), prefix=prefix)
        app = Bucket("app:a", Policy("app", 10, 1))
        merchant = Bucket("merchant:m", Policy("merchant", 1, 60))
        assert all(d.allowed for d in limiter.take([app, merchant]))
        refused = limiter.take([app, merchant])
        assert not any(d.allowed for d in refused)
        assert refused[0].remaining == 9  # the app bucket was not charged
        assert refused[1].retry_after_s == 60

    def test_state_expires_once_the_bucket_would_be_full(self, client, prefix):
        limiter = RedisRateLimiter(client, clock=ManualClock(), prefix=prefix)
        limiter.take([Bucket("app:a", Policy("app", 10, 60))])
        assert 0 < client.pttl(prefix + "app:a") <= 7_000  # 6 s to refill one token, plus 1 s

    def test_server_time_and_concurrent_processes_never_overshoot(self, client, prefix):
        limiter = RedisRateLimiter(client, prefix=prefix)  # no clock: Redis TIME
        bucket = Bucket("app:hot", Policy("app", 100, 3600))
        admitted, lock = [], threading.Lock()

        def hammer() -> None:
            mine = RedisRateLimiter(redis.Redis.from_url(REDIS_URL), prefix=prefix)
            count = sum(mine.take([bucket])[0].allowed for _ in range(40))
            with lock:
                admitted.append(count)

        threads = [threading.Thread(target=hammer) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sum(admitted) == 100
        assert not limiter.take([bucket])[0].allowed

    def test_fails_with_a_typed_error_when_redis_is_down(self, dead_client):
        limiter = RedisRateLimiter(dead_client)
        with pytest.raises(RateLimiterUnavailable):
            limiter.take([Bucket("app:a", Policy("app", 1, 1))])

    def test_degenerate_calls(self, client, prefix):
        limiter = RedisRateLimiter(client, prefix=prefix)
        assert limiter.take([]) == []
        with pytest.raises(ValueError, match="cost"):
            limiter.take([Bucket("app:a", Policy("app", 1, 1))], cost=0)
