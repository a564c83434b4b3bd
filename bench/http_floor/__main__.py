"""``python -m bench.http_floor``: requests/s and server CPU per request of a bare FastAPI app.

uvicorn (uvloop, httptools, one process, as ``bankstack serve``) serves ``app.py`` on a free
port; C keep-alive connections from one asyncio client post a trade-shaped JSON body back to
back for the measured seconds. The server's CPU comes from ``/proc/<pid>/stat``. This is the
floor under every ``/v1`` call of bench/payments: what the framework costs before any
bankstack code runs. Measurement, not a test. Prints one JSON line per cell, then a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.payments.server import free_port

BODY = (
    b'{"out_trade_no":"o1","amount":{"amount":8800,"currency":"CNY"},"subject":"s","method":"qr"}'
)


def _server_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _load(port: int, path: str, connections: int, seconds: float) -> int:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    ).encode()
    done = 0
    stop = time.monotonic() + seconds

    async def one_connection() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.monotonic() < stop:
            writer.write(head + BODY)
            await writer.drain()
            lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
            length = next(
                int(x.split(b":")[1]) for x in lines if x.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
            done += 1
        writer.close()

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    return done


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http_floor", description=__doc__)
    parser.add_argument("--concurrency", default="1,16", help="connections per cell [1,16]")
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per cell [8]")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - uvicorn from this venv with fixed arguments
        [sys.executable, "-m", "uvicorn", "bench.http_floor.app:app", "--port", str(port),
         "--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log"],
    )  # fmt: skip
    try:
        time.sleep(3)
        rows = []
        for path in ("/sync", "/async"):
            for connections in (int(c) for c in args.concurrency.split(",")):
                asyncio.run(_load(port, path, connections, 2.0))  # warm-up
                cpu_before, started = _server_cpu_s(server.pid), time.monotonic()
                done = asyncio.run(_load(port, path, connections, args.seconds))
                elapsed = time.monotonic() - started
                cpu = _server_cpu_s(server.pid) - cpu_before
                row = {
                    "endpoint": path.strip("/"),
                    "connections": connections,
                    "requests_per_s": round(done / elapsed),
                    "server_cpu_ms_per_request": round(cpu / done * 1000, 3),
                    "server_cores": round(cpu / elapsed, 2),
                }
                print(json.dumps(row), flush=True)
                rows.append(row)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print("\n| endpoint | C | requests/s | server CPU ms/request | server cores |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['endpoint']} | {r['connections']} | {r['requests_per_s']:,} |"
            f" {r['server_cpu_ms_per_request']:.2f} | {r['server_cores']:.2f} |"
        )


if __name__ == "__main__":
    main()
