"""Shared fixtures: databases on both storage tiers.

- ``sqlite_url`` (function): a SQLite file URL in the test's tmp_path; the file does not
  exist yet.
- ``pg_url`` (session, one per xdist worker): an empty PostgreSQL database
  ``bankstack_test_<worker>_<pid>``, created at first use and dropped at session end. It is
  shared by every test of the worker: it is not migrated for you (call
  ``bankstack.platform.migrations.upgrade(pg_url)``, which is idempotent), and tests must not
  assume it is empty.
- ``fresh_pg_url`` (function): a brand-new empty database per test, dropped afterwards; for
  tests that migrate from scratch or need an empty schema.
- ``db_url`` (function, parametrised "sqlite" / "postgres"): ``sqlite_url`` or ``pg_url``; the
  postgres case carries the ``postgres`` marker.

All URLs are SQLAlchemy URLs (``postgresql+psycopg://...``, ``sqlite:///...``). Tests that use
a PostgreSQL fixture are marked ``postgres`` automatically, so ``-m "not postgres"`` runs
without a server. Without a server (see tests/_pg.py for how one is found or started)
PostgreSQL tests are skipped, except under ``CI=true`` or with ``BANKSTACK_TEST_PG_URL`` set,
where they fail: CI must never pass by skipping the production database.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

from tests._pg import ENV_URL, PgServer, PgUnavailable, find_or_start

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# Tests check behaviour, never timing: no per-example deadline (a loaded 2-core CI machine
# must not turn a slow example into a failure). Under CI, Hypothesis picks its own "ci"
# profile (derandomised, no deadline, no example database).
if settings.get_current_profile_name() == "default":
    settings.register_profile("bankstack-dev", deadline=None)
    settings.load_profile("bankstack-dev")

_PG_FIXTURES = frozenset({"pg_server", "pg_url", "fresh_pg_url"})

# A runtime loads the fraud model from BANKSTACK_MODEL_DIR (default ./var/models, where
# `bankstack risk train` writes). Tests must not depend on whether a developer trained one:
# they see no registry, so decisions are taken on rules alone unless a test brings a model.
os.environ.setdefault("BANKSTACK_MODEL_DIR", "/nonexistent/bankstack-tests/models")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _PG_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        server = find_or_start()
    except PgUnavailable as exc:
        reason = f"no PostgreSQL server for the tests: {exc}"
        if _in_ci() or os.environ.get(ENV_URL):  # a server asked for must be there
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    server.drop_orphans()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def pg_url(pg_server: PgServer) -> Iterator[str]:
    name = pg_server.fresh_name("test")
    pg_server.drop_database(name)  # a leftover of a recycled pid
    url = pg_server.create_database(name)
    try:
        yield url
    finally:
        pg_server.drop_database(name)


@pytest.fixture
def fresh_pg_url(pg_server: PgServer) -> Iterator[str]:
    name = pg_server.fresh_name()
    url = pg_server.create_database(name)
    try:
        yield url
    finally:
        pg_server.drop_database(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bankstack.db'}"


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest) -> str:
    name = "pg_url" if request.param == "postgres" else "sqlite_url"
    url: str = request.getfixturevalue(name)
    return url
