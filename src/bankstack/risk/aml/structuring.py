"""Structuring: a payer splitting money into amounts just under the reporting threshold.

Only movements in the band [band%, 100%) of the threshold are remembered, per payer, for the
window; when a payer has ``structuring_count`` of them within it, that is a finding. Amounts
at or above the threshold are reported anyway and so are not structuring; amounts well below
it are ordinary. "Within the window" includes its edge: three movements at 0 h, 12 h and
exactly 24 h are within 24 h.
"""

from __future__ import annotations

from collections import deque

from bankstack.risk.aml.finding import Finding, drop_before, duration, forget_all, total
from bankstack.risk.aml.thresholds import Thresholds
from bankstack.risk.domain.alert import Movement, Severity


class StructuringDetector:
    name = "structuring"

    def __init__(self, thresholds: Thresholds) -> None:
        self._thresholds = thresholds
        threshold = thresholds.reporting_threshold_minor
        # Integer band edges: amount * 100 >= threshold * band% is the same test without floats.
        self._band_floor = -(-threshold * thresholds.structuring_band_percent // 100)
        self._near: dict[str, deque[Movement]] = {}

    @property
    def window_ns(self) -> int:
        return self._thresholds.structuring_window_ns

    def observe(self, movement: Movement) -> list[Finding]:
        minor = movement.amount.minor
        if not self._band_floor <= minor < self._thresholds.reporting_threshold_minor:
            return []
        near = self._near.setdefault(movement.payer, deque())
        near.append(movement)
        drop_before(near, movement.occurred_at - self.window_ns)
        if len(near) < self._thresholds.structuring_count:
            return []
        return [self._finding(movement.payer, tuple(near))]

    def _finding(self, payer: str, near: tuple[Movement, ...]) -> Finding:
        thresholds = self._thresholds
        threshold = thresholds.money(thresholds.reporting_threshold_minor)
        amount = total(near, thresholds.currency)
        return Finding(
            detector=self.name,
            subject=payer,
            anchor=near[0].movement_id,
            severity=Severity.MEDIUM,
            summary=(
                f"{payer} moved {len(near)} amounts just under the {threshold} reporting "
                f"threshold within {duration(self.window_ns)}, {amount} in all."
            ),
            amount=amount,
            movement_ids=tuple(movement.movement_id for movement in near),
            details={"count": len(near), "threshold_minor": threshold.minor},
        )

    def forget(self, before_ns: int) -> None:
        forget_all(self._near, before_ns)

    def remembered(self) -> int:
        return sum(len(near) for near in self._near.values())
