"""``bankstack demo``: a demo bank on the embedded database, its API, and simulated traffic.

1. migrate the database and seed the demo bank through the ledger writer: ledger 1 (CNY, in
   fen), the bank's cash and fee-income accounts, 50 merchants and 1,000 customers, each
   customer with an opening deposit. Ids are fixed and amounts derive from them, so a second
   run answers ``exists`` everywhere and changes nothing;
2. serve the API in this process (uvicorn), with the admin token from
   ``BANKSTACK_ADMIN_TOKEN`` or a fresh one;
3. once the server listens, run the traffic simulator (``demo_traffic``) against it over HTTP
   and print a status line every few seconds, until ``--duration`` runs out or Ctrl-C.
"""

from __future__ import annotations

import random
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import uvicorn
from pydantic import SecretStr
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from sqlalchemy import make_url

from bankstack.entrypoints.api import create_app
from bankstack.entrypoints.bootstrap import Runtime, build_runtime
from bankstack.entrypoints.demo_traffic import (
    ACCOUNT_CASH,
    ACCOUNT_FEE_INCOME,
    ACCOUNT_SETTLEMENT,
    ACCOUNT_WALLET,
    BANK_CASH,
    CODE_DEPOSIT,
    CURRENCY_LEDGER,
    FEE_INCOME,
    TrafficSimulator,
    customer_id,
    deposit_id,
    merchant_id,
)
from bankstack.ledger.domain import Account, AccountFlags, Transfer

if TYPE_CHECKING:
    from rich.console import Console

    from bankstack.platform.settings import Settings

CUSTOMERS: Final = 1_000
MERCHANTS: Final = 50
STATUS_EVERY_S: Final = 5.0
_DMNEC: Final = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
_CMNED: Final = int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)


class DemoFailed(Exception):
    """The demo cannot start; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class SeedReport:
    accounts_created: int
    deposits_created: int


def opening_deposit(n: int) -> int:
    """Customer ``n``'s opening deposit in fen: 500 to 20,000 CNY, the same on every run."""
    return random.Random(n).randrange(500, 20_000) * 100  # noqa: S311 - demo data


def seed_demo_bank(runtime: Runtime) -> SeedReport:
    accounts = [
        Account(BANK_CASH, CURRENCY_LEDGER, ACCOUNT_CASH, flags=_CMNED),
        Account(FEE_INCOME, CURRENCY_LEDGER, ACCOUNT_FEE_INCOME),
        *(Account(merchant_id(n), CURRENCY_LEDGER, ACCOUNT_SETTLEMENT, flags=_DMNEC)
          for n in range(MERCHANTS)),
        *(Account(customer_id(n), CURRENCY_LEDGER, ACCOUNT_WALLET, flags=_DMNEC)
          for n in range(CUSTOMERS)),
    ]  # fmt: skip
    deposits = [
        Transfer(deposit_id(n), BANK_CASH, customer_id(n), opening_deposit(n),
                 ledger=CURRENCY_LEDGER, code=CODE_DEPOSIT)
        for n in range(CUSTOMERS)
    ]  # fmt: skip
    account_results = runtime.writer.create_accounts(accounts)
    if bad := {str(r) for r in account_results if r not in {"ok", "exists"}}:
        raise DemoFailed(f"seeding accounts failed: {', '.join(sorted(bad))}")
    transfer_results = runtime.writer.create_transfers(deposits)
    if bad := {str(r) for r in transfer_results if r not in {"ok", "exists"}}:
        raise DemoFailed(f"seeding deposits failed: {', '.join(sorted(bad))}")
    return SeedReport(
        sum(r == "ok" for r in account_results), sum(r == "ok" for r in transfer_results)
    )


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise DemoFailed(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.set_inheritable(True)
    return sock


def run_demo(settings: Settings, *, duration: float, tps: float, console: Console) -> None:
    """Run the demo until ``duration`` seconds pass (0: until Ctrl-C)."""
    token = (
        settings.admin_token.get_secret_value()
        if settings.admin_token is not None
        else secrets.token_urlsafe(24)
    )
    settings = settings.model_copy(update={"admin_token": SecretStr(token)})
    sock = _listen(settings.host, settings.port)
    try:
        with console.status("migrating and seeding the demo bank ..."):
            runtime = build_runtime(settings)
            try:
                seeded = seed_demo_bank(runtime)
            except BaseException:
                runtime.close()
                raise
        try:
            _serve(runtime, sock, seeded, token, duration=duration, tps=tps, console=console)
        finally:
            runtime.close()
    finally:
        sock.close()


def _serve(
    runtime: Runtime,
    sock: socket.socket,
    seeded: SeedReport,
    token: str,
    *,
    duration: float,
    tps: float,
    console: Console,
) -> None:
    host, port = sock.getsockname()[:2]
    shown_host = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown_host}:{port}"
    config = uvicorn.Config(
        create_app(runtime), log_config=None, access_log=False, server_header=False
    )
    server = uvicorn.Server(config)
    simulator = TrafficSimulator(base_url, token, tps=tps, customers=CUSTOMERS, merchants=MERCHANTS)
    stopping = threading.Event()
    started_at = time.monotonic()

    def conduct() -> None:
        try:
            while not server.started:
                if server.should_exit or stopping.wait(0.05):
                    return
            _print_banner(console, runtime, base_url, token, seeded, duration)
            simulator.start()
            last = (0, time.monotonic())
            deadline = started_at + duration if duration > 0 else None
            while not stopping.is_set():
                wait = STATUS_EVERY_S
                if deadline is not None:
                    wait = min(wait, max(deadline - time.monotonic(), 0))
                if stopping.wait(wait):
                    break
                last = _print_status(console, simulator, last)
                if deadline is not None and time.monotonic() >= deadline:
                    break
        finally:  # even if printing failed (a closed pipe): never leave the server running
            simulator.stop()
            server.should_exit = True

    conductor = threading.Thread(target=conduct, name="demo-conductor", daemon=True)
    conductor.start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled once it has shut down
    finally:
        stopping.set()
        simulator.stop()
        conductor.join(15)
    _, requests, _, _ = simulator.stats.snapshot()
    elapsed = time.monotonic() - started_at
    console.print(f"demo stopped after {elapsed:.1f} s ({requests:,} API requests)")


