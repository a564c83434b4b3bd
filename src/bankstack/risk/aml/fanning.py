"""Fan-in and fan-out: many distinct counterparties into, or out of, one party within a window.

One class serves both directions: fan-in watches payees and counts distinct payers, fan-out
watches payers and counts distinct payees. Per party, the window's movements and a count per
counterparty are kept, so the number of distinct counterparties is ``len(counts)`` at every
step. Only account-to-account movements (``fan_sources``) count: a merchant paid by many
buyers, or a customer paying many shops, is ordinary commerce.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from bankstack.risk.aml.finding import Finding, duration, total
from bankstack.risk.aml.thresholds import Thresholds
from bankstack.risk.domain.alert import Movement, Severity


@dataclass(slots=True)
class _Window:
    movements: deque[Movement] = field(default_factory=deque)
    counts: Counter[str] = field(default_factory=Counter)


class FanDetector:
    def __init__(self, thresholds: Thresholds, *, inward: bool) -> None:
        self._thresholds = thresholds
        self._inward = inward
        self.name = "fan_in" if inward else "fan_out"
        self._windows: dict[str, _Window] = {}

    @property
    def window_ns(self) -> int:
        return self._thresholds.fan_window_ns

    def _sides(self, movement: Movement) -> tuple[str, str]:
        """(the watched party, its counterparty)."""
        if self._inward:
            return movement.payee, movement.payer
        return movement.payer, movement.payee

    def observe(self, movement: Movement) -> list[Finding]:
        if movement.source not in self._thresholds.fan_sources:
            return []
        party, counterparty = self._sides(movement)
        window = self._windows.setdefault(party, _Window())
        window.movements.append(movement)
        window.counts[counterparty] += 1
        self._drop_before(window, movement.occurred_at - self.window_ns)
        if len(window.counts) < self._thresholds.fan_counterparties:
            return []
        return [self._finding(party, window)]

    def _drop_before(self, window: _Window, cutoff_ns: int) -> None:
        while window.movements and window.movements[0].occurred_at < cutoff_ns:
            _, counterparty = self._sides(window.movements.popleft())
            window.counts[counterparty] -= 1
            if not window.counts[counterparty]:
                del window.counts[counterparty]

    def _finding(self, party: str, window: _Window) -> Finding:
        movements = tuple(window.movements)
        first_per_counterparty: dict[str, str] = {}
        for movement in movements:
            first_per_counterparty.setdefault(self._sides(movement)[1], movement.movement_id)
        distinct = len(first_per_counterparty)
        amount = total(movements, self._thresholds.currency)
        direction = "from" if self._inward else "to"
        verb = "received money" if self._inward else "sent money"
        return Finding(
            detector=self.name,
            subject=party,
            anchor=movements[0].movement_id,
            severity=Severity.MEDIUM,
            summary=(
                f"{party} {verb} {direction} {distinct} distinct counterparties within "
                f"{duration(self.window_ns)}, {amount} in {len(movements)} movements."
            ),
            amount=amount,
            movement_ids=tuple(first_per_counterparty.values()),
            details={"counterparties": distinct, "movements": len(movements)},
        )

    def forget(self, before_ns: int) -> None:
        for party in list(self._windows):
            window = self._windows[party]
            self._drop_before(window, before_ns)
            if not window.movements:
                del self._windows[party]

    def remembered(self) -> int:
        return sum(len(window.movements) for window in self._windows.values())
