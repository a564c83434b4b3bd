"""``bankstack serve`` in its own session, configured for one server configuration.

The server gets its settings from a clean environment (no inherited ``BANKSTACK_*``):
the bench database, a fresh admin token, the run's key directory (one platform signing key
for every server of the run, so the partner's pinned JWKS stays valid), the public URL of this
port, the rate limit raised out of the way, response signing on or off, Redis for nonces and
rate limits when more than one worker serves (as the settings document), warnings only.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx

STARTUP_TIMEOUT_S: Final = 90.0
# structlog's console line: "<time> [error    ] outbox relay failed; retrying  [logger]"
_LOG_LINE: Final = re.compile(r"\[(warning|error|critical)\s*\]\s+(.+?)(?:\s{2,}|$)")
_LOG_CODE: Final = re.compile(r"\bcode=([\w.-]+)")
RATE_PER_S: Final = 1_000_000  # the per-app token bucket must never be what limits the bench


class ServerUnavailable(RuntimeError):
    """The server did not start, or stopped answering /healthz."""


@dataclass(frozen=True)
class ServerSpec:
    workers: int
    sign_responses: bool
    redis_url: str | None  # None: in-memory nonces and rate limits (one process)

    def describe(self) -> str:
        shared = "Redis" if self.redis_url else "in-memory"
        signing = "signed answers" if self.sign_responses else "unsigned answers"
        return f"{self.workers} worker(s), {signing}, {shared} nonces/limits"


@dataclass(frozen=True)
class Server:
    spec: ServerSpec
    host: str
    port: int
    pid: int  # also the session id of the server and its workers

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(
    spec: ServerSpec, *, database_url: str, admin_token: str, key_dir: Path, port: int
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANKSTACK_")}
    env |= {
        "BANKSTACK_DATABASE_URL": database_url,
        "BANKSTACK_ADMIN_TOKEN": admin_token,
        "BANKSTACK_KEY_DIR": str(key_dir),
        "BANKSTACK_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BANKSTACK_PARTNER_RATE_PER_S": str(RATE_PER_S),
        "BANKSTACK_PARTNER_SIGN_RESPONSES": "true" if spec.sign_responses else "false",
        "BANKSTACK_LOG_LEVEL": "WARNING",
        # Risk screens every payment, on the packaged rules alone: no fraud model (whether one
        # was trained into ./var/models must not change what is measured).
        "BANKSTACK_RISK_ENABLED": "true",
        "BANKSTACK_MODEL_DIR": str(key_dir / "no-models"),
    }
    if spec.redis_url:
        env["BANKSTACK_REDIS_URL"] = spec.redis_url
    return env


@contextlib.contextmanager
def serve(
    spec: ServerSpec,
    *,
    command: str,
    database_url: str,
    admin_token: str,
    key_dir: Path,
    log_path: Path,
) -> Iterator[Server]:
    """Start the server on a free port, wait until it answers, stop it afterwards."""
    port = free_port()
    env = server_env(
        spec, database_url=database_url, admin_token=admin_token, key_dir=key_dir, port=port
    )
    args = [command, "serve", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--workers", str(spec.workers)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        log.write(f"\n--- {' '.join(args)} ({spec.describe()})\n".encode())
        log.flush()
        process = subprocess.Popen(  # noqa: S603 - our own entry point with fixed arguments
            args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(spec, "127.0.0.1", port, process.pid)
    try:
        _wait_ready(server, process, log_path)
        yield server
    finally:
        stop(process)


def _wait_ready(server: Server, process: subprocess.Popen[bytes], log_path: Path) -> None:
    """Poll /healthz (it runs SELECT 1) until it answers 200; a second worker may still be
    starting then, which the warm-up of the first cell absorbs."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    with httpx.Client(base_url=server.base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            code = process.poll()
            if code is not None:
                raise ServerUnavailable(
                    f"`bankstack serve` exited with {code} during start-up: {tail(log_path)}"
                )
            with contextlib.suppress(httpx.TransportError):
                if client.get("/healthz").status_code == httpx.codes.OK:
                    return
            time.sleep(0.2)
    raise ServerUnavailable(f"/healthz not ready after {STARTUP_TIMEOUT_S:.0f} s")


def tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:])


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)  # its own session: uvicorn and its workers
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def log_offset(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def logged_problems(path: Path, since: int) -> dict[str, int]:
    """Warnings and errors the server logged after byte ``since``, counted by message."""
    try:
        with path.open("rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
    except OSError:
        return {}
    counts: dict[str, int] = {}
    for line in text.splitlines():
        match = _LOG_LINE.search(line)
        if match:
            key = f"{match.group(1)}: {match.group(2).strip()}"
            code = _LOG_CODE.search(line)
            if code:
                key += f" ({code.group(1)})"
            counts[key] = counts.get(key, 0) + 1
    return counts
