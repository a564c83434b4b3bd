"""Two outbox relays on one PostgreSQL database: one finding the page locked by the other
reads nothing and must neither fail nor publish anything."""

from __future__ import annotations

from sqlalchemy import text

from bankstack.platform.database import make_engine
from bankstack.platform.migrations import upgrade
from bankstack.platform.outbox import OutboxRelay


def test_a_relay_finding_every_row_locked_does_nothing(fresh_pg_url: str) -> None:
    upgrade(fresh_pg_url)
    engine = make_engine(fresh_pg_url)
    seen: list[str] = []

    class Recorder:
        name = "recorder"

        def handle(self, events) -> None:
            seen.extend(e.event_id for e in events)

    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO outbox (topic, key, payload, occurred_at)"
                    " VALUES ('t', 'k', '{}', 1)"
                )
            )
        with engine.connect() as other, other.begin():  # another relay holds the page
            other.execute(text("SELECT id FROM outbox FOR UPDATE")).all()
            assert OutboxRelay(engine, [Recorder()]).relay_once() == 0
        assert seen == []
        assert OutboxRelay(engine, [Recorder()]).relay_once() == 1  # once free, delivered
        assert len(seen) == 1
    finally:
        engine.dispose()
