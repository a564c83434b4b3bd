"""The closed loop: C client threads, each sending its pre-generated requests back to back.

All clients open their connection first and start together. The first ``warmup_s`` seconds are
not measured; the window is the ``seconds`` after that. Throughput counts the transfers whose
request *completed* inside the window (an unbiased rate in steady state), latency is measured
per request by the client, and no client starts a request after the window closes.

Throughput spreads each request's transfers evenly over its duration and counts the part that
falls inside the window (``applied x overlap / duration``, summed, over the window length).
In a closed loop each client's requests tile its time, so this is the same rate as counting
completions, without the +/- one request granularity that matters when a window holds only a
few dozen 8,190-transfer requests.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from bench.ledger.stats import Cell, latency_summary_ms

R_contra = TypeVar("R_contra", contravariant=True)
R = TypeVar("R")

NS: float = 1e9


class Client(Protocol[R_contra]):
    def send(self, request: R_contra) -> int:
        """Submit one request, wait for the answer, return how many transfers were applied."""
        ...

    def close(self) -> None: ...


class BenchFailure(RuntimeError):
    """A request was not fully applied: the benchmark's transfers must all succeed."""


@dataclass
class _Thread(Generic[R]):
    pool: Sequence[R]
    requests: list[tuple[int, int, int]] = field(default_factory=list)  # began, ended, applied
    exhausted: bool = False
    error: BaseException | None = None


@dataclass
class Window:
    start_ns: int = 0
    stop_ns: int = 0
    end_ns: int = 0  # when the measured part really ended (early if every pool ran out)


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Move everything allocated so far (the request pools) out of the collector's way."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run_closed_loop(
    cell: Cell,
    pools: Sequence[Sequence[R]],
    open_client: Callable[[], Client[R]],
    *,
    warmup_s: float,
    seconds: float,
) -> Window:
    """Run one client thread per pool; fill ``cell``'s throughput and latency fields."""
    window = Window()

    def open_window() -> None:
        begin = time.perf_counter_ns()
        window.start_ns = begin + int(warmup_s * NS)
        window.stop_ns = window.start_ns + int(seconds * NS)

    barrier = threading.Barrier(len(pools), action=open_window)
    states = [_Thread(pool) for pool in pools]

    def work(state: _Thread[R]) -> None:
        client: Client[R] | None = None
        try:
            client = open_client()
        except BaseException as error:  # noqa: BLE001 - reported in the cell
            state.error = error
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return
        if client is None:
            return
        try:
            _drive(client, state, window)
        except BaseException as error:  # noqa: BLE001 - reported in the cell
            state.error = error
        finally:
            client.close()

    threads = [
        threading.Thread(target=work, args=(s,), name=f"bench-client-{i}", daemon=True)
        for i, s in enumerate(states)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    requests = [r for s in states for r in s.requests]
    window.end_ns = window.stop_ns
    if requests and all(s.exhausted or s.error for s in states):
        window.end_ns = min(window.stop_ns, max(ended for _, ended, _ in requests))
    start, end = window.start_ns, window.end_ns
    done = [(ended - began, applied) for began, ended, applied in requests if start <= ended <= end]
    cell.applied = sum(applied for _, applied in done)
    cell.applied_total = sum(applied for _, _, applied in requests)
    cell.requests = len(done)
    cell.window_s = max(0.0, (end - start) / NS)
    spread = sum(
        applied * (min(ended, end) - max(began, start)) / max(1, ended - began)
        for began, ended, applied in requests
        if ended > start and began < end
    )
    cell.tps = spread / cell.window_s if cell.window_s > 0 and requests else None
    cell.latency_ms = latency_summary_ms([took for took, _ in done])
    cell.pool_exhausted = any(s.exhausted for s in states)
    errors = [s.error for s in states if s.error is not None]
    if errors:
        cell.error = (
            f"{len(errors)} client(s) failed; first: {type(errors[0]).__name__}: {errors[0]}"
        )
    return window


def _drive(client: Client[R], state: _Thread[R], window: Window) -> None:
    clock = time.perf_counter_ns
    stop_ns = window.stop_ns
    record = state.requests.append
    for request in state.pool:
        began = clock()
        if began >= stop_ns:
            return
        applied = client.send(request)
        record((began, clock(), applied))
    state.exhausted = True
