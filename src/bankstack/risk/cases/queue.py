"""The review queue's order and its cursor pages, pure.

The queue serves the most urgent priority first (1 before 4), then the oldest case, then the
case id so that the order is total. A page ends with an opaque cursor naming the position
of its last case (URL-safe base64 of ``<priority>:<opened_at>:<case_id>``); the next page
starts strictly after it (keyset pagination: no offsets, stable under inserts).

A case whose priority rises while someone pages (an alert attached) moves in the order: it
may be seen twice or not at all in that walk. The queue is a work list, read again often,
so this is accepted rather than paid for with snapshots.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bankstack.kernel.errors import ValidationFailed
from bankstack.risk.cases.case import Case
from bankstack.risk.cases.records import StoredAlert

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 200


class CaseQueryInvalid(ValidationFailed):
    """A queue or list request with a cursor this API did not issue, or a bad limit."""

    code = "risk.case_query_invalid"


@dataclass(frozen=True, slots=True, order=True)
class QueuePosition:
    priority: int
    opened_at: int
    case_id: str

    @classmethod
    def of(cls, case: Case) -> QueuePosition:
        return cls(case.priority, case.opened_at, case.case_id)


@dataclass(frozen=True, slots=True)
class QueuePage:
    cases: tuple[Case, ...]
    next_cursor: str | None  # None on the last page

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None


@dataclass(frozen=True, slots=True)
class AlertList:
    """A subject's newest alerts; ``has_more`` when older ones were left out."""

    alerts: tuple[StoredAlert, ...]
    has_more: bool


def check_limit(limit: int) -> int:
    if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
        raise CaseQueryInvalid(f"limit must be an integer from 1 to {MAX_LIMIT}", param="limit")
    return limit


def encode_cursor(position: QueuePosition) -> str:
    raw = f"{position.priority}:{position.opened_at}:{position.case_id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> QueuePosition | None:
    if cursor is None:
        return None
    invalid = CaseQueryInvalid("cursor is not one this API returned", param="cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        priority, opened_at, case_id = raw.split(":", 2)
        position = QueuePosition(int(priority), int(opened_at), case_id)
    except (binascii.Error, ValueError) as error:
        raise invalid from error
    if not case_id or position.opened_at < 0:
        raise invalid
    return position


def page_of(found: Sequence[Case], limit: int) -> QueuePage:
    """A page from up to ``limit + 1`` cases read in queue order (one extra = more follow)."""
    cases = tuple(found[:limit])
    more = len(found) > limit and bool(cases)
    return QueuePage(cases, encode_cursor(QueuePosition.of(cases[-1])) if more else None)