def _print_banner(
    console: Console, runtime: Runtime, base_url: str, token: str, seeded: SeedReport,
    duration: float,
) -> None:  # fmt: skip
    database = make_url(runtime.settings.database_url).render_as_string(hide_password=True)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("API", base_url)
    grid.add_row("Docs", f"{base_url}/docs")
    grid.add_row("Token", Text(token, style="yellow"))
    grid.add_row("Database", database)
    grid.add_row(
        "Demo bank",
        f"ledger {CURRENCY_LEDGER} = CNY (amounts in fen); {CUSTOMERS:,} customers "
        f"({customer_id(0)}..{customer_id(CUSTOMERS - 1)}), {MERCHANTS} merchants "
        f"({merchant_id(0)}..{merchant_id(MERCHANTS - 1)}); "
        f"{seeded.accounts_created:,} accounts and {seeded.deposits_created:,} deposits new",
    )
    grid.add_row("Runs", f"for {duration:g} s" if duration > 0 else "until Ctrl-C")
    console.print(Panel(grid, title="bankstack demo", border_style="green", expand=False))
    auth = f'-H "Authorization: Bearer {token}"'
    customer, merchant = customer_id(0), merchant_id(0)
    body = (
        '{"transfers":[{"id":"\'$(date +%s%N)\'","debit_account_id":"'
        f'{customer}","credit_account_id":"{merchant}","amount":1234,"ledger":1,"code":2}}]}}'
    )
    console.print("Try:", style="bold")
    for line in (
        f"curl -s {auth} {base_url}/v1/ledger/accounts/{customer}",
        f"curl -s {auth} '{base_url}/v1/ledger/accounts/{customer}/statement?limit=5'",
        f"curl -s {auth} {base_url}/v1/ledger/transfers/{deposit_id(0)}",
        (
            f"curl -s {auth} -H 'Content-Type: application/json' "
            f"{base_url}/v1/ledger/transfers -d '{body}'"
        ),
    ):
        console.print(Text(f"  {line}"), soft_wrap=True)


def _print_status(
    console: Console, simulator: TrafficSimulator, last: tuple[int, float]
) -> tuple[int, float]:
    results, _, errors, pending = simulator.stats.snapshot()
    now = time.monotonic()
    ok = results["ok"]
    rate = (ok - last[0]) / max(now - last[1], 1e-9)
    failures = {k: v for k, v in results.items() if k not in {"ok", "exists"}}
    top = ", ".join(f"{k} {v:,}" for k, v in sorted(failures.items(), key=lambda kv: -kv[1])[:3])
    console.print(
        f"[dim]{time.strftime('%H:%M:%S')}[/] transfers ok [green]{ok:,}[/] "
        f"({rate:,.1f}/s) · retries recognised {results['exists']:,} · "
        f"failed [red]{sum(failures.values()):,}[/]{f' ({top})' if top else ''} · "
        f"pending {pending:,} · HTTP errors {errors:,}",
        highlight=False,
        soft_wrap=True,
    )
    return ok, now
