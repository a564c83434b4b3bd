"""Stored rule sets: versions, statuses and the rules for moving between them (pure).

Each rule set ``name`` has versions 1, 2, 3 ... (the document's ``version``), each stored once
with its exact TOML text and that text's SHA-256. A version moves through

    draft  -> shadow -> active -> retired
    draft  -> active                  (no shadow period)
    shadow -> draft                   (replaced by another candidate)
    draft | shadow -> retired         (taken out of use)

- ``add``: only a body that compiles is stored, as a draft, and only as the next version of its
  name. Storing the same name and version again with the same text is a no-op (a retried load);
  with another text it is a ``RuleSetStateConflict``: a version never changes meaning.
- ``shadow``: the version becomes the candidate evaluated beside the active one on live traffic
  (shadow decisions are recorded, never acted on). At most one per name: a previous candidate
  goes back to draft (it was never live, so it may be tried again later).
- ``activate``: the version decides from now on; the previous active one is retired, in the same
  transaction, so that there is never a moment with two or with none. A retired version is not
  brought back: roll back by adding the old text as a new version, so history reads forwards.
- ``retire``: takes a draft or the shadow candidate out of use. The active version is retired
  only by activating another, so that a name that had an active version keeps one.

The database backs this up with partial unique indexes (one active and one shadow per name);
``plan`` works out the status changes and repositories apply them in its order (demotions
first), so the indexes hold after every statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bankstack.kernel.errors import ValidationFailed
from bankstack.risk.errors import RuleSetNotFound, RuleSetStateConflict
from bankstack.risk.rules.compiler import compile_ruleset
from bankstack.risk.rules.ruleset import CompiledRuleSet


class RuleSetStatus(StrEnum):
    DRAFT = "draft"
    SHADOW = "shadow"
    ACTIVE = "active"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredRuleSet:
    name: str
    version: int
    body: str  # the TOML text exactly as submitted
    sha256: str
    status: RuleSetStatus
    created_at: int  # ns
    created_by: str
    status_at: int  # ns: when the status last changed
    status_by: str  # staff who changed it last

    @property
    def label(self) -> str:
        """The same string as ``CompiledRuleSet.version``: what decisions record."""
        return f"{self.name}@{self.version}+{self.sha256[:12]}"

    def compile(self) -> CompiledRuleSet:
        return compile_ruleset(self.body)


MAX_STAFF_CHARS = 64  # the width of created_by / status_by


def check_staff(by: str) -> str:
    """Who acts on a rule set is recorded with it: a name, not blank, at most 64 characters."""
    if not by.strip() or len(by) > MAX_STAFF_CHARS:
        raise ValidationFailed(f"staff name must be 1 to {MAX_STAFF_CHARS} characters, got {by!r}")
    return by


@dataclass(frozen=True, slots=True)
class StatusChange:
    version: int
    status: RuleSetStatus


def check_addition(
    compiled: CompiledRuleSet, existing: Sequence[StoredRuleSet]
) -> StoredRuleSet | None:
    """For adding ``compiled`` to its name's ``existing`` versions: the stored version when it
    is already there with the same text (nothing to do), None when it is the next version."""
    for stored in existing:
        if stored.version == compiled.number:
            if stored.sha256 != compiled.sha256:
                raise RuleSetStateConflict(
                    f"{compiled.name} version {compiled.number} is already stored with other "
                    "content; give the change a new version",
                    name=compiled.name,
                    version=compiled.number,
                )
            return stored
    expected = max((stored.version for stored in existing), default=0) + 1
    if compiled.number != expected:
        raise RuleSetStateConflict(
            f"the next version of {compiled.name} is {expected}, not {compiled.number}",
            name=compiled.name,
            version=compiled.number,
        )
    return None


def plan(
    existing: Sequence[StoredRuleSet], name: str, version: int, target: RuleSetStatus
) -> tuple[StatusChange, ...]:
    """The status changes that move ``name`` ``version`` to ``target``, demotions first;
    empty when it is there already."""
    stored = next((item for item in existing if item.version == version), None)
    if stored is None:
        raise RuleSetNotFound(f"no rule set {name} version {version}", name=name, version=version)
    if stored.status is target:
        return ()
    _check_move(stored, target)
    demoted = {
        RuleSetStatus.ACTIVE: RuleSetStatus.RETIRED,  # the previous active one
        RuleSetStatus.SHADOW: RuleSetStatus.DRAFT,  # the previous candidate
    }.get(target)
    changes = [
        StatusChange(item.version, demoted)
        for item in existing
        if demoted is not None and item.status is target
    ]
    return (*changes, StatusChange(version, target))


def _check_move(stored: StoredRuleSet, target: RuleSetStatus) -> None:
    where = f"{stored.name} version {stored.version}"
    problem = None
    if stored.status is RuleSetStatus.RETIRED:
        problem = f"{where} is retired; add its text as a new version to use it again"
    elif target is RuleSetStatus.SHADOW and stored.status is RuleSetStatus.ACTIVE:
        problem = f"{where} is the active version; it cannot also be the shadow candidate"
    elif target is RuleSetStatus.RETIRED and stored.status is RuleSetStatus.ACTIVE:
        problem = f"{where} is the active version; activate another version to retire it"
    elif target is RuleSetStatus.DRAFT:
        problem = f"{where} cannot go back to draft"
    if problem is not None:
        raise RuleSetStateConflict(
            problem, name=stored.name, version=stored.version, status=stored.status.value
        )


class RuleSetRepository(Protocol):
    """Where rule sets are kept; every method is one short transaction."""

    def add(self, text: str, *, by: str) -> StoredRuleSet:
        """Compile ``text`` and store it as a draft (``check_addition``'s rules)."""
        ...

    def get(self, name: str, version: int) -> StoredRuleSet:
        """Raises ``RuleSetNotFound``."""
        ...

    def active(self, name: str) -> StoredRuleSet | None: ...

    def candidate(self, name: str) -> StoredRuleSet | None:
        """The version in shadow, if any."""
        ...

    def versions(self, name: str | None = None) -> tuple[StoredRuleSet, ...]:
        """Every stored version (of ``name``, or of all names), by name then version."""
        ...

    def activate(self, name: str, version: int, *, by: str) -> StoredRuleSet: ...

    def shadow(self, name: str, version: int, *, by: str) -> StoredRuleSet: ...

    def retire(self, name: str, version: int, *, by: str) -> StoredRuleSet: ...
