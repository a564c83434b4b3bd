"""The bank test: kill -9 the servers under load; no acknowledged write lost, none doubled.

Two server processes share one PostgreSQL database (several writers); four client processes
move money at random among eight accounts over HTTP while a nemesis SIGKILLs one server at a
time and restarts it. Afterwards every attempt whose answer was lost is retried with the same
id, and the checks are: money per ledger unchanged, no balance past its constraint, every
acknowledged transfer present exactly once with its fields, every retry answering ``ok`` or
``exists`` (or the same failure), and ``ledger verify`` replaying the journal cleanly.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from bankstack.entrypoints.bootstrap import build_runtime
from bankstack.ledger.verify import verify_journal
from bankstack.platform.settings import load_settings
from tests.integration.ledger import bank_client
from tests.integration.ledger.conftest import DMNEC, fund, open_accounts

TOKEN = "crash-test-token"  # noqa: S105 - a throwaway token of a throwaway server
FUNDS = 1_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, url: str, port: int, log: Path) -> None:
        self.url, self.port, self.log = url, port, log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = os.environ | {"BANKSTACK_DATABASE_URL": self.url, "BANKSTACK_ADMIN_TOKEN": TOKEN}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    "bankstack.entrypoints.api:app_from_env",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"server did not start; see {self.log}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.mark.slow
def test_bank_survives_sigkill_of_servers(fresh_pg_url: str, tmp_path: Path) -> None:
    runtime = build_runtime(load_settings(database_url=fresh_pg_url), start_relay=False)
    accounts = open_accounts(runtime, 8, flags=DMNEC)
    (funding,) = open_accounts(runtime, 1)
    fund(runtime, funding, accounts, FUNDS)
    runtime.close()

    servers = [Server(fresh_pg_url, _free_port(), tmp_path / f"server{i}.log") for i in (0, 1)]
    for server in servers:
        server.start()
    ids = [str(a) for a in accounts]
    context = multiprocessing.get_context("spawn")
    logs = [tmp_path / f"client{i}.jsonl" for i in range(4)]
    clients = [
        context.Process(
            target=bank_client.run,
            args=([s.base for s in servers], TOKEN, ids, str(log), 9.0, i + 1),
        )
        for i, log in enumerate(logs)
    ]
    for client in clients:
        client.start()
    rnd = random.Random(7)
    kills = 0
    try:
        time.sleep(1.0)
        for _ in range(5):
            victim = rnd.choice(servers)
            victim.kill()
            kills += 1
            time.sleep(0.3)
            victim.start()
            time.sleep(rnd.uniform(0.5, 1.2))
        for client in clients:
            client.join(60)
            assert client.exitcode == 0
        attempts = [json.loads(line) for log in logs for line in log.read_text().splitlines()]
        retried = _retry_unknown(servers[0].base, attempts)
    finally:
        for server in servers:
            server.stop()

    acked = [a["transfer"] for a in attempts if a["outcome"] == "ok"]
    unknown = [a for a in attempts if a["outcome"] == "unknown"]
    assert kills == 5
    assert len(acked) > 50, "the clients should have moved money between the kills"

    runtime = build_runtime(load_settings(database_url=fresh_pg_url), start_relay=False)
    try:
        _check_bank(runtime, accounts, acked, retried)
        report = verify_journal(runtime.engine)
        assert report.ok, report.problem
    finally:
        runtime.close()
    # Both kinds of outcome must have happened for the test to have tested anything.
    assert unknown, "no attempt was left without an answer: the nemesis did not bite"


def _retry_unknown(base: str, attempts: list[dict]) -> dict[str, str]:
    """Resend every attempt whose answer was lost, with the same id and fields."""
    retried: dict[str, str] = {}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for attempt in attempts:
        if attempt["outcome"] != "unknown":
            continue
        transfer = attempt["transfer"]
        response = httpx.post(
            f"{base}/v1/ledger/transfers",
            json={"transfers": [transfer]},
            headers=headers,
            timeout=10,
        )
        assert response.status_code == 200
        retried[transfer["id"]] = response.json()["results"][0]["result"]
    return retried


def _check_bank(runtime, accounts, acked, retried) -> None:
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT debits_posted, credits_posted, debits_pending, credits_pending, flags"
                " FROM ledger_accounts"
            )
        ).all()
        # Money per ledger is conserved: every debit has its credit.
        assert sum(r[0] for r in rows) == sum(r[1] for r in rows)
        assert all(r[2] == 0 and r[3] == 0 for r in rows)
        # No balance broke its constraint.
        assert all(r[0] <= r[1] for r in rows if r[4] & DMNEC)
        stored = {
            str(runtime.reader.decode(r[0])): (r[1], r[2], r[3])
            for r in conn.execute(
                text("SELECT id, debit_account_id, credit_account_id, amount FROM ledger_transfers")
            )
        }
    total = 0
    for account in accounts:
        a = runtime.reader.account(account)
        assert a is not None
        total += a.credits_posted - a.debits_posted
    assert total == FUNDS * len(accounts)
    for transfer in acked:  # every acknowledged transfer is there, once, as sent
        debit, credit, amount = stored[transfer["id"]]
        assert (str(runtime.reader.decode(debit)), str(runtime.reader.decode(credit)), amount) == (
            transfer["debit_account_id"],
            transfer["credit_account_id"],
            transfer["amount"],
        )
    for transfer_id, outcome in retried.items():  # a retry applies at most once
        assert outcome in {"ok", "exists", "exceeds_credits", "id_already_failed"}, outcome
        assert (transfer_id in stored) == (outcome in {"ok", "exists"})
