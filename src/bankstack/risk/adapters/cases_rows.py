"""Rows of the case tables <-> the case records (risk/cases), both ways, no queries.

An alert's ``details`` column holds one JSON object with the detector's details and the ids
of the movements that make up the finding (the table has no column of its own for them), so
that a stored alert reads back equal to the one raised.
"""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

from bankstack.kernel.money import Money
from bankstack.risk.cases.case import Case
from bankstack.risk.cases.labels import Label
from bankstack.risk.cases.records import (
    CaseLink,
    CaseOrigin,
    CaseRef,
    CaseStatus,
    HistoryEntry,
    RefKind,
    StoredAlert,
)
from bankstack.risk.domain.alert import Alert, DetailValue, Severity


def case_row(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "status": case.status.value,
        "subject": case.subject,
        "title": case.title,
        "origin": case.origin.value,
        "priority": case.priority,
        "opened_at": case.opened_at,
        "updated_at": case.updated_at,
        "assignee": case.assignee,
        "resolution": case.resolution,
        "version": case.version,
    }


def case_from(row: Any) -> Case:
    return Case(
        case_id=row.case_id,
        status=CaseStatus(row.status),
        subject=row.subject,
        title=row.title,
        origin=CaseOrigin(row.origin),
        priority=row.priority,
        opened_at=row.opened_at,
        updated_at=row.updated_at,
        assignee=row.assignee,
        resolution=row.resolution,
        version=row.version,
    )


def history_row(case_id: str, entry: HistoryEntry) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "from_status": None if entry.from_status is None else entry.from_status.value,
        "to_status": entry.to_status.value,
        "note": entry.note,
    }


def history_from(row: Any) -> HistoryEntry:
    return HistoryEntry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        from_status=None if row.from_status is None else CaseStatus(row.from_status),
        to_status=CaseStatus(row.to_status),
        note=row.note,
    )


def link_from(row: Any) -> CaseLink:
    return CaseLink(CaseRef(RefKind(row.ref_kind), row.ref_id), row.linked_at)


def alert_row(alert: Alert, case_id: str | None) -> dict[str, Any]:
    details = {"details": dict(alert.details), "movement_ids": list(alert.movement_ids)}
    return {
        "alert_id": alert.alert_id,
        "detector": alert.detector,
        "subject": alert.subject,
        "severity": alert.severity.value,
        "summary": alert.summary,
        "details": json.dumps(details, sort_keys=True),
        "amount_minor": None if alert.amount is None else alert.amount.minor,
        "currency": None if alert.amount is None else alert.amount.asset,
        "raised_at": alert.raised_at,
        "dedupe_key": alert.dedupe_key,
        "case_id": case_id,
    }


def alert_from(row: Any) -> StoredAlert:
    stored = json.loads(row.details)
    details: dict[str, DetailValue] = stored.get("details", {})
    amount = None if row.amount_minor is None else Money(row.amount_minor, row.currency)
    alert = Alert(
        alert_id=row.alert_id,
        detector=row.detector,
        subject=row.subject,
        severity=Severity(row.severity),
        summary=row.summary,
        raised_at=row.raised_at,
        dedupe_key=row.dedupe_key,
        amount=amount,
        movement_ids=tuple(stored.get("movement_ids", ())),
        details=MappingProxyType(details),
    )
    return StoredAlert(alert, row.case_id)


def label_row(label: Label) -> dict[str, Any]:
    return {
        "event_id": label.event_id,
        "label": label.label,
        "source": label.source,
        "case_id": label.case_id,
        "labelled_at": label.labelled_at,
    }
