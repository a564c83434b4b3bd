"""A rule reaches its features and nothing else: refused at compile time, not at run time."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankstack.risk.domain.catalog import is_known
from bankstack.risk.domain.decision import FeatureValue
from bankstack.risk.domain.event import EventKind
from bankstack.risk.errors import RuleSetInvalid
from bankstack.risk.rules import compile_ruleset
from bankstack.risk.rules.ruleset import RunnableRule
from tests.unit.risk.rules.texts import quiet_vector, rule, ruleset_text


def refusal(when: str) -> str:
    with pytest.raises(RuleSetInvalid) as caught:
        compile_ruleset(ruleset_text(rule("R_X", when)))
    return caught.value.message


@pytest.mark.parametrize(
    ("when", "message"),
    [
        # names outside the catalog
        ("balance > 100", "'balance' is not a feature of the catalog"),
        ("os == 1", "'os' is not a feature of the catalog"),
        ("__builtins__ == 1", "'__builtins__' is not a feature of the catalog"),
        # field access, on a feature or on anything else
        ("amount.value > 1", "field or method '.value' is not allowed"),
        ("attr_payout.account == 'x'", "field or method '.account' is not allowed"),
        (".amount > 1", "field or method '.amount' is not allowed"),
        ("{'a': 1}.a == 1", "map and message literals are not allowed"),
        (
            "google.protobuf.Int64Value{value: 1} == amount",
            "field or method '.protobuf' is not allowed",
        ),
        ("math.greatest(amount, 1) > 2", "field or method '.greatest' is not allowed"),
        # indexing
        ("kind[0] == 'p'", "indexing is not allowed"),
        ("['a', 'b'][1] == kind", "indexing is not allowed"),
        # macros: has() and the comprehensions (CEL's only loops)
        ("has(amount.x)", "function 'has' is not allowed"),
        ("[1, 2].all(x, x > 0)", "field or method '.all' is not allowed"),
        ("[1].exists(amount, amount > 0)", "field or method '.exists' is not allowed"),
        ("[amount].map(x, x * 2).size() > 0", "field or method '.map' is not allowed"),
        ("[amount].filter(x, x > 1).size() > 0", "field or method '.filter' is not allowed"),
        # functions outside the allow-list
        ("kind.matches('^pay')", "field or method '.matches' is not allowed"),
        ("matches(kind, '^pay')", "function 'matches' is not allowed"),
        ("type(amount) == int", "function 'type' is not allowed"),
        ("dyn(amount) > 1", "function 'dyn' is not allowed"),
        ("string(amount) == '1'", "function 'string' is not allowed"),
        ("timestamp('2026-01-01T00:00:00Z') > now", "function 'timestamp' is not allowed"),
        ("duration('1s') > duration('0s')", "function 'duration' is not allowed"),
        ("__import__('os').system('id') == 0", "function '__import__' is not allowed"),
        ("exec('import os') == 1", "function 'exec' is not allowed"),
        ("getattr(amount, 'real') == 1", "function 'getattr' is not allowed"),
        # cost: a bounded length
        ("amount > 1" + " && amount > 1" * 100, "the condition is longer than 1000 characters"),
    ],
)
def test_refused_at_compile_time(when, message):
    assert refusal(when) == f"rule R_X: {message}"


@pytest.mark.parametrize(
    "when",
    [
        "amount > 100 && customer_count_1m >= 5",
        "kind in ['payment', 'transfer'] || !is_new_device",
        "size(channel) > 2 && channel.size() < 20",
        "channel.startsWith('app.') || channel.endsWith('.web') || channel.contains('pos')",
        "channel == 'a.b' // a comment with a.dot and has(x.y)",
        "r'x.y' == channel || '''z.w''' == channel",
        "double(amount) / double(customer_amount_mean + 1) > 5.0",
        "int(amount_zscore) >= 3",
        "amount % 10000 == 0 ? amount_is_round : -amount < 0",
        "amount > 1.5e3 && 0x10 < amount",
        "attr_purpose in ['gambling', 'crypto']",
    ],
)
def test_allowed(when):
    compiled = compile_ruleset(ruleset_text(rule("R_X", when)))
    assert compiled.rules[0].when == when


CEL_WORDS = {"true", "false", "null", "in", "as", "break", "const", "continue", "else", "for"}
CEL_WORDS |= {"function", "if", "import", "let", "loop", "package", "namespace", "return"}
CEL_WORDS |= {"var", "void", "while", "int", "uint", "double", "bool", "string", "bytes"}
CEL_WORDS |= {"list", "map", "type", "null_type", "dyn"}
names = st.from_regex(re.compile(r"[a-z_][a-z0-9_]{0,15}"), fullmatch=True).filter(
    lambda name: not is_known(name) and name not in CEL_WORDS
)


@given(name=names)
def test_any_name_outside_the_catalog_is_refused(name):
    assert refusal(f"amount > 1 && {name} == 1") == (
        f"rule R_X: '{name}' is not a feature of the catalog"
    )


def test_evaluation_gets_only_the_features_the_rule_names():
    compiled = compile_ruleset(
        ruleset_text(
            rule("R_A", "amount >= 10000 && is_new_payee"),
            rule("R_B", "customer_count_1m > 3"),
        )
    )
    seen: list[tuple[str, set[str]]] = []

    def spying(item: RunnableRule) -> RunnableRule:
        def execute(context: dict[str, FeatureValue]) -> object:
            seen.append((item.hit.id, set(context)))
            return item.execute(context)

        return dataclasses.replace(item, execute=execute)

    compiled._by_kind = {
        kind: tuple(spying(item) for item in items) for kind, items in compiled._by_kind.items()
    }
    vector = quiet_vector("payment", amount=20_000, is_new_payee=True)
    assert compiled.evaluate(vector, EventKind.PAYMENT).fired == ("R_A",)
    assert seen == [("R_A", {"amount", "is_new_payee"}), ("R_B", {"customer_count_1m"})]


def test_features_a_rule_does_not_name_never_reach_the_runtime():
    # The CEL runtime refuses to convert an arbitrary object: were these handed to a program,
    # the rule would fail. They are not, so it fires cleanly.
    compiled = compile_ruleset(ruleset_text(rule("R_A", "amount >= 10000")))
    features: dict[str, Any] = quiet_vector("payment", amount=20_000)
    features |= {"customer_count_1m": object(), "not_a_feature": object()}
    result = compiled.evaluate(features, EventKind.PAYMENT)
    assert result.fired == ("R_A",)
    assert result.errors == ()
