"""``AmlMonitor``: the detectors composed over one movement stream, with bounded memory.

``feed(movement)`` runs every detector and returns the alerts the movement raised. Around the
detectors the monitor keeps three promises:

- **Time moves forward.** The monitor's clock is the newest time seen. A straggler (earlier
  than the clock, but within the horizon) counts as seen now, so every window only ever
  slides forward; one older than the horizon is ignored, as nothing it could join is left.
- **Nothing is raised twice.** A movement id seen within the horizon is ignored, so feeding
  a stream again raises nothing; after a finding about a subject, the same detector stays
  quiet about that subject for its window (one alert per episode, not one per movement).
  Alert ids are hashes of the dedupe key: a fresh monitor replaying the same stream raises
  the same ids, which the unique dedupe_key in risk_alerts absorbs.
- **Memory is bounded.** Every hour of stream time, everything older than each detector's
  window is forgotten, so state is what the last ``horizon`` held, however long it runs.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, deque
from typing import Final

from bankstack.risk.aml.cycles import CycleDetector
from bankstack.risk.aml.fanning import FanDetector
from bankstack.risk.aml.finding import Detector, Finding, alert_id
from bankstack.risk.aml.pass_through import PassThroughDetector
from bankstack.risk.aml.structuring import StructuringDetector
from bankstack.risk.aml.thresholds import HOUR, Thresholds
from bankstack.risk.domain.alert import Alert, Movement

_SWEEP_EVERY: Final = HOUR


class AmlMonitor:
    def __init__(self, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds()
        limits = self.thresholds
        self._detectors: tuple[Detector, ...] = (
            StructuringDetector(limits),
            PassThroughDetector(limits),
            FanDetector(limits, inward=True),
            FanDetector(limits, inward=False),
            CycleDetector(limits),
        )
        self._clock: int | None = None
        self._next_sweep = 0
        self._seen_order: deque[tuple[int, str]] = deque()
        self._seen: set[str] = set()
        self._quiet_until: dict[tuple[str, str], int] = {}  # (detector, subject) -> ns
        self._ignored: Counter[str] = Counter()

    def feed(self, movement: Movement) -> list[Alert]:
        """Observe one movement; return the alerts it raised (usually none)."""
        reason = self._ignore_reason(movement)
        if reason is not None:
            self._ignored[reason] += 1
            return []
        now = (
            movement.occurred_at if self._clock is None else max(self._clock, movement.occurred_at)
        )
        if movement.occurred_at != now:
            movement = dataclasses.replace(movement, occurred_at=now)
        self._clock = now
        self._seen.add(movement.movement_id)
        self._seen_order.append((now, movement.movement_id))
        alerts = [
            alert
            for detector in self._detectors
            for finding in detector.observe(movement)
            if (alert := self._raise(finding, detector.window_ns, now)) is not None
        ]
        if now >= self._next_sweep:
            self._sweep(now)
        return alerts

    def _ignore_reason(self, movement: Movement) -> str | None:
        if movement.movement_id in self._seen:
            return "duplicate"
        if movement.amount.asset != self.thresholds.currency:
            return "other_currency"
        if movement.amount.minor <= 0:
            return "not_positive"
        if movement.payer == movement.payee:
            return "same_party"
        if (
            self._clock is not None
            and movement.occurred_at < self._clock - self.thresholds.horizon_ns
        ):
            return "stale"
        return None

    def _raise(self, finding: Finding, window_ns: int, now: int) -> Alert | None:
        quiet = (finding.detector, finding.subject)
        if self._quiet_until.get(quiet, -1) >= now:
            return None
        self._quiet_until[quiet] = now + window_ns
        key = finding.dedupe_key
        return Alert(
            alert_id=alert_id(key),
            detector=finding.detector,
            subject=finding.subject,
            severity=finding.severity,
            summary=finding.summary,
            raised_at=now,
            dedupe_key=key,
            amount=finding.amount,
            movement_ids=finding.movement_ids,
            details=finding.details,
        )

    def _sweep(self, now: int) -> None:
        for detector in self._detectors:
            detector.forget(now - detector.window_ns)
        cutoff = now - self.thresholds.horizon_ns
        while self._seen_order and self._seen_order[0][0] < cutoff:
            self._seen.discard(self._seen_order.popleft()[1])
        for quiet, until in list(self._quiet_until.items()):
            if until < now:
                del self._quiet_until[quiet]
        self._next_sweep = now + _SWEEP_EVERY

    @property
    def ignored(self) -> dict[str, int]:
        """Movements not observed, by reason (duplicate, stale, other_currency ...)."""
        return dict(self._ignored)

    def remembered(self) -> int:
        """Movements, ids and open findings held: bounded by what the horizon holds."""
        held = sum(detector.remembered() for detector in self._detectors)
        return held + len(self._seen) + len(self._quiet_until)
