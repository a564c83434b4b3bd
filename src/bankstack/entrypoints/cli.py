"""The ``bankstack`` command.

    bankstack serve            the HTTP API (uvicorn; --workers N processes)
    bankstack demo             a demo bank with simulated traffic, on the embedded database
    bankstack db upgrade       migrate the database schema to the latest revision
    bankstack ledger verify    replay the journal's hash chain and check every balance
    bankstack risk ...         train/evaluate models, rule sets, backtests (risk_cli.py)
    bankstack keys ...         rotate, inspect and retire the webhook-secret keys (keys_cli.py)

Options override the ``BANKSTACK_*`` environment variables. Errors are one line on stderr,
never a traceback: exit status 2 for bad input (options, settings), 1 for a failure.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import make_url

from bankstack.entrypoints.cli_options import DatabaseUrl, err, require_database
from bankstack.entrypoints.cli_options import fail as _fail
from bankstack.entrypoints.cli_options import one_line_errors as _one_line_errors
from bankstack.entrypoints.cli_options import settings_from as _settings
from bankstack.entrypoints.keys_cli import keys_app
from bankstack.entrypoints.risk_cli import risk_app
from bankstack.platform.database import make_engine
from bankstack.platform.logging import configure_logging
from bankstack.platform.migrations import MigrationsNotFound, current, upgrade

APP_FACTORY: Final = "bankstack.entrypoints.api:app_from_env"

out = Console(highlight=False)

app = typer.Typer(
    name="bankstack",
    help="bankstack: an open-source, financial-grade banking platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
ledger_app = typer.Typer(help="Ledger operations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(ledger_app, name="ledger")
app.add_typer(risk_app, name="risk")
app.add_typer(keys_app, name="keys")


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@app.command()
@_one_line_errors
def serve(
    host: Annotated[str | None, typer.Option(help="interface [default: 127.0.0.1]")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65_535, help="port [default: 8000]")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="processes [default: 1]")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve the HTTP API (ledger API, /healthz, /metrics, /docs) with uvicorn."""
    import uvicorn  # noqa: PLC0415 - only this command needs it

    settings = _settings(host=host, port=port, workers=workers, database_url=database_url)
    configure_logging(settings.log_level, json=settings.log_json)
    upgrade(settings.database_url)  # once here, before the workers start
    # Each worker builds its own settings and runtime from the environment (app_from_env).
    os.environ["BANKSTACK_DATABASE_URL"] = settings.database_url
    if settings.admin_token is None:
        err.print(
            "[yellow]warning:[/] BANKSTACK_ADMIN_TOKEN is not set: the ledger API answers 503"
        )
    out.print(
        f"serving on http://{settings.host}:{settings.port} ({settings.workers} worker(s), "
        f"database {_shown(settings.database_url)})"
    )
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,
        access_log=False,
        server_header=False,
    )


@app.command()
@_one_line_errors
def demo(
    port: Annotated[int, typer.Option(min=1, max=65_535, help="TCP port")] = 8000,
    database_url: DatabaseUrl = None,
    duration: Annotated[
        float, typer.Option(min=0, help="stop after this many seconds; 0 runs until Ctrl-C")
    ] = 0,
    tps: Annotated[float, typer.Option(min=0.1, help="simulated transfers per second")] = 100,
    partners: Annotated[
        bool,
        typer.Option(help="merchants' apps paying, refunding and using escrow via signed /v1"),
    ] = True,
    trade_rate: Annotated[
        float, typer.Option(min=0.1, help="partner trades started per second")
    ] = 3,
) -> None:
    """Run a demo bank: seed it, serve the API and post simulated traffic through it."""
    from bankstack.entrypoints.demo import DemoFailed, DemoOptions, run_demo  # noqa: PLC0415

    settings = _settings(port=port, database_url=database_url)
    # Request lines at 100 a second would drown the status lines: warnings only, unless asked.
    configure_logging("WARNING" if "BANKSTACK_LOG_LEVEL" not in os.environ else settings.log_level)
    options = DemoOptions(duration, tps, partners=partners, trade_rate=trade_rate)
    try:
        run_demo(settings, options, console=out)
    except DemoFailed as error:
        raise _fail(str(error)) from None


@db_app.command("upgrade")
@_one_line_errors
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Migrate the database schema to the latest revision (safe to repeat)."""
    settings = _settings(database_url=database_url)
    try:
        upgrade(settings.database_url)
    except MigrationsNotFound as error:
        raise _fail(str(error)) from None
    out.print(
        f"[green]ok[/]: {_shown(settings.database_url)} is at revision "
        f"{current(settings.database_url)}"
    )


@ledger_app.command("verify")
@_one_line_errors
def ledger_verify(database_url: DatabaseUrl = None) -> None:
    """Replay the journal's hash chain and recompute every balance; exit 1 on any mismatch."""
    from bankstack.ledger.verify import verify_journal  # noqa: PLC0415 - lands separately

    settings = _settings(database_url=database_url)
    require_database(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        report = verify_journal(engine)
    finally:
        engine.dispose()
    table = Table(show_header=False, box=None, padding=(0, 2))
    for name in ("batches", "accounts", "transfers", "expiries"):
        table.add_row(name, f"{getattr(report, name):,}")
    out.print(table)
    if not report.ok:
        err.print(f"[bold red]journal check failed:[/] {report.problem}", soft_wrap=True)
        for key, value in (report.first_bad or {}).items():
            err.print(f"  {key}: {value}", soft_wrap=True)
        raise typer.Exit(1)
    out.print(f"[green]ok[/]: the journal of {_shown(settings.database_url)} verifies")


def main() -> None:
    """The console script: a usage error is one line and exit status 2."""
    command = typer.main.get_command(app)
    try:
        status = command.main(args=sys.argv[1:], prog_name="bankstack", standalone_mode=False)
    except typer.TyperException as error:  # click's exceptions (typer vendors click)
        message = error.format_message().strip()
        if message:  # empty when the help was printed instead (no arguments)
            ctx = getattr(error, "ctx", None)
            where = getattr(ctx, "command_path", None) or "bankstack"
            err.print(f"[bold red]error:[/] {message} (see `{where} --help`)", soft_wrap=True)
        sys.exit(error.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    sys.exit(status if isinstance(status, int) else 0)
