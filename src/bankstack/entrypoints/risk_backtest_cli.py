"""``bankstack risk backtest``: what a candidate rule set or model would have decided.

    bankstack risk backtest --ruleset strict                 recorded decisions (the database)
    bankstack risk backtest --ruleset new.toml --since 2026-03-01 --until 2026-04-01
    bankstack risk backtest --model fraud-0123456789ab       the candidate model, same rules
    bankstack risk backtest --simulate 3 --ruleset strict    simulated, labelled traffic
    bankstack risk backtest ... --json                       the report as JSON on stdout

The baseline is the recorded decisions; the candidate decides every recorded event again from
its stored features (risk/backtest). ``--ruleset``: a TOML file, or ``default``/``strict`` (the
shipped sets; ``./default`` names a file), ``default`` when not given, so that a history decided
by it replays with no change. Labels come from resolved cases or the simulator's truth; without
them the rates and money at risk are "n/a", and the output says so. ``--simulate DAYS`` decides
seeded synthetic traffic with the default rules and no model, in memory. Bad input is one line
on stderr and exit status 2; a failure is one line and exit status 1.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Final, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError

from bankstack.entrypoints.cli_options import DatabaseUrl, UsageProblem, err
from bankstack.entrypoints.cli_options import fail as _fail
from bankstack.entrypoints.cli_options import first_line as _first_line
from bankstack.entrypoints.cli_options import settings_from as _settings
from bankstack.kernel.clock import datetime_to_ns
from bankstack.kernel.errors import BankstackError, NotFound, ValidationFailed
from bankstack.platform.database import make_engine
from bankstack.platform.migrations import upgrade
from bankstack.risk.adapters.cases_sql import SqlCaseStore
from bankstack.risk.adapters.decisions_sql import MemoryDecisionLog, SqlDecisionLog
from bankstack.risk.backtest import CandidateModel, Recorded, replay
from bankstack.risk.backtest.metrics import rate, rate_text
from bankstack.risk.backtest.report import (
    BacktestReport,
    outcome_rows,
    performance_rows,
    summarise,
    to_json,
    transition_matrix,
)
from bankstack.risk.backtest.simulated import SIMULATED_CUSTOMERS, decide_stream, simulation_config
from bankstack.risk.domain.decision import Outcome
from bankstack.risk.errors import RuleSetInvalid
from bankstack.risk.rules import CompiledRuleSet, default_ruleset, load_ruleset_file, strict_ruleset
from bankstack.risk.service import FixedRuleSets
from bankstack.risk.simulator import SimulationConfig, simulate

T = TypeVar("T")
Window = tuple[int | None, int | None]  # ns, [since, until)
# The decisions, their labels, how many (None: unknown before reading) and where from.
History = tuple[Iterable[Recorded], Mapping[str, int], int | None, dict[str, object]]

out = Console(highlight=False)

SHIPPED: Final = {"default": default_ruleset, "strict": strict_ruleset}
DEFAULT_REGISTRY: Final = Path("var/models")  # registry.DEFAULT_ROOT, without importing numpy

RuleSetOption = Annotated[
    str, typer.Option("--ruleset", help="candidate rule set: a TOML file, default or strict")
]
ModelOption = Annotated[
    str | None, typer.Option("--model", help="candidate model (default: the recorded answers)")
]
RegistryOption = Annotated[Path, typer.Option("--registry", help="the model registry's directory")]
Since = Annotated[str | None, typer.Option(help="from this ISO date or time (UTC), inclusive")]
Until = Annotated[str | None, typer.Option(help="to this ISO date or time (UTC), exclusive")]
Days = Annotated[
    int | None, typer.Option("--simulate", min=2, help="DAYS of simulated traffic, no database")
]
Seed = Annotated[int, typer.Option("--seed", help="the simulation's seed")]
Customers = Annotated[int, typer.Option("--customers", help="the simulation's customers")]
AsJson = Annotated[bool, typer.Option("--json", help="print the report as JSON")]


def backtest(
    ruleset: RuleSetOption = "default",
    model: ModelOption = None,
    registry: RegistryOption = DEFAULT_REGISTRY,
    since: Since = None,
    until: Until = None,
    database_url: DatabaseUrl = None,
    days: Days = None,
    seed: Seed = 7,
    customers: Customers = SIMULATED_CUSTOMERS,
    as_json: AsJson = False,
) -> None:
    """Replay recorded (or simulated) decisions under a candidate rule set or model."""
    with _one_line(usage=True):
        window = _window(since, until)
        if days is not None and database_url is not None:
            raise UsageProblem("--simulate replays simulated traffic: drop --database-url")
        simulation = None if days is None else _simulation(days, seed, customers)
        candidate = _ruleset(ruleset)
        scorer = None if model is None else _model(model, registry)
    with _one_line(usage=False), _progress(as_json) as progress:
        source = (
            _database(database_url, window)
            if simulation is None
            else _simulated(simulation, window, progress)
        )
        with source as (history, labels, total, described):
            task = progress.add_task("replaying decisions", total=total)
            report = summarise(
                _ticking(replay(history, candidate, scorer), lambda: progress.advance(task)),
                labels,
                candidate_ruleset=candidate.version,
                candidate_model=None if scorer is None else scorer.version,
            )
    if as_json:
        typer.echo(json.dumps({"source": described, **to_json(report)}, indent=2))
    else:
        _print_report(report, described)


def _window(since: str | None, until: str | None) -> Window:
    start, end = _instant(since, "--since"), _instant(until, "--until")
    if start is not None and end is not None and start >= end:
        raise UsageProblem("--until must be later than --since")
    return start, end


def _instant(text: str | None, option: str) -> int | None:
    """An ISO date or date-time as ns; naive means UTC."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageProblem(f"{option}: not an ISO date or time: {text!r}") from None
    return datetime_to_ns(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _ruleset(name_or_path: str) -> CompiledRuleSet:
    shipped = SHIPPED.get(name_or_path)
    if shipped is not None:
        return shipped()
    try:
        return load_ruleset_file(name_or_path)
    except OSError as error:
        problem = error.strerror or str(error)
        raise UsageProblem(f"--ruleset: cannot read {name_or_path}: {problem}") from None
    except RuleSetInvalid as error:
        raise UsageProblem(f"--ruleset {name_or_path}: {error.message}") from None


def _model(version: str, registry: Path) -> CandidateModel:
    from bankstack.risk.models.registry import ModelRegistry  # noqa: PLC0415 - numpy, LightGBM

    models = ModelRegistry(registry)
    manifest = models.manifest(version)
    try:
        return CandidateModel.for_manifest_kind(models.load(version), manifest.kind)
    except ValueError as error:
        raise UsageProblem(f"--model {version}: {error}") from None


def _simulation(days: int, seed: int, customers: int) -> SimulationConfig:
    try:
        return simulation_config(days, seed=seed, customers=customers)
    except ValueError as error:
        raise UsageProblem(f"--simulate: {error}") from None


@contextmanager
def _simulated(config: SimulationConfig, window: Window, progress: Progress) -> Iterator[History]:
    """Simulated traffic decided with the default rules into memory; labels from the truth."""
    stream = list(simulate(config))
    task = progress.add_task(f"deciding {config.days} simulated days", total=len(stream))
    log = MemoryDecisionLog()
    rulesets = FixedRuleSets(default_ruleset())
    labels = decide_stream(stream, rulesets=rulesets, log=log, tick=lambda: progress.advance(task))
    history = list(log.history(window[0] or 0, window[1]))
    described = {"kind": "simulated", "days": config.days, "seed": config.seed}
    yield history, labels, len(history), {**described, "customers": config.customers}


@contextmanager
def _database(url: str | None, window: Window) -> Iterator[History]:
    """The recorded decisions in the window, read a page at a time; labels from the cases."""
    url = _settings(database_url=url).database_url
    upgrade(url)  # idempotent: a fresh install has no decisions rather than no tables
    engine = make_engine(url)
    try:
        with SqlCaseStore(engine).read() as uow:
            labels = uow.labels.all()
        history = SqlDecisionLog(engine).history(window[0] or 0, window[1])
        shown = make_url(url).render_as_string(hide_password=True)
        yield history, labels, None, {"kind": "database", "url": shown}
    finally:
        engine.dispose()


def _print_report(report: BacktestReport, source: Mapping[str, object]) -> None:
    origin = (
        f"simulated traffic ({source['days']} days, seed {source['seed']}, "
        f"{source['customers']} customers; synthetic data)"
        if source["kind"] == "simulated"
        else f"the database {source['url']}"
    )
    if report.events == 0:
        out.print(f"no decisions to replay in {origin}")
        return
    baseline = ", ".join(report.baseline_rulesets)
    models = ", ".join(report.baseline_models) or "none"
    out.print(f"Backtest of {report.events} decisions from {origin}", soft_wrap=True)
    out.print(f"  baseline:  as recorded (rules {baseline}; models {models})", soft_wrap=True)
    model = report.candidate_model or "as recorded"
    out.print(f"  candidate: rules {report.candidate_ruleset}; model {model}", soft_wrap=True)
    outcomes = ("outcome", "baseline", "candidate", "change")
    out.print(_table("Outcomes", outcomes, outcome_rows(report)))
    out.print(_transitions_table(report))
    share = rate_text(rate(report.changed, report.events))
    out.print(f"changed: {share} of decisions; score changed: {report.score_changed}")
    if report.candidate_degraded:
        out.print(f"degraded (no model answer): {report.candidate_degraded}")
    base = report.baseline.performance
    if base is not None:
        title = f"Labelled: {base.labelled} ({base.fraud} fraud, {base.legitimate} legitimate)"
        out.print(_table(title, ("measure", "baseline", "candidate"), performance_rows(report)))
    else:
        out.print(
            "[yellow]no labels[/]: no replayed event has a label (labels come from resolved "
            "cases), so catch rate, false-positive rate and money at risk are n/a"
        )


def _transitions_table(report: BacktestReport) -> Table:
    rows: list[tuple[str, ...]] = []
    for i, counts in enumerate(transition_matrix(report)):
        cells = (_count(n, changed=i != j) for j, n in enumerate(counts))
        rows.append((tuple(Outcome)[i].value, *cells))
    title = "Transitions (rows: baseline, columns: candidate)"
    return _table(title, ("baseline", *(o.value for o in Outcome)), rows)


def _count(count: int, *, changed: bool) -> str:
    return f"[bold yellow]{count}[/]" if count and changed else str(count)


def _table(title: str, columns: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> Table:
    """The first column names the row, the others are figures (right-aligned)."""
    table = Table(title=title, title_justify="left")
    for i, column in enumerate(columns):
        table.add_column(column, justify="right" if i else "left")
    for row in rows:
        table.add_row(*row)
    return table


def _ticking(items: Iterable[T], tick: Callable[[], None]) -> Iterator[T]:
    for item in items:
        yield item
        tick()


def _progress(quiet: bool) -> Progress:
    """A bar on a terminal only (a pipe would get a stray blank line); on stderr under --json,
    so that stdout is the JSON alone."""
    console = err if quiet else out
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    return Progress(
        *columns,
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


@contextmanager
def _one_line(*, usage: bool) -> Iterator[None]:
    """Errors as one line on stderr: exit 2 for bad input, 1 for a failure."""
    bad_input = (UsageProblem, ValidationFailed, NotFound) if usage else (UsageProblem,)
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except bad_input as error:
        raise _fail(getattr(error, "message", str(error)), 2) from None
    except BankstackError as error:
        raise _fail(error.message) from None
    except SQLAlchemyError as error:
        raise _fail(f"database: {_first_line(error)}") from None
    except Exception as error:  # noqa: BLE001 - the contract is: no tracebacks
        raise _fail(f"{type(error).__name__}: {_first_line(error)}") from None
