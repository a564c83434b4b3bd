"""``bankstack demo``: a demo bank on the embedded database, its API, and simulated traffic.

1. migrate the database and seed the demo bank through the ledger writer: ledger 1 (CNY, in
   fen), the bank's cash and fee-income accounts, 50 merchants and 1,000 customers, each
   customer with an opening deposit. Ids are fixed and amounts derive from them, so a second
   run answers ``exists`` everywhere and changes nothing;
2. with partners (the default), seed payments through its services (``demo_partners``): eight
   named merchants, a test-mode partner app for each with its Ed25519 key under the key
   directory and a webhook endpoint back to this server, 500 customers (and Mallory's
   wallets) with funded test wallets; again nothing changes on a second run;
3. serve the API in this process (uvicorn), with the admin token from
   ``BANKSTACK_ADMIN_TOKEN`` or a fresh one, cashier links on this server's own address
   (unless ``BANKSTACK_PUBLIC_URL`` says otherwise), the cashier letting the demo customers
   pay, and the webhook receiver (``demo_webhooks``) mounted;
4. once the server listens, open a trade for a person to pay in the browser, print the panel
   (``demo_panel``), then run the ledger traffic (``demo_traffic``) and the partner apps
   (``demo_trades``, with a little fraud: ``demo_fraud``, and a staff reviewer working the
   risk queue: ``demo_reviewer``) against it over HTTP, printing status lines every few
   seconds, until ``--duration`` runs out or Ctrl-C.
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
from sqlalchemy import make_url

from bankstack.entrypoints.api import create_app
from bankstack.entrypoints.bootstrap import Runtime, build_runtime
from bankstack.entrypoints.demo_panel import (
    Banner,
    partner_summary,
    print_banner,
    print_ledger_status,
    print_partner_status,
)
from bankstack.entrypoints.demo_partners import (
    PartnerSeed,
    cashier_customers,
    demo_phone,
    seed_partners,
)
from bankstack.entrypoints.demo_trades import PartnerTraffic, Showcase
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
from bankstack.entrypoints.demo_webhooks import WebhookReceiver, install_receiver
from bankstack.ledger.domain import Account, AccountFlags, Transfer
from bankstack_sdk import BankstackSdkError

if TYPE_CHECKING:
    from rich.console import Console

    from bankstack.platform.settings import Settings

CUSTOMERS: Final = 1_000
MERCHANTS: Final = 50
STATUS_EVERY_S: Final = 5.0
_DMNEC: Final = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
_CMNED: Final = int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)


@dataclass(frozen=True, slots=True)
class DemoOptions:
    duration: float  # seconds; 0 runs until Ctrl-C
    tps: float  # ledger transfers per second
    partners: bool = True
    trade_rate: float = 3.0  # partner scenarios started per second


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


def run_demo(settings: Settings, options: DemoOptions, *, console: Console) -> None:
    """Run the demo until ``options.duration`` seconds pass (0: until Ctrl-C)."""
    token = (
        settings.admin_token.get_secret_value()
        if settings.admin_token is not None
        else secrets.token_urlsafe(24)
    )
    sock = _listen(settings.host, settings.port)
    try:
        base_url = _base_url(sock)
        update: dict[str, object] = {"admin_token": SecretStr(token)}
        if "public_url" not in settings.model_fields_set:  # cashier links point here
            update["public_url"] = base_url
        if "allow_private_destinations" not in settings.model_fields_set:
            update["allow_private_destinations"] = True  # its receivers listen on loopback
        settings = settings.model_copy(update=update)
        with console.status("migrating and seeding the demo bank ..."):
            runtime = build_runtime(settings)
            try:
                seeded = seed_demo_bank(runtime)
                partners = seed_partners(runtime, base_url=base_url) if options.partners else None
            except BaseException:
                runtime.close()
                raise
        try:
            demo = _Demo(runtime, base_url, token, seeded, partners, options, console)
            demo.serve(sock)
        finally:
            runtime.close()
    finally:
        sock.close()


def _base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


class _Demo:
    """The server, the simulators and the conductor thread that starts, reports and stops."""

    def __init__(
        self,
        runtime: Runtime,
        base_url: str,
        token: str,
        seeded: SeedReport,
        partners: PartnerSeed | None,
        options: DemoOptions,
        console: Console,
    ) -> None:
        self.runtime, self.base_url, self.token = runtime, base_url, token
        self.seeded, self.partners, self.options, self.console = seeded, partners, options, console
        app = create_app(
            runtime, demo_customers=cashier_customers if partners is not None else None
        )
        self.receiver = WebhookReceiver(runtime.partners.platform_key.private_key.public_key())
        self.traffic: PartnerTraffic | None = None
        if partners is not None:
            for partner in partners.apps:
                self.receiver.register(partner.app_id, partner.webhook_secret)
            install_receiver(app, self.receiver)
            self.traffic = PartnerTraffic(
                base_url, token, partners.apps, rate=options.trade_rate, phone=demo_phone(runtime)
            )
        config = uvicorn.Config(app, log_config=None, access_log=False, server_header=False)
        self.server = uvicorn.Server(config)
        self.simulator = TrafficSimulator(
            base_url, token, tps=options.tps, customers=CUSTOMERS, merchants=MERCHANTS
        )
        self.stopping = threading.Event()
        self.failure: str | None = None

    def serve(self, sock: socket.socket) -> None:
        started_at = time.monotonic()
        conductor = threading.Thread(target=self._conduct, name="demo-conductor", daemon=True)
        conductor.start()
        try:
            self.server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass  # uvicorn re-raises the Ctrl-C it handled once it has shut down
        finally:
            self.stopping.set()
            self._stop_traffic()
            conductor.join(15)
        if self.failure is not None:
            raise DemoFailed(self.failure)
        _, requests, _, _ = self.simulator.stats.snapshot()
        elapsed = time.monotonic() - started_at
        self.console.print(f"demo stopped after {elapsed:.1f} s ({requests:,} API requests)")
        if self.traffic is not None:
            self.console.print(partner_summary(self.traffic, self.receiver), soft_wrap=True)

    def _conduct(self) -> None:
        try:
            while not self.server.started:
                if self.server.should_exit or self.stopping.wait(0.05):
                    return
            showcase = None
            if self.traffic is not None:
                try:
                    showcase = self.traffic.prepare()
                except BankstackSdkError as error:
                    self.failure = f"the partner apps could not start: {error}"
                    return
            print_banner(self.console, self._banner(showcase))
            self.simulator.start()
            if self.traffic is not None:
                self.traffic.start()
            self._report()
        finally:  # even if printing failed (a closed pipe): never leave the server running
            self._stop_traffic()
            self.server.should_exit = True

    def _report(self) -> None:
        duration = self.options.duration
        deadline = time.monotonic() + duration if duration > 0 else None
        ledger = partners = (0, time.monotonic())
        while not self.stopping.is_set():
            wait = STATUS_EVERY_S
            if deadline is not None:
                wait = min(wait, max(deadline - time.monotonic(), 0))
            if self.stopping.wait(wait):
                break
            ledger = print_ledger_status(self.console, self.simulator, ledger)
            if self.traffic is not None:
                partners = print_partner_status(self.console, self.traffic, self.receiver, partners)
            if deadline is not None and time.monotonic() >= deadline:
                break

    def _stop_traffic(self) -> None:
        self.simulator.stop()
        if self.traffic is not None:
            self.traffic.stop()

    def _banner(self, showcase: Showcase | None) -> Banner:
        settings = self.runtime.settings
        seeded, duration = self.seeded, self.options.duration
        bank = (
            f"ledger {CURRENCY_LEDGER} = CNY (amounts in fen); {CUSTOMERS:,} customers "
            f"({customer_id(0)}..{customer_id(CUSTOMERS - 1)}), {MERCHANTS} merchants "
            f"({merchant_id(0)}..{merchant_id(MERCHANTS - 1)}); "
            f"{seeded.accounts_created:,} accounts and {seeded.deposits_created:,} deposits new"
        )
        return Banner(
            base_url=self.base_url,
            token=self.token,
            database=make_url(settings.database_url).render_as_string(hide_password=True),
            bank=bank,
            runs=f"for {duration:g} s" if duration > 0 else "until Ctrl-C",
            key_dir=settings.key_dir,
            partners=self.partners,
            showcase=showcase,
            risk_model=_risk_model(self.runtime),
        )


def _risk_model(runtime: Runtime) -> str:
    if runtime.risk is None:
        return "risk screening is off (BANKSTACK_RISK_ENABLED=false)"
    if runtime.risk.model_version is None:
        return f"none in {runtime.settings.model_dir}: rules alone (run: bankstack risk train)"
    version, registry = runtime.risk.model_version, runtime.settings.model_dir
    return f"fraud model {version} from {registry} (trained on synthetic data)"
