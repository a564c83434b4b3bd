"""A case of the review queue and the rules of its state changes, pure (no I/O, no clock).

A case is a question a person answers: was this fraud (or laundering)? It starts ``open``,
is picked up (``investigating``) and ends ``confirmed`` (it was) or ``false_positive`` (it
was not); a clear case may be resolved straight from ``open``. Both ends are final: a
resolution becomes training labels and releases or returns held money, so it is never undone
(``CaseTransitionInvalid``); a new finding opens a new case instead.

Every change returns a ``Change``: the new ``Case`` with ``version`` one higher and the
``HistoryEntry`` that records it, whose ``seq`` is that version. History and versions cannot
drift apart, and the store's optimistic check (update where version = n - 1) orders both.
Assigning and attaching an alert keep the status; they are entries from a status to itself.

Priority: 1 is the most urgent and the queue serves the lowest number, then the oldest case.
A ``review`` decision comes first (1) because its money is held until someone decides and
the customer is waiting; a ``reject`` (a blocked customer who may be a fraud victim or
wrongly refused) and a high-severity alert come next (2); then medium (3) and low (4).

Case ids are derived from what opened the case (a decision id, an alert's dedupe key), so
that opening twice, even from two processes at once, finds the same row by primary key.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Final, NamedTuple

from bankstack.risk.cases.records import (
    CaseLink,
    CaseOrigin,
    CaseStatus,
    HistoryEntry,
    StoredAlert,
)
from bankstack.risk.domain.alert import Severity
from bankstack.risk.domain.decision import Outcome
from bankstack.risk.errors import CaseTransitionInvalid

SYSTEM: Final = "system"  # the actor of changes the engine and the detectors make
TITLE_MAX: Final = 300  # risk_cases.title

URGENT: Final = 1
HIGH: Final = 2
MEDIUM: Final = 3
LOW: Final = 4

_DECISION_PRIORITY: Final = {
    Outcome.REVIEW: URGENT,
    Outcome.REJECT: HIGH,
    Outcome.CHALLENGE: MEDIUM,
    Outcome.ACCEPT: LOW,  # staff looking again at an accepted event (a chargeback came in)
}
_ALERT_PRIORITY: Final = {Severity.HIGH: HIGH, Severity.MEDIUM: MEDIUM, Severity.LOW: LOW}

_NEXT: Final[dict[CaseStatus, frozenset[CaseStatus]]] = {
    CaseStatus.OPEN: frozenset(
        {CaseStatus.INVESTIGATING, CaseStatus.CONFIRMED, CaseStatus.FALSE_POSITIVE}
    ),
    CaseStatus.INVESTIGATING: frozenset({CaseStatus.CONFIRMED, CaseStatus.FALSE_POSITIVE}),
    CaseStatus.CONFIRMED: frozenset(),
    CaseStatus.FALSE_POSITIVE: frozenset(),
}


def may_move(current: CaseStatus, target: CaseStatus) -> bool:
    """True when a case in ``current`` may move to ``target``."""
    return target in _NEXT[current]


def priority_for_decision(outcome: Outcome) -> int:
    return _DECISION_PRIORITY[outcome]


def priority_for_alert(severity: Severity) -> int:
    return _ALERT_PRIORITY[severity]


def decision_case_id(decision_id: str) -> str:
    return _derived_id(CaseOrigin.DECISION, decision_id)


def alert_case_id(dedupe_key: str) -> str:
    return _derived_id(CaseOrigin.ALERT, dedupe_key)


def _derived_id(origin: CaseOrigin, key: str) -> str:
    # 128 bits of SHA-256: "case_" + 32 hex digits fits risk_cases.case_id (40).
    digest = hashlib.sha256(f"{origin}:{key}".encode()).hexdigest()
    return f"case_{digest[:32]}"


def short_title(text: str) -> str:
    """``text`` on one line, cut to fit a case title (the full text stays where it came from)."""
    line = " ".join(text.split())
    return line if len(line) <= TITLE_MAX else line[: TITLE_MAX - 1] + "\u2026"


class Change(NamedTuple):
    case: Case
    entry: HistoryEntry


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    case_id: str
    status: CaseStatus
    subject: str  # the customer or account the case is about
    title: str
    origin: CaseOrigin
    priority: int
    opened_at: int  # ns
    updated_at: int  # ns
    assignee: str | None = None
    resolution: str | None = None  # the resolving note, once final
    version: int = 1

    @classmethod
    def open(
        cls,
        *,
        case_id: str,
        subject: str,
        title: str,
        origin: CaseOrigin,
        priority: int,
        at: int,
        note: str = "",
    ) -> Change:
        case = cls(
            case_id=case_id,
            status=CaseStatus.OPEN,
            subject=subject,
            title=short_title(title),
            origin=origin,
            priority=priority,
            opened_at=at,
            updated_at=at,
        )
        entry = HistoryEntry(
            seq=1, at=at, actor=SYSTEM, from_status=None, to_status=CaseStatus.OPEN, note=note
        )
        return Change(case, entry)

    def assign(self, assignee: str, *, actor: str, at: int) -> Change:
        self._require_active("assign")
        return self._next(self.status, actor, at, f"assigned to {assignee}", assignee=assignee)

    def start_investigation(self, *, actor: str, at: int, note: str = "") -> Change:
        """``open -> investigating``; an unassigned case goes to whoever starts it."""
        self._require_move(CaseStatus.INVESTIGATING)
        assignee = self.assignee or actor
        return self._next(CaseStatus.INVESTIGATING, actor, at, note, assignee=assignee)

    def resolve(self, *, confirmed: bool, actor: str, at: int, note: str) -> Change:
        target = CaseStatus.CONFIRMED if confirmed else CaseStatus.FALSE_POSITIVE
        self._require_move(target)
        return self._next(target, actor, at, note, resolution=note)

    def attach(self, what: str, *, priority: int, at: int) -> Change:
        """Record something attached to an active case (an alert), raising its priority to
        ``priority`` when that is more urgent; never lowering it."""
        self._require_active("attach to")
        raised = min(priority, self.priority)
        note = f"{what} attached"
        if raised != self.priority:
            note += f"; priority {self.priority} -> {raised}"
        return self._next(self.status, SYSTEM, at, note, priority=raised)

    def _next(
        self,
        status: CaseStatus,
        actor: str,
        at: int,
        note: str,
        **changes: str | int,
    ) -> Change:
        version = self.version + 1
        case = dataclasses.replace(
            self,
            status=status,
            updated_at=at,
            version=version,
            **changes,  # type: ignore[arg-type]
        )
        entry = HistoryEntry(
            seq=version, at=at, actor=actor, from_status=self.status, to_status=status, note=note
        )
        return Change(case, entry)

    def _require_move(self, target: CaseStatus) -> None:
        if not may_move(self.status, target):
            raise CaseTransitionInvalid(
                f"a case that is {self.status} cannot become {target}",
                case_id=self.case_id,
                status=self.status.value,
                requested=target.value,
            )

    def _require_active(self, action: str) -> None:
        if self.status.is_final:
            raise CaseTransitionInvalid(
                f"cannot {action} a case that is {self.status}: it is final",
                case_id=self.case_id,
                status=self.status.value,
            )


@dataclass(frozen=True, slots=True)
class CaseFile:
    """A case with everything staff read to decide it."""

    case: Case
    links: tuple[CaseLink, ...]
    history: tuple[HistoryEntry, ...]
    alerts: tuple[StoredAlert, ...]
