"""``bankstack risk rules ...``: check, load, activate, shadow and list rule sets.

    bankstack risk rules check FILE                    compile it and show its rules
    bankstack risk rules load FILE [--by STAFF]        store it as a draft (next version only)
    bankstack risk rules shadow NAME VERSION --by STAFF    evaluate it beside the active set
    bankstack risk rules activate NAME VERSION --by STAFF  decide with it; retire the previous
    bankstack risk rules list [--name NAME]            every stored version and its status

The database commands take ``--database-url`` (default: the settings, as every ``bankstack``
command) and migrate the schema first (idempotent), so that they work on a fresh install.
Bad input (an unreadable file, a rule set that does not compile, an unknown version, a blank
staff name, a bad URL) is one line on stderr and exit status 2; a refused state change or a
database failure is one line and exit status 1.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from bankstack.entrypoints.cli_options import DatabaseUrl, UsageProblem
from bankstack.entrypoints.cli_options import fail as _fail
from bankstack.entrypoints.cli_options import first_line as _first_line
from bankstack.entrypoints.cli_options import settings_from as _settings
from bankstack.kernel.clock import ns_to_datetime
from bankstack.kernel.errors import BankstackError, NotFound, ValidationFailed
from bankstack.platform.database import make_engine
from bankstack.platform.migrations import upgrade
from bankstack.risk.adapters.rulesets_sql import SqlRuleSetRepository
from bankstack.risk.domain.event import EventKind
from bankstack.risk.errors import RuleSetInvalid
from bankstack.risk.rules import CompiledRuleSet, StoredRuleSet, load_ruleset_file

out = Console(highlight=False)

rules_app = typer.Typer(
    help="Rule sets: check a file, load it, shadow and activate versions, list them.",
    no_args_is_help=True,
)


Staff = Annotated[str, typer.Option("--by", help="the staff member making the change")]
RuleFile = Annotated[Path, typer.Argument(help="a rule set TOML file", show_default=False)]
Name = Annotated[str, typer.Argument(help="the rule set's name, e.g. default")]
Version = Annotated[int, typer.Argument(help="the version: 1, 2, ...", min=1)]
# A rule set that does not compile, an unknown name or version, a blank staff name.
_BAD_INPUT = (ValidationFailed, NotFound)


@rules_app.command("check")
def check(file: RuleFile) -> None:
    """Compile a rule set file and show its rules; exit 2 when it does not compile."""
    with _one_line():
        compiled = _load(file)
    out.print(_rules_table(compiled))
    out.print(f"[green]ok[/]: {compiled.version} compiles ({len(compiled.rules)} rules)")


@rules_app.command("load")
def load(
    file: RuleFile,
    by: Annotated[
        str | None, typer.Option("--by", help="the staff member [default: the OS user]")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Store a rule set file as a draft: the next version of its name (a reload is a no-op)."""
    with _one_line():
        compiled = _load(file)
        with _repository(database_url) as repository:
            stored = repository.add(compiled.text, by=by or _os_user())
    out.print(f"[green]ok[/]: {stored.label} is stored ({stored.status.value})")


@rules_app.command("activate")
def activate(name: Name, version: Version, by: Staff, database_url: DatabaseUrl = None) -> None:
    """Decide with this version from now on; the previous active version is retired."""
    with _one_line(), _repository(database_url) as repository:
        stored = repository.activate(name, version, by=by)
    out.print(f"[green]ok[/]: {stored.label} is active (by {stored.status_by})")


@rules_app.command("shadow")
def shadow(name: Name, version: Version, by: Staff, database_url: DatabaseUrl = None) -> None:
    """Evaluate this version beside the active one (recorded, never acted on)."""
    with _one_line(), _repository(database_url) as repository:
        stored = repository.shadow(name, version, by=by)
    out.print(f"[green]ok[/]: {stored.label} is in shadow (by {stored.status_by})")


@rules_app.command("list")
def list_versions(
    name: Annotated[str | None, typer.Option("--name", help="only this rule set")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Every stored version with its status, who set it and when."""
    with _one_line(), _repository(database_url) as repository:
        versions = repository.versions(name)
    if not versions:
        out.print("no rule sets stored")
        return
    out.print(_versions_table(versions))


@contextmanager
def _one_line() -> Iterator[None]:
    """The failures a rules command can meet as one line on stderr and an exit status."""
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except (UsageProblem, *_BAD_INPUT) as error:
        raise _fail(getattr(error, "message", str(error)), 2) from None
    except BankstackError as error:
        raise _fail(error.message) from None
    except SQLAlchemyError as error:
        raise _fail(f"database: {_first_line(error)}") from None
    except Exception as error:  # noqa: BLE001 - the contract is: no tracebacks
        raise _fail(f"{type(error).__name__}: {_first_line(error)}") from None


def _load(file: Path) -> CompiledRuleSet:
    try:
        return load_ruleset_file(file)
    except OSError as error:
        raise RuleSetInvalid(f"cannot read {file}: {error.strerror or error}") from None
    except RuleSetInvalid as error:
        raise RuleSetInvalid(f"{file}: {error.message}") from None


@contextmanager
def _repository(database_url: str | None) -> Iterator[SqlRuleSetRepository]:
    url = _settings(database_url=database_url).database_url
    upgrade(url)
    engine = make_engine(url)
    try:
        yield SqlRuleSetRepository(engine)
    finally:
        engine.dispose()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in a bare container
        return "cli"


def _rules_table(compiled: CompiledRuleSet) -> Table:
    t = compiled.thresholds
    table = Table(
        title=(
            f"{compiled.version}: challenge at {t.challenge_at}, review at {t.review_at}, "
            f"reject at {t.reject_at}"
        ),
        title_justify="left",
    )
    table.add_column("id", no_wrap=True)
    table.add_column("kinds")
    table.add_column("points", justify="right")
    table.add_column("outcome")
    table.add_column("on")
    table.add_column("when", overflow="fold")
    every = frozenset(EventKind)
    for rule in compiled.rules:
        kinds = "all" if rule.kinds == every else ", ".join(sorted(rule.kinds))
        outcome = rule.outcome.value if rule.outcome else ""
        on = "yes" if rule.enabled else "no"
        table.add_row(rule.id, kinds, str(rule.points), outcome, on, rule.when)
    return table


def _versions_table(versions: tuple[StoredRuleSet, ...]) -> Table:
    table = Table()
    for column in ("name", "version", "status", "sha256", "created by", "status by", "status at"):
        table.add_column(column, justify="right" if column == "version" else "left")
    for item in versions:
        when = ns_to_datetime(item.status_at).strftime("%Y-%m-%d %H:%M:%S UTC")
        table.add_row(
            item.name,
            str(item.version),
            item.status.value,
            item.sha256[:12],
            item.created_by,
            item.status_by,
            when,
        )
    return table
