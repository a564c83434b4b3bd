"""JSON views of cases, their history and links, and alerts, for the staff API.

Times are RFC 3339 UTC with microseconds; amounts are integer minor units next to their
currency (never a float); objects carry ``object`` like every bankstack resource.
"""

from __future__ import annotations

from typing import Any

from bankstack.kernel.clock import ns_to_datetime
from bankstack.risk.cases.case import Case, CaseFile
from bankstack.risk.cases.queue import AlertList, QueuePage
from bankstack.risk.cases.records import CaseLink, HistoryEntry, StoredAlert


def rfc3339(ns: int) -> str:
    return ns_to_datetime(ns).isoformat().replace("+00:00", "Z")


def case_view(case: Case) -> dict[str, Any]:
    return {
        "object": "risk_case",
        "id": case.case_id,
        "status": case.status.value,
        "subject": case.subject,
        "title": case.title,
        "origin": case.origin.value,
        "priority": case.priority,
        "opened_at": rfc3339(case.opened_at),
        "updated_at": rfc3339(case.updated_at),
        "assignee": case.assignee,
        "resolution": case.resolution,
        "version": case.version,
    }


def link_view(link: CaseLink) -> dict[str, Any]:
    return {
        "kind": link.ref.kind.value,
        "id": link.ref.ref_id,
        "linked_at": rfc3339(link.linked_at),
    }


def history_view(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": rfc3339(entry.at),
        "actor": entry.actor,
        "from": None if entry.from_status is None else entry.from_status.value,
        "to": entry.to_status.value,
        "note": entry.note,
    }


def alert_view(stored: StoredAlert) -> dict[str, Any]:
    alert = stored.alert
    return {
        "object": "risk_alert",
        "id": alert.alert_id,
        "detector": alert.detector,
        "subject": alert.subject,
        "severity": alert.severity.value,
        "summary": alert.summary,
        "raised_at": rfc3339(alert.raised_at),
        "amount": None if alert.amount is None else alert.amount.minor,
        "currency": None if alert.amount is None else alert.amount.asset,
        "movement_ids": list(alert.movement_ids),
        "details": dict(alert.details),
        "case_id": stored.case_id,
    }


def case_file_view(found: CaseFile) -> dict[str, Any]:
    return {
        **case_view(found.case),
        "links": [link_view(link) for link in found.links],
        "history": [history_view(entry) for entry in found.history],
        "alerts": [alert_view(alert) for alert in found.alerts],
    }


def queue_view(page: QueuePage) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [case_view(case) for case in page.cases],
        "has_more": page.has_more,
        "next_cursor": page.next_cursor,
    }


def alerts_view(found: AlertList) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [alert_view(alert) for alert in found.alerts],
        "has_more": found.has_more,
        "next_cursor": None,  # the newest alerts only: older ones are on their cases
    }
