"""The notification store: the delivery lifecycle, and claims exclusive across claimers.

On a database of each test's own: claims scan the whole table.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bankstack.gateway.alipay import PendingNotification, SqlNotificationStore
from bankstack.gateway.alipay.adapters.tables import notifications
from bankstack.platform.database import make_engine
from bankstack.platform.migrations import upgrade

T0 = 1_000_000_000_000


@pytest.fixture
def store(isolated_url: str) -> Iterator[SqlNotificationStore]:
    upgrade(isolated_url)
    engine = make_engine(isolated_url)
    try:
        yield SqlNotificationStore(engine)
    finally:
        engine.dispose()


def pending(notify_id: str, due: int = T0) -> PendingNotification:
    return PendingNotification(
        notify_id=notify_id,
        app_id="app",
        url="https://shop.example/notify",
        form=(("notify_id", notify_id), ("subject", "拿铁 & co"), ("sign", "c2ln")),
        charset="utf-8",
        created_ns=T0,
        next_attempt_ns=due,
    )


def test_the_lifecycle_of_a_notification(store: SqlNotificationStore):
    store.add(pending("a"))
    store.add(pending("a", due=T0 + 999))  # a known notify_id is ignored
    store.add(pending("b", due=T0 + 10))
    assert store.claim_due(T0 - 1, 10, T0 + 100) == []
    [claimed] = store.claim_due(T0, 10, lease_until_ns=T0 + 100)
    assert claimed == pending("a")  # the form round-trips, in order
    assert [n.notify_id for n in store.claim_due(T0 + 50, 10, T0 + 200)] == ["b"]
    store.retry_at("a", 1, T0 + 300)
    assert store.claim_due(T0 + 150, 10, T0 + 400) == []  # a is not due, b is leased
    both = store.claim_due(T0 + 300, 10, T0 + 600)  # b's lease has run out: b again
    assert [(n.notify_id, n.attempts) for n in both] == [("b", 0), ("a", 1)]
    store.delivered("a", 2, T0 + 301)
    store.abandon("b", 8, T0 + 302)
    assert store.claim_due(T0 + 10**9, 10, T0 + 10**10) == []
    found_a, found_b = store.find("a"), store.find("b")
    assert found_a is not None
    assert found_b is not None
    assert (found_a.status, found_a.finished_at_ns, found_a.notification.attempts) == (
        "delivered",
        T0 + 301,
        2,
    )
    assert (found_b.status, found_b.notification.attempts) == ("abandoned", 8)
    store.retry_at("a", 3, T0)  # a late report of an earlier attempt changes nothing
    assert store.claim_due(T0 + 10**9, 10, T0 + 10**10) == []
    assert store.find("zz") is None


def test_a_bound_store_writes_in_the_callers_transaction(store: SqlNotificationStore):
    engine = store._engine
    with engine.connect() as conn:
        transaction = conn.begin()
        store.on(conn).add(pending("rolled-back"))
        transaction.rollback()
    with engine.begin() as conn:
        store.on(conn).add(pending("kept"))
    assert store.find("rolled-back") is None
    assert store.find("kept") is not None


def test_concurrent_claims_never_share_a_notification(store: SqlNotificationStore):
    ids = [f"n{i:03d}" for i in range(60)]
    for notify_id in ids:
        store.add(pending(notify_id))
    claimed: list[list[str]] = [[] for _ in range(4)]
    start = threading.Barrier(4)

    def claimer(mine: list[str]) -> None:
        start.wait()
        while batch := store.claim_due(T0, 5, lease_until_ns=T0 + 10**12):
            mine.extend(n.notify_id for n in batch)

    threads = [threading.Thread(target=claimer, args=(mine,)) for mine in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    every = [notify_id for mine in claimed for notify_id in mine]
    assert sorted(every) == ids  # each claimed exactly once
    with store._engine.connect() as conn:
        leases = conn.execute(notifications.select()).all()
    assert {row.next_attempt_at for row in leases} == {T0 + 10**12}
