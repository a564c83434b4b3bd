"""Purging delivered outbox rows and processed marks on both tiers: only what is published (or
processed) and older than the retention goes, in batches; nothing pending is ever touched."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from bankstack.kernel.clock import NS_PER_SECOND, ManualClock
from bankstack.kernel.events import Event, OutboxRecord
from bankstack.platform.database import make_engine
from bankstack.platform.migrations import upgrade
from bankstack.platform.outbox import Inbox, OutboxRelay, OutboxWriter
from bankstack.platform.retention import purge_delivered

DAY = 86_400 * NS_PER_SECOND
START = 1_800_000_000 * NS_PER_SECOND
TOPIC = "retention.test"


class Recorder:
    name = "retention-recorder"

    def __init__(self, engine: Engine, clock: ManualClock) -> None:
        self.inbox = Inbox(engine, self.name, clock)

    def handle(self, events: list[Event]) -> None:
        for event in events:
            self.inbox.process(event, lambda _conn, _event: None)


def _add(engine: Engine, count: int, at: int) -> None:
    with engine.begin() as conn:
        writer = OutboxWriter(conn)
        for n in range(count):
            writer.add(OutboxRecord(TOPIC, f"k{n}", "{}", at))


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), {"t": TOPIC}).scalar_one())


def _rows(engine: Engine) -> tuple[int, int]:
    """(published, unpublished) rows of this test's topic."""
    published = "SELECT count(*) FROM outbox WHERE topic = :t AND published_at IS NOT NULL"
    pending = "SELECT count(*) FROM outbox WHERE topic = :t AND published_at IS NULL"
    return _count(engine, published), _count(engine, pending)


def _marks(engine: Engine) -> int:
    return _count(
        engine, f"SELECT count(*) FROM processed_events WHERE consumer = '{Recorder.name}'"
    )


@pytest.fixture(params=["sqlite_url", "fresh_pg_url"], ids=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest) -> str:
    """An empty database of its own: a purge deletes every old delivered row, not just ours."""
    url: str = request.getfixturevalue(request.param)
    return url


def test_only_old_delivered_rows_and_marks_go(empty_url: str) -> None:
    upgrade(empty_url)
    engine = make_engine(empty_url)
    clock = ManualClock(START)
    try:
        relay = OutboxRelay(engine, [Recorder(engine, clock)], clock=clock, batch_size=1_000)
        _add(engine, 7, START)
        while relay.relay_once():
            pass  # published (and marked processed) on day 0
        clock.advance(8 * 86_400)
        _add(engine, 3, clock.now_ns())
        while relay.relay_once():
            pass  # published on day 8
        _add(engine, 2, clock.now_ns())  # never published
        assert (_rows(engine), _marks(engine)) == ((10, 2), 10)

        purged = purge_delivered(engine, clock, 7 * DAY, batch=3)  # several batches

        assert purged.outbox_rows == 7
        assert purged.processed_marks == 7
        assert (_rows(engine), _marks(engine)) == ((3, 2), 3)
        again = purge_delivered(engine, clock, 7 * DAY, batch=3)
        assert (again.outbox_rows, again.processed_marks) == (0, 0)
    finally:
        engine.dispose()


def test_a_retention_must_be_positive(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with pytest.raises(ValueError, match="positive"):
            purge_delivered(engine, ManualClock(START), 0)
    finally:
        engine.dispose()
