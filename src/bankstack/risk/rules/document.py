"""A rule set's TOML document, read and checked field by field (not yet compiled).

    name = "default"                 # [a-z][a-z0-9_-]*, at most 48 characters
    version = 1                      # 1, 2, ... per name
    description = "..."              # optional

    [thresholds]                     # score -> outcome, 0..1000, strictly increasing
    challenge_at = 300
    review_at = 550
    reject_at = 800

    [[rules]]
    id = "R_CARD_TESTING"            # R_ and upper-case words: the stable reason code
    when = "customer_count_1m >= 5 && amount <= 1000"   # CEL over catalog features
    points = 300                     # 0..1000, added to the score when it fires
    outcome = "review"               # optional hard minimum: challenge, review or reject
    reason = "Five or more small payments within a minute (card testing)."
    kinds = ["payment"]              # optional, default every kind
    enabled = true                   # optional, default true

Unknown keys are refused (a misspelt ``outcome`` must not silently drop a hard floor). Every
problem raises ``RuleSetInvalid`` with one line naming the rule (or the field) and the problem.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any, Final

from bankstack.risk.domain.decision import MAX_SCORE, Outcome
from bankstack.risk.domain.event import EventKind
from bankstack.risk.errors import RuleSetInvalid
from bankstack.risk.rules.model import Thresholds

MAX_VERSION: Final = 999_999
MAX_REASON_CHARS: Final = 300
_NAME: Final = re.compile(r"[a-z][a-z0-9_-]{0,47}")
_RULE_ID: Final = re.compile(r"R(?:_[A-Z0-9]+)+")
_MAX_ID_CHARS: Final = 64
_TOP_KEYS: Final = frozenset({"name", "version", "description", "thresholds", "rules"})
_RULE_KEYS: Final = frozenset({"id", "when", "points", "outcome", "reason", "kinds", "enabled"})
_THRESHOLD_KEYS: Final = ("challenge_at", "review_at", "reject_at")
_HARD_OUTCOMES: Final = {o.value: o for o in Outcome if o is not Outcome.ACCEPT}
_KINDS: Final = {kind.value: kind for kind in EventKind}


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSpec:
    id: str
    when: str
    points: int
    outcome: Outcome | None
    reason: str
    kinds: frozenset[EventKind]
    enabled: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    name: str
    version: int
    description: str
    thresholds: Thresholds
    rules: tuple[RuleSpec, ...]


def parse_document(text: str) -> Document:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RuleSetInvalid(f"not valid TOML: {error}") from None
    _no_unknown_keys(data, _TOP_KEYS, "the rule set")
    name = _string(data, "name", "the rule set")
    if not _NAME.fullmatch(name):
        raise RuleSetInvalid(f"name {name!r} must match [a-z][a-z0-9_-]* (at most 48 characters)")
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        raise RuleSetInvalid("the rule set needs at least one [[rules]] table")
    specs = tuple(_rule(rule, position) for position, rule in enumerate(rules, start=1))
    seen: set[str] = set()
    for spec in specs:
        if spec.id in seen:
            raise RuleSetInvalid(f"rule {spec.id}: the id is used twice", rule=spec.id)
        seen.add(spec.id)
    return Document(
        name=name,
        version=_integer(data, "version", "the rule set", low=1, high=MAX_VERSION),
        description=_string(data, "description", "the rule set", default=""),
        thresholds=_thresholds(data.get("thresholds")),
        rules=specs,
    )


def _thresholds(table: object) -> Thresholds:
    if not isinstance(table, dict):
        raise RuleSetInvalid("the rule set needs a [thresholds] table")
    _no_unknown_keys(table, frozenset({*_THRESHOLD_KEYS, "model_points"}), "thresholds")
    values = [_integer(table, key, "thresholds", low=0, high=MAX_SCORE) for key in _THRESHOLD_KEYS]
    if not values[0] < values[1] < values[2]:
        raise RuleSetInvalid(
            "thresholds: challenge_at < review_at < reject_at is required, got "
            f"{values[0]}, {values[1]}, {values[2]}"
        )
    model = MAX_SCORE
    if "model_points" in table:
        model = _integer(table, "model_points", "thresholds", low=0, high=MAX_SCORE)
    return Thresholds(values[0], values[1], values[2], model_points=model)


def _rule(table: object, position: int) -> RuleSpec:
    if not isinstance(table, dict):
        raise RuleSetInvalid(f"rule #{position}: must be a table")
    where = f"rule #{position}"
    rule_id = _string(table, "id", where)
    if not _RULE_ID.fullmatch(rule_id) or len(rule_id) > _MAX_ID_CHARS:
        raise RuleSetInvalid(f"{where}: id {rule_id!r} must look like R_UPPER_CASE_WORDS")
    where = f"rule {rule_id}"
    _no_unknown_keys(table, _RULE_KEYS, where)
    reason = _string(table, "reason", where)
    if not reason.strip() or "\n" in reason or len(reason) > MAX_REASON_CHARS:
        raise RuleSetInvalid(f"{where}: reason must be one line of 1 to {MAX_REASON_CHARS} chars")
    return RuleSpec(
        id=rule_id,
        when=_string(table, "when", where),
        points=_integer(table, "points", where, low=0, high=MAX_SCORE),
        outcome=_outcome(table, where),
        reason=reason.strip(),
        kinds=_kinds(table, where),
        enabled=_boolean(table, "enabled", where, default=True),
    )


def _outcome(table: dict[str, Any], where: str) -> Outcome | None:
    if "outcome" not in table:
        return None
    value = _string(table, "outcome", where)
    if value not in _HARD_OUTCOMES:
        raise RuleSetInvalid(f"{where}: outcome {value!r} is not one of challenge, review, reject")
    return _HARD_OUTCOMES[value]


def _kinds(table: dict[str, Any], where: str) -> frozenset[EventKind]:
    if "kinds" not in table:
        return frozenset(EventKind)
    values = table["kinds"]
    if not isinstance(values, list) or not values:
        raise RuleSetInvalid(f"{where}: kinds must be a non-empty list of event kinds")
    for value in values:
        if value not in _KINDS:
            raise RuleSetInvalid(
                f"{where}: kind {value!r} is not one of {', '.join(sorted(_KINDS))}"
            )
    if len(set(values)) != len(values):
        raise RuleSetInvalid(f"{where}: kinds lists a kind twice")
    return frozenset(_KINDS[value] for value in values)


def _no_unknown_keys(table: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise RuleSetInvalid(f"{where}: unknown key {unknown[0]!r}")


def _string(table: dict[str, Any], key: str, where: str, *, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise RuleSetInvalid(f"{where}: {key} must be a string")
    return value


def _integer(table: dict[str, Any], key: str, where: str, *, low: int, high: int) -> int:
    value = table.get(key)
    # bool is an int in Python; "points = true" is a mistake, not 1 point.
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise RuleSetInvalid(f"{where}: {key} must be an integer from {low} to {high}")
    return value


def _boolean(table: dict[str, Any], key: str, where: str, *, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise RuleSetInvalid(f"{where}: {key} must be true or false")
    return value
