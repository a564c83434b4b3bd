"""The record of one measured HTTP cell, filled from a load result."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Final

from bench.ledger.stats import latency_summary_ms
from bench.payments.cpu import GROUPS
from bench.payments.load import LoadResult

CLIENT_SATURATED: Final = 0.9  # cores per client process above which the client may limit


@dataclass
class HttpCell:
    """One server configuration x mode x concurrency, measured over HTTP."""

    mode: str  # signed | unsigned
    workers: int
    concurrency: int
    client_procs: int
    server: str = ""
    tps: float | None = None  # paid trades/s: pay answered inside the window
    trades: int = 0  # paid inside the window
    trades_total: int = 0  # paid in the whole cell (warm-up and stragglers too)
    window_s: float = 0.0
    trade_latency_ms: dict[str, float | None] = field(default_factory=dict)
    precreate_latency_ms: dict[str, float | None] = field(default_factory=dict)
    pay_latency_ms: dict[str, float | None] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    cpu_cores: dict[str, float] = field(default_factory=dict)
    cpu_ms_per_trade: dict[str, float] = field(default_factory=dict)
    server_log: dict[str, int] = field(default_factory=dict)  # warnings/errors, by message
    pg_counters: dict[str, int] = field(default_factory=dict)  # pg_stat_database, window delta
    pg_per_trade: dict[str, float] = field(default_factory=dict)
    client_saturated: bool = False
    note: str = ""
    error: str | None = None
    skipped: str | None = None

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.mode, self.workers, self.concurrency)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def fill(cell: HttpCell, result: LoadResult) -> None:
    """Throughput, latencies, errors and CPU of ``cell`` from its load ``result``."""
    if result.failures:
        cell.error = "; ".join(result.failures)[:500]
    start, end = result.window_start_ns, result.window_end_ns
    inside = [t for t in result.trades if start <= t[2] <= end]
    cell.trades = len(inside)
    cell.trades_total = len(result.trades)
    cell.window_s = max(0.0, (end - start) / 1e9)
    cell.tps = cell.trades / cell.window_s if cell.window_s > 0 and result.trades else None
    cell.trade_latency_ms = latency_summary_ms([paid - began for began, _, paid in inside])
    cell.precreate_latency_ms = latency_summary_ms([made - began for began, made, _ in inside])
    cell.pay_latency_ms = latency_summary_ms([paid - made for _, made, paid in inside])
    cell.errors = dict(result.errors.most_common())
    cell.error_samples = result.error_samples
    cell.cpu_cores = result.cpu_cores
    if cell.trades and cell.window_s:
        per_trade_s = cell.window_s / cell.trades
        cell.cpu_ms_per_trade = {
            group: round(result.cpu_cores.get(group, 0.0) * per_trade_s * 1000, 2)
            for group in (*GROUPS, "other")
        }
        cell.cpu_ms_per_trade["bench_system"] = round(
            sum(cell.cpu_ms_per_trade[g] for g in GROUPS), 2
        )
    client = result.cpu_cores.get("client", 0.0)
    cell.client_saturated = client / max(1, cell.client_procs) > CLIENT_SATURATED


def fill_pg(cell: HttpCell, before: dict[str, int], after: dict[str, int]) -> None:
    """PostgreSQL's own count of what the window cost: commits and new sessions per trade."""
    if not before or not after:
        return
    cell.pg_counters = {k: after[k] - before[k] for k in after if k in before}
    if cell.trades:
        cell.pg_per_trade = {
            "commits": round(cell.pg_counters.get("xact_commit", 0) / cell.trades, 1),
            "sessions": round(cell.pg_counters.get("sessions", 0) / cell.trades, 2),
        }
