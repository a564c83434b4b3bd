"""Evaluating a compiled rule set: points, hits, hard outcomes, kinds, errors, thresholds."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankstack.risk.domain.decision import Outcome, Reason, ReasonSource
from bankstack.risk.domain.event import EventKind
from bankstack.risk.errors import RuleSetInvalid
from bankstack.risk.rules import RuleError, RuleHit, Thresholds, compile_ruleset, default_ruleset
from tests.unit.risk.rules.texts import quiet_vector, rule, ruleset_text, vectors

TEXT = ruleset_text(
    rule("R_BIG", "amount >= 100000", points=200, reason="A big amount."),
    rule("R_NEW_PAYEE", "is_new_payee", points=50, kinds=["transfer"]),
    rule("R_BURST", "customer_count_1m >= 5", points=300, outcome="review"),
    rule("R_NIGHT", "event_hour < 5", points=10, outcome="challenge"),
    rule("R_OFF", "amount > 0", points=999, enabled=False),
    name="unit",
    version=3,
)
RULES = compile_ruleset(TEXT)


def test_fired_rules_add_their_points_and_the_most_severe_outcome_wins():
    vector = quiet_vector(
        "transfer", amount=150_000, is_new_payee=True, customer_count_1m=6, event_hour=2
    )
    result = RULES.evaluate(vector, EventKind.TRANSFER)
    assert result.fired == ("R_BIG", "R_NEW_PAYEE", "R_BURST", "R_NIGHT")
    assert result.points == 200 + 50 + 300 + 10
    assert result.minimum_outcome is Outcome.REVIEW
    assert result.errors == ()
    assert result.hits[0] == RuleHit("R_BIG", 200, None, "A big amount.")


def test_a_hit_is_what_the_engine_turns_into_a_reason():
    hit = RULES.evaluate(quiet_vector("payment", amount=100_000), EventKind.PAYMENT).hits[0]
    reason = Reason(code=hit.id, source=ReasonSource.RULE, text=hit.reason, points=hit.points)
    assert reason == Reason("R_BIG", ReasonSource.RULE, "A big amount.", 200)


def test_nothing_fires_on_quiet_features():
    result = RULES.evaluate(quiet_vector("transfer", event_hour=12), EventKind.TRANSFER)
    assert (result.points, result.hits, result.minimum_outcome) == (0, (), Outcome.ACCEPT)


def test_rules_apply_to_their_kinds_only_and_disabled_rules_never():
    vector = quiet_vector("payment", is_new_payee=True, amount=5, event_hour=12)
    assert RULES.evaluate(vector, EventKind.PAYMENT).fired == ()
    assert RULES.evaluate(vector, EventKind.TRANSFER).fired == ("R_NEW_PAYEE",)
    assert [r.id for r in RULES.applicable(EventKind.LOGIN)] == ["R_BIG", "R_BURST", "R_NIGHT"]
    assert RULES.rules[-1].enabled is False


def test_a_disabled_rule_is_still_checked():
    with pytest.raises(RuleSetInvalid, match="rule R_OFF: 'nope' is not a feature"):
        compile_ruleset(ruleset_text(rule("R_OFF", "nope > 1", enabled=False)))


def test_the_version_names_the_set_and_the_text():
    digest = hashlib.sha256(TEXT.encode()).hexdigest()
    assert RULES.version == f"unit@3+{digest[:12]}"
    assert (RULES.name, RULES.number, RULES.sha256, RULES.text) == ("unit", 3, digest, TEXT)
    assert compile_ruleset(TEXT + "\n# a comment\n").version != RULES.version


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ({"amount": "lots"}, "TypeError: No such overload"),
        ({"amount": None}, "TypeError: No such overload"),
        ({"amount": object()}, "ValueError: Conversion Error"),
    ],
    ids=["string", "none", "object"],
)
def test_a_rule_that_errors_counts_as_not_fired_and_is_reported(features, message):
    vector = quiet_vector("payment", customer_count_1m=9, event_hour=12) | features
    result = RULES.evaluate(vector, EventKind.PAYMENT)
    assert result.fired == ("R_BURST",)  # the other rules still run
    assert [error.id for error in result.errors] == ["R_BIG"]
    assert result.errors[0].message.startswith(message)
    assert "\n" not in result.errors[0].message


def test_arithmetic_errors_are_reported_not_raised():
    rules = compile_ruleset(
        ruleset_text(
            rule("R_RATIO", "amount / customer_count_1h > 10"),
            rule("R_DOUBLE", "amount * 4 > 0"),
        )
    )
    vector = quiet_vector("payment", amount=2**62, customer_count_1h=0)
    result = rules.evaluate(vector, EventKind.PAYMENT)
    assert result.fired == ()
    assert result.errors == (
        RuleError("R_RATIO", "ZeroDivisionError: division by zero in CEL expression"),
        RuleError("R_DOUBLE", f"OverflowError: Arithmetic overflow in 'mul' on {2**62} and 4"),
    )


def test_a_missing_feature_matters_only_when_the_rule_needs_it():
    rules = compile_ruleset(
        ruleset_text(
            rule("R_EITHER", "is_new_device || attr_income < 1000"),
            rule("R_BOTH", "is_new_device && attr_income < 1000"),
        )
    )
    vector = quiet_vector("loan_application", is_new_device=True)  # no attr_income
    result = rules.evaluate(vector, EventKind.LOAN_APPLICATION)
    assert result.fired == ("R_EITHER",)
    assert result.errors == (
        RuleError("R_BOTH", "RuntimeError: Undefined variable or function: 'attr_income'"),
    )
    vector["attr_income"] = 500
    assert rules.evaluate(vector, EventKind.LOAN_APPLICATION).fired == ("R_EITHER", "R_BOTH")


THRESHOLDS = Thresholds(challenge_at=300, review_at=550, reject_at=800)


@pytest.mark.parametrize(
    ("score", "outcome"),
    [
        (0, Outcome.ACCEPT),
        (299, Outcome.ACCEPT),
        (300, Outcome.CHALLENGE),
        (549, Outcome.CHALLENGE),
        (550, Outcome.REVIEW),
        (799, Outcome.REVIEW),
        (800, Outcome.REJECT),
        (1000, Outcome.REJECT),
    ],
)
def test_thresholds_turn_a_score_into_an_outcome(score, outcome):
    assert THRESHOLDS.outcome_for(score) is outcome
    assert RULES.outcome_for(score) is outcome


@given(
    cuts=st.lists(st.integers(0, 1000), min_size=3, max_size=3, unique=True).map(sorted),
    scores=st.tuples(st.integers(0, 1000), st.integers(0, 1000)).map(sorted),
)
def test_a_higher_score_never_gets_a_milder_outcome(cuts, scores):
    thresholds = Thresholds(*cuts)
    low, high = scores
    assert thresholds.outcome_for(low).severity <= thresholds.outcome_for(high).severity
    assert thresholds.outcome_for(cuts[0]) is Outcome.CHALLENGE
    assert thresholds.outcome_for(cuts[2]) is Outcome.REJECT


@given(features=vectors, kind=st.sampled_from(EventKind))
def test_the_default_set_on_any_well_typed_vector(features, kind):
    rules = default_ruleset()
    result = rules.evaluate(features, kind)
    applicable = [rule.id for rule in rules.applicable(kind)]
    assert result.errors == ()  # well-typed features never make a default rule fail
    assert list(result.fired) == [rid for rid in applicable if rid in result.fired]
    assert result.points == sum(hit.points for hit in result.hits)
    forced = [hit.outcome for hit in result.hits if hit.outcome is not None]
    assert result.minimum_outcome.severity == max((o.severity for o in forced), default=0)
