"""Idempotency records on SQLite and PostgreSQL: states, leases, retention, races."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import text

from bankstack.gateway.adapters.idempotency_sql import SqlIdempotencyStore
from bankstack.gateway.domain.idempotency import (
    ConflictInProgress,
    FingerprintMismatch,
    Proceed,
    Replay,
    StoredResponse,
)

RESPONSE = StoredResponse(
    201, (("content-type", "application/json"), ("location", "/v1/trades/trd_1")), b'{"id":1}'
)


@pytest.fixture
def store(engine, clock):
    return SqlIdempotencyStore(engine, clock=clock)


@pytest.fixture
def scope() -> str:
    # The PostgreSQL database is shared by the session: every test gets its own app scope.
    return f"app_{uuid.uuid4().hex}"


def test_first_request_proceeds_then_replays(store, scope):
    lease = store.begin(scope, "k", "fp")
    assert isinstance(lease, Proceed)
    assert store.begin(scope, "k", "fp") == ConflictInProgress()
    assert store.complete(scope, "k", lease.token, RESPONSE)
    assert store.begin(scope, "k", "fp") == Replay(RESPONSE)


def test_another_fingerprint_is_a_mismatch_in_every_state(store, scope):
    lease = store.begin(scope, "k", "fp")
    assert store.begin(scope, "k", "other") == FingerprintMismatch()
    assert isinstance(lease, Proceed)
    store.complete(scope, "k", lease.token, RESPONSE)
    assert store.begin(scope, "k", "other") == FingerprintMismatch()


def test_scopes_do_not_share_keys(store, scope):
    assert isinstance(store.begin(scope, "k", "fp"), Proceed)
    assert isinstance(store.begin(scope + "_other", "k", "fp"), Proceed)


def test_abandon_releases_the_key(store, scope):
    lease = store.begin(scope, "k", "fp")
    assert isinstance(lease, Proceed)
    assert not store.abandon(scope, "k", "not-the-token")
    assert store.abandon(scope, "k", lease.token)
    assert isinstance(store.begin(scope, "k", "fp"), Proceed)


def test_an_expired_lease_is_taken_over_and_the_old_holder_loses(store, scope, clock):
    old = store.begin(scope, "k", "fp")
    clock.advance(29)
    assert store.begin(scope, "k", "fp") == ConflictInProgress()
    clock.advance(1)
    new = store.begin(scope, "k", "fp")
    assert isinstance(old, Proceed)
    assert isinstance(new, Proceed)
    assert new.token != old.token
    assert not store.complete(scope, "k", old.token, RESPONSE)
    assert not store.abandon(scope, "k", old.token)
    assert store.complete(scope, "k", new.token, RESPONSE)


def test_completed_records_last_seven_days_then_purge(store, scope, clock, engine):
    lease = store.begin(scope, "k", "fp")
    assert isinstance(lease, Proceed)
    store.complete(scope, "k", lease.token, RESPONSE)
    store.begin(scope, "in-flight", "fp")
    clock.advance(7 * 86400 - 1)
    assert store.begin(scope, "k", "fp") == Replay(RESPONSE)
    assert store.purge() >= 1  # the dead lease of "in-flight"
    clock.advance(1)
    assert store.purge() >= 1
    with engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM gateway_idempotency_keys WHERE scope = :s"), {"s": scope}
        ).scalar()
    assert left == 0
    assert isinstance(store.begin(scope, "k", "other body now fine"), Proceed)


def test_an_expired_record_not_yet_purged_is_free_again(store, scope, clock):
    lease = store.begin(scope, "k", "fp")
    assert isinstance(lease, Proceed)
    store.complete(scope, "k", lease.token, RESPONSE)
    clock.advance(7 * 86400)
    assert isinstance(store.begin(scope, "k", "new fingerprint"), Proceed)


def test_replay_keeps_exact_bytes(store, scope):
    body = bytes(range(256)) + "中文".encode()
    lease = store.begin(scope, "k", "fp")
    assert isinstance(lease, Proceed)
    store.complete(scope, "k", lease.token, StoredResponse(200, (), body))
    replay = store.begin(scope, "k", "fp")
    assert isinstance(replay, Replay)
    assert replay.response.body == body


@pytest.mark.parametrize("rounds", [5])
def test_two_threads_same_key_exactly_one_proceeds(engine, clock, rounds):
    store = SqlIdempotencyStore(engine, clock=clock)
    for round_ in range(rounds):
        scope = f"app_race_{uuid.uuid4().hex}"
        barrier = threading.Barrier(2)
        results: list[object] = []
        lock = threading.Lock()

        def claim(
            scope: str = scope,
            barrier: threading.Barrier = barrier,
            results: list[object] = results,
            lock: threading.Lock = lock,
        ) -> None:
            barrier.wait()
            decision = store.begin(scope, "same-key", "fp")
            with lock:
                results.append(decision)

        threads = [threading.Thread(target=claim) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        kinds = sorted(type(r).__name__ for r in results)
        assert kinds == ["ConflictInProgress", "Proceed"], f"round {round_}: {kinds}"


def test_racing_takeover_of_an_expired_lease_has_one_winner(engine, clock):
    store = SqlIdempotencyStore(engine, clock=clock)
    scope = f"app_race_{uuid.uuid4().hex}"
    store.begin(scope, "k", "fp")
    clock.advance(31)
    barrier = threading.Barrier(4)
    results: list[object] = []

    def claim() -> None:
        barrier.wait()
        results.append(store.begin(scope, "k", "fp"))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(isinstance(r, Proceed) for r in results) == 1
