"""The ``bankstack`` command: help, errors, db upgrade, ledger verify, demo and serve."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from typer.testing import CliRunner

from bankstack.entrypoints.bootstrap import build_runtime
from bankstack.entrypoints.cli import app
from bankstack.ledger import Account, Transfer
from bankstack.platform.database import make_engine
from bankstack.platform.settings import load_settings

runner = CliRunner()
BANKSTACK = Path(sys.executable).parent / "bankstack"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def count(url: str, sql: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "args",
    [[], ["serve"], ["demo"], ["db"], ["db", "upgrade"], ["ledger"], ["ledger", "verify"]],
    ids=lambda args: " ".join(args) or "bankstack",
)
def test_help_everywhere(args):
    result = runner.invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    assert "--help" in result.output


def test_usage_errors_exit_2():
    assert runner.invoke(app, ["nope"]).exit_code == 2
    assert runner.invoke(app, ["demo", "--port", "abc"]).exit_code == 2
    assert runner.invoke(app, ["serve", "--port", "0"]).exit_code == 2
    result = runner.invoke(app, ["db", "upgrade", "--database-url", "mysql://db/x"])
    assert result.exit_code == 2


def test_usage_errors_are_one_line_from_the_console_script():
    result = subprocess.run(
        [BANKSTACK, "demo", "--port", "abc"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "--port" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_then_ledger_verify(sqlite_url):
    result = runner.invoke(app, ["db", "upgrade", "--database-url", sqlite_url])
    assert result.exit_code == 0, result.output
    assert "revision" in result.output
    again = runner.invoke(app, ["db", "upgrade", "--database-url", sqlite_url])
    assert again.exit_code == 0, again.output
    verified = runner.invoke(app, ["ledger", "verify", "--database-url", sqlite_url])
    assert verified.exit_code == 0, verified.output
    assert "ok" in verified.output
    assert "transfers" in verified.output


def test_ledger_verify_reports_a_tampered_balance(sqlite_url):
    runtime = build_runtime(load_settings(database_url=sqlite_url), start_relay=False)
    try:
        runtime.writer.create_accounts([Account(1, 1, 1), Account(2, 1, 1)])
        runtime.writer.create_transfers([Transfer(3, 1, 2, 500, ledger=1, code=1)])
    finally:
        runtime.close()
    engine = make_engine(sqlite_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE ledger_accounts SET credits_posted = 501 WHERE code = 1 "
                              "AND credits_posted = 500"))  # fmt: skip
    except SQLAlchemyError:
        pytest.skip("the database refuses the tampering itself")
    finally:
        engine.dispose()
    result = runner.invoke(app, ["ledger", "verify", "--database-url", sqlite_url])
    assert result.exit_code == 1
    assert "journal check failed" in result.output
    assert "Traceback" not in result.output


def test_verify_without_a_database_fails_in_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'missing.db'}"
    result = runner.invoke(app, ["ledger", "verify", "--database-url", url])
    assert result.exit_code == 1
    assert "db upgrade" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_unreachable_database_fails_in_one_line():
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/nothing"
    result = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 1
    assert "error" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_demo_runs_for_its_duration_and_posts_traffic(sqlite_url):
    # The ledger bank alone; the partner apps have their own tests (test_demo.py).
    demo = ["demo", "--no-partners", "--database-url", sqlite_url]
    result = runner.invoke(app, [*demo, "--duration", "3", "--port", str(free_port())])
    assert result.exit_code == 0, result.output
    assert "/docs" in result.output
    assert "curl" in result.output
    assert "demo stopped" in result.output
    # Deposits have code 1; everything else came through the API from the simulator.
    assert count(sqlite_url, "SELECT COUNT(*) FROM ledger_transfers WHERE code <> 1") > 10
    assert count(sqlite_url, "SELECT COUNT(*) FROM ledger_accounts") == 1052
    verified = runner.invoke(app, ["ledger", "verify", "--database-url", sqlite_url])
    assert verified.exit_code == 0, verified.output
    # Seeding again changes nothing: fixed ids and amounts answer "exists".
    again = runner.invoke(app, [*demo, "--duration", "1", "--port", str(free_port())])
    assert again.exit_code == 0, again.output
    assert "0 accounts and 0 deposits new" in " ".join(again.output.replace("│", " ").split())
    assert count(sqlite_url, "SELECT COUNT(*) FROM ledger_accounts") == 1052


def test_demo_on_a_busy_port_fails_in_one_line(sqlite_url):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(
            app, ["demo", "--duration", "1", "--port", str(port), "--database-url", sqlite_url]
        )
    assert result.exit_code == 1
    assert "cannot listen" in result.output


def exercise_server(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert server.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the server did not come up"
        time.sleep(0.2)
    headers = {"Authorization": "Bearer served-token"}
    accounts = {"accounts": [{"id": str(n), "ledger": 1, "code": 1} for n in (1, 2)]}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        # Several requests: with two workers, both writers share the database.
        for _ in range(4):
            results = client.post("/v1/ledger/accounts", json=accounts).json()["results"]
            assert {r["result"] for r in results} <= {"ok", "exists"}
        transfer = {"id": "10", "debit_account_id": "1", "credit_account_id": "2",
                    "amount": 5, "ledger": 1, "code": 1}  # fmt: skip
        response = client.post("/v1/ledger/transfers", json={"transfers": [transfer]})
        assert response.json()["results"] == [{"index": 0, "result": "ok"}]
        assert client.get("/v1/ledger/accounts/2").json()["credits_posted"] == 5


@pytest.mark.slow
def test_serve_with_two_workers(tmp_path):
    port = free_port()
    url = f"sqlite:///{tmp_path / 'served.db'}"
    env = {**os.environ, "BANKSTACK_ADMIN_TOKEN": "served-token", "BANKSTACK_LOG_LEVEL": "WARNING"}
    args: list[str | Path] = [
        BANKSTACK,
        "serve",
        "--port",
        str(port),
        "--workers",
        "2",
        "--database-url",
        url,
    ]
    log = tmp_path / "serve.log"
    with (
        log.open("wb") as output,
        subprocess.Popen(args, env=env, stdout=output, stderr=output) as server,
    ):
        try:
            exercise_server(f"http://127.0.0.1:{port}", server, log)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(10)
    assert server.returncode == 0
