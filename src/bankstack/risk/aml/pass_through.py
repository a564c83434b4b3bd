"""Rapid pass-through: money that leaves a party almost as soon as it arrived (a mule's job).

Per party, the inflows of the last window are remembered, and the outflows made since the
earliest of them. Each outflow asks: did the party receive at least ``min_inflow`` within the
window before this moment, and has it sent out at least ``ratio%`` of that since? Inflows
alone never raise anything; the outflow that completes the pattern does.
"""

from __future__ import annotations

from collections import deque

from bankstack.risk.aml.finding import Finding, drop_before, duration, forget_all, total
from bankstack.risk.aml.thresholds import Thresholds
from bankstack.risk.domain.alert import Movement, Severity

_HIGH_MULTIPLE = 10  # ten times the minimum inflow passed through: high severity


class PassThroughDetector:
    name = "pass_through"

    def __init__(self, thresholds: Thresholds) -> None:
        self._thresholds = thresholds
        self._inflows: dict[str, deque[Movement]] = {}
        self._outflows: dict[str, deque[Movement]] = {}

    @property
    def window_ns(self) -> int:
        return self._thresholds.pass_through_window_ns

    def observe(self, movement: Movement) -> list[Finding]:
        self._inflows.setdefault(movement.payee, deque()).append(movement)
        cutoff = movement.occurred_at - self.window_ns
        inflows = self._inflows.get(movement.payer)
        if inflows is None:
            return []
        drop_before(inflows, cutoff)
        if not inflows:
            del self._inflows[movement.payer]
            self._outflows.pop(movement.payer, None)
            return []
        outflows = self._outflows.setdefault(movement.payer, deque())
        outflows.append(movement)
        drop_before(outflows, inflows[0].occurred_at)
        return self._judge(movement.payer, tuple(inflows), tuple(outflows))

    def _judge(
        self, party: str, inflows: tuple[Movement, ...], outflows: tuple[Movement, ...]
    ) -> list[Finding]:
        thresholds = self._thresholds
        received = total(inflows, thresholds.currency)
        sent = total(outflows, thresholds.currency)
        if received.minor < thresholds.pass_through_min_inflow_minor:
            return []
        if sent.minor * 100 < thresholds.pass_through_ratio_percent * received.minor:
            return []
        share = sent.minor * 100 // received.minor
        high = received.minor >= _HIGH_MULTIPLE * thresholds.pass_through_min_inflow_minor
        return [
            Finding(
                detector=self.name,
                subject=party,
                anchor=inflows[0].movement_id,
                severity=Severity.HIGH if high else Severity.MEDIUM,
                summary=(
                    f"{party} received {received} and sent out {sent} ({share}%) "
                    f"within {duration(self.window_ns)} of receiving it."
                ),
                amount=sent,
                movement_ids=tuple(m.movement_id for m in (*inflows, *outflows)),
                details={"received_minor": received.minor, "sent_minor": sent.minor},
            )
        ]

    def forget(self, before_ns: int) -> None:
        forget_all(self._inflows, before_ns)
        for party in list(self._outflows):
            if party not in self._inflows:
                del self._outflows[party]

    def remembered(self) -> int:
        flows = (*self._inflows.values(), *self._outflows.values())
        return sum(len(window) for window in flows)
