"""What ``bankstack demo`` prints: the startup panel, things to try, and the status lines.

The panel says where to look (API, OpenAPI docs, JWKS, the cashier page of a trade waiting to
be paid, the webhook receiver, the partner keys) and what the demo bank holds; below it, a
few ``curl`` commands for the ledger and ``/admin``, and a partner SDK snippet that reads the
waiting trade with the app's own key. With partners, the risk rows (``demo_risk_panel``) say
where the staff review queue is. Every few seconds a status line for the ledger traffic and,
with partners, one for the partner apps and the webhooks they received and one for risk.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bankstack.entrypoints.demo_customers import ORDINARY, ROSTER
from bankstack.entrypoints.demo_partners import KEY_SUBDIR, PartnerSeed
from bankstack.entrypoints.demo_risk_panel import (
    risk_examples,
    risk_rows,
    risk_status,
    risk_summary,
)
from bankstack.entrypoints.demo_traffic import customer_id, deposit_id, merchant_id
from bankstack.entrypoints.demo_webhooks import PATH, WebhookReceiver

if TYPE_CHECKING:
    from rich.console import Console

    from bankstack.entrypoints.demo_trades import PartnerTraffic, Showcase
    from bankstack.entrypoints.demo_traffic import TrafficSimulator


@dataclass(frozen=True, slots=True)
class Banner:
    base_url: str
    token: str
    database: str
    bank: str  # what the ledger bank holds, one line
    runs: str
    key_dir: str
    partners: PartnerSeed | None = None
    showcase: Showcase | None = None
    risk_model: str = ""  # what scores payments besides the rules, one line


def print_banner(console: Console, banner: Banner) -> None:
    base = banner.base_url
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("API", base)
    grid.add_row("Docs", f"{base}/docs (OpenAPI document: {base}/openapi.json)")
    grid.add_row("Token", Text(banner.token, style="yellow"))
    grid.add_row("Database", banner.database)
    grid.add_row("Demo bank", banner.bank)
    if banner.partners is not None:
        apps = banner.partners.apps
        names = ", ".join(a.merchant.name for a in apps)
        grid.add_row(
            "Merchants",
            f"{len(apps)} with a test-mode partner app each ({names}); {len(ROSTER)} "
            f"customers with test wallets; {banner.partners.describe()}",
        )
        for name, text in risk_rows(base):
            grid.add_row(name, text)
        if banner.risk_model:
            grid.add_row("Risk model", banner.risk_model)
        grid.add_row("JWKS", f"{base}/.well-known/jwks.json")
        grid.add_row("Webhooks", f"{base}{PATH}/<app id>, verified with the SDK")
        grid.add_row("App keys", f"{banner.key_dir}/{KEY_SUBDIR}/<merchant>.pem")
    grid.add_row("Runs", banner.runs)
    console.print(Panel(grid, title="bankstack demo", border_style="green", expand=False))
    if banner.showcase is not None:  # outside the panel: a URL must not be cut or wrapped
        console.print("Pay a waiting trade in your browser, as a demo customer:", style="bold")
        console.print(Text(f"  {banner.showcase.cashier_url}", style="cyan"), soft_wrap=True)
    console.print("Try:", style="bold")
    for line in _ledger_examples(base, banner.token):
        console.print(Text(f"  {line}"), soft_wrap=True)
    if banner.partners is not None:
        console.print(Text(f"  {_admin_example(base, banner.token)}"), soft_wrap=True)
        console.print("The risk review queue (staff):", style="bold")
        for line in risk_examples(base, banner.token):
            console.print(Text(f"  {line}"), soft_wrap=True)
    if banner.showcase is not None:
        console.print("A partner app, with the SDK (.venv/bin/python):", style="bold")
        console.print(Text(_sdk_example(base, banner.showcase)), soft_wrap=True)


def _ledger_examples(base: str, token: str) -> list[str]:
    auth = f'-H "Authorization: Bearer {token}"'
    customer, merchant = customer_id(0), merchant_id(0)
    body = (
        '{"transfers":[{"id":"\'$(date +%s%N)\'","debit_account_id":"'
        f'{customer}","credit_account_id":"{merchant}","amount":1234,"ledger":1,"code":2}}]}}'
    )
    return [
        f"curl -s {auth} {base}/v1/ledger/accounts/{customer}",
        f"curl -s {auth} '{base}/v1/ledger/accounts/{customer}/statement?limit=5'",
        f"curl -s {auth} {base}/v1/ledger/transfers/{deposit_id(0)}",
        (
            f"curl -s {auth} -H 'Content-Type: application/json' "
            f"{base}/v1/ledger/transfers -d '{body}'"
        ),
    ]


def _admin_example(base: str, token: str) -> str:
    body = (
        f'{{"customer_id":"{ORDINARY[0].id}","deposit":{{"amount":50000,"currency":"CNY"}},'
        '"reference":"try-\'$(date +%s)\'"}'
    )
    return (
        f"curl -s -H \"Authorization: Bearer {token}\" -H 'Content-Type: application/json' "
        f"{base}/admin/wallets -d '{body}'"
    )


def _sdk_example(base: str, showcase: Showcase) -> str:
    app = showcase.app
    pem = f'Path("{app.key_file}").read_bytes()'
    return "\n".join(
        (
            "  from pathlib import Path",
            "  from bankstack_sdk import BankstackClient, SigningKey",
            f'  key = SigningKey.from_pem("{app.key.key_id}", {pem})',
            f'  with BankstackClient("{base}", app_id="{app.app_id}", signing_key=key) as api:',
            f'      print(api.get("/v1/trades/{showcase.trade_id}").data["status"])',
        )
    )


def print_ledger_status(
    console: Console, simulator: TrafficSimulator, last: tuple[int, float]
) -> tuple[int, float]:
    results, _, errors, pending = simulator.stats.snapshot()
    now = time.monotonic()
    ok = results["ok"]
    rate = (ok - last[0]) / max(now - last[1], 1e-9)
    failures = {k: v for k, v in results.items() if k not in {"ok", "exists"}}
    console.print(
        f"[dim]{time.strftime('%H:%M:%S')}[/] transfers ok [green]{ok:,}[/] "
        f"({rate:,.1f}/s) · retries recognised {results['exists']:,} · "
        f"failed [red]{sum(failures.values()):,}[/]{_top(failures)} · "
        f"pending {pending:,} · HTTP errors {errors:,}",
        highlight=False,
        soft_wrap=True,
    )
    return ok, now


def print_partner_status(
    console: Console, traffic: PartnerTraffic, receiver: WebhookReceiver, last: tuple[int, float]
) -> tuple[int, float]:
    outcomes, failures = traffic.stats.snapshot()
    hooks = receiver.counts()
    now = time.monotonic()
    paid = outcomes["paid"]
    rate = (paid - last[0]) / max(now - last[1], 1e-9)
    escrow = ", ".join(
        f"{what} {outcomes[f'escrow {what}']:,}"
        for what in ("held", "released", "refunded", "disputed")
    )
    console.print(
        f"[dim]{time.strftime('%H:%M:%S')}[/] trades paid [green]{paid:,}[/] ({rate:,.1f}/s) · "
        f"refunds {outcomes['refunds']:,} · closed {outcomes['closed']:,} · escrow {escrow} · "
        f"replays recognised {outcomes['replays recognised']:,} · webhooks received "
        f"{hooks.received:,}, verified [green]{hooks.verified:,}[/]"
        f"{f' (rejected {hooks.rejected:,})' if hooks.rejected else ''} · "
        f"failed [red]{sum(failures.values()):,}[/]{_top(failures)}",
        highlight=False,
        soft_wrap=True,
    )
    console.print(risk_status(traffic, time.strftime("%H:%M:%S")), highlight=False, soft_wrap=True)
    return paid, now


def partner_summary(traffic: PartnerTraffic, receiver: WebhookReceiver) -> str:
    outcomes, failures = traffic.stats.snapshot()
    hooks = receiver.counts()
    return (
        f"partners: {outcomes['paid']:,} trades paid, {outcomes['refunds']:,} refunds, "
        f"{outcomes['escrow held']:,} escrows held, {hooks.received:,} webhooks received, "
        f"{hooks.verified:,} verified, {sum(failures.values()):,} failed calls\n"
        f"{risk_summary(traffic)}"
    )


def _top(failures: dict[str, int]) -> str:
    top = sorted(failures.items(), key=lambda kv: -kv[1])[:3]
    return f" ({', '.join(f'{k} {v:,}' for k, v in top)})" if top else ""
