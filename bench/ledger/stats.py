"""Percentiles, the record of one measured cell, and the ledger writer's batch recorder."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of already sorted values; None when empty."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def latency_summary_ms(values_ns: Sequence[int], *, p999: bool = True) -> dict[str, float | None]:
    ordered = sorted(values_ns)

    def ms(q: float) -> float | None:
        value = percentile(ordered, q)
        return None if value is None else value / 1e6

    summary = {"p50": ms(50), "p99": ms(99)}
    if p999:
        summary["p99.9"] = ms(99.9)
    summary["max"] = ms(100)
    return summary


@dataclass
class Cell:
    """One measured combination: database x shape x mode x batch size."""

    database: str
    shape: str
    mode: str  # inprocess | http | naive | raw
    batch_size: int
    clients: int
    tps: float | None = None
    applied: int = 0  # transfers answered "ok" inside the timed window
    applied_total: int = 0  # including warm-up and requests finishing after the window
    window_s: float = 0.0
    requests: int = 0
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    batch_latency_ms: dict[str, float | None] = field(default_factory=dict)
    batches: int = 0
    mean_batch_size: float | None = None
    pool_exhausted: bool = False
    retries: int = 0
    note: str = ""
    error: str | None = None
    skipped: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class BatchRecorder:
    """``on_batch`` for ``GroupCommitWriter``: (monotonic ns, transfers, seconds) per batch."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.batches: list[tuple[int, int, float]] = []

    def __call__(self, kind: str, count: int, seconds: float) -> None:
        if kind != "transfers":
            return
        now = time.perf_counter_ns()
        with self._lock:
            self.batches.append((now, count, seconds))

    def summarise(self, cell: Cell, start_ns: int, end_ns: int) -> None:
        inside = [(n, s) for t, n, s in self.batches if start_ns <= t <= end_ns]
        cell.batches = len(inside)
        if inside:
            cell.mean_batch_size = sum(n for n, _ in inside) / len(inside)
            cell.batch_latency_ms = latency_summary_ms([round(s * 1e9) for _, s in inside])
