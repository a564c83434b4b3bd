"""Case outcomes become training labels, pure.

A resolved case labels every event linked to it: ``confirmed`` says each was fraud (label 1),
``false_positive`` says none was (label 0). Only ``event`` links are labelled: labels are
keyed by ``event_id`` (risk_labels), which is what training joins decisions on; decisions,
alerts, trades and transfers are reached through their events.

One event may be linked to several cases (a decision case and, later, an AML case about the
same customer). The store keeps a 1 once any case confirmed the event: a false positive of
one case says that case's suspicion was wrong, not that no fraud happened in the event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bankstack.risk.cases.case import Case
from bankstack.risk.cases.records import CaseLink, CaseStatus, RefKind

CASE_SOURCE: Final = "case"  # risk_labels.source for labels staff decided

FRAUD: Final = 1
LEGITIMATE: Final = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Label:
    event_id: str
    label: int  # FRAUD or LEGITIMATE
    source: str  # case | simulator | import
    case_id: str | None
    labelled_at: int  # ns

    def __post_init__(self) -> None:
        if self.label not in {FRAUD, LEGITIMATE}:
            raise ValueError(f"a label is {LEGITIMATE} or {FRAUD}, not {self.label!r}")


def label_of(status: CaseStatus) -> int:
    """The label a final status gives its events."""
    if status is CaseStatus.CONFIRMED:
        return FRAUD
    if status is CaseStatus.FALSE_POSITIVE:
        return LEGITIMATE
    raise ValueError(f"a case that is {status} has no outcome to label with")


def labels_for(case: Case, links: Sequence[CaseLink]) -> tuple[Label, ...]:
    """The labels a resolved case gives: one per linked event, in event id order."""
    value = label_of(case.status)
    events = sorted({link.ref.ref_id for link in links if link.ref.kind is RefKind.EVENT})
    return tuple(
        Label(
            event_id=event_id,
            label=value,
            source=CASE_SOURCE,
            case_id=case.case_id,
            labelled_at=case.updated_at,
        )
        for event_id in events
    )
