"""In-memory nonce store and rate limiter (one process, thread-safe)."""

from __future__ import annotations

import threading

import pytest

from bankstack.gateway.adapters.nonces import MemoryNonceStore
from bankstack.gateway.adapters.ratelimit import MemoryRateLimiter
from bankstack.gateway.domain.ratelimit import Bucket, Policy
from bankstack.gateway.errors import NonceInvalid
from bankstack.kernel.clock import ManualClock


class TestMemoryNonceStore:
    def test_a_nonce_is_good_once_per_key_until_it_expires(self):
        clock = ManualClock()
        store = MemoryNonceStore(clock=clock)
        assert store.claim("app_1_k1", "n1")
        assert not store.claim("app_1_k1", "n1")
        assert store.claim("app_1_k2", "n1")  # another key id
        clock.advance(599)
        assert not store.claim("app_1_k1", "n1")
        clock.advance(1)
        assert store.claim("app_1_k1", "n1")

    def test_expired_entries_are_dropped(self):
        clock = ManualClock()
        store = MemoryNonceStore(clock=clock)
        for n in range(100):
            store.claim("k", f"n{n}", ttl_s=10)
        assert len(store) == 100
        clock.advance(10)
        assert len(store) == 0

    @pytest.mark.parametrize(("key_id", "nonce"), [("", "n"), ("k", ""), ("k", "n" * 257)])
    def test_invalid(self, key_id, nonce):
        with pytest.raises(NonceInvalid):
            MemoryNonceStore().claim(key_id, nonce)

    def test_ttl_must_be_positive(self):
        with pytest.raises(ValueError, match="ttl"):
            MemoryNonceStore().claim("k", "n", ttl_s=0)

    def test_concurrent_claims_of_one_nonce_succeed_once(self):
        store = MemoryNonceStore()
        barrier = threading.Barrier(8)
        results: list[bool] = []

        def claim() -> None:
            barrier.wait()
            results.append(store.claim("k", "same"))

        threads = [threading.Thread(target=claim) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [False] * 7 + [True]


class TestMemoryRateLimiter:
    def test_bursts_then_refills(self):
        clock = ManualClock()
        limiter = MemoryRateLimiter(clock=clock)
        bucket = Bucket("app:a", Policy("app", 3, 1))
        allowed = [limiter.take([bucket])[0].allowed for _ in range(4)]
        assert allowed == [True, True, True, False]
        clock.advance(0.34)
        decision = limiter.take([bucket])[0]
        assert decision.allowed
        assert decision.remaining == 0

    def test_buckets_are_independent(self):
        limiter = MemoryRateLimiter(clock=ManualClock())
        one = Bucket("app:a", Policy("app", 1, 1))
        two = Bucket("app:b", Policy("app", 1, 1))
        assert limiter.take([one])[0].allowed
        assert limiter.take([two])[0].allowed
        assert not limiter.take([one])[0].allowed

    def test_a_changed_policy_starts_a_fresh_bucket(self):
        limiter = MemoryRateLimiter(clock=ManualClock())
        assert limiter.take([Bucket("k", Policy("app", 1, 1))])[0].allowed
        assert limiter.take([Bucket("k", Policy("app", 5, 1))])[0].allowed

    def test_sweep_drops_full_buckets_only(self):
        clock = ManualClock()
        limiter = MemoryRateLimiter(clock=clock, max_buckets=3)
        policy = Policy("app", 10, 10)
        for name in "abc":
            limiter.take([Bucket(name, policy)])
        clock.advance(0.5)
        assert limiter.sweep() == 0
        clock.advance(1)
        assert limiter.sweep() == 3
        for name in "abcd":  # reaching max_buckets sweeps on the way
            limiter.take([Bucket(name, policy)])
