"""``bankstack risk backtest``: simulated traffic (tables, JSON, a candidate model from a
registry), recorded decisions and case labels on SQLite and PostgreSQL, and bad input as one
line with exit status 2."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from bankstack.entrypoints.cli import app
from bankstack.kernel.clock import datetime_to_ns
from bankstack.kernel.ids import new_id
from bankstack.kernel.money import Money
from bankstack.platform.database import make_engine
from bankstack.platform.migrations import upgrade
from bankstack.risk.adapters.cases_sql import SqlCaseStore
from bankstack.risk.adapters.decisions_sql import SqlDecisionLog
from bankstack.risk.cases.labels import Label
from bankstack.risk.domain.event import EventKind
from bankstack.risk.rules import default_ruleset, strict_ruleset
from tests.unit.risk.backtest.kit import StubModel, event, recorded, vector

runner = CliRunner()
PAY, TRANSFER, LOGIN = EventKind.PAYMENT, EventKind.TRANSFER, EventKind.LOGIN
DAY = ("--since", "2041-03-03", "--until", "2041-03-04")
NOON = datetime_to_ns(datetime(2041, 3, 3, 12, tzinfo=UTC))


def backtest(*args: str) -> Result:
    return runner.invoke(app, ["risk", "backtest", *args])


def as_json(*args: str) -> dict[str, Any]:
    result = backtest(*args, "--json")
    assert result.exit_code == 0, result.output
    body: dict[str, Any] = json.loads(result.stdout)
    return body


def one_error_line(result: Result) -> str:
    lines: list[str] = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0].removeprefix("error: ")


def test_simulated_traffic_prints_the_tables():
    result = backtest("--simulate", "2", "--ruleset", "strict")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "simulated traffic (2 days, seed 7, 300 customers; synthetic data)" in out
    assert f"candidate: rules {strict_ruleset().version}" in out
    for shown in ("Outcomes", "Transitions", "challenge", "catch rate", "money at risk", "CNY"):
        assert shown in out, shown
    assert "Labelled:" in out
    assert "no labels" not in out


def test_simulated_json_parses_and_the_default_rules_change_nothing():
    same = as_json("--simulate", "2")
    assert same["source"] == {"kind": "simulated", "days": 2, "seed": 7, "customers": 300}
    assert same["events"] == same["labelled"] > 1000
    assert (same["changed"], same["score_changed"]) == (0, 0)
    assert same["baseline"]["rulesets"] == [default_ruleset().version]
    stricter = as_json("--simulate", "2", "--ruleset", "strict")
    assert stricter["events"] == same["events"]
    assert stricter["changed"] > 0
    assert stricter["candidate"]["ruleset"] == strict_ruleset().version
    base, cand = stricter["baseline"]["performance"], stricter["candidate"]["performance"]
    assert cand["catch_rate"]["part"] >= base["catch_rate"]["part"]
    assert cand["fraud"] == base["fraud"] > 0


def test_a_candidate_model_from_the_registry(tmp_path: Path):
    from bankstack.risk.models.fraud import FraudConfig  # noqa: PLC0415
    from bankstack.risk.models.gbm import GbmParams  # noqa: PLC0415
    from bankstack.risk.models.registry import ModelRegistry  # noqa: PLC0415
    from bankstack.risk.models.training import train_fraud_model  # noqa: PLC0415
    from tests.unit.risk.models.test_fraud import WORLD  # noqa: PLC0415

    config = FraudConfig(simulation=WORLD, holdout_days=2, params=GbmParams(trees=20))
    trained, _ = train_fraud_model(ModelRegistry(tmp_path), config)
    version = trained.manifest.version
    body = as_json("--simulate", "2", "--model", version, "--registry", str(tmp_path))
    assert body["candidate"]["model"] == version
    assert body["candidate"]["degraded"] == 0
    assert body["baseline"]["models"] == []
    assert body["score_changed"] > 0


def _history(db_url: str, *, labelled: bool) -> dict[str, str]:
    """Six decisions recorded by the default rules, one with a model answer; labels for four."""
    tag = f"{new_id():x}"[-10:]
    cases = {
        "card": (PAY, 1_500, {"customer_count_1m": 4}, 1),
        "fan-in": (TRANSFER, 15_000, {"payee_distinct_payers_24h": 7}, 0),
        "quiet": (PAY, 15_000, {}, 1),
        "pass": (TRANSFER, 75_000, {"customer_received_1h": 100_000}, 0),
        "modelled": (PAY, 12_875, {}, None),
        "login": (LOGIN, None, {}, None),
    }
    upgrade(db_url)
    engine = make_engine(db_url)
    ids, labels = {}, []
    try:
        log = SqlDecisionLog(engine)
        for i, (name, (kind, minor, overrides, label)) in enumerate(cases.items()):
            ids[name] = f"{name}-{tag}"
            amount = None if minor is None else Money(minor, "CNY")
            happened = event(ids[name], kind, amount)
            features = vector(kind, **overrides, **({} if minor is None else {"amount": minor}))
            model = ("stub-1", StubModel().score(features)) if name == "modelled" else None
            stored = recorded(happened, features, default_ruleset(), model)
            log.append(dataclasses.replace(stored.decision, decided_at=NOON + i), happened)
            if label is not None:
                labels.append(
                    Label(
                        event_id=ids[name],
                        label=label,
                        source="import",
                        case_id=None,
                        labelled_at=NOON,
                    )
                )
        if labelled:
            with SqlCaseStore(engine).write() as uow:
                uow.labels.record(labels)
                uow.commit()
    finally:
        engine.dispose()
    return ids


def test_recorded_decisions_and_case_labels(db_url: str):
    _history(db_url, labelled=True)
    db = ("--database-url", db_url, *DAY)
    same = as_json(*db)
    assert same["source"]["kind"] == "database"
    assert (same["events"], same["changed"], same["score_changed"]) == (6, 0, 0)
    assert same["baseline"]["models"] == ["stub-1"]  # replayed from the stored answer

    body = as_json(*db, "--ruleset", "strict")
    assert (body["events"], body["changed"], body["labelled"]) == (6, 3, 4)
    assert body["transitions"]["accept"] == {"accept": 2, "challenge": 2, "review": 1, "reject": 0}
    assert body["transitions"]["challenge"]["challenge"] == 1  # the model: 0.875 x 400 points
    base, cand = body["baseline"]["performance"], body["candidate"]["performance"]
    assert (base["fraud"], base["legitimate"]) == (2, 2)
    assert base["catch_rate"] == {"part": 0, "whole": 2, "value": "0.0000"}
    assert base["money_at_risk"] == [{"asset": "CNY", "minor": 16_500, "amount": "165.00"}]
    assert base["friction"] == []
    assert cand["challenge_rate"] == {"part": 1, "whole": 2, "value": "0.5000"}  # card testing
    assert cand["false_positive_rate"] == {"part": 2, "whole": 2, "value": "1.0000"}
    assert cand["money_at_risk"] == [{"asset": "CNY", "minor": 15_000, "amount": "150.00"}]
    assert cand["friction"] == [{"asset": "CNY", "minor": 75_000, "amount": "750.00"}]

    shown = backtest(*db, "--ruleset", "strict")
    assert shown.exit_code == 0, shown.output
    assert "Backtest of 6 decisions from the database" in shown.stdout
    assert "Labelled: 4 (2 fraud, 2 legitimate)" in shown.stdout
    assert "50.00% (1/2)" in shown.stdout


def test_without_labels_the_output_says_so(sqlite_url: str):
    _history(sqlite_url, labelled=False)
    db = ("--database-url", sqlite_url, *DAY, "--ruleset", "strict")
    shown = backtest(*db)
    assert shown.exit_code == 0, shown.output
    assert "no labels" in shown.stdout
    assert "n/a" in shown.stdout
    body = as_json(*db)
    assert body["labelled"] == 0
    assert body["candidate"]["performance"] is None
    empty = backtest("--database-url", sqlite_url, "--since", "2030-01-01", "--until", "2030-02-01")
    assert empty.exit_code == 0, empty.output
    assert "no decisions to replay" in empty.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--ruleset", "/nonexistent/rules.toml"),
            "--ruleset: cannot read /nonexistent/rules.toml",
        ),
        (("--since", "yesterday"), "--since: not an ISO date or time: 'yesterday'"),
        (("--since", "2026-01-02", "--until", "2026-01-01"), "--until must be later than --since"),
        (("--model", "fraud-000000000000", "--registry", "/nonexistent"), "no model"),
        (("--database-url", "sqlite:///x.db"), "--simulate replays simulated traffic"),
        (("--customers", "5"), "--simulate: 5 customers are too few"),
    ],
)
def test_bad_input_is_one_line_and_status_2(args: tuple[str, ...], message: str):
    result = backtest("--simulate", "2", *args)
    assert result.exit_code == 2, result.output
    assert one_error_line(result).startswith(message)


def test_a_rule_set_that_does_not_compile_is_bad_input(tmp_path: Path):
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "broken"\nversion = 1\n', encoding="utf-8")
    result = backtest("--simulate", "2", "--ruleset", str(broken))
    assert result.exit_code == 2
    assert one_error_line(result).startswith(f"--ruleset {broken}: ")
