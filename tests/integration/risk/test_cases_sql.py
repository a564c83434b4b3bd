"""The case service on the SQL store, on SQLite and PostgreSQL: idempotent opening and alert
raising, alerts attaching to a subject's open case, the queue's order and pages, labels,
the resolution's outbox record, and concurrent resolutions."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from functools import partial

import pytest
from sqlalchemy import Engine, text

from bankstack.kernel.money import Money
from bankstack.risk.adapters.cases_rows import alert_row
from bankstack.risk.adapters.cases_sql import SqlCaseStore, SqlCaseUnitOfWork
from bankstack.risk.adapters.tables import alerts
from bankstack.risk.cases.announce import CASE_RESOLVED
from bankstack.risk.cases.case import HIGH, MEDIUM, URGENT, Case
from bankstack.risk.cases.records import CaseOrigin, CaseRef, CaseStatus, RefKind
from bankstack.risk.domain.alert import Severity
from bankstack.risk.domain.decision import Outcome
from bankstack.risk.domain.event import EventKind, EventSubject, RiskEvent
from bankstack.risk.errors import CaseNotFound, CaseTransitionInvalid
from bankstack.risk.service import RiskService
from tests._risk import ScriptedRisk
from tests.integration.risk.case_kit import World, together, world_on


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    with world_on(db_url) as made:
        yield made


def refs_of(world: World, case_id: str) -> set[tuple[str, str]]:
    return {(link.ref.kind.value, link.ref.ref_id) for link in world.service.get(case_id).links}


# -- opening ---------------------------------------------------------------------------------


def test_opening_a_case_for_a_decision_twice_finds_the_first(world: World) -> None:
    trade = CaseRef(RefKind.TRADE, world.name("t1"))
    first = world.service.open_for_decision(
        world.name("d1"), world.name("e1"), world.name("alice"), Outcome.REVIEW, "held", [trade]
    )
    world.clock.advance(5)
    again = world.service.open_for_decision(
        world.name("d1"), world.name("e1"), world.name("alice"), Outcome.REJECT, "other title"
    )
    assert again == first
    assert (first.priority, first.origin, first.title) == (URGENT, CaseOrigin.DECISION, "held")
    found = world.service.get(first.case_id)
    assert [entry.seq for entry in found.history] == [1]
    assert refs_of(world, first.case_id) == {
        ("decision", world.name("d1")),
        ("event", world.name("e1")),
        ("trade", world.name("t1")),
    }


def test_concurrent_opens_for_one_decision_make_one_case(world: World) -> None:
    opened = together(*[partial(world.open_decision, "race")] * 4)
    assert all(isinstance(case, Case) for case in opened), opened
    assert len({case.case_id for case in opened if isinstance(case, Case)}) == 1
    case_id = world.open_decision("race").case_id
    assert [entry.seq for entry in world.service.get(case_id).history] == [1]


# -- alerts ----------------------------------------------------------------------------------


def test_raising_an_alert_twice_stores_it_once(world: World) -> None:
    alert = world.alert("a1", movements=("m1", "m2"))
    case_id = world.service.raise_alert(alert)
    world.clock.advance(60)
    assert world.service.raise_alert(alert) == case_id
    stored = world.service.alerts(alert.subject)
    assert [(s.alert, s.case_id) for s in stored.alerts] == [(alert, case_id)]
    assert not stored.has_more
    found = world.service.get(case_id)
    assert (found.case.origin, found.case.priority, found.case.subject) == (
        CaseOrigin.ALERT,
        HIGH,
        alert.subject,
    )
    assert found.case.title == alert.summary
    assert [s.alert.alert_id for s in found.alerts] == [alert.alert_id]
    assert refs_of(world, case_id) == {
        ("alert", alert.alert_id),
        ("event", world.name("m1")),
        ("event", world.name("m2")),
    }


def test_an_alert_stored_without_a_case_is_triaged_as_stored(world: World) -> None:
    stored = world.alert("a1", movements=("m1",))
    with world.engine.begin() as conn:  # a writer that records findings and leaves triage
        conn.execute(alerts.insert().values(alert_row(stored, None)))
    replay = dataclasses.replace(stored, alert_id=world.name("al-replay"), movement_ids=())
    case_id = world.service.raise_alert(replay)
    assert world.service.raise_alert(replay) == case_id
    found = world.service.get(case_id)
    assert [(s.alert, s.case_id) for s in found.alerts] == [(stored, case_id)]
    assert ("event", world.name("m1")) in refs_of(world, case_id)


def test_an_alert_attaches_to_the_subjects_open_case(world: World) -> None:
    decided = world.open_decision("d1", outcome=Outcome.CHALLENGE)
    assert decided.priority == MEDIUM
    world.clock.advance(10)
    alert = world.alert("a1", movements=("m1",))
    assert world.service.raise_alert(alert) == decided.case_id
    found = world.service.get(decided.case_id)
    assert (found.case.priority, found.case.version) == (HIGH, 2)
    assert found.history[-1].note.endswith(f"{alert.alert_id} attached; priority 3 -> 2")
    assert [s.alert for s in found.alerts] == [alert]
    assert ("event", world.name("m1")) in refs_of(world, decided.case_id)


def test_an_alert_after_the_subjects_case_was_resolved_opens_a_new_case(world: World) -> None:
    decided = world.open_decision("d1")
    world.service.resolve(decided.case_id, confirmed=False, actor="ana", note="known customer")
    case_id = world.service.raise_alert(world.alert("a1", severity=Severity.MEDIUM))
    assert case_id != decided.case_id
    assert world.service.get(case_id).case.priority == MEDIUM


def test_alerts_of_one_subject_share_one_case_and_list_newest_first(world: World) -> None:
    first = world.service.raise_alert(world.alert("a1", severity=Severity.LOW))
    world.clock.advance(1)
    second = world.service.raise_alert(world.alert("a2", severity=Severity.HIGH))
    assert second == first
    assert world.service.get(first).case.priority == HIGH
    listed = world.service.alerts(world.name("alice"), limit=1)
    assert [s.alert.alert_id for s in listed.alerts] == [world.name("al-a2")]
    assert listed.has_more


def test_concurrent_alerts_about_one_subject_open_one_case(world: World) -> None:
    for round_ in range(3):
        subject = f"mule{round_}"
        alerts = [world.alert(f"{subject}-a{n}", subject=subject) for n in range(4)]
        case_ids = together(*(partial(world.service.raise_alert, alert) for alert in alerts))
        assert all(isinstance(case_id, str) for case_id in case_ids), case_ids
        assert len(set(case_ids)) == 1, "one subject, one active case"
        assert len(world.service.get(str(case_ids[0])).alerts) == 4


# -- the queue -------------------------------------------------------------------------------


def walk(world: World, status: CaseStatus | None, limit: int) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = world.service.queue(status, cursor, limit)
        assert len(page.cases) <= limit
        seen += [case.case_id for case in page.cases]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_the_queue_serves_priority_then_age_in_pages(world: World) -> None:
    made: dict[str, Case] = {}
    for base, outcome in [
        ("old-reject", Outcome.REJECT),
        ("old-review", Outcome.REVIEW),
        ("challenge", Outcome.CHALLENGE),
        ("new-reject", Outcome.REJECT),
        ("new-review", Outcome.REVIEW),
        ("done", Outcome.REVIEW),
    ]:
        made[base] = world.open_decision(base, outcome=outcome)
        world.clock.advance(1)
    world.service.start_investigation(made["new-reject"].case_id, actor="ana")
    world.service.resolve(made["done"].case_id, confirmed=True, actor="ana", note="fraud")
    ours = {case.case_id: base for base, case in made.items()}

    # Other tests' cases share the PostgreSQL database: walk everything, keep ours.
    walked = walk(world, None, limit=2)
    assert len(walked) == len(set(walked))
    assert [ours[c] for c in walked if c in ours] == [
        "old-review",
        "new-review",
        "old-reject",
        "new-reject",
        "challenge",
    ]
    assert [ours[c] for c in walk(world, CaseStatus.CONFIRMED, 3) if c in ours] == ["done"]
    investigating = walk(world, CaseStatus.INVESTIGATING, 50)
    assert [ours[c] for c in investigating if c in ours] == ["new-reject"]


# -- resolution, labels and the outbox ----------------------------------------------------------


def test_a_resolution_labels_the_events_and_is_announced(world: World) -> None:
    case = world.open_decision("d1")
    world.service.assign(case.case_id, "bo", actor="lead")
    world.service.start_investigation(case.case_id, actor="bo", note="calling the customer")
    assert world.outbox(case.case_id) == []  # only resolutions are announced
    resolved = world.service.resolve(
        case.case_id, confirmed=True, actor="bo", note="account takeover"
    )
    assert (resolved.status, resolved.version, resolved.assignee) == ("confirmed", 4, "bo")
    assert world.resolved == [resolved]
    assert world.service.labels()[world.name("evt-d1")] == 1
    [(topic, payload)] = world.outbox(case.case_id)
    assert topic == CASE_RESOLVED
    data = json.loads(payload)["data"]
    assert (data["id"], data["status"], data["subject"]) == (
        case.case_id,
        "confirmed",
        world.name("alice"),
    )
    assert data["refs"]["decision"] == [world.name("dec-d1")]
    history = world.service.get(case.case_id).history
    assert [(e.actor, e.to_status.value) for e in history] == [
        ("system", "open"),
        ("lead", "open"),
        ("bo", "investigating"),
        ("bo", "confirmed"),
    ]


def test_a_refused_resolution_writes_nothing(world: World) -> None:
    case = world.open_decision("d1")
    world.service.resolve(case.case_id, confirmed=False, actor="ana", note="fine")
    with pytest.raises(CaseTransitionInvalid):
        world.service.resolve(case.case_id, confirmed=True, actor="bo", note="fraud after all")
    assert len(world.outbox(case.case_id)) == 1
    assert world.service.labels()[world.name("evt-d1")] == 0
    assert len(world.resolved) == 1
    with pytest.raises(CaseNotFound):
        world.service.resolve(world.name("no-such-case"), confirmed=True, actor="ana", note="x")


class _CommitFails(SqlCaseUnitOfWork):
    def commit(self) -> None:
        raise RuntimeError("the disk is full")


class _FailingStore(SqlCaseStore):
    def write(self) -> SqlCaseUnitOfWork:
        return _CommitFails(self._engine, write=True)


def test_a_resolution_that_does_not_commit_is_not_announced(db_url: str, world: World) -> None:
    case = world.open_decision("d1")
    with world_on(db_url, _FailingStore) as failing:
        with pytest.raises(RuntimeError, match="disk is full"):
            failing.service.resolve(case.case_id, confirmed=True, actor="ana", note="fraud")
        assert failing.resolved == []
    assert world.outbox(case.case_id) == []
    assert world.name("evt-d1") not in world.service.labels()
    found = world.service.get(case.case_id)
    assert (found.case.status, len(found.history)) == (CaseStatus.OPEN, 1)


def test_a_confirmed_label_is_never_turned_back_to_legitimate(world: World) -> None:
    shared = CaseRef(RefKind.EVENT, world.name("shared"))
    cases = [
        world.service.open_for_decision(
            world.name(f"d{i}"),
            world.name(f"e{i}"),
            world.name("alice"),
            Outcome.REVIEW,
            "t",
            [shared],
        )
        for i in range(3)
    ]
    world.service.resolve(cases[0].case_id, confirmed=False, actor="ana", note="fine")
    assert world.service.labels()[shared.ref_id] == 0
    world.service.resolve(cases[1].case_id, confirmed=True, actor="ana", note="fraud")
    assert world.service.labels()[shared.ref_id] == 1
    world.service.resolve(cases[2].case_id, confirmed=False, actor="ana", note="fine")
    labels = world.service.labels()
    assert labels[shared.ref_id] == 1
    assert [labels[world.name(f"e{i}")] for i in range(3)] == [0, 1, 0]


# -- concurrent resolutions ------------------------------------------------------------------


def test_of_two_concurrent_resolutions_exactly_one_wins(world: World) -> None:
    for round_ in range(3):
        case = world.open_decision(f"race{round_}")
        resolve = partial(world.service.resolve, case.case_id, actor="ana", note="race")
        results = together(partial(resolve, confirmed=True), partial(resolve, confirmed=False))
        won = [result for result in results if isinstance(result, Case)]
        refused = [result for result in results if isinstance(result, CaseTransitionInvalid)]
        assert (len(won), len(refused)) == (1, 1), results
        assert len(world.outbox(case.case_id)) == 1
        assert world.service.get(case.case_id).case == won[0]


class _PausingUnitOfWork(SqlCaseUnitOfWork):
    reached = threading.Event()
    release = threading.Event()

    def commit(self) -> None:
        self.reached.set()  # the case row is locked and the resolution written, not committed
        if not self.release.wait(30):
            raise RuntimeError("the test never released the commit")
        super().commit()


class _PausingStore(SqlCaseStore):
    def write(self) -> SqlCaseUnitOfWork:
        return _PausingUnitOfWork(self._engine, write=True)


def _wait_for_a_lock_waiter(engine: Engine) -> None:
    deadline = time.monotonic() + 30
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    )
    with engine.connect() as conn:
        while conn.execute(query).scalar_one() == 0:
            if time.monotonic() > deadline:
                pytest.fail("the second resolution never waited for the case's row lock")
            time.sleep(0.02)
            conn.rollback()


def test_the_second_resolution_waits_for_the_first_and_sees_it_final(pg_url: str) -> None:
    with world_on(pg_url) as plain, world_on(pg_url, _PausingStore) as pausing:
        case = plain.open_decision("locked")
        _PausingUnitOfWork.reached.clear()
        _PausingUnitOfWork.release.clear()
        results: dict[str, object] = {}

        def run(name: str, world: World, confirmed: bool) -> None:
            try:
                results[name] = world.service.resolve(
                    case.case_id, confirmed=confirmed, actor=name, note="race"
                )
            except CaseTransitionInvalid as error:
                results[name] = error

        first = threading.Thread(target=run, args=("first", pausing, True))
        first.start()
        assert _PausingUnitOfWork.reached.wait(30)
        second = threading.Thread(target=run, args=("second", plain, False))
        second.start()
        try:
            _wait_for_a_lock_waiter(plain.engine)
        finally:
            _PausingUnitOfWork.release.set()
            first.join()
            second.join()
        assert isinstance(results["first"], Case)
        assert results["first"].status is CaseStatus.CONFIRMED
        # Not a StaleCase: the second read the case after the first committed, under the lock.
        assert isinstance(results["second"], CaseTransitionInvalid)
        assert plain.service.get(case.case_id).case.status is CaseStatus.CONFIRMED
        assert len(plain.outbox(case.case_id)) == 1


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        (("trade", "1234"), {("trade", "1234")}),
        (("transfer", "77"), {("transfer", "77")}),
        (None, set()),  # a login, say: the case names the decision and the event only
    ],
)
def test_a_case_names_the_subject_its_event_came_with(
    world: World, subject: tuple[str, str] | None, expected: set[tuple[str, str]]
) -> None:
    event = RiskEvent(
        event_id=world.name("any-format:1"),  # risk never parses the caller's event ids
        kind=EventKind.PAYMENT,
        occurred_at=world.clock.now_ns(),
        customer_id=world.name("alice"),
        amount=Money(8800, "CNY"),
        subject=None if subject is None else EventSubject(*subject),
    )
    reviewing = ScriptedRisk(prefix=world.name("dec"))
    reviewing.outcomes = [Outcome.REVIEW]
    decision = RiskService(reviewing, world.service).decide(event)  # a scripted engine
    case = world.service.open_for_decision(  # idempotent: the case decide() opened
        decision.decision_id, event.event_id, event.customer_id, Outcome.REVIEW, "again"
    )
    assert (
        refs_of(world, case.case_id)
        - {
            ("decision", decision.decision_id),
            ("event", event.event_id),
        }
        == expected
    )
