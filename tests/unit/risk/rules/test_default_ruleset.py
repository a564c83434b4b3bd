"""The rule sets that ship: default.toml compiles, leaves normal traffic alone and catches the
typologies it names; strict.toml is its tightened next version."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankstack.risk.domain.catalog import is_known
from bankstack.risk.domain.decision import FeatureValue, Outcome
from bankstack.risk.domain.event import EventKind
from bankstack.risk.rules import CompiledRuleSet, RuleResult, default_ruleset, strict_ruleset
from tests.unit.risk.rules.texts import quiet_vector, vectors

DEFAULT = default_ruleset()
STRICT = strict_ruleset()


def decide(
    features: Mapping[str, FeatureValue], kind: EventKind, rules: CompiledRuleSet = DEFAULT
) -> tuple[Outcome, RuleResult]:
    """The rules' part of a decision (the engine adds the model's points)."""
    result = rules.evaluate(features, kind)
    assert result.errors == ()
    return rules.outcome_for(min(result.points, 1000)).at_least(result.minimum_outcome), result


def test_the_default_set_compiles_with_at_least_30_rules_over_every_kind():
    assert DEFAULT.name == "default"
    assert DEFAULT.number == 1
    assert len(DEFAULT.rules) >= 30
    assert len({rule.id for rule in DEFAULT.rules}) == len(DEFAULT.rules)
    for kind in EventKind:
        assert len(DEFAULT.applicable(kind)) >= 4, kind
    assert all(is_known(name) for rule in DEFAULT.rules for name in rule.features)
    assert all(rule.reason.endswith(".") for rule in DEFAULT.rules)


# Ordinary traffic: an established customer, amounts near their usual, a known device or an
# occasional new one, a few events a day.
normal_money = st.fixed_dictionaries(
    {
        "amount": st.integers(100, 300_000),
        "event_hour": st.integers(0, 23),
        "amount_is_round": st.booleans(),
        "customer_count_1m": st.integers(0, 1),
        "customer_count_1h": st.integers(0, 4),
        "customer_count_24h": st.integers(0, 12),
        "customer_count_30d": st.integers(0, 200),
        "customer_distinct_payees_1m": st.integers(0, 1),
        "customer_distinct_payees_1h": st.integers(0, 3),
        "device_count_1m": st.integers(0, 1),
        "device_distinct_customers_24h": st.integers(0, 1),
        "ip_distinct_customers_1h": st.integers(0, 3),
        "payee_distinct_payers_24h": st.integers(0, 3),
        "payee_distinct_payers_1h": st.integers(0, 1),
        "device_customers_total": st.integers(1, 2),
        "phone_customers_total": st.integers(1, 2),
        "customer_devices_30d": st.integers(1, 3),
        "customer_ips_24h": st.integers(1, 3),
        "is_new_payee": st.booleans(),
        "is_new_ip": st.booleans(),
        "customer_received_1h": st.integers(0, 50_000),
        "customer_received_24h": st.integers(0, 400_000),
        "account_age_days": st.integers(60, 4000),
        "customer_events_total": st.integers(20, 5000),
        "amount_zscore": st.floats(-1.5, 2.5),
        "amount_to_mean": st.floats(0.05, 3.0),
        "seconds_since_device_change": st.sampled_from([-1, 5_000_000, 40_000_000]),
    }
)


@given(
    features=normal_money,
    kind=st.sampled_from([EventKind.PAYMENT, EventKind.TRANSFER]),
)
def test_normal_payments_and_transfers_are_accepted(features, kind):
    outcome, result = decide(quiet_vector(kind.value, **features), kind)
    assert outcome is Outcome.ACCEPT, result.fired
    assert result.points < DEFAULT.thresholds.challenge_at


@given(
    new_device=st.booleans(),
    new_ip=st.booleans(),
    ips=st.integers(1, 3),
    logins=st.integers(0, 2),
    ip_logins=st.integers(0, 5),
    ip_customers=st.integers(0, 4),
    kind=st.sampled_from([EventKind.LOGIN, EventKind.ACCOUNT_CHANGE, EventKind.LOAN_APPLICATION]),
)
def test_normal_logins_changes_and_applications_are_accepted(
    new_device, new_ip, ips, logins, ip_logins, ip_customers, kind
):
    vector = quiet_vector(
        kind.value,
        is_new_device=new_device and kind is EventKind.LOGIN,  # a new phone: log in first
        is_new_ip=new_ip,
        customer_ips_24h=ips,
        customer_count_1m=logins,
        ip_count_1m=ip_logins,
        ip_distinct_customers_1h=ip_customers,
        ip_distinct_customers_24h=ip_customers,
        amount=2_000_000 if kind is EventKind.LOAN_APPLICATION else 0,
    )
    outcome, result = decide(vector, kind)
    assert outcome is Outcome.ACCEPT, result.fired


TYPOLOGIES = [
    pytest.param(
        "payment",
        {"customer_count_1m": 6, "amount": 300, "customer_distinct_payees_1m": 3},
        Outcome.CHALLENGE,
        {"R_CARD_TESTING"},
        id="card-testing",
    ),
    pytest.param(
        "payment",
        {"customer_count_1m": 14, "amount": 200, "customer_distinct_payees_1m": 7},
        Outcome.REJECT,
        {"R_CARD_TESTING", "R_CARD_TESTING_SEVERE", "R_PAYEE_SPREE_1M"},
        id="card-testing-severe",
    ),
    pytest.param(
        "transfer",
        {"is_new_device": True, "is_new_ip": True, "is_new_payee": True, "amount": 800_000,
         "amount_to_mean": 53.0, "amount_zscore": 9.5, "seconds_since_device_change": 600},
        Outcome.REJECT,
        {"R_ATO_NEW_DEVICE_IP_PAYEE", "R_ATO_DEVICE_JUST_CHANGED", "R_ATO_NEW_DEVICE_LARGE"},
        id="account-takeover",
    ),
    pytest.param(
        "transfer",
        {"payee_distinct_payers_24h": 14, "payee_distinct_payers_1h": 6, "is_new_payee": True},
        Outcome.REVIEW,
        {"R_MULE_FAN_IN", "R_MULE_FAN_IN_FAST"},
        id="mule-fan-in",
    ),
    pytest.param(
        "transfer",
        {"customer_received_1h": 900_000, "amount": 880_000, "is_new_payee": True},
        Outcome.REVIEW,
        {"R_PASS_THROUGH"},
        id="pass-through",
    ),
    pytest.param(
        "transfer",
        {"amount_near_threshold": True, "customer_count_24h": 3, "amount": 4_800_000},
        Outcome.REVIEW,
        {"R_STRUCTURING", "R_NEAR_THRESHOLD"},
        id="structuring",
    ),
    pytest.param(
        "login",
        {"ip_count_1m": 45, "ip_distinct_customers_1h": 30, "is_new_device": True,
         "is_new_ip": True},
        Outcome.REJECT,
        {"R_LOGIN_IP_BURST", "R_LOGIN_IP_MANY_ACCOUNTS", "R_LOGIN_NEW_DEVICE_IP"},
        id="credential-stuffing",
    ),
    pytest.param(
        "transfer",
        {"account_age_days": 2, "amount": 900_000, "is_new_payee": True,
         "customer_received_24h": 950_000},
        Outcome.REVIEW,
        {"R_NEW_ACCOUNT_LARGE", "R_NEW_ACCOUNT_PASS_ON", "R_PASS_THROUGH_24H"},
        id="new-account-moves-money",
    ),
    pytest.param(
        "loan_application",
        {"device_distinct_customers_30d": 4, "device_customers_total": 6,
         "account_age_days": 3, "phone_customers_total": 3},
        Outcome.REJECT,
        {"R_LOAN_DEVICE_MANY_APPLICANTS", "R_DEVICE_SHARED", "R_LOAN_NEW_ACCOUNT",
         "R_PHONE_SHARED"},
        id="loan-application-farm",
    ),
    pytest.param(
        "account_change",
        {"is_new_device": True, "is_new_ip": True, "seconds_since_device_change": 120},
        Outcome.CHALLENGE,
        {"R_ACCOUNT_CHANGE_NEW_DEVICE_IP", "R_ACCOUNT_CHANGE_AFTER_DEVICE_CHANGE"},
        id="takeover-changes-details",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "features", "outcome", "fired"), TYPOLOGIES)
def test_each_typology_is_caught(kind, features, outcome, fired):
    got, result = decide(quiet_vector(kind, event_hour=3, **features), EventKind(kind))
    assert got is outcome, result.fired
    assert fired <= set(result.fired)


def test_strict_is_the_next_version_of_default_with_the_same_rules():
    assert (STRICT.name, STRICT.number) == ("default", 2)
    assert [rule.id for rule in STRICT.rules] == [rule.id for rule in DEFAULT.rules]
    changed = {a.id for a, b in zip(DEFAULT.rules, STRICT.rules, strict=True) if a != b}
    assert changed == {
        "R_CARD_TESTING",
        "R_MULE_FAN_IN",
        "R_PASS_THROUGH",
        "R_AMOUNT_ZSCORE",
        "R_NEW_ACCOUNT_LARGE",
    }


@given(features=vectors, kind=st.sampled_from(EventKind))
def test_strict_is_never_milder_than_default(features, kind):
    default_outcome, default_result = decide(features, kind)
    strict_outcome, strict_result = decide(features, kind, STRICT)
    assert set(default_result.fired) <= set(strict_result.fired)
    assert strict_outcome.severity >= default_outcome.severity
