"""Fixtures for ledger integration tests: a runtime on each database tier."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import pytest

from bankstack.entrypoints.bootstrap import Runtime, build_runtime
from bankstack.kernel.clock import Clock
from bankstack.kernel.events import Event
from bankstack.kernel.ids import new_id
from bankstack.ledger import Account, AccountFlags
from bankstack.platform.settings import load_settings

RuntimeFactory = Callable[..., Runtime]


class Collector:
    """A subscriber that remembers what it was given."""

    name = "collector"

    def __init__(self) -> None:
        self.events: list[Event] = []

    def handle(self, events: Sequence[Event]) -> None:
        self.events.extend(events)


@pytest.fixture
def make_runtime(db_url: str) -> Iterator[RuntimeFactory]:
    made: list[Runtime] = []

    def make(clock: Clock | None = None, **kwargs: object) -> Runtime:
        settings = load_settings(database_url=db_url, expiry_interval_ms=50)
        runtime = build_runtime(settings, clock=clock, start_relay=False, **kwargs)  # type: ignore[arg-type]
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.close()


@pytest.fixture
def runtime(make_runtime: RuntimeFactory) -> Runtime:
    return make_runtime()


def open_accounts(runtime: Runtime, count: int, *, flags: int = 0, ledger: int = 1) -> list[int]:
    """Create ``count`` fresh accounts (ids unique across tests sharing a database)."""
    ids = [new_id() for _ in range(count)]
    results = runtime.writer.create_accounts([Account(i, ledger, 1, flags=flags) for i in ids])
    assert results == ["ok"] * count
    return ids


def fund(runtime: Runtime, source: int, targets: Sequence[int], amount: int) -> None:
    from bankstack.ledger import Transfer  # noqa: PLC0415

    transfers = [Transfer(new_id(), source, t, amount, ledger=1, code=1) for t in targets]
    assert runtime.writer.create_transfers(transfers) == ["ok"] * len(targets)


DMNEC = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
