"""A compiled rule set: evaluated on every decision, so built for speed.

Compilation (compiler.py) happens once, off the hot path. Evaluation then does as little as it
can per rule: the rules that apply to each event kind are listed in advance (disabled rules are
left out), each rule's ``RuleHit`` is built once, and each program receives a dict of only the
features it names (the CEL runtime converts every value it is given, so a smaller dict is a
faster call, and a rule cannot see what it did not name).

A rule whose feature is missing from the vector still runs on the features that are there: CEL's
``||`` and ``&&`` tolerate an error on one side when the other side decides, so ``a || b`` with
``b`` missing fires when ``a`` is true. When the missing feature matters, the runtime raises and
the rule counts as not fired, with the error reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bankstack.risk.domain.decision import FeatureValue, FeatureVector, Outcome
from bankstack.risk.domain.event import EventKind
from bankstack.risk.rules.cel_runtime import EVALUATION_ERRORS, describe
from bankstack.risk.rules.model import Rule, RuleError, RuleHit, RuleResult, Thresholds


@dataclass(frozen=True, slots=True)
class RunnableRule:
    """A rule ready to run: its program, the features to hand it, and its hit."""

    rule: Rule
    execute: Callable[[dict[str, FeatureValue]], object]
    hit: RuleHit
    names: tuple[str, ...]  # the features handed to the program (rule.features)


class CompiledRuleSet:
    """What ``compile_ruleset`` returns; immutable, safe to share between threads."""

    __slots__ = (
        "_by_kind",
        "description",
        "name",
        "number",
        "rules",
        "sha256",
        "text",
        "thresholds",
    )

    def __init__(
        self,
        *,
        name: str,
        number: int,
        description: str,
        thresholds: Thresholds,
        runnable: tuple[RunnableRule, ...],
        text: str,
        sha256: str,
    ) -> None:
        self.name = name
        self.number = number  # the document's ``version``: 1, 2, ... per name
        self.description = description
        self.thresholds = thresholds
        self.rules = tuple(item.rule for item in runnable)
        self.text = text  # exactly as submitted: what is stored and hashed
        self.sha256 = sha256
        self._by_kind = {
            kind: tuple(item for item in runnable if item.rule.enabled and kind in item.rule.kinds)
            for kind in EventKind
        }

    @property
    def version(self) -> str:
        """``name@number+<first 12 hex of the text's SHA-256>``: what decisions record."""
        return f"{self.name}@{self.number}+{self.sha256[:12]}"

    def applicable(self, kind: EventKind) -> tuple[Rule, ...]:
        """The enabled rules evaluated for ``kind``, in rule-set order."""
        return tuple(item.rule for item in self._by_kind[kind])

    def outcome_for(self, score: int) -> Outcome:
        return self.thresholds.outcome_for(score)

    @property
    def model_points(self) -> int:
        """What a model answer of probability 1 adds to the score."""
        return self.thresholds.model_points

    def evaluate(self, features: FeatureVector, kind: EventKind) -> RuleResult:
        points = 0
        hits: list[RuleHit] = []
        errors: list[RuleError] = []
        minimum = Outcome.ACCEPT
        for item in self._by_kind[kind]:
            # The hot path, inlined: one dict and one call per rule.
            try:
                result = item.execute({name: features[name] for name in item.names})
            except KeyError:
                result = _without_missing(item, features)
            except EVALUATION_ERRORS as error:
                result = error
            if result is True:
                hits.append(item.hit)
                points += item.hit.points
                if item.hit.outcome is not None:
                    minimum = minimum.at_least(item.hit.outcome)
            elif result is not False:
                errors.append(RuleError(item.hit.id, _problem(result)))
        return RuleResult(points, tuple(hits), minimum, tuple(errors))

    def __repr__(self) -> str:
        return f"CompiledRuleSet({self.version!r}, {len(self.rules)} rules)"


def _without_missing(item: RunnableRule, features: FeatureVector) -> object:
    """The rule on the features that are there; its error when a missing one matters."""
    try:
        return item.execute({name: features[name] for name in item.names if name in features})
    except EVALUATION_ERRORS as error:
        return error


def _problem(result: object) -> str:
    if isinstance(result, BaseException):
        return describe(result)
    return f"the condition gave a {type(result).__name__}, not a boolean"
