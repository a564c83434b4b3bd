"""AML input and output, pure data.

A ``Movement`` is one movement of money as the AML detectors see it, whatever produced it: a
paid trade, a customer transfer, a ledger transfer between customer accounts. Parties are
opaque ids (customer ids or ledger account ids, consistently within one stream).

An ``Alert`` is what a detector raises. ``dedupe_key`` names the finding (detector, subject
and the window or path), so that replaying the same stream never raises it twice; the
database enforces it (risk_alerts.dedupe_key is unique).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from bankstack.kernel.money import Money

DetailValue = str | int | bool


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True, kw_only=True)
class Movement:
    movement_id: str  # unique per movement: a trade id, a transfer id
    payer: str
    payee: str
    amount: Money
    occurred_at: int  # ns since the epoch
    source: str = "ledger"  # payment | transfer | ledger


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    alert_id: str
    detector: str  # structuring | pass_through | fan_in | fan_out | cycle
    subject: str  # the party the alert is about
    severity: Severity
    summary: str  # one sentence for the case queue
    raised_at: int  # ns
    dedupe_key: str
    amount: Money | None = None  # the money involved, for triage and "money at risk"
    movement_ids: tuple[str, ...] = ()  # the movements that make up the finding
    details: Mapping[str, DetailValue] = field(default_factory=lambda: MappingProxyType({}))
