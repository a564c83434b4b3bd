"""What a detector finds, the detector protocol, and the shared bits of windowed state.

A detector sees movements in time order and returns ``Finding``s; the monitor turns them into
``Alert``s. A finding names itself by its subject and an ``anchor`` (the first movement of the
window, or a hash of a cycle's path), which together with the detector's name make the
alert's ``dedupe_key``; the alert id is a hash of that key, so replaying the same stream
yields the same ids and the database's unique key absorbs them.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Protocol

from bankstack.kernel.money import Money
from bankstack.risk.domain.alert import DetailValue, Movement, Severity

_MAX_KEY: Final = 200  # risk_alerts.dedupe_key is a String(200)


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    detector: str
    subject: str
    anchor: str
    severity: Severity
    summary: str
    amount: Money
    movement_ids: tuple[str, ...]
    details: Mapping[str, DetailValue] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def dedupe_key(self) -> str:
        key = f"{self.detector}:{self.subject}:{self.anchor}"
        if len(key) > _MAX_KEY:  # long external ids: keep the key bounded and still unique
            key = f"{self.detector}:{short_hash(key, 40)}"
        return key


class Detector(Protocol):
    name: str

    @property
    def window_ns(self) -> int:
        """How long a finding about one subject stays open (and how far back it looks)."""
        ...

    def observe(self, movement: Movement) -> list[Finding]: ...

    def forget(self, before_ns: int) -> None:
        """Drop everything that happened before ``before_ns``."""
        ...

    def remembered(self) -> int:
        """How many movements the detector holds (the memory bound is checked on this)."""
        ...


def short_hash(text: str, length: int = 16) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def alert_id(dedupe_key: str) -> str:
    return f"alr_{short_hash(dedupe_key, 24)}"


def drop_before(window: deque[Movement], cutoff_ns: int) -> None:
    """Forget the movements at the left of a time-ordered window that are older than cutoff."""
    while window and window[0].occurred_at < cutoff_ns:
        window.popleft()


def forget_all(windows: dict[str, deque[Movement]], cutoff_ns: int) -> None:
    """Drop old movements from every party's window, and the parties left with nothing."""
    for party in list(windows):
        drop_before(windows[party], cutoff_ns)
        if not windows[party]:
            del windows[party]


def total(movements: Iterable[Movement], currency: str) -> Money:
    return Money(sum(movement.amount.minor for movement in movements), currency)


def duration(ns: int) -> str:
    """A span for a sentence: '24 h', '1 h', '90 min', '0 min'."""
    minutes = ns // 60_000_000_000
    return f"{minutes // 60} h" if minutes and minutes % 60 == 0 else f"{minutes} min"
