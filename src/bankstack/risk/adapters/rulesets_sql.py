"""Rule sets in ``risk_rulesets`` (SQLAlchemy Core, SQLite and PostgreSQL).

Every operation is one short transaction. A write first locks every version of the name:
``SELECT ... FOR UPDATE`` on PostgreSQL (READ COMMITTED: a second writer waits, then reads the
rows as the first one left them), ``BEGIN IMMEDIATE`` on SQLite (one writer at a time). The pure
rules (rules/lifecycle.py) then decide, and the status changes are applied in their order,
demotions first, so that the partial unique indexes of the migration (one active, one shadow
per name) hold after every statement. Two concurrent activations therefore serialise: the
second retires the first's choice and the name ends with exactly one active version.

Only a body that compiles is stored, and a version is compiled again before it is activated or
shadowed (the feature catalog may have changed since it was stored). Compiling takes a few
milliseconds, so it happens before the transaction, never while holding the locks: a stored
version's text never changes, so what was compiled is what gets activated.

Adding races: two processes may add the same new version at once (neither sees the other's row
before it commits). The insert does nothing on a key conflict and the loser compares texts,
which makes a retried load a no-op and a different text a ``RuleSetStateConflict``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, select, update

from bankstack.kernel.clock import Clock, SystemClock
from bankstack.platform.sql import insert_absent
from bankstack.risk.adapters.tables import rulesets
from bankstack.risk.errors import RuleSetNotFound
from bankstack.risk.rules.compiler import compile_ruleset
from bankstack.risk.rules.lifecycle import (
    RuleSetStatus,
    StoredRuleSet,
    check_addition,
    check_staff,
    plan,
)
from bankstack.risk.rules.ruleset import CompiledRuleSet


class SqlRuleSetRepository:
    """``RuleSetRepository`` on a SQLAlchemy engine."""

    def __init__(self, engine: Engine, *, clock: Clock | None = None) -> None:
        self._engine = engine
        self._clock = clock or SystemClock()

    def add(self, text: str, *, by: str) -> StoredRuleSet:
        check_staff(by)
        compiled = compile_ruleset(text)
        with self._writing() as conn:
            same = check_addition(compiled, _locked_versions(conn, compiled.name))
            if same is not None:
                return same
            if insert_absent(conn, rulesets, _row(compiled, by, self._clock.now_ns())):
                return _one(conn, compiled.name, compiled.number)
        # Another writer stored this version between our read and our insert.
        return self._settle_race(compiled)

    def get(self, name: str, version: int) -> StoredRuleSet:
        with self._engine.connect() as conn:
            return _one(conn, name, version)

    def active(self, name: str) -> StoredRuleSet | None:
        return self._with_status(name, RuleSetStatus.ACTIVE)

    def candidate(self, name: str) -> StoredRuleSet | None:
        return self._with_status(name, RuleSetStatus.SHADOW)

    def versions(self, name: str | None = None) -> tuple[StoredRuleSet, ...]:
        query = select(rulesets).order_by(rulesets.c.name, rulesets.c.version)
        if name is not None:
            query = query.where(rulesets.c.name == name)
        with self._engine.connect() as conn:
            return tuple(_stored(row) for row in conn.execute(query))

    def activate(self, name: str, version: int, *, by: str) -> StoredRuleSet:
        return self._move(name, version, RuleSetStatus.ACTIVE, by)

    def shadow(self, name: str, version: int, *, by: str) -> StoredRuleSet:
        return self._move(name, version, RuleSetStatus.SHADOW, by)

    def retire(self, name: str, version: int, *, by: str) -> StoredRuleSet:
        return self._move(name, version, RuleSetStatus.RETIRED, by)

    def _move(self, name: str, version: int, target: RuleSetStatus, by: str) -> StoredRuleSet:
        check_staff(by)
        if target in {RuleSetStatus.ACTIVE, RuleSetStatus.SHADOW}:
            self.get(name, version).compile()  # RuleSetInvalid: it would not run
        with self._writing() as conn:
            changes = plan(_locked_versions(conn, name), name, version, target)
            now = self._clock.now_ns()
            for change in changes:
                statement = (
                    update(rulesets)
                    .where(rulesets.c.name == name, rulesets.c.version == change.version)
                    .values(status=change.status.value, status_at=now, status_by=by)
                )
                conn.execute(statement)
            return _one(conn, name, version)

    def _with_status(self, name: str, status: RuleSetStatus) -> StoredRuleSet | None:
        query = select(rulesets).where(rulesets.c.name == name, rulesets.c.status == status.value)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _stored(row)

    def _settle_race(self, compiled: CompiledRuleSet) -> StoredRuleSet:
        stored = self.get(compiled.name, compiled.number)
        same = check_addition(compiled, [stored])  # RuleSetStateConflict when texts differ
        return stored if same is None else same

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with self._engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn


def _locked_versions(conn: Connection, name: str) -> list[StoredRuleSet]:
    # SQLite renders no FOR UPDATE: BEGIN IMMEDIATE already holds its one write lock.
    query: Select[Any] = (
        select(rulesets)
        .where(rulesets.c.name == name)
        .order_by(rulesets.c.version)
        .with_for_update()
    )
    return [_stored(row) for row in conn.execute(query)]


def _one(conn: Connection, name: str, version: int) -> StoredRuleSet:
    query = select(rulesets).where(rulesets.c.name == name, rulesets.c.version == version)
    row = conn.execute(query).first()
    if row is None:
        raise RuleSetNotFound(f"no rule set {name} version {version}", name=name, version=version)
    return _stored(row)


def _row(compiled: CompiledRuleSet, by: str, now: int) -> dict[str, Any]:
    return {
        "name": compiled.name,
        "version": compiled.number,
        "body": compiled.text,
        "sha256": compiled.sha256,
        "status": RuleSetStatus.DRAFT.value,
        "created_at": now,
        "created_by": by,
        "status_at": now,
        "status_by": by,
    }


def _stored(row: Row[Any]) -> StoredRuleSet:
    return StoredRuleSet(
        name=row.name,
        version=row.version,
        body=row.body,
        sha256=row.sha256,
        status=RuleSetStatus(row.status),
        created_at=row.created_at,
        created_by=row.created_by,
        status_at=row.status_at,
        status_by=row.status_by,
    )
