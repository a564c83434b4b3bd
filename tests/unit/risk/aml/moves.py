"""Hand-written movements for the detector tests."""

from __future__ import annotations

from itertools import count

from bankstack.kernel.money import Money
from bankstack.risk.aml import AmlMonitor, Thresholds
from bankstack.risk.domain.alert import Alert, Movement

SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
T0 = 1_767_225_600 * SECOND  # 2026-01-01T00:00Z

_ids = count()


def move(
    payer: str,
    payee: str,
    minor: int,
    at: int = 0,
    *,
    source: str = "transfer",
    currency: str = "CNY",
    movement_id: str | None = None,
) -> Movement:
    """A movement ``at`` ns after T0."""
    return Movement(
        movement_id=movement_id or f"m{next(_ids)}",
        payer=payer,
        payee=payee,
        amount=Money(minor, currency),
        occurred_at=T0 + at,
        source=source,
    )


def feed(movements: list[Movement], thresholds: Thresholds | None = None) -> list[Alert]:
    monitor = AmlMonitor(thresholds)
    return [alert for movement in movements for alert in monitor.feed(movement)]


def by(detector: str, alerts: list[Alert]) -> list[Alert]:
    return [alert for alert in alerts if alert.detector == detector]
