"""Events as the outbox carries them: pure records, no I/O.

A domain writes ``OutboxRecord``s in the same database transaction as the change they
describe; the relay (platform/outbox.py) reads them after commit and delivers ``Event``s to
subscribers. A record may stand for many events (the ledger writes one record per batch that
names its journal range; the relay expands it to one event per transfer). Every event has a
stable ``event_id``: delivery is at least once, and consumers deduplicate by that id.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol


class OutboxRecord(NamedTuple):
    topic: str
    key: str
    payload: str  # JSON text
    occurred_at: int  # ns since the epoch


class Outbox(Protocol):
    """Where a unit of work puts the records its transaction commits with them."""

    def add(self, record: OutboxRecord) -> None: ...


class Event(NamedTuple):
    event_id: str
    topic: str
    key: str
    payload: str  # JSON text
    occurred_at: int
