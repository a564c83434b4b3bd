"""Cycles: money that comes back to where it started, through 2 to ``max_hops`` hops.

Every movement of at least ``min_amount`` is an edge, remembered for the window under its
payee. When an edge u -> v arrives, the search walks backwards from u over remembered edges
(each earlier than the one after it, all within the window of the newest) looking for a path
that started at v: v -> ... -> u -> v is a cycle. Each hop must carry at least ``hop%`` of the
hop before it, so the money plausibly travelled on rather than a coincidence of transfers.

The search is iterative deepening (the shortest cycle wins) with a budget of examined edges
per movement, so one busy account cannot make a single movement expensive; state is bounded
by the window.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from bankstack.risk.aml.finding import Finding, drop_before, duration, forget_all, short_hash
from bankstack.risk.aml.thresholds import Thresholds
from bankstack.risk.domain.alert import Movement, Severity


@dataclass(slots=True)
class _Search:
    origin: str
    earliest_ns: int
    budget: int


class CycleDetector:
    name = "cycle"

    def __init__(self, thresholds: Thresholds) -> None:
        self._thresholds = thresholds
        self._into: dict[str, deque[Movement]] = {}  # payee -> edges paying it, oldest first

    @property
    def window_ns(self) -> int:
        return self._thresholds.cycle_window_ns

    def observe(self, movement: Movement) -> list[Finding]:
        if movement.amount.minor < self._thresholds.cycle_min_amount_minor:
            return []
        cycle = self._shortest_cycle(movement)
        edges = self._into.setdefault(movement.payee, deque())
        edges.append(movement)
        drop_before(edges, movement.occurred_at - self.window_ns)
        return [] if cycle is None else [self._finding(cycle)]

    def _shortest_cycle(self, closing: Movement) -> tuple[Movement, ...] | None:
        search = _Search(
            origin=closing.payee,
            earliest_ns=closing.occurred_at - self.window_ns,
            budget=self._thresholds.cycle_search_budget,
        )
        visited = frozenset({closing.payee, closing.payer})
        for hops in range(2, self._thresholds.cycle_max_hops + 1):
            path = self._walk_back(search, (closing,), hops - 1, visited)
            if path is not None:
                return tuple(reversed(path))
        return None

    def _walk_back(
        self,
        search: _Search,
        path: tuple[Movement, ...],
        hops_left: int,
        visited: frozenset[str],
    ) -> tuple[Movement, ...] | None:
        """Extend ``path`` (newest edge first) backwards by exactly ``hops_left`` edges."""
        later = path[-1]
        hop_percent = self._thresholds.cycle_hop_percent
        for edge in reversed(self._into.get(later.payer, ())):
            if edge.occurred_at < search.earliest_ns:
                break  # older edges only get older
            search.budget -= 1
            if search.budget < 0:
                return None
            if edge.occurred_at > later.occurred_at:
                continue
            if later.amount.minor * 100 < hop_percent * edge.amount.minor:
                continue  # the later hop carries too little of this one
            if edge.payer == search.origin:
                if hops_left == 1:
                    return (*path, edge)
                continue
            if hops_left == 1 or edge.payer in visited:
                continue
            found = self._walk_back(search, (*path, edge), hops_left - 1, visited | {edge.payer})
            if found is not None:
                return found
        return None

    def _finding(self, cycle: tuple[Movement, ...]) -> Finding:
        first, last = cycle[0], cycle[-1]
        origin = first.payer
        route = " -> ".join((origin, *(edge.payee for edge in cycle)))
        span = duration(last.occurred_at - first.occurred_at)
        return Finding(
            detector=self.name,
            subject=origin,
            anchor=short_hash(",".join(edge.movement_id for edge in cycle)),
            severity=Severity.HIGH,
            summary=(
                f"{first.amount} left {origin} and {last.amount} came back within {span} "
                f"through {len(cycle)} hops: {route}."
            ),
            amount=first.amount,
            movement_ids=tuple(edge.movement_id for edge in cycle),
            details={"hops": len(cycle), "returned_minor": last.amount.minor},
        )

    def forget(self, before_ns: int) -> None:
        forget_all(self._into, before_ns)

    def remembered(self) -> int:
        return sum(len(edges) for edges in self._into.values())
