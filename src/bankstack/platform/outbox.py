"""The outbox relay: delivers events after their transaction committed, at least once.

Domains write ``OutboxRecord``s in the same transaction as their change. The relay polls the
unpublished rows in id order, turns each into events (directly, or through an *expander* for
records that stand for many events, such as the ledger's one record per batch), hands every
event to every subscriber, and only then marks the rows published. A crash between delivery
and marking delivers again; that is why every event carries a stable ``event_id`` and every
consumer deduplicates: ``Inbox`` records processed ids in the consumer's own transaction.

On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several relays (one per server process) share
the work without delivering one row twice at the same time.

A subscriber may name the ``topics`` it handles (a frozenset; without it, every topic). A
record that only an expander turns into events is expanded only when some subscriber wants
one of the topics the expansion produces: a ledger batch read back from the journal for
nobody cost a quarter of the relay's time per payment (bench/payments).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection, Engine, text

from bankstack.kernel.clock import Clock, SystemClock
from bankstack.kernel.events import Event, OutboxRecord
from bankstack.platform.logging import get_logger

Expander = Callable[[Connection, OutboxRecord], list[Event]]
log = get_logger(__name__)


class Subscriber(Protocol):
    name: str

    def handle(self, events: Sequence[Event]) -> None:
        """Process events; must tolerate seeing an event again (dedupe by event_id)."""
        ...


@dataclass(frozen=True)
class Expansion:
    """How one record topic becomes events: ``expand`` and every topic it can produce."""

    expand: Expander
    topics: frozenset[str]


def topics_of(subscriber: Subscriber) -> frozenset[str] | None:
    """The topics ``subscriber`` handles; None: all of them."""
    topics = getattr(subscriber, "topics", None)
    return topics if isinstance(topics, frozenset) else None


class OutboxRelay:
    def __init__(
        self,
        engine: Engine,
        subscribers: Sequence[Subscriber],
        *,
        expanders: dict[str, Expansion] | None = None,
        clock: Clock | None = None,
        batch_size: int = 100,
    ) -> None:
        self._engine = engine
        self._subscribers = list(subscribers)
        self._expanders = expanders or {}
        self._clock = clock or SystemClock()
        self._batch_size = batch_size
        self._postgres = engine.dialect.name == "postgresql"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def subscribe(self, subscriber: Subscriber) -> None:
        """Add a subscriber (before ``start``): domains wired after the relay was built."""
        self._subscribers.append(subscriber)

    def relay_once(self) -> int:
        """Deliver one page of unpublished records; return how many were published.

        On PostgreSQL the rows stay locked (``SKIP LOCKED``) while subscribers run, so two
        relays never deliver the same rows at once. SQLite has a single write lock: holding
        it while subscribers write through their own connections (``Inbox``) would wait on
        itself, so there the page is read, delivered, and only then marked in a short write
        transaction (a crash in between delivers it again, which consumers tolerate).
        """
        if not self._has_unpublished():
            return 0
        if self._postgres:
            with self._write_transaction() as conn:
                ids, events = self._read_page(conn, " FOR UPDATE SKIP LOCKED")
                self._deliver(events)
                self._mark(conn, ids)
            return len(ids)
        with self._engine.connect() as conn, conn.begin():
            ids, events = self._read_page(conn, "")
        self._deliver(events)
        if ids:
            with self._write_transaction() as conn:
                self._mark(conn, ids)
        return len(ids)

    def _read_page(self, conn: Connection, lock: str) -> tuple[list[int], list[list[Event]]]:
        rows = conn.execute(
            text(
                "SELECT id, topic, key, payload, occurred_at FROM outbox"
                f" WHERE published_at IS NULL ORDER BY id LIMIT :n{lock}"
            ),
            {"n": self._batch_size},
        ).all()
        events = [
            self._events(conn, row[0], OutboxRecord(row[1], row[2], row[3], row[4])) for row in rows
        ]
        return [row[0] for row in rows], events

    def _deliver(self, pages: list[list[Event]]) -> None:
        for events in pages:
            for subscriber in self._subscribers:
                subscriber.handle(events)

    def _has_unpublished(self) -> bool:
        """A cheap read first, so an idle relay never takes SQLite's write lock."""
        with self._engine.connect() as conn:
            row = conn.execute(text("SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT 1"))
            return row.first() is not None

    @contextmanager
    def _write_transaction(self) -> Iterator[Connection]:
        # On SQLite the relay writes (marks rows published), so it takes the write lock at
        # BEGIN and waits its turn behind the ledger writer instead of failing with "locked".
        options = {} if self._postgres else {"sqlite_begin": "IMMEDIATE"}
        with self._engine.connect() as raw:
            conn = raw.execution_options(**options)
            with conn.begin():
                yield conn

    def _mark(self, conn: Connection, ids: list[int]) -> None:
        if not ids:  # another relay took the page (SKIP LOCKED): nothing of ours to mark
            return
        marks = ", ".join(f":i{n}" for n in range(len(ids)))
        params: dict[str, int] = {f"i{n}": i for n, i in enumerate(ids)}
        params["now"] = self._clock.now_ns()
        conn.execute(text(f"UPDATE outbox SET published_at = :now WHERE id IN ({marks})"), params)

    def _events(self, conn: Connection, row_id: int, record: OutboxRecord) -> list[Event]:
        expansion = self._expanders.get(record.topic)
        if expansion is None:
            return [Event(f"{record.topic}/{row_id}", *record)]
        if not self._wanted(expansion.topics):
            return []  # nobody handles what it would produce: published as it is
        return expansion.expand(conn, record)

    def _wanted(self, topics: frozenset[str]) -> bool:
        for subscriber in self._subscribers:
            handled = topics_of(subscriber)
            if handled is None or not handled.isdisjoint(topics):
                return True
        return False

    def start(self, interval_s: float = 0.2) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(interval_s,), daemon=True, name="outbox-relay"
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self, interval_s: float) -> None:
        while not self._stop.is_set():
            try:
                busy = self.relay_once() > 0
            except Exception:
                log.exception("outbox relay failed; retrying")
                busy = False
            if not busy:
                self._stop.wait(interval_s)


