"""The case service: the review queue's use cases, one transaction each, pure over the port.

- ``open_for_decision``: the engine decided ``review`` or ``reject``; one case per decision,
  whose id derives from the decision id, so that a retry (or a second process) finds it.
- ``raise_alert``: an AML detector's finding. Stored once per ``dedupe_key``; attached to the
  subject's open or investigating case when there is one (raising its priority if the alert
  is more urgent), else it opens a case of its own. Writers raising alerts for one subject
  are serialised (``lock_subject``), so one subject never gets two cases from a race.
- ``assign``, ``start_investigation``, ``resolve``: staff work a case; the case row is locked
  for the change, so of two staff resolving at once exactly one wins and the other is told
  the case is already final (``CaseTransitionInvalid``).
- ``get``, ``queue``, ``alerts``, ``labels``: reads; ``labels`` feeds training.

A resolution writes, in its transaction, the labels of the case's events and the
``risk.case.resolved`` outbox record that tells payments to release or return held money.
After the commit, the optional ``on_resolved`` hook sees the resolved case in process (say,
to wake a waiting request); it is a convenience, not the contract: if it raises, the error
reaches the caller, and the resolution stands and is still announced through the outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bankstack.kernel.clock import Clock
from bankstack.risk.cases.announce import resolution_record
from bankstack.risk.cases.case import (
    Case,
    CaseFile,
    Change,
    alert_case_id,
    decision_case_id,
    priority_for_alert,
    priority_for_decision,
)
from bankstack.risk.cases.labels import labels_for
from bankstack.risk.cases.ports import CaseStore, CaseUnitOfWork
from bankstack.risk.cases.queue import (
    DEFAULT_LIMIT,
    AlertList,
    QueuePage,
    check_limit,
    decode_cursor,
    page_of,
)
from bankstack.risk.cases.records import (
    ACTIVE_STATUSES,
    CaseOrigin,
    CaseRef,
    CaseStatus,
    RefKind,
    alert_refs,
)
from bankstack.risk.domain.alert import Alert
from bankstack.risk.domain.decision import Outcome
from bankstack.risk.errors import CaseNotFound

ResolvedHook = Callable[[Case], None]
_Step = Callable[[Case, int], Change]


class CaseService:
    def __init__(
        self, store: CaseStore, clock: Clock, *, on_resolved: ResolvedHook | None = None
    ) -> None:
        self._store = store
        self._clock = clock
        self._on_resolved = on_resolved

    # -- cases opened by the engine and the detectors -----------------------------------------

    def open_for_decision(
        self,
        decision_id: str,
        event_id: str,
        customer_id: str,
        outcome: Outcome,
        title: str,
        refs: Iterable[CaseRef] = (),
    ) -> Case:
        """The decision's case, opened now or found where an earlier call opened it."""
        case_id = decision_case_id(decision_id)
        links = (CaseRef(RefKind.DECISION, decision_id), CaseRef(RefKind.EVENT, event_id), *refs)
        now = self._clock.now_ns()
        with self._store.write() as uow:
            existing = uow.cases.get(case_id)
            if existing is not None:
                return existing
            opened = Case.open(
                case_id=case_id,
                subject=customer_id,
                title=title,
                origin=CaseOrigin.DECISION,
                priority=priority_for_decision(outcome),
                at=now,
                note=f"{outcome} decision {decision_id}",
            )
            if not uow.cases.add(*opened):  # another process opened it since our read
                return _existing(uow, case_id)
            uow.cases.link(case_id, links, now)
            uow.commit()
        return opened.case

    def raise_alert(self, alert: Alert) -> str:
        """Store the alert and put it on a case; return the case id (the same on replays)."""
        now = self._clock.now_ns()
        with self._store.write() as uow:
            uow.cases.lock_subject(alert.subject)
            known = uow.alerts.by_dedupe_key(alert.dedupe_key)
            if known is not None and known.case_id is not None:
                return known.case_id
            # An alert stored without a case (by a writer that left triage to us) is triaged
            # as it was stored: the first report of a finding is the one that counts.
            finding = alert if known is None else known.alert
            case_id = self._case_for_alert(uow, finding, now)
            if known is None:
                uow.alerts.add(finding, case_id)
            else:
                uow.alerts.set_case(finding.alert_id, case_id)
            uow.cases.link(case_id, alert_refs(finding), now)
            uow.commit()
        return case_id

    def _case_for_alert(self, uow: CaseUnitOfWork, alert: Alert, now: int) -> str:
        priority = priority_for_alert(alert.severity)
        active = uow.cases.active_for_subject(alert.subject, lock=True)
        if active is not None:
            what = f"{alert.severity} {alert.detector} alert {alert.alert_id}"
            uow.cases.update(*active.attach(what, priority=priority, at=now))
            return active.case_id
        opened = Case.open(
            case_id=alert_case_id(alert.dedupe_key),
            subject=alert.subject,
            title=alert.summary,
            origin=CaseOrigin.ALERT,
            priority=priority,
            at=now,
            note=f"{alert.severity} {alert.detector} alert {alert.alert_id}",
        )
        if not uow.cases.add(*opened):
            # The id derives from the dedupe key, which was not stored: only a case written
            # outside this service (or a hash collision) can be in the way.
            raise RuntimeError(f"case {opened.case.case_id} exists without its alert")
        return opened.case.case_id

    # -- staff work ---------------------------------------------------------------------------

    def assign(self, case_id: str, assignee: str, *, actor: str) -> Case:
        return self._change(case_id, lambda case, now: case.assign(assignee, actor=actor, at=now))

    def start_investigation(self, case_id: str, *, actor: str, note: str = "") -> Case:
        return self._change(
            case_id, lambda case, now: case.start_investigation(actor=actor, at=now, note=note)
        )

    def resolve(self, case_id: str, *, confirmed: bool, actor: str, note: str) -> Case:
        """Confirm (fraud) or clear (false positive) the case; label its events and announce it."""
        resolved = self._change(
            case_id,
            lambda case, now: case.resolve(confirmed=confirmed, actor=actor, at=now, note=note),
            resolution=True,
        )
        if self._on_resolved is not None:
            self._on_resolved(resolved)
        return resolved

    def _change(self, case_id: str, step: _Step, *, resolution: bool = False) -> Case:
        now = self._clock.now_ns()
        with self._store.write() as uow:
            case = uow.cases.get(case_id, lock=True)
            if case is None:
                raise CaseNotFound(f"no case {case_id}", case_id=case_id)
            changed, entry = step(case, now)
            uow.cases.update(changed, entry)
            if resolution:
                links = uow.cases.links(case_id)
                uow.labels.record(labels_for(changed, links))
                uow.outbox.add(resolution_record(changed, links))
            uow.commit()
        return changed

    # -- reads --------------------------------------------------------------------------------

    def get(self, case_id: str) -> CaseFile:
        with self._store.read() as uow:
            case = uow.cases.get(case_id)
            if case is None:
                raise CaseNotFound(f"no case {case_id}", case_id=case_id)
            return CaseFile(
                case=case,
                links=tuple(uow.cases.links(case_id)),
                history=tuple(uow.cases.history(case_id)),
                alerts=tuple(uow.alerts.for_case(case_id)),
            )

    def queue(
        self,
        status: CaseStatus | None = None,
        cursor: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> QueuePage:
        """One page of the queue: cases in ``status`` (open and investigating when None),
        most urgent first, then oldest first."""
        statuses = ACTIVE_STATUSES if status is None else (status,)
        after = decode_cursor(cursor)
        size = check_limit(limit)
        with self._store.read() as uow:
            found = uow.cases.queue(statuses, after, size + 1)
        return page_of(found, size)

    def alerts(self, subject: str, limit: int = DEFAULT_LIMIT) -> AlertList:
        """The subject's newest alerts, newest first."""
        size = check_limit(limit)
        with self._store.read() as uow:
            found = uow.alerts.for_subject(subject, size + 1)
        return AlertList(tuple(found[:size]), has_more=len(found) > size)

    def labels(self) -> dict[str, int]:
        """Every label (event id -> 1 fraud, 0 legitimate) for training."""
        with self._store.read() as uow:
            return uow.labels.all()


def _existing(uow: CaseUnitOfWork, case_id: str) -> Case:
    case = uow.cases.get(case_id)
    if case is None:  # the insert said it exists: only a concurrent delete could do this
        raise CaseNotFound(f"no case {case_id}", case_id=case_id)
    return case
