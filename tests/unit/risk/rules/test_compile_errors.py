"""Every way a rule set document is refused, each with its one-line message."""

from __future__ import annotations

import pytest

from bankstack.risk.errors import RuleSetInvalid
from bankstack.risk.rules import compile_ruleset
from tests.unit.risk.rules.texts import rule, ruleset_text

GOOD = rule("R_OK", "amount > 100")

CASES = [
    pytest.param(
        "name = 'x'\nversion = = 2\n",
        "not valid TOML: Invalid value (at line 2, column 11)",
        id="toml-syntax",
    ),
    pytest.param(
        ruleset_text(GOOD) + "colour = 'blue'\n",
        "rule R_OK: unknown key 'colour'",
        id="unknown-rule-key",
    ),
    pytest.param(
        "thershold = 1\n" + ruleset_text(GOOD),
        "the rule set: unknown key 'thershold'",
        id="unknown-top-key",
    ),
    pytest.param(
        ruleset_text(GOOD, name="Default Rules"),
        "name 'Default Rules' must match [a-z][a-z0-9_-]* (at most 48 characters)",
        id="bad-name",
    ),
    pytest.param(
        ruleset_text(GOOD, version=0),
        "the rule set: version must be an integer from 1 to 999999",
        id="version-zero",
    ),
    pytest.param(
        ruleset_text(),
        "the rule set needs at least one [[rules]] table",
        id="no-rules",
    ),
    pytest.param(
        ruleset_text(GOOD, thresholds=(300, 300, 800)),
        "thresholds: challenge_at < review_at < reject_at is required, got 300, 300, 800",
        id="thresholds-not-increasing",
    ),
    pytest.param(
        ruleset_text(GOOD, thresholds=(300, 550, 1001)),
        "thresholds: reject_at must be an integer from 0 to 1000",
        id="threshold-out-of-range",
    ),
    pytest.param(
        ruleset_text(GOOD, GOOD),
        "rule R_OK: the id is used twice",
        id="duplicate-id",
    ),
    pytest.param(
        ruleset_text(rule("card testing", "amount > 1")),
        "rule #1: id 'card testing' must look like R_UPPER_CASE_WORDS",
        id="bad-id",
    ),
    pytest.param(
        ruleset_text(rule("R_X", "amount > 1", points=True)),
        "rule R_X: points must be an integer from 0 to 1000",
        id="points-bool",
    ),
    pytest.param(
        ruleset_text(rule("R_X", "amount > 1", points=-5)),
        "rule R_X: points must be an integer from 0 to 1000",
        id="points-negative",
    ),
    pytest.param(
        ruleset_text(rule("R_X", "amount > 1", outcome="accept")),
        "rule R_X: outcome 'accept' is not one of challenge, review, reject",
        id="outcome-accept",
    ),
    pytest.param(
        ruleset_text(rule("R_X", "amount > 1", kinds=["payment", "refund"])),
        "rule R_X: kind 'refund' is not one of account_change, loan_application, login, "
        "payment, transfer",
        id="unknown-kind",
    ),
    pytest.param(
        ruleset_text(rule("R_X", "amount > 1", kinds=[])),
        "rule R_X: kinds must be a non-empty list of event kinds",
        id="empty-kinds",
    ),
    pytest.param(
        ruleset_text(rule("R_X", "amount > 1", enabled="yes")),
        "rule R_X: enabled must be true or false",
        id="enabled-string",
    ),
    pytest.param(
        ruleset_text(rule("R_X", "amount > 1", reason="   ")),
        "rule R_X: reason must be one line of 1 to 300 chars",
        id="blank-reason",
    ),
    pytest.param(
        ruleset_text(rule("R_X", 42)),
        "rule R_X: when must be a string",
        id="when-not-string",
    ),
    pytest.param(
        ruleset_text(rule("R_X", "amount >")),
        "rule R_X: CEL syntax error at 1:9: mismatched input '<EOF>' expecting",
        id="cel-syntax",
    ),
    pytest.param(
        ruleset_text(rule("R_X", "amount > 1 && balance < 5")),
        "rule R_X: 'balance' is not a feature of the catalog",
        id="unknown-feature",
    ),
    pytest.param(
        ruleset_text(rule("R_X", "amount > 'many'")),
        "rule R_X: does not evaluate on the catalog's types: TypeError: No such overload",
        id="type-error",
    ),
    pytest.param(
        ruleset_text(rule("R_X", "amount + 1")),
        "rule R_X: must be a boolean condition, it gives a int",
        id="not-boolean",
    ),
    pytest.param(
        ruleset_text(rule("R_X", "attr_income.startsWith('1') || attr_income > 5")),
        "rule R_X: does not evaluate on the catalog's types: TypeError",
        id="attribute-fits-no-type",
    ),
]


@pytest.mark.parametrize(("text", "message"), CASES)
def test_refused_with_its_message(text, message):
    with pytest.raises(RuleSetInvalid) as caught:
        compile_ruleset(text)
    assert caught.value.message.startswith(message)
    assert "\n" not in caught.value.message
    assert caught.value.code == "risk.ruleset_invalid"


def test_the_rule_is_named_in_the_details():
    with pytest.raises(RuleSetInvalid) as caught:
        compile_ruleset(ruleset_text(GOOD, rule("R_BAD", "nope > 1")))
    assert caught.value.details == {"rule": "R_BAD"}


def test_a_value_error_on_the_sample_is_not_a_type_error():
    # The probe evaluates with every count at 1: dividing by (count - 1) fails on the value,
    # not the types, so the rule is valid.
    compiled = compile_ruleset(ruleset_text(rule("R_X", "amount / (customer_count_1h - 1) > 5")))
    assert [r.id for r in compiled.rules] == ["R_X"]


def test_attributes_may_be_strings_or_integers():
    compiled = compile_ruleset(
        ruleset_text(
            rule("R_INCOME", "attr_income < 300000", kinds=["loan_application"]),
            rule("R_PURPOSE", "attr_purpose in ['gambling', 'crypto']"),
        )
    )
    assert [r.features for r in compiled.rules] == [("attr_income",), ("attr_purpose",)]
