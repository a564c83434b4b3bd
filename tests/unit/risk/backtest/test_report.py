"""The report on a small hand-made set of labelled decisions equals the numbers worked out by
hand; rates follow one fixed rounding rule; money sums exactly, per currency; no labels is
"n/a", never 0."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from bankstack.kernel.money import Money
from bankstack.risk.backtest import BacktestReport, Rate, summarise, to_json, transition_matrix
from bankstack.risk.backtest.metrics import money_text, performance, rate, rate_text
from bankstack.risk.backtest.report import outcome_rows, performance_rows
from bankstack.risk.domain.decision import Outcome
from bankstack.risk.domain.event import EventKind
from tests.unit.risk.backtest.kit import replayed

A, C, V, R = Outcome.ACCEPT, Outcome.CHALLENGE, Outcome.REVIEW, Outcome.REJECT
PAYMENT = EventKind.PAYMENT


def cny(minor: int) -> Money:
    return Money(minor, "CNY")


# Each event's baseline outcome, candidate outcome and amount.
HAND = {
    "f1": (A, R, cny(10_000)),
    "f2": (A, A, cny(5_000)),
    "f3": (C, V, Money(1_000, "JPY")),
    "f4": (A, C, None),  # a login: counts in the rates, adds no money
    "l5": (A, V, cny(2_000)),
    "l6": (A, A, cny(3_000)),
    "l7": (C, C, Money(500, "JPY")),
    "l8": (V, R, Money(1_234, "USD")),
    "u9": (A, R, cny(9_900)),  # no label: in the outcomes, not in the performance
}
LABELS = {"f1": 1, "f2": 1, "f3": 1, "f4": 1, "l5": 0, "l6": 0, "l7": 0, "l8": 0, "other": 1}


def hand_report() -> BacktestReport:
    items = [
        replayed(name, before, after, amount, EventKind.LOGIN if amount is None else PAYMENT)
        for name, (before, after, amount) in HAND.items()
    ]
    return summarise(items, LABELS, candidate_ruleset="cand@2+abc", candidate_model="m-2")


def test_counts_changes_and_transitions():
    report = hand_report()
    assert (report.events, report.changed, report.labelled) == (9, 6, 8)
    assert dict(report.baseline.outcomes) == {A: 6, C: 2, V: 1, R: 0}
    assert dict(report.candidate.outcomes) == {A: 2, C: 2, V: 2, R: 3}
    assert transition_matrix(report) == (
        (2, 1, 1, 2),  # accept -> accept (f2, l6), challenge (f4), review (l5), reject (f1, u9)
        (0, 1, 1, 0),  # challenge -> challenge (l7), review (f3)
        (0, 0, 0, 1),  # review -> reject (l8)
        (0, 0, 0, 0),
    )
    assert outcome_rows(report) == (
        ("accept", "6", "2", "-4"),
        ("challenge", "2", "2", "+0"),
        ("review", "1", "2", "+1"),
        ("reject", "0", "3", "+3"),
    )


def test_rates_and_money_equal_the_hand_computed_figures():
    report = hand_report()
    base, cand = report.baseline.performance, report.candidate.performance
    assert base is not None
    assert cand is not None
    assert (base.fraud, base.legitimate) == (4, 4)
    # Baseline: no fraud stopped, f3 challenged; l8 stopped and l7 challenged.
    assert (base.catch_rate, base.challenge_rate) == (Rate(0, 4), Rate(1, 4))
    assert base.false_positive_rate == Rate(2, 4)
    assert base.money_at_risk == (cny(15_000),)  # f1 + f2 accepted; f4 has no amount
    assert base.friction == (Money(1_234, "USD"),)
    # Candidate: f1 and f3 stopped, f4 challenged, f2 accepted; l5 and l8 stopped, l7 challenged.
    assert (cand.catch_rate, cand.challenge_rate) == (Rate(2, 4), Rate(1, 4))
    assert cand.false_positive_rate == Rate(3, 4)
    assert cand.money_at_risk == (cny(5_000),)
    assert cand.friction == (cny(2_000), Money(1_234, "USD"))  # sorted by currency
    assert performance_rows(report) == (
        ("catch rate (fraud reviewed or rejected)", "0.00% (0/4)", "50.00% (2/4)"),
        ("fraud challenged", "25.00% (1/4)", "25.00% (1/4)"),
        ("false-positive rate (legit. interrupted)", "50.00% (2/4)", "75.00% (3/4)"),
        ("money at risk (fraud accepted)", "150.00 CNY", "50.00 CNY"),
        ("friction (legit. reviewed or rejected)", "12.34 USD", "20.00 CNY, 12.34 USD"),
    )


def test_the_json_form_carries_the_same_figures():
    body = json.loads(json.dumps(to_json(hand_report())))
    assert body["candidate"]["ruleset"] == "cand@2+abc"
    assert body["candidate"]["model"] == "m-2"
    assert body["baseline"]["rulesets"] == ["hand@1+000000000000"]
    assert body["transitions"]["accept"] == {"accept": 2, "challenge": 1, "review": 1, "reject": 2}
    found = body["candidate"]["performance"]
    assert found["catch_rate"] == {"part": 2, "whole": 4, "value": "0.5000"}
    assert found["friction"] == [
        {"asset": "CNY", "minor": 2_000, "amount": "20.00"},
        {"asset": "USD", "minor": 1_234, "amount": "12.34"},
    ]
    assert body["baseline"]["outcomes"] == {"accept": 6, "challenge": 2, "review": 1, "reject": 0}


def test_money_at_risk_sums_exactly_per_currency():
    # A thousand fen is 10.00 exactly (a float sum of 0.01 is 9.999999999999831).
    cents = [(A, 1, cny(1)) for _ in range(1_000)]
    huge = [(A, 1, Money(9_007_199_254_740_993, "JPY")), (A, 1, Money(1, "JPY"))]  # > 2**53
    bitcoin = [(A, 1, Money(1, "BTC")), (R, 1, Money(10**8, "BTC"))]  # stopped: not at risk
    found = performance([*cents, *huge, *bitcoin])
    assert found.money_at_risk == (
        Money(1, "BTC"),
        cny(1_000),
        Money(9_007_199_254_740_994, "JPY"),
    )
    assert money_text(found.money_at_risk) == "0.00000001 BTC, 10.00 CNY, 9007199254740994 JPY"
    assert money_text(()) == "0"


def test_rates_round_half_even_from_the_exact_fraction():
    assert Rate(1, 3).decimal() == Decimal("0.3333")
    assert Rate(2, 3).decimal() == Decimal("0.6667")
    assert Rate(1, 8).decimal(2) == Decimal("0.12")  # 0.125: half to even
    assert Rate(3, 8).decimal(2) == Decimal("0.38")  # 0.375: half to even
    assert Rate(1, 3).percent() == "33.33%"
    assert Rate(4, 4).percent() == "100.00%"
    assert rate(0, 0) is None
    assert rate_text(None) == "n/a"
    assert rate_text(Rate(1, 6)) == "16.67% (1/6)"
    with pytest.raises(ValueError, match="rate"):
        Rate(3, 2)


def test_without_labels_the_performance_is_not_available():
    items = [replayed(name, b, a, amount) for name, (b, a, amount) in HAND.items() if amount]
    report = summarise(items, {"somebody-else": 1}, candidate_ruleset="cand@2+abc")
    assert not report.has_labels
    assert report.baseline.performance is None
    assert report.candidate.performance is None
    assert performance_rows(report) == ()
    body = to_json(report)
    assert body["baseline"]["performance"] is None
    assert body["candidate"]["performance"] is None
    assert body["labelled"] == 0


def test_a_label_is_zero_or_one():
    with pytest.raises(ValueError, match="label"):
        performance([(A, 2, None)])
