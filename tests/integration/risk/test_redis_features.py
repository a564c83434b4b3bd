"""RedisFeatureSource on a real Redis (127.0.0.1:6379): the same vectors as the memory source.

Skipped when no Redis answers, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import random
import threading
import uuid
from typing import Any

import pytest
import redis

from bankstack.kernel.money import Money
from bankstack.risk.adapters.redis_features import RedisFeatureSource
from bankstack.risk.domain.event import EventKind, RiskEvent
from bankstack.risk.errors import FeaturesUnavailable
from bankstack.risk.features.memory import InMemoryFeatureSource
from bankstack.risk.features.windows import SPECS
from tests._redis import REDIS_URL, connect, drop_prefix, fresh_prefix
from tests.unit.risk.features.streams import T0, random_stream


class CountingConnection(redis.Connection):
    """Counts what the client sends: one packed command is one round trip."""

    sent = 0

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.sent += 1
        super().send_packed_command(command, check_health)  # type: ignore[no-untyped-call]


@pytest.fixture(scope="module")
def client():
    made = connect("the risk feature tests", timeout_s=5)
    yield made
    made.close()


@pytest.fixture
def prefix(client):
    made = fresh_prefix()
    yield made
    drop_prefix(client, made)


def snapshot(client, prefix) -> dict[bytes, Any]:
    return {key: client.dump(key) for key in client.scan_iter(match=prefix + "*", count=1_000)}


class TestParity:
    @pytest.mark.parametrize("seed", range(3))
    def test_every_vector_equals_the_memory_source(self, client, prefix, seed):
        memory, shared = InMemoryFeatureSource(), RedisFeatureSource(client, prefix=prefix)
        for event in random_stream(seed, 700, customers=4 + seed):
            assert shared.compute(event) == memory.compute(event), event.event_id
            memory.record(event)
            shared.record(event)

    def test_two_processes_sharing_one_redis(self, client, prefix):
        other = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
        try:
            sources = [
                RedisFeatureSource(client, prefix=prefix),
                RedisFeatureSource(other, prefix=prefix),
            ]
            memory, rng = InMemoryFeatureSource(), random.Random(3)
            for event in random_stream(30, 400):
                deciding = rng.choice(sources)
                assert deciding.compute(event) == memory.compute(event)
                rng.choice(sources).record(event)  # any process may record what another decided
                memory.record(event)
        finally:
            other.close()


class TestRedisShape:
    def test_compute_writes_nothing(self, client, prefix):
        source = RedisFeatureSource(client, prefix=prefix)
        events = random_stream(8, 300)
        for event in events[:200]:
            source.record(event)
        before = snapshot(client, prefix)
        vectors = [source.compute(event) for event in events[200:]]
        assert snapshot(client, prefix) == before
        assert [source.compute(event) for event in events[200:]] == vectors

    def test_one_round_trip_to_compute_and_one_to_record(self, prefix):
        pool = redis.ConnectionPool.from_url(REDIS_URL, connection_class=CountingConnection)
        counted = redis.Redis(connection_pool=pool)
        try:
            source = RedisFeatureSource(counted, prefix=prefix)
            events = random_stream(9, 60)
            source.compute(events[0])  # the first calls load the scripts
            source.record(events[0])
            for event in events[1:]:
                before = CountingConnection.sent
                source.compute(event)
                assert CountingConnection.sent == before + 1
                source.record(event)
                assert CountingConnection.sent == before + 2
        finally:
            counted.close()

    def test_window_keys_expire_after_their_window_links_stay(self, client, prefix):
        source = RedisFeatureSource(client, prefix=prefix)
        source.record(_payment(T0, customer="c1", payee="m1", device="d1", phone="p1"))
        expected_ms = {spec.name: (spec.span_ns + spec.width_ns) // 1_000_000 for spec in SPECS}
        ttls = {
            key.decode().removeprefix(prefix): client.pttl(key)
            for key in client.scan_iter(match=prefix + "*")
        }
        windows = {key: ttl for key, ttl in ttls.items() if "." in key.split(":")[0]}
        assert windows  # c.1m:c1, c.1m.z:c1, c.1m.$CNY:c1, ..., cd.30d:c1
        for key, ttl in windows.items():
            window = key.split(":")[0].split(".")[1]
            assert expected_ms[window] - 5_000 < ttl <= expected_ms[window], key
        assert ttls["cp:c1"] == -1
        assert ttls["dc:d1"] == -1
        assert ttls["pc:p1"] == -1

    def test_evicted_buckets_leave_the_hash(self, client, prefix):
        source = RedisFeatureSource(client, prefix=prefix)
        for second in range(200):
            source.record(_payment(T0 + second * 1_000_000_000, payee=f"m{second % 3}"))
        window = client.hgetall(prefix + "c.1m:c1")
        buckets = [field for field in window if field.startswith(b"c")]
        assert len(buckets) == 60  # one per second of the last minute, nothing older
        assert int(window[b"n"]) == 60
        assert int(window[b"d"]) == 3
        assert client.zcard(prefix + "c.1m.z:c1") == 60

    def test_concurrent_recorders_lose_nothing(self, client, prefix):
        barrier = threading.Barrier(4)

        def record(worker: int) -> None:
            own = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
            source = RedisFeatureSource(own, prefix=prefix)
            barrier.wait()
            for k in range(50):
                source.record(_payment(T0 + k * 1_000_000_000, payee=f"m{worker}", amount=10))
            own.close()

        workers = [threading.Thread(target=record, args=(w,)) for w in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        vector = RedisFeatureSource(client, prefix=prefix).compute(_payment(T0 + 50 * 10**9))
        assert (vector["customer_count_1h"], vector["customer_sum_1h"]) == (200, 2_000)
        assert vector["customer_distinct_payees_1h"] == 4
        assert vector["customer_events_total"] == 200

    def test_redis_down_is_unavailable(self):
        dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
        source = RedisFeatureSource(dead, prefix="bankstack:test:dead:")
        with pytest.raises(FeaturesUnavailable) as raised:
            source.compute(_payment(T0))
        assert raised.value.retryable
        with pytest.raises(FeaturesUnavailable):
            source.record(_payment(T0))
        dead.close()


def _payment(
    at: int,
    *,
    customer: str = "c1",
    payee: str = "m1",
    amount: int = 1_000,
    device: str | None = None,
    phone: str | None = None,
) -> RiskEvent:
    return RiskEvent(
        event_id=f"p-{uuid.uuid4().hex}",
        kind=EventKind.PAYMENT,
        occurred_at=at,
        customer_id=customer,
        amount=Money(amount, "CNY"),
        merchant_id=payee,
        device_id=device,
        phone=phone,
    )
