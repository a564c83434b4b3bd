"""The pure lifecycle rules: which version may be added, and what each status change does."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankstack.risk.errors import RuleSetNotFound, RuleSetStateConflict
from bankstack.risk.rules import RuleSetStatus, StoredRuleSet, compile_ruleset
from bankstack.risk.rules.lifecycle import StatusChange, check_addition, plan
from tests.unit.risk.rules.texts import rule, ruleset_text

DRAFT, SHADOW, ACTIVE, RETIRED = (
    RuleSetStatus.DRAFT,
    RuleSetStatus.SHADOW,
    RuleSetStatus.ACTIVE,
    RuleSetStatus.RETIRED,
)


def text(version: int, points: int = 100) -> str:
    return ruleset_text(rule("R_A", "amount > 1", points=points), name="rs", version=version)


def stored(version: int, status: RuleSetStatus = DRAFT, points: int = 100) -> StoredRuleSet:
    compiled = compile_ruleset(text(version, points))
    return StoredRuleSet(
        name="rs",
        version=version,
        body=compiled.text,
        sha256=compiled.sha256,
        status=status,
        created_at=1,
        created_by="ana",
        status_at=1,
        status_by="ana",
    )


def test_versions_are_added_in_order():
    assert check_addition(compile_ruleset(text(1)), []) is None
    assert check_addition(compile_ruleset(text(3)), [stored(1), stored(2)]) is None
    with pytest.raises(RuleSetStateConflict, match="the next version of rs is 3, not 5"):
        check_addition(compile_ruleset(text(5)), [stored(1), stored(2)])
    with pytest.raises(RuleSetStateConflict, match="the next version of rs is 1, not 2"):
        check_addition(compile_ruleset(text(2)), [])


def test_adding_a_stored_version_again_is_a_no_op_only_with_the_same_text():
    existing = [stored(1), stored(2)]
    assert check_addition(compile_ruleset(text(2)), existing) == existing[1]
    with pytest.raises(RuleSetStateConflict, match="rs version 2 is already stored with other"):
        check_addition(compile_ruleset(text(2, points=7)), existing)


def test_the_label_is_the_compiled_version():
    assert stored(4).label == compile_ruleset(text(4)).version


def test_activating_retires_the_previous_active_first():
    existing = [stored(1, RETIRED), stored(2, ACTIVE), stored(3, SHADOW)]
    assert plan(existing, "rs", 3, ACTIVE) == (StatusChange(2, RETIRED), StatusChange(3, ACTIVE))
    assert plan([stored(1)], "rs", 1, ACTIVE) == (StatusChange(1, ACTIVE),)


def test_a_new_shadow_candidate_sends_the_previous_back_to_draft():
    existing = [stored(1, ACTIVE), stored(2, SHADOW), stored(3)]
    assert plan(existing, "rs", 3, SHADOW) == (StatusChange(2, DRAFT), StatusChange(3, SHADOW))


def test_a_version_already_there_needs_no_change():
    assert plan([stored(1, ACTIVE)], "rs", 1, ACTIVE) == ()
    assert plan([stored(1, SHADOW)], "rs", 1, SHADOW) == ()


@pytest.mark.parametrize(
    ("status", "target", "message"),
    [
        (RETIRED, ACTIVE, "rs version 1 is retired; add its text as a new version"),
        (RETIRED, SHADOW, "rs version 1 is retired"),
        (ACTIVE, SHADOW, "rs version 1 is the active version; it cannot also be the shadow"),
        (ACTIVE, RETIRED, "rs version 1 is the active version; activate another version"),
        (SHADOW, DRAFT, "rs version 1 cannot go back to draft"),
    ],
)
def test_refused_moves(status, target, message):
    with pytest.raises(RuleSetStateConflict, match=message):
        plan([stored(1, status)], "rs", 1, target)


def test_an_unknown_version_is_not_found():
    with pytest.raises(RuleSetNotFound, match="no rule set rs version 9"):
        plan([stored(1)], "rs", 9, ACTIVE)


def apply(existing: list[StoredRuleSet], changes) -> list[StoredRuleSet]:
    by_version = {item.version: item for item in existing}
    for change in changes:
        by_version[change.version] = dataclasses.replace(
            by_version[change.version], status=change.status
        )
        statuses = [item.status for item in by_version.values()]
        # what the partial unique indexes check after every statement
        assert statuses.count(ACTIVE) <= 1
        assert statuses.count(SHADOW) <= 1
    return sorted(by_version.values(), key=lambda item: item.version)


commands = st.lists(
    st.tuples(st.integers(1, 5), st.sampled_from([ACTIVE, SHADOW, RETIRED])), max_size=30
)


@given(commands=commands)
def test_any_sequence_of_commands_keeps_the_invariants(commands):
    versions = [stored(version) for version in range(1, 6)]
    had_active = False
    for version, target in commands:
        before = {item.version: item.status for item in versions}
        try:
            changes = plan(versions, "rs", version, target)
        except RuleSetStateConflict:
            continue
        versions = apply(versions, changes)
        after = {item.version: item.status for item in versions}
        assert after[version] is target
        for number, status in before.items():
            if status is RETIRED:
                assert after[number] is RETIRED  # retired is for good
        had_active = had_active or target is ACTIVE
        assert list(after.values()).count(ACTIVE) == (1 if had_active else 0)
