"""What the case service needs from the world, as Protocols; risk/adapters/cases_sql.py
implements them on SQLAlchemy Core (SQLite and PostgreSQL).

``CaseStore`` opens units of work: ``write()`` one that serialises with other writers on what
it locks, ``read()`` a plain one. A unit of work commits only when ``commit()`` is called;
leaving it otherwise rolls everything back, outbox records included, so a resolution and its
announcement commit together or not at all.

Locking: ``get(..., lock=True)`` and ``active_for_subject(..., lock=True)`` lock the case row
until the end of the transaction (PostgreSQL ``FOR UPDATE``; SQLite's write transaction holds
the database's one write lock from its start). ``lock_subject`` serialises writers that may
open a case for the same subject, which no row can do before the row exists. ``update`` is
conditional on the version before the change and raises when another writer got there
first: a writer that skipped the lock, which is a bug.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from types import TracebackType
from typing import Protocol, Self

from bankstack.kernel.events import Outbox
from bankstack.risk.cases.case import Case
from bankstack.risk.cases.labels import Label
from bankstack.risk.cases.queue import QueuePosition
from bankstack.risk.cases.records import CaseLink, CaseRef, CaseStatus, HistoryEntry, StoredAlert
from bankstack.risk.domain.alert import Alert


class CaseRepository(Protocol):
    def add(self, case: Case, entry: HistoryEntry) -> bool:
        """Insert the case and its opening entry unless the case id exists; True if inserted."""
        ...

    def get(self, case_id: str, *, lock: bool = False) -> Case | None: ...

    def update(self, case: Case, entry: HistoryEntry) -> None:
        """Write ``case`` over the stored version ``case.version - 1`` and append ``entry``."""
        ...

    def active_for_subject(self, subject: str, *, lock: bool = False) -> Case | None:
        """The subject's oldest open or investigating case."""
        ...

    def lock_subject(self, subject: str) -> None:
        """Serialise, until the end of the transaction, with writers locking this subject."""
        ...

    def link(self, case_id: str, refs: Iterable[CaseRef], at: int) -> None:
        """Link the references to the case; references already linked are left as they are."""
        ...

    def links(self, case_id: str) -> list[CaseLink]: ...
    def history(self, case_id: str) -> list[HistoryEntry]: ...

    def queue(
        self, statuses: Collection[CaseStatus], after: QueuePosition | None, limit: int
    ) -> list[Case]:
        """Cases in these statuses in queue order (priority, opened_at, case_id), strictly
        after ``after``."""
        ...


class AlertRepository(Protocol):
    def add(self, alert: Alert, case_id: str) -> None:
        """Store the alert attached to the case (its dedupe key must be new)."""
        ...

    def set_case(self, alert_id: str, case_id: str) -> None:
        """Attach a stored alert that has no case yet to the case."""
        ...

    def by_dedupe_key(self, dedupe_key: str) -> StoredAlert | None: ...
    def for_case(self, case_id: str) -> list[StoredAlert]: ...
    def for_subject(self, subject: str, limit: int) -> list[StoredAlert]:
        """The subject's alerts, newest first."""
        ...


class LabelRepository(Protocol):
    def record(self, labels: Sequence[Label]) -> None:
        """Upsert by event id; a stored 1 is never replaced by a 0 (see labels.py)."""
        ...

    def all(self) -> dict[str, int]:
        """Every label, event id -> 0 or 1, whatever its source."""
        ...


class CaseUnitOfWork(Protocol):
    @property
    def cases(self) -> CaseRepository: ...
    @property
    def alerts(self) -> AlertRepository: ...
    @property
    def labels(self) -> LabelRepository: ...
    @property
    def outbox(self) -> Outbox: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...


class CaseStore(Protocol):
    def write(self) -> CaseUnitOfWork: ...
    def read(self) -> CaseUnitOfWork: ...
