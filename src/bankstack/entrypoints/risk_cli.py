"""``bankstack risk ...``: train and evaluate models, manage rule sets, run backtests.

Registered on the main command by cli.py. Every command prints readable output (Rich), has
``--help``, and reports bad input as one line with exit status 2 (``typer.BadParameter``)
and failures as one line with exit status 1.
"""

from __future__ import annotations

import typer

from bankstack.entrypoints.risk_backtest_cli import backtest
from bankstack.entrypoints.risk_models_cli import evaluate, train
from bankstack.entrypoints.risk_rules_cli import rules_app

risk_app = typer.Typer(
    help="Risk engine: train and evaluate models, manage rule sets, backtest.",
    no_args_is_help=True,
)
risk_app.add_typer(rules_app, name="rules")
risk_app.command("train")(train)
risk_app.command("evaluate")(evaluate)
risk_app.command("backtest")(backtest)
