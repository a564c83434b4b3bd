"""The announcement of a resolved case, as the outbox carries it (pure).

Payments holds the money of a ``review`` decision until the case is decided; it learns the
outcome from the ``risk.case.resolved`` event, written to the platform's outbox in the same
transaction as the resolution: a resolution is announced if and only if it committed, and
the relay delivers it at least once (consumers deduplicate by event id).

The key is the case id. The payload follows the payments events' shape: ``type``,
``occurred_at`` and ``data``, the case as it stands after the resolution with every linked
reference grouped by kind, so that a consumer finds its trade or transfer without asking risk.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from bankstack.kernel.events import OutboxRecord
from bankstack.risk.cases.case import Case
from bankstack.risk.cases.records import CaseLink, RefKind

CASE_RESOLVED: Final = "risk.case.resolved"


def case_body(case: Case, links: Sequence[CaseLink]) -> dict[str, Any]:
    refs: dict[str, list[str]] = {kind.value: [] for kind in RefKind}
    for link in links:
        refs[link.ref.kind.value].append(link.ref.ref_id)
    return {
        "object": "risk_case",
        "id": case.case_id,
        "version": case.version,
        "status": case.status.value,
        "subject": case.subject,
        "origin": case.origin.value,
        "priority": case.priority,
        "resolution": case.resolution,
        "opened_at": case.opened_at,
        "updated_at": case.updated_at,
        "refs": {kind: sorted(ids) for kind, ids in refs.items()},
    }


def resolution_record(case: Case, links: Sequence[CaseLink]) -> OutboxRecord:
    if not case.status.is_final:
        raise ValueError(f"case {case.case_id} is {case.status}, not resolved")
    payload = {
        "type": CASE_RESOLVED,
        "occurred_at": case.updated_at,
        "data": case_body(case, links),
    }
    return OutboxRecord(
        CASE_RESOLVED, case.case_id, json.dumps(payload, sort_keys=True), case.updated_at
    )
