"""The case state machine, pure: every allowed and every refused change, versions, history."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankstack.risk.cases.case import SYSTEM, Case, Change, may_move
from bankstack.risk.cases.records import CaseOrigin, CaseStatus
from bankstack.risk.errors import CaseTransitionInvalid

T0 = 1_000 * 10**9
LATER = T0 + 60 * 10**9

OPEN = CaseStatus.OPEN
INVESTIGATING = CaseStatus.INVESTIGATING
CONFIRMED = CaseStatus.CONFIRMED
FALSE_POSITIVE = CaseStatus.FALSE_POSITIVE

Action = Callable[[Case], Change]
ACTIONS: dict[str, Action] = {
    "investigate": lambda c: c.start_investigation(actor="ana", at=LATER, note="looking"),
    "confirm": lambda c: c.resolve(confirmed=True, actor="ana", at=LATER, note="fraud"),
    "clear": lambda c: c.resolve(confirmed=False, actor="ana", at=LATER, note="customer ok"),
    "assign": lambda c: c.assign("bo", actor="ana", at=LATER),
    "attach": lambda c: c.attach("alert a1", priority=2, at=LATER),
}
# What each action leads to from each status; absent = refused.
TARGET: dict[tuple[CaseStatus, str], CaseStatus] = {
    (OPEN, "investigate"): INVESTIGATING,
    (OPEN, "confirm"): CONFIRMED,
    (OPEN, "clear"): FALSE_POSITIVE,
    (OPEN, "assign"): OPEN,
    (OPEN, "attach"): OPEN,
    (INVESTIGATING, "confirm"): CONFIRMED,
    (INVESTIGATING, "clear"): FALSE_POSITIVE,
    (INVESTIGATING, "assign"): INVESTIGATING,
    (INVESTIGATING, "attach"): INVESTIGATING,
}


def opened(priority: int = 3) -> Case:
    return Case.open(
        case_id="case_1",
        subject="cust-1",
        title="review decision d1",
        origin=CaseOrigin.DECISION,
        priority=priority,
        at=T0,
    ).case


def in_status(status: CaseStatus, *, version: int = 4) -> Case:
    return dataclasses.replace(opened(), status=status, version=version)


def test_open_starts_at_version_1_with_an_opening_entry() -> None:
    case, entry = Case.open(
        case_id="case_1",
        subject="cust-1",
        title="t",
        origin=CaseOrigin.ALERT,
        priority=2,
        at=T0,
        note="high fan_in alert a1",
    )
    assert (case.status, case.version, case.opened_at, case.updated_at) == (OPEN, 1, T0, T0)
    assert (case.assignee, case.resolution) == (None, None)
    assert (entry.seq, entry.from_status, entry.to_status, entry.actor) == (1, None, OPEN, SYSTEM)
    assert entry.note == "high fan_in alert a1"


@pytest.mark.parametrize("status", list(CaseStatus))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_from_every_status(status: CaseStatus, action: str) -> None:
    case = in_status(status)
    target = TARGET.get((status, action))
    if target is None:
        with pytest.raises(CaseTransitionInvalid) as refused:
            ACTIONS[action](case)
        assert refused.value.details["case_id"] == "case_1"
        assert refused.value.details["status"] == status.value
        return
    changed, entry = ACTIONS[action](case)
    assert changed.status is target
    assert changed.version == case.version + 1
    assert changed.updated_at == LATER
    assert changed.opened_at == case.opened_at
    assert (entry.seq, entry.at, entry.from_status, entry.to_status) == (
        changed.version,
        LATER,
        status,
        target,
    )


def test_transition_table_allows_exactly_the_documented_moves() -> None:
    allowed = {
        (OPEN, INVESTIGATING),
        (OPEN, CONFIRMED),
        (OPEN, FALSE_POSITIVE),
        (INVESTIGATING, CONFIRMED),
        (INVESTIGATING, FALSE_POSITIVE),
    }
    for current in CaseStatus:
        for target in CaseStatus:
            assert may_move(current, target) is ((current, target) in allowed)


@pytest.mark.parametrize("final", [CONFIRMED, FALSE_POSITIVE])
def test_a_final_case_cannot_be_reopened(final: CaseStatus) -> None:
    assert final.is_final
    assert not may_move(final, OPEN)
    assert not may_move(final, INVESTIGATING)
    with pytest.raises(CaseTransitionInvalid):
        in_status(final).start_investigation(actor="ana", at=LATER)


def test_investigating_twice_is_refused() -> None:
    investigating, _ = opened().start_investigation(actor="ana", at=LATER)
    with pytest.raises(CaseTransitionInvalid) as refused:
        investigating.start_investigation(actor="bo", at=LATER)
    assert refused.value.details["requested"] == "investigating"


def test_starting_an_investigation_assigns_an_unassigned_case_to_the_actor() -> None:
    started, entry = opened().start_investigation(actor="ana", at=LATER, note="on it")
    assert started.assignee == "ana"
    assert (entry.actor, entry.note) == ("ana", "on it")


def test_starting_an_investigation_keeps_an_existing_assignee() -> None:
    assigned, _ = opened().assign("bo", actor="lead", at=LATER)
    started, entry = assigned.start_investigation(actor="ana", at=LATER)
    assert started.assignee == "bo"
    assert entry.actor == "ana"


def test_assign_records_who_assigned_whom() -> None:
    assigned, entry = opened().assign("bo", actor="lead", at=LATER)
    assert assigned.assignee == "bo"
    assert (entry.actor, entry.note, entry.from_status, entry.to_status) == (
        "lead",
        "assigned to bo",
        OPEN,
        OPEN,
    )


@pytest.mark.parametrize(("confirmed", "status"), [(True, CONFIRMED), (False, FALSE_POSITIVE)])
def test_resolve_keeps_the_note_as_the_resolution(confirmed: bool, status: CaseStatus) -> None:
    resolved, entry = opened().resolve(confirmed=confirmed, actor="ana", at=LATER, note="why")
    assert (resolved.status, resolved.resolution) == (status, "why")
    assert (entry.actor, entry.note) == ("ana", "why")


def test_attach_raises_priority_but_never_lowers_it() -> None:
    raised, entry = opened(priority=3).attach("alert a1", priority=1, at=LATER)
    assert raised.priority == 1
    assert entry.note == "alert a1 attached; priority 3 -> 1"
    kept, entry = opened(priority=2).attach("alert a2", priority=4, at=LATER)
    assert kept.priority == 2
    assert entry.note == "alert a2 attached"
    assert entry.actor == SYSTEM


def test_a_long_title_is_cut_to_the_column() -> None:
    case = Case.open(
        case_id="c",
        subject="s",
        title="word " * 100,
        origin=CaseOrigin.ALERT,
        priority=2,
        at=T0,
    ).case
    assert len(case.title) == 300
    assert case.title.endswith("\u2026")


@given(st.lists(st.sampled_from(sorted(ACTIONS)), max_size=12))
def test_any_sequence_of_actions_keeps_history_and_versions_in_step(actions: list[str]) -> None:
    case, first = Case.open(
        case_id="case_1", subject="s", title="t", origin=CaseOrigin.STAFF, priority=4, at=T0
    )
    history = [first]
    for action in actions:
        target = TARGET.get((case.status, action))
        try:
            case, entry = ACTIONS[action](case)
        except CaseTransitionInvalid:
            assert target is None
            continue
        assert case.status is target
        history.append(entry)
    assert [entry.seq for entry in history] == list(range(1, case.version + 1))
    for before, after in itertools.pairwise(history):
        assert after.from_status is before.to_status
    assert history[-1].to_status is case.status
    if case.status.is_final:  # once final, nothing else was accepted
        finals = [i for i, e in enumerate(history) if e.to_status.is_final]
        assert finals == [len(history) - 1]
