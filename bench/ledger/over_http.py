"""HTTP cells: ``bankstack serve`` in a subprocess, client threads posting pre-built bodies.

The contract used: ``POST /v1/ledger/transfers`` with ``{"transfers": [...]}`` (ids as decimal
strings) and ``Authorization: Bearer <BANKSTACK_ADMIN_TOKEN>``, answered by
``{"results": [{"index": i, "result": "ok" | code}]}``; ``GET /healthz`` answers 200 when up.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from bench.ledger.dbs import BenchDatabase
from bench.ledger.loop import BenchFailure, frozen_heap, run_closed_loop
from bench.ledger.stats import Cell
from bench.ledger.workload import Shape, TransferIds, body_pools, pool_requests

STARTUP_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 120.0
TRANSFERS_PATH = "/v1/ledger/transfers"


class ServerUnavailable(RuntimeError):
    """The HTTP server could not be started or does not speak the contract (cell skipped)."""


def default_server_command() -> str:
    return str(Path(sys.executable).parent / "bankstack")


def missing_server_reason(command: str) -> str | None:
    """Why ``bankstack serve`` cannot run at all, or None if it might."""
    if not Path(command).exists():
        return f"{command} does not exist (pip install -e . creates it)"
    if command == default_server_command() and (
        importlib.util.find_spec("bankstack.entrypoints.cli") is None
    ):
        return "bankstack.entrypoints.cli is missing: `bankstack serve` is not implemented yet"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base_url: str
    token: str
    process: subprocess.Popen[bytes]


@contextlib.contextmanager
def serve(db: BenchDatabase, command: str, workers: int, log_path: Path) -> Iterator[Server]:
    """Start the API on a free port, wait for /healthz, stop it (SIGTERM, then kill) after."""
    port = _free_port()
    token = secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "BANKSTACK_DATABASE_URL": db.url,
        "BANKSTACK_ADMIN_TOKEN": token,
        "BANKSTACK_LOG_LEVEL": "WARNING",
    }
    args = [command, "serve", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--workers", str(workers)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        log.write(f"\n--- {' '.join(args)} (database {db.kind})\n".encode())
        log.flush()
        process = subprocess.Popen(  # noqa: S603 - our own entry point with fixed arguments
            args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(f"http://127.0.0.1:{port}", token, process)
    try:
        _wait_healthy(server, log_path)
        yield server
    finally:
        _stop(process)


def _wait_healthy(server: Server, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    with httpx.Client(base_url=server.base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            code = server.process.poll()
            if code is not None:
                raise ServerUnavailable(
                    f"`bankstack serve` exited with {code} during start-up: {_tail(log_path)}"
                )
            with contextlib.suppress(httpx.TransportError):
                if client.get("/healthz").status_code == httpx.codes.OK:
                    return
            time.sleep(0.1)
    raise ServerUnavailable(f"/healthz not ready after {STARTUP_TIMEOUT_S:.0f} s")


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)  # its own session: uvicorn and its workers
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class _HttpClient:
    def __init__(self, server: Server, batch: int) -> None:
        self._batch = batch
        self._client = httpx.Client(
            base_url=server.base_url,
            timeout=REQUEST_TIMEOUT_S,
            headers={
                "Authorization": f"Bearer {server.token}",
                "Content-Type": "application/json",
            },
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )

    def send(self, request: bytes) -> int:
        response = self._client.post(TRANSFERS_PATH, content=request)
        if response.status_code == httpx.codes.NOT_FOUND:
            raise ServerUnavailable(f"POST {TRANSFERS_PATH} answered 404: not implemented yet?")
        if response.status_code != httpx.codes.OK:
            raise BenchFailure(f"HTTP {response.status_code}: {response.text[:300]}")
        results = orjson.loads(response.content)["results"]
        ok = sum(1 for r in results if r["result"] == "ok")
        if ok != self._batch or len(results) != self._batch:
            codes = Counter(r["result"] for r in results if r["result"] != "ok")
            raise BenchFailure(
                f"{ok} ok of {self._batch} sent ({len(results)} results): {dict(codes)}"
            )
        return ok

    def close(self) -> None:
        self._client.close()


def run_http(
    cell: Cell,
    db: BenchDatabase,
    shape: Shape,
    ids: TransferIds,
    rng: random.Random,
    *,
    command: str,
    workers: int,
    log_path: Path,
    warmup_s: float,
    seconds: float,
    pool_scale: float,
) -> None:
    reason = missing_server_reason(command)
    if reason is not None:
        cell.skipped = f"HTTP server not available: {reason}"
        return
    requests = pool_requests("http", cell.batch_size, cell.clients, warmup_s + seconds, pool_scale)
    pools = body_pools(shape, ids, rng, cell.batch_size, cell.clients, requests)
    cell.note = f"{workers} server worker(s)"
    try:
        with serve(db, command, workers, log_path) as server, frozen_heap():
            run_closed_loop(
                cell,
                pools,
                lambda: _HttpClient(server, cell.batch_size),
                warmup_s=warmup_s,
                seconds=seconds,
            )
    except ServerUnavailable as error:
        cell.skipped = f"HTTP server not available: {error}"
        return
    if cell.error and "ServerUnavailable" in cell.error:
        cell.skipped, cell.error, cell.tps = f"HTTP server not available: {cell.error}", None, None
