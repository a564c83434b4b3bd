"""Rule sets in the database, on SQLite and PostgreSQL: adding versions, the lifecycle, the
indexes that back it up, and concurrent writers."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from bankstack.kernel.clock import ManualClock
from bankstack.kernel.errors import ValidationFailed
from bankstack.platform.database import make_engine
from bankstack.platform.migrations import upgrade
from bankstack.risk.adapters.rulesets_sql import SqlRuleSetRepository
from bankstack.risk.adapters.tables import rulesets
from bankstack.risk.errors import RuleSetInvalid, RuleSetNotFound, RuleSetStateConflict
from bankstack.risk.rules import RuleSetStatus, compile_ruleset
from tests.unit.risk.rules.texts import rule, ruleset_text

DRAFT, SHADOW, ACTIVE, RETIRED = (
    RuleSetStatus.DRAFT,
    RuleSetStatus.SHADOW,
    RuleSetStatus.ACTIVE,
    RuleSetStatus.RETIRED,
)


@dataclass
class Store:
    repo: SqlRuleSetRepository
    clock: ManualClock
    name: str  # unique per test: the PostgreSQL database is shared by the session
    url: str

    def text(self, version: int, points: int = 100) -> str:
        body = rule("R_BIG", "amount >= 100000", points=points)
        return ruleset_text(body, name=self.name, version=version)

    def statuses(self) -> dict[int, RuleSetStatus]:
        return {item.version: item.status for item in self.repo.versions(self.name)}


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    upgrade(db_url)
    engine = make_engine(db_url)
    clock = ManualClock()
    try:
        yield Store(
            SqlRuleSetRepository(engine, clock=clock), clock, f"t{uuid.uuid4().hex[:12]}", db_url
        )
    finally:
        engine.dispose()


def test_a_version_is_stored_as_a_draft_with_its_exact_text(store: Store) -> None:
    text = store.text(1) + "\n# trailing comment kept\n"
    stored = store.repo.add(text, by="ana")
    assert (stored.name, stored.version, stored.status) == (store.name, 1, DRAFT)
    assert stored.body == text
    assert stored.label == compile_ruleset(text).version
    assert (stored.created_at, stored.created_by) == (store.clock.now_ns(), "ana")
    assert (stored.status_at, stored.status_by) == (store.clock.now_ns(), "ana")
    assert store.repo.get(store.name, 1) == stored


def test_adding_the_same_version_again(store: Store) -> None:
    first = store.repo.add(store.text(1), by="ana")
    store.clock.advance(5)
    assert store.repo.add(store.text(1), by="bo") == first  # a retried load: no-op
    with pytest.raises(RuleSetStateConflict, match="version 1 is already stored with other"):
        store.repo.add(store.text(1, points=7), by="bo")
    assert store.repo.get(store.name, 1).body == store.text(1)


def test_versions_come_in_order_and_only_valid_bodies_are_stored(store: Store) -> None:
    with pytest.raises(RuleSetStateConflict, match=r"the next version of t\w+ is 1, not 2"):
        store.repo.add(store.text(2), by="ana")
    bad = ruleset_text(rule("R_X", "balance > 1"), name=store.name, version=1)
    with pytest.raises(RuleSetInvalid, match="rule R_X: 'balance' is not a feature"):
        store.repo.add(bad, by="ana")
    with pytest.raises(ValidationFailed, match="staff name"):
        store.repo.add(store.text(1), by=" ")
    assert store.repo.versions(store.name) == ()


def test_the_lifecycle(store: Store) -> None:
    for version in (1, 2, 3):
        store.repo.add(store.text(version, points=version), by="ana")
    assert store.repo.active(store.name) is None
    store.clock.advance(60)
    activated = store.repo.activate(store.name, 1, by="bo")
    assert (activated.status, activated.status_by) == (ACTIVE, "bo")
    assert activated.status_at == store.clock.now_ns()
    assert store.repo.active(store.name) == activated

    store.repo.shadow(store.name, 2, by="cy")
    assert store.repo.candidate(store.name) == store.repo.get(store.name, 2)
    store.repo.shadow(store.name, 3, by="cy")  # replaces the candidate
    assert store.statuses() == {1: ACTIVE, 2: DRAFT, 3: SHADOW}

    store.repo.activate(store.name, 3, by="di")  # the candidate goes live
    assert store.statuses() == {1: RETIRED, 2: DRAFT, 3: ACTIVE}
    assert store.repo.candidate(store.name) is None
    assert store.repo.get(store.name, 1).status_by == "di"  # retired by the activation

    store.repo.retire(store.name, 2, by="di")
    assert store.statuses() == {1: RETIRED, 2: RETIRED, 3: ACTIVE}


def test_refused_moves_change_nothing(store: Store) -> None:
    for version in (1, 2):
        store.repo.add(store.text(version), by="ana")
    store.repo.activate(store.name, 1, by="bo")
    store.repo.activate(store.name, 2, by="bo")
    before = store.repo.versions(store.name)
    with pytest.raises(RuleSetStateConflict, match="version 1 is retired"):
        store.repo.activate(store.name, 1, by="bo")
    with pytest.raises(RuleSetStateConflict, match="version 2 is the active version"):
        store.repo.shadow(store.name, 2, by="bo")
    with pytest.raises(RuleSetStateConflict, match="activate another version to retire it"):
        store.repo.retire(store.name, 2, by="bo")
    with pytest.raises(RuleSetNotFound, match="version 9"):
        store.repo.activate(store.name, 9, by="bo")
    assert store.repo.versions(store.name) == before
    assert store.repo.activate(store.name, 2, by="cy") == before[1]  # already active: no-op


def test_a_stored_body_that_no_longer_compiles_is_not_activated(store: Store) -> None:
    # As if the feature catalog lost a feature after the version was stored.
    body = ruleset_text(rule("R_OLD", "retired_feature > 1"), name=store.name, version=1)
    row = {
        "name": store.name, "version": 1, "body": body, "sha256": "0" * 64, "status": "draft",
        "created_at": 1, "created_by": "ana", "status_at": 1, "status_by": "ana",
    }  # fmt: skip
    with store.repo._engine.begin() as conn:
        conn.execute(insert(rulesets).values(row))
    with pytest.raises(RuleSetInvalid, match="rule R_OLD: 'retired_feature'"):
        store.repo.activate(store.name, 1, by="bo")
    assert store.statuses() == {1: DRAFT}


@pytest.mark.parametrize("status", ["active", "shadow"])
def test_the_database_allows_one_active_and_one_shadow_per_name(store: Store, status: str) -> None:
    for version in (1, 2):
        store.repo.add(store.text(version), by="ana")
    with store.repo._engine.connect() as conn, conn.begin():
        conn.execute(
            update(rulesets)
            .where(rulesets.c.name == store.name, rulesets.c.version == 1)
            .values(status=status)
        )
    with pytest.raises(IntegrityError), store.repo._engine.begin() as conn:
        conn.execute(
            update(rulesets)
            .where(rulesets.c.name == store.name, rulesets.c.version == 2)
            .values(status=status)
        )


def together(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment on threads; their results or exceptions, in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects it
            results[index] = error

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("round_", range(5))
def test_two_concurrent_activations_leave_one_active(pg_url: str, round_: int) -> None:
    upgrade(pg_url)
    engine = make_engine(pg_url)
    try:
        repo = SqlRuleSetRepository(engine)
        name = f"c{round_}{uuid.uuid4().hex[:12]}"
        for version in (1, 2, 3):
            repo.add(
                ruleset_text(rule("R_A", "amount > 1", points=version), name=name, version=version),
                by="ana",
            )
        repo.activate(name, 1, by="ana")
        results = together(
            lambda: repo.activate(name, 2, by="bo"), lambda: repo.activate(name, 3, by="cy")
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        statuses = {item.version: item.status for item in repo.versions(name)}
        assert sorted(statuses.values()) == sorted([ACTIVE, RETIRED, RETIRED])
        winner = repo.active(name)
        assert winner is not None
        assert winner.version in {2, 3}
        assert winner.status_at >= max(item.status_at for item in repo.versions(name))
    finally:
        engine.dispose()


def test_two_concurrent_loads_of_one_version(pg_url: str) -> None:
    upgrade(pg_url)
    engine = make_engine(pg_url)
    try:
        repo = SqlRuleSetRepository(engine)
        name = f"l{uuid.uuid4().hex[:12]}"
        same = ruleset_text(rule("R_A", "amount > 1"), name=name, version=1)
        other = ruleset_text(rule("R_A", "amount > 2"), name=name, version=1)
        first, second = together(lambda: repo.add(same, by="ana"), lambda: repo.add(same, by="bo"))
        assert first == second
        assert [item.version for item in repo.versions(name)] == [1]
        with pytest.raises(RuleSetStateConflict):
            repo.add(other, by="cy")
    finally:
        engine.dispose()
