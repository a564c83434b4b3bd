"""Replay: the versions that decided give back every recorded decision exactly; a stricter rule
set changes exactly the decisions it should; a candidate model scores only its kinds."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from functools import cache

import pytest

from bankstack.kernel.money import Money
from bankstack.risk.adapters.decisions_sql import MemoryDecisionLog, StoredDecision
from bankstack.risk.backtest import (
    CandidateModel,
    recorded_answer,
    replay,
    replay_one,
    simulation_config,
    summarise,
)
from bankstack.risk.backtest.simulated import decide_stream
from bankstack.risk.domain.decision import Decision, Outcome, ReasonSource
from bankstack.risk.domain.event import EventKind
from bankstack.risk.engine import MAX_MODEL_REASONS, Assessment, model_points
from bankstack.risk.rules import default_ruleset, strict_ruleset
from bankstack.risk.service import FixedRuleSets
from bankstack.risk.simulator import simulate
from tests.unit.risk.backtest.kit import StubModel, event, recorded, vector

MONEY_KINDS = (EventKind.PAYMENT, EventKind.TRANSFER)


def _simulated(model: StubModel) -> list[StoredDecision]:
    """Two simulated days decided by the default rules and ``model`` on money events."""
    log = MemoryDecisionLog()
    decide_stream(
        simulate(simulation_config(2, seed=5, customers=150)),
        rulesets=FixedRuleSets(default_ruleset()),
        log=log,
        models=dict.fromkeys(MONEY_KINDS, model),
    )
    return log.decisions


@cache
def sick_history() -> tuple[StoredDecision, ...]:
    return tuple(_simulated(StubModel(fails_every=11)))


def _same(decision: Decision, again: Assessment) -> None:
    assert (again.outcome, again.score, again.reasons, again.rules_fired) == (
        decision.outcome,
        decision.score,
        decision.reasons,
        decision.rules_fired,
    ), decision.decision_id
    assert (again.model_version, again.model_probability, again.degraded) == (
        decision.model_version,
        decision.model_probability,
        decision.degraded,
    ), decision.decision_id


def test_the_recorded_versions_reproduce_every_decision_exactly():
    history = sick_history()
    decisions = [stored.decision for stored in history]
    # The history is not trivial: every outcome, cut model reasons, degraded decisions.
    assert {d.outcome for d in decisions} == set(Outcome)
    assert any(d.degraded for d in decisions)
    assert any(d.model_probability == 0.0 for d in decisions)
    model_reasons = [sum(r.source is ReasonSource.MODEL for r in d.reasons) for d in decisions]
    assert max(model_reasons) == MAX_MODEL_REASONS
    replayed = list(replay(history, default_ruleset()))
    assert len(replayed) == len(history)
    for item in replayed:
        _same(item.baseline, item.candidate)
    report = summarise(replayed, {}, candidate_ruleset=default_ruleset().version)
    assert (report.changed, report.score_changed) == (0, 0)


def test_the_same_model_as_candidate_reproduces_too():
    history = _simulated(StubModel())
    candidate = CandidateModel(StubModel(), frozenset(MONEY_KINDS))
    for item in replay(history, default_ruleset(), candidate):
        _same(item.baseline, item.candidate)


def test_a_stricter_candidate_changes_the_expected_decisions():
    pay, transfer = EventKind.PAYMENT, EventKind.TRANSFER
    cases = {
        # strict: card testing from 4 payments a minute up to 20.00 (default: 5, up to 10.00)
        "card": (pay, vector(pay, customer_count_1m=4, amount=1_500)),
        # strict: a fan-in of 6 payers (default: 10)
        "fan-in": (transfer, vector(transfer, payee_distinct_payers_24h=7)),
        # 250 points: under the default's challenge threshold (300), at the strict one (250)
        "spree": (pay, vector(pay, customer_distinct_payees_1m=4)),
        # strict: 3 standard deviations (default: 4), but 200 points stay an accept
        "zscore": (transfer, vector(transfer, amount_zscore=3.5)),
        "quiet": (pay, vector(pay)),
    }
    history = [
        recorded(event(name, kind), features, default_ruleset())
        for name, (kind, features) in cases.items()
    ]
    assert {stored.decision.outcome for stored in history} == {Outcome.ACCEPT}
    replayed = {item.event.event_id: item for item in replay(history, strict_ruleset())}
    got = {name: (item.candidate.outcome, item.candidate.score) for name, item in replayed.items()}
    assert got == {
        "card": (Outcome.CHALLENGE, 350),
        "fan-in": (Outcome.CHALLENGE, 300),
        "spree": (Outcome.CHALLENGE, 250),
        "zscore": (Outcome.ACCEPT, 200),
        "quiet": (Outcome.ACCEPT, 0),
    }
    assert replayed["card"].candidate.rules_fired == ("R_CARD_TESTING",)
    report = summarise(replayed.values(), {}, candidate_ruleset=strict_ruleset().version)
    assert (report.events, report.changed, report.score_changed) == (5, 3, 3)
    assert dict(report.transitions) == {
        (Outcome.ACCEPT, Outcome.CHALLENGE): 3,
        (Outcome.ACCEPT, Outcome.ACCEPT): 2,
    }
    assert report.baseline_rulesets == (default_ruleset().version,)


def test_a_candidate_model_scores_its_kinds_and_degrades_when_it_fails():
    rules = default_ruleset()
    happened = event("p", amount=Money(12_340, "CNY"))
    pay = recorded(happened, vector(EventKind.PAYMENT, amount=12_340), rules)
    login = recorded(event("l", EventKind.LOGIN), vector(EventKind.LOGIN), rules)
    model = CandidateModel(StubModel("stub-2"), frozenset({EventKind.PAYMENT}))
    scored = replay_one(pay, rules, model).candidate
    # 12 340 % 1000: p = 0.34, worth 0.34 x the rule set's model_points; 12 340 % 7 = 6
    # reasons, cut to 4
    points = model_points(0.34, rules.model_points)
    assert 0 < points < 340  # the default rule set weighs a model answer below 1000 points
    expected = ("stub-2", points, rules.outcome_for(points))
    assert (scored.model_version, scored.score, scored.outcome) == expected
    assert [r.code for r in scored.reasons] == [f"M_STUB_{i}" for i in range(4)]
    kept = replay_one(login, rules, model).candidate
    assert (kept.model_version, kept.score) == (None, login.decision.score)
    sick = CandidateModel(StubModel(fails_every=1), frozenset({EventKind.PAYMENT}))
    degraded = replay_one(pay, rules, sick).candidate
    assert degraded.degraded
    assert degraded.reasons[-1].code == "E_MODEL_DEGRADED"


def test_a_recorded_model_version_without_probability_cannot_be_replayed():
    stored = recorded(event("p"), vector(EventKind.PAYMENT), default_ruleset())
    broken = dataclasses.replace(stored.decision, model_version="m-1")
    with pytest.raises(ValueError, match="without its probability"):
        recorded_answer(broken)
    assert recorded_answer(stored.decision) is None


def test_manifest_kinds_name_the_models_that_exist():
    from bankstack.risk.models import challenger, fraud, scorecard  # noqa: PLC0415

    assert {fraud.KIND, scorecard.KIND, challenger.KIND} == {"fraud", "scorecard", "gbm"}
    model = StubModel()
    assert CandidateModel.for_manifest_kind(model, fraud.KIND).kinds == set(MONEY_KINDS)
    loan = CandidateModel.for_manifest_kind(model, scorecard.KIND).kinds
    assert loan == {EventKind.LOAN_APPLICATION}
    with pytest.raises(ValueError, match="no event kind"):
        CandidateModel.for_manifest_kind(model, "weather")


def test_the_package_imports_no_database_and_no_cli():
    code = (
        "import sys, bankstack.risk.backtest\n"
        "bad = {'sqlalchemy', 'typer', 'psycopg'} & {m.split('.')[0] for m in sys.modules}\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
