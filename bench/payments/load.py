"""The load generator: client processes, each an event loop of virtual partners (closed loop).

Each of the C virtual partners owns one keep-alive connection and runs the QR flow back to
back: precreate, pay, next trade. The C partners are spread over ``procs`` client processes
(spawned, so that nothing of the parent's heap or threads rides along); all connect first,
then start together at a time the parent gives. The first ``warmup_s`` seconds are not
measured. No partner starts a trade after the window closes; trades still in flight finish.

Per trade a process records three monotonic timestamps (trade began, precreate answered and
verified, pay answered and verified); the parent keeps those whose pay answer came inside the
window. The pay request is sent right after the precreate answer is read. CLOCK_MONOTONIC is
one clock for every process of the machine, so the timestamps of all processes and the
parent's window compare directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import queue
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as MpEvent
from typing import Any, Final

from bench.payments import cpu
from bench.payments.http1 import HttpProtocolError
from bench.payments.partner import FlowFailed, Mode, Partner, PartnerCredentials

READY_TIMEOUT_S: Final = 60.0
START_DELAY_S: Final = 0.25
ERROR_BACKOFF_S: Final = 0.05
MAX_ERRORS_PER_PROCESS: Final = 2_000
ERROR_SAMPLES: Final = 5
TradeRecord = tuple[int, int, int]  # began, precreated, paid (monotonic ns)


@dataclass(frozen=True)
class LoadSpec:
    mode: Mode
    concurrency: int
    warmup_s: float
    seconds: float
    run_tag: str  # makes out_trade_no unique across the run
    request_timeout_s: float = 30.0


@dataclass
class ProcessResult:
    """What one client process sends back (plain data: it crosses a process boundary)."""

    trades: list[TradeRecord] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    failure: str | None = None  # the process could not run at all


@dataclass
class LoadResult:
    window_start_ns: int
    window_end_ns: int
    trades: list[TradeRecord]
    errors: Counter[str]
    error_samples: list[str]
    cpu_cores: dict[str, float]
    client_pids: tuple[int, ...]
    failures: list[str]


# -- the client process ------------------------------------------------------------------------


def _client_main(
    creds: PartnerCredentials,
    spec: LoadSpec,
    first: int,
    count: int,
    ready: mp.Queue[tuple[int, str | None]],
    go: MpEvent,
    start_ns: Synchronized[int],
    results: mp.Queue[ProcessResult],
) -> None:
    """Entry point of a spawned client process: ``count`` partners from global index ``first``."""
    result = ProcessResult()
    try:
        _run_event_loop(_client(creds, spec, first, count, ready, go, start_ns, result))
    except BaseException as error:  # noqa: BLE001 - reported to the parent, never lost
        result.failure = f"{type(error).__name__}: {error}"
        with contextlib.suppress(Exception):
            ready.put((first, result.failure))
    results.put(result)


def _run_event_loop(coro: Any) -> None:
    try:
        import uvloop  # noqa: PLC0415 - optional speed-up, as uvicorn uses it
    except ImportError:
        asyncio.run(coro)
    else:
        uvloop.run(coro)


async def _client(
    creds: PartnerCredentials,
    spec: LoadSpec,
    first: int,
    count: int,
    ready: mp.Queue[tuple[int, str | None]],
    go: MpEvent,
    start_ns: Synchronized[int],
    result: ProcessResult,
) -> None:
    partner = Partner(creds, spec.mode)
    connections = [partner.connection(spec.request_timeout_s) for _ in range(count)]
    await asyncio.gather(*(c.open() for c in connections))
    ready.put((first, None))
    loop = asyncio.get_running_loop()
    if not await loop.run_in_executor(None, go.wait, READY_TIMEOUT_S):
        raise TimeoutError("no start signal from the parent")
    begin_ns = start_ns.value
    stop_ns = begin_ns + int((spec.warmup_s + spec.seconds) * 1e9)
    delay = (begin_ns - time.monotonic_ns()) / 1e9
    if delay > 0:
        await asyncio.sleep(delay)
    try:
        await asyncio.gather(
            *(
                _virtual_partner(partner, conn, spec, first + i, stop_ns, result)
                for i, conn in enumerate(connections)
            )
        )
    finally:
        await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)


async def _virtual_partner(
    partner: Partner,
    conn: Any,
    spec: LoadSpec,
    index: int,
    stop_ns: int,
    result: ProcessResult,
) -> None:
    customers = partner.creds.customers
    clock = time.monotonic_ns
    record = result.trades.append
    n = 0
    while True:
        began = clock()
        if began >= stop_ns or sum(result.errors.values()) >= MAX_ERRORS_PER_PROCESS:
            return
        # Partner i pays as customers i, i + C, i + 2C, ...: no two partners share a wallet
        # when the number of customers is a multiple of C (the default is).
        customer = customers[(index + n * spec.concurrency) % len(customers)]
        out_trade_no = f"{spec.run_tag}-{index}-{n}"
        n += 1
        try:
            trade_id = await partner.precreate(conn, out_trade_no)
            precreated = clock()
            await partner.pay(conn, trade_id, customer)
            record((began, precreated, clock()))
        except FlowFailed as error:
            _count(result, error.kind, error.detail)
            await asyncio.sleep(ERROR_BACKOFF_S)
        except (HttpProtocolError, OSError, TimeoutError) as error:
            _count(result, f"transport:{type(error).__name__}", str(error))
            await conn.close()  # reconnects on the next request
            await asyncio.sleep(ERROR_BACKOFF_S)


def _count(result: ProcessResult, kind: str, detail: str) -> None:
    result.errors[kind] += 1
    if len(result.error_samples) < ERROR_SAMPLES:
        result.error_samples.append(f"{kind}: {detail[:300]}")


# -- the parent --------------------------------------------------------------------------------


def run_load(
    creds: PartnerCredentials,
    spec: LoadSpec,
    *,
    procs: int,
    server_sid: int | None,
    database: str,
    at_window_start: Callable[[], None] | None = None,
    at_window_end: Callable[[], None] | None = None,
) -> LoadResult:
    """Run one cell's load and measure who used the CPU during its window."""
    ctx = mp.get_context("spawn")
    ready: mp.Queue[tuple[int, str | None]] = ctx.Queue()
    results: mp.Queue[ProcessResult] = ctx.Queue()
    go = ctx.Event()
    start_ns: Synchronized[int] = ctx.Value("q", 0)
    procs = max(1, min(procs, spec.concurrency))
    shares = [
        spec.concurrency // procs + (1 if i < spec.concurrency % procs else 0) for i in range(procs)
    ]
    processes: list[BaseProcess] = []
    first = 0
    for count in shares:
        process = ctx.Process(
            target=_client_main,
            args=(creds, spec, first, count, ready, go, start_ns, results),
            name=f"bench-payments-client-{first}",
            daemon=True,
        )
        process.start()
        processes.append(process)
        first += count
    try:
        failures = _wait_ready(ready, len(processes))
        if failures:
            go.set()
            return _failed(failures, processes)
        begin = time.monotonic_ns() + int(START_DELAY_S * 1e9)
        start_ns.value = begin
        go.set()
        window_start = begin + int(spec.warmup_s * 1e9)
        window_end = window_start + int(spec.seconds * 1e9)
        watch = cpu.Watch(tuple(p.pid or 0 for p in processes), server_sid, database)
        _sleep_until(window_start)
        if at_window_start is not None:
            at_window_start()
        first_snap = cpu.snapshot(watch, time.monotonic_ns())
        _sleep_until(window_end)
        last_snap = cpu.snapshot(watch, time.monotonic_ns())
        if at_window_end is not None:
            at_window_end()
        collected = _collect(results, len(processes), spec)
    finally:
        for child in processes:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
    return LoadResult(
        window_start,
        window_end,
        [t for r in collected for t in r.trades],
        sum((r.errors for r in collected), Counter()),
        [s for r in collected for s in r.error_samples][:ERROR_SAMPLES],
        cpu.cores_used(first_snap, last_snap),
        watch.client_pids,
        [r.failure for r in collected if r.failure],
    )


def _wait_ready(ready: mp.Queue[tuple[int, str | None]], expected: int) -> list[str]:
    deadline = time.monotonic() + READY_TIMEOUT_S
    failures = []
    for _ in range(expected):
        try:
            _, failure = ready.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            failures.append(f"a client process was not ready after {READY_TIMEOUT_S:.0f} s")
            break
        if failure is not None:
            failures.append(failure)
    return failures


def _failed(failures: list[str], processes: list[BaseProcess]) -> LoadResult:
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
    return LoadResult(0, 0, [], Counter(), [], {}, (), failures)


def _collect(
    results: mp.Queue[ProcessResult], expected: int, spec: LoadSpec
) -> list[ProcessResult]:
    collected = []
    deadline = time.monotonic() + spec.request_timeout_s * 2 + 30
    for _ in range(expected):
        try:
            collected.append(results.get(timeout=max(0.1, deadline - time.monotonic())))
        except queue.Empty:
            collected.append(ProcessResult(failure="a client process sent no results"))
    return collected


def _sleep_until(deadline_ns: int) -> None:
    while (remaining := deadline_ns - time.monotonic_ns()) > 0:
        time.sleep(min(remaining / 1e9, 0.5))