class Inbox:
    """Exactly-once processing on top of at-least-once delivery, per consumer."""

    _CLAIM = text(
        "INSERT INTO processed_events (consumer, event_id, processed_at) VALUES (:c, :e, :t)"
        " ON CONFLICT DO NOTHING RETURNING event_id"
    )

    def __init__(self, engine: Engine, consumer: str, clock: Clock | None = None) -> None:
        self._engine = engine
        self._consumer = consumer
        self._clock = clock or SystemClock()

    def process(self, event: Event, handler: Callable[[Connection, Event], None]) -> bool:
        """Run ``handler`` in the same transaction that records the event as processed;
        return False, doing nothing, when this consumer has processed it before."""
        options = {"sqlite_begin": "IMMEDIATE"} if self._engine.dialect.name == "sqlite" else {}
        with self._engine.connect() as raw, raw.execution_options(**options).begin():
            conn = raw
            # One statement claims the event: a concurrent claim of the same id waits for
            # this transaction and then finds the row (PostgreSQL), or waits for the write
            # lock (SQLite); either way exactly one consumer runs the handler.
            claimed = conn.execute(
                self._CLAIM,
                {"c": self._consumer, "e": event.event_id, "t": self._clock.now_ns()},
            ).first()
            if claimed is None:
                return False
            handler(conn, event)
        return True


class OutboxWriter:
    """Adds outbox records on a connection whose transaction also holds the change they
    describe: a domain's unit of work exposes one as ``uow.outbox``."""

    _INSERT = text(
        "INSERT INTO outbox (topic, key, payload, occurred_at)"
        " VALUES (:topic, :key, :payload, :occurred_at)"
    )

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, record: OutboxRecord) -> None:
        self._conn.execute(self._INSERT, record._asdict())
