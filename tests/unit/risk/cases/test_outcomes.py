"""Priorities from the origin, labels from outcomes, the resolution's outbox record, case ids
and the queue's cursors, pure."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankstack.risk.cases.announce import CASE_RESOLVED, resolution_record
from bankstack.risk.cases.case import (
    HIGH,
    LOW,
    MEDIUM,
    URGENT,
    Case,
    alert_case_id,
    decision_case_id,
    priority_for_alert,
    priority_for_decision,
)
from bankstack.risk.cases.labels import CASE_SOURCE, Label, label_of, labels_for
from bankstack.risk.cases.queue import (
    MAX_LIMIT,
    CaseQueryInvalid,
    QueuePosition,
    check_limit,
    decode_cursor,
    encode_cursor,
    page_of,
)
from bankstack.risk.cases.records import (
    CaseLink,
    CaseOrigin,
    CaseRef,
    CaseStatus,
    RefKind,
    alert_refs,
)
from bankstack.risk.domain.alert import Alert, Severity
from bankstack.risk.domain.decision import Outcome

T0 = 1_000 * 10**9
T1 = T0 + 10**9


def case(status: CaseStatus = CaseStatus.OPEN, **changes: object) -> Case:
    opened = Case.open(
        case_id="case_x", subject="cust-1", title="t", origin=CaseOrigin.DECISION, priority=1, at=T0
    ).case
    return dataclasses.replace(opened, status=status, updated_at=T1, **changes)  # type: ignore[arg-type]


def links(*refs: tuple[RefKind, str]) -> list[CaseLink]:
    return [CaseLink(CaseRef(kind, ref_id), T0) for kind, ref_id in refs]


# -- priority -------------------------------------------------------------------------------


def test_a_review_decision_is_the_most_urgent() -> None:
    assert priority_for_decision(Outcome.REVIEW) == URGENT == 1
    assert priority_for_decision(Outcome.REJECT) == HIGH
    assert priority_for_decision(Outcome.CHALLENGE) == MEDIUM
    assert priority_for_decision(Outcome.ACCEPT) == LOW


def test_alert_priority_follows_severity() -> None:
    assert priority_for_alert(Severity.HIGH) == HIGH
    assert priority_for_alert(Severity.MEDIUM) == MEDIUM
    assert priority_for_alert(Severity.LOW) == LOW


def test_only_a_review_outranks_a_reject() -> None:
    """A review holds money until someone decides; otherwise the more severe comes first."""
    by_severity = sorted(Outcome, key=lambda o: o.severity)
    priorities = [priority_for_decision(o) for o in by_severity if o is not Outcome.REVIEW]
    assert priorities == sorted(priorities, reverse=True)
    assert priority_for_decision(Outcome.REVIEW) < priority_for_decision(Outcome.REJECT)


# -- labels ---------------------------------------------------------------------------------


def test_a_confirmed_case_labels_every_linked_event_fraud() -> None:
    found = labels_for(
        case(CaseStatus.CONFIRMED),
        links(
            (RefKind.DECISION, "d1"),
            (RefKind.EVENT, "e2"),
            (RefKind.EVENT, "e1"),
            (RefKind.TRADE, "t1"),
            (RefKind.ALERT, "a1"),
        ),
    )
    assert found == (
        Label(event_id="e1", label=1, source=CASE_SOURCE, case_id="case_x", labelled_at=T1),
        Label(event_id="e2", label=1, source=CASE_SOURCE, case_id="case_x", labelled_at=T1),
    )


def test_a_false_positive_labels_every_linked_event_legitimate() -> None:
    found = labels_for(case(CaseStatus.FALSE_POSITIVE), links((RefKind.EVENT, "e1")))
    assert [(x.event_id, x.label) for x in found] == [("e1", 0)]


@pytest.mark.parametrize("status", [CaseStatus.OPEN, CaseStatus.INVESTIGATING])
def test_an_unresolved_case_gives_no_labels(status: CaseStatus) -> None:
    with pytest.raises(ValueError, match="no outcome"):
        label_of(status)
    with pytest.raises(ValueError, match="no outcome"):
        labels_for(case(status), links((RefKind.EVENT, "e1")))


def test_a_label_is_0_or_1() -> None:
    with pytest.raises(ValueError, match="not 2"):
        Label(event_id="e", label=2, source=CASE_SOURCE, case_id=None, labelled_at=T0)


def test_an_alert_links_itself_and_its_movements_as_events() -> None:
    alert = Alert(
        alert_id="a1",
        detector="fan_in",
        subject="acct-9",
        severity=Severity.HIGH,
        summary="s",
        raised_at=T0,
        dedupe_key="k",
        movement_ids=("m1", "m2"),
    )
    assert alert_refs(alert) == (
        CaseRef(RefKind.ALERT, "a1"),
        CaseRef(RefKind.EVENT, "m1"),
        CaseRef(RefKind.EVENT, "m2"),
    )


@pytest.mark.parametrize("ref_id", ["", "x" * 129])
def test_a_reference_needs_a_sane_id(ref_id: str) -> None:
    with pytest.raises(ValueError, match="reference"):
        CaseRef(RefKind.TRADE, ref_id)


# -- the resolution's outbox record -----------------------------------------------------------


def test_the_resolution_record_names_the_case_and_its_refs() -> None:
    resolved = case(CaseStatus.CONFIRMED, resolution="stolen card", version=3)
    record = resolution_record(
        resolved, links((RefKind.TRADE, "t9"), (RefKind.EVENT, "e1"), (RefKind.DECISION, "d1"))
    )
    assert (record.topic, record.key, record.occurred_at) == (CASE_RESOLVED, "case_x", T1)
    payload = json.loads(record.payload)
    assert payload["type"] == "risk.case.resolved"
    data = payload["data"]
    assert (data["id"], data["status"], data["subject"], data["version"]) == (
        "case_x",
        "confirmed",
        "cust-1",
        3,
    )
    assert data["refs"] == {
        "decision": ["d1"],
        "alert": [],
        "event": ["e1"],
        "trade": ["t9"],
        "transfer": [],
    }


def test_only_a_resolved_case_is_announced() -> None:
    with pytest.raises(ValueError, match="not resolved"):
        resolution_record(case(CaseStatus.INVESTIGATING), [])


# -- ids ------------------------------------------------------------------------------------


def test_case_ids_derive_from_their_origin_and_fit_the_column() -> None:
    assert decision_case_id("d1") == decision_case_id("d1")
    assert decision_case_id("d1") != decision_case_id("d2")
    assert decision_case_id("k") != alert_case_id("k")
    assert len(alert_case_id("x" * 200)) <= 40


# -- the queue's cursors and pages ------------------------------------------------------------


@given(
    st.integers(min_value=0, max_value=32_767),
    st.integers(min_value=0, max_value=2**63 - 1),
    st.text(min_size=1, max_size=40),
)
def test_a_cursor_decodes_to_the_position_it_encodes(
    priority: int, opened_at: int, case_id: str
) -> None:
    position = QueuePosition(priority, opened_at, case_id)
    assert decode_cursor(encode_cursor(position)) == position


@pytest.mark.parametrize("cursor", ["", "%%%", "bm90IGEgY3Vyc29y", "MTox", "eDox", "MTotMTph"])
def test_a_foreign_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(CaseQueryInvalid) as refused:
        decode_cursor(cursor)
    assert refused.value.details == {"param": "cursor"}


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1])
def test_limits_outside_the_range_are_refused(limit: int) -> None:
    with pytest.raises(CaseQueryInvalid):
        check_limit(limit)


def test_a_page_has_a_cursor_only_when_more_follow() -> None:
    cases = [case(case_id=f"c{i}") for i in range(3)]
    full = page_of(cases, 2)
    assert [c.case_id for c in full.cases] == ["c0", "c1"]
    assert full.has_more
    assert decode_cursor(full.next_cursor) == QueuePosition(1, T0, "c1")
    last = page_of(cases[:2], 2)
    assert not last.has_more
    assert last.next_cursor is None
