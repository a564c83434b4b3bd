"""``compile_ruleset(text)``: from a TOML document to a ``CompiledRuleSet``, or ``RuleSetInvalid``.

Checked, in this order, each failure one line naming the rule and the problem:

1. the document (document.py): TOML syntax, keys, types, ranges, duplicate ids, thresholds;
2. each condition compiles as CEL (syntax);
3. each condition stays in the sandbox (sandbox.py): catalog features only, allowed functions
   only, no field access, indexing, literals of maps or messages, or macros;
4. each condition is evaluated once on a sample vector of the catalog's types (1, 1.0, true,
   ""): a type error there (``"amount > 'x'"``) or a result that is not a boolean refuses the
   rule. Value errors (a division by zero) are not type errors and pass; ``&&`` and ``||`` may
   skip a side, so the probe catches most type errors, not all, and evaluation still counts a
   failing rule as not fired. Attributes (``attr_*``) have no declared type: the probe tries
   them as integers, strings and booleans and refuses only when none works.
"""

from __future__ import annotations

import hashlib
from typing import Final

from bankstack.risk.domain.catalog import ATTRIBUTE_PREFIX, BY_NAME, FeatureType
from bankstack.risk.domain.decision import FeatureValue
from bankstack.risk.errors import RuleSetInvalid
from bankstack.risk.rules.cel_runtime import (
    EVALUATION_ERRORS,
    CelSyntaxError,
    Expression,
    compile_expression,
    describe,
)
from bankstack.risk.rules.document import RuleSpec, parse_document
from bankstack.risk.rules.model import Rule, RuleHit
from bankstack.risk.rules.ruleset import CompiledRuleSet, RunnableRule
from bankstack.risk.rules.sandbox import SandboxViolation, check_expression

_SAMPLES: Final[dict[FeatureType, FeatureValue]] = {
    FeatureType.INT: 1,
    FeatureType.FLOAT: 1.0,
    FeatureType.BOOL: True,
    FeatureType.STRING: "",
}
_ATTRIBUTE_SAMPLES: Final[tuple[FeatureValue, ...]] = (1, "", True)


def compile_ruleset(text: str) -> CompiledRuleSet:
    """Compile a rule set document; raises ``RuleSetInvalid`` with a one-line message."""
    document = parse_document(text)
    runnable = tuple(_compile_rule(spec) for spec in document.rules)
    return CompiledRuleSet(
        name=document.name,
        number=document.version,
        description=document.description,
        thresholds=document.thresholds,
        runnable=runnable,
        text=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )


def _compile_rule(spec: RuleSpec) -> RunnableRule:
    try:
        expression = compile_expression(spec.when)
    except CelSyntaxError as error:
        raise _invalid(spec, f"CEL syntax error at {error}") from None
    try:
        check_expression(expression)
    except SandboxViolation as error:
        raise _invalid(spec, str(error)) from None
    _probe(spec, expression)
    rule = Rule(
        id=spec.id,
        when=spec.when,
        points=spec.points,
        outcome=spec.outcome,
        reason=spec.reason,
        kinds=spec.kinds,
        enabled=spec.enabled,
        features=expression.variables,
    )
    hit = RuleHit(spec.id, spec.points, spec.outcome, spec.reason)
    return RunnableRule(rule, expression.execute, hit, rule.features)


def _probe(spec: RuleSpec, expression: Expression) -> None:
    problem = ""
    for attribute in _ATTRIBUTE_SAMPLES:
        sample = {name: _sample(name, attribute) for name in expression.variables}
        try:
            result = expression.execute(sample)
        except ArithmeticError:
            return  # the types fit; the sample's values do not (x / (n - 1) with n = 1)
        except EVALUATION_ERRORS as error:
            problem = f"does not evaluate on the catalog's types: {describe(error)}"
        else:
            if isinstance(result, bool):
                return
            problem = f"must be a boolean condition, it gives a {type(result).__name__}"
        if not any(name.startswith(ATTRIBUTE_PREFIX) for name in expression.variables):
            break  # no attribute: the other attribute samples would give the same answer
    raise _invalid(spec, problem)


def _sample(name: str, attribute: FeatureValue) -> FeatureValue:
    spec = BY_NAME.get(name)
    return attribute if spec is None else _SAMPLES[spec.type]


def _invalid(spec: RuleSpec, problem: str) -> RuleSetInvalid:
    return RuleSetInvalid(f"rule {spec.id}: {problem}", rule=spec.id)
