"""The small records around a case, pure data: statuses, origins, links, history, alerts.

A case links to what it is about by reference (``CaseRef``): the decision that opened it,
the events it covers, the alerts attached to it, the trades and transfers whose money it
concerns. References are kind + id pairs, never foreign keys into other domains: payments
and the ledger own those rows, risk only names them.

The history is an append-only list of ``HistoryEntry``; every change of a case, including
the ones that keep its status (assignment, an alert attached), is one entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bankstack.risk.domain.alert import Alert

REF_ID_MAX: Final = 128  # risk_case_links.ref_id: a payment event id is up to 110


class CaseStatus(StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    CONFIRMED = "confirmed"  # it was fraud (or laundering)
    FALSE_POSITIVE = "false_positive"  # it was not

    @property
    def is_final(self) -> bool:
        return self in {CaseStatus.CONFIRMED, CaseStatus.FALSE_POSITIVE}


ACTIVE_STATUSES: Final = (CaseStatus.OPEN, CaseStatus.INVESTIGATING)


class CaseOrigin(StrEnum):
    DECISION = "decision"  # a review or reject decision of the engine
    ALERT = "alert"  # an AML detector's finding
    STAFF = "staff"  # opened by hand


class RefKind(StrEnum):
    DECISION = "decision"
    ALERT = "alert"
    EVENT = "event"  # a RiskEvent's event_id: what labels are keyed by
    TRADE = "trade"
    TRANSFER = "transfer"


@dataclass(frozen=True, slots=True)
class CaseRef:
    kind: RefKind
    ref_id: str

    def __post_init__(self) -> None:
        if not self.ref_id or len(self.ref_id) > REF_ID_MAX:
            raise ValueError(f"a {self.kind} reference needs an id of 1-{REF_ID_MAX} characters")


@dataclass(frozen=True, slots=True)
class CaseLink:
    ref: CaseRef
    linked_at: int  # ns


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryEntry:
    seq: int  # the case version this entry produced: 1 for the opening
    at: int  # ns
    actor: str  # a staff id, or SYSTEM for the engine and the detectors
    from_status: CaseStatus | None  # None for the opening
    to_status: CaseStatus
    note: str


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """An alert as stored: the detector's finding and the case it was attached to."""

    alert: Alert
    case_id: str | None


def alert_refs(alert: Alert) -> tuple[CaseRef, ...]:
    """What a case links for an alert: the alert, and each movement of the finding.

    A movement id is the id of the payment or transfer, which is also the ``event_id`` the
    engine decided that movement under (RiskEvent: "trade id, transfer id ..."): linking it as
    an event is what lets a confirmed AML case label those movements for training.
    """
    movements = tuple(CaseRef(RefKind.EVENT, movement) for movement in alert.movement_ids)
    return (CaseRef(RefKind.ALERT, alert.alert_id), *movements)
