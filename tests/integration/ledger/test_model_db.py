"""The model-based test against the real ledger: service, SQL adapters and database.

The same ``LedgerComparison`` machine as the pure test, with ``DbDriver`` on SQLite and on
PostgreSQL, each example on a fresh database. The service expires due pending transfers at
the start of every batch (the clock passing a timeout is what expires them), while the model
expires only when asked, so here every clock step is followed by an expiry on both sides.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from bankstack.ledger.adapters.factory import libpq_conninfo
from bankstack.platform.migrations import upgrade
from tests.ledger_model.db_driver import DbDriver, PipelinedDbDriver
from tests.unit.ledger.test_model_based import NS, LedgerComparison

DB_SETTINGS = settings(
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class DbComparison(LedgerComparison):
    @rule(seconds=st.sampled_from([0, 0, 1, 2, 4]), ns=st.integers(0, NS - 1))
    def advance_clock(self, seconds: int, ns: int) -> None:
        super().advance_clock(seconds, ns)
        self.expire()

    def teardown(self) -> None:
        close = getattr(self.driver, "close", None)
        if close is not None:
            close()


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


DRIVERS = pytest.mark.parametrize(
    "driver", [DbDriver, PipelinedDbDriver], ids=["service", "pipelined-writer"]
)


@DRIVERS
def test_sqlite_ledger_matches_reference_model(
    sqlite_template: Path, tmp_path: Path, driver: type[DbDriver]
) -> None:
    def factory() -> DbDriver:
        copy = tmp_path / f"{uuid.uuid4().hex}.db"
        shutil.copy(sqlite_template, copy)
        return driver(f"sqlite:///{copy}", on_close=copy.unlink)

    _run(factory)


@DRIVERS
def test_postgres_ledger_matches_reference_model(fresh_pg_url: str, driver: type[DbDriver]) -> None:
    upgrade(fresh_pg_url)  # the template: migrated once, cloned for every example
    admin = libpq_conninfo(fresh_pg_url).rsplit("/", 1)[0] + "/postgres"
    template = libpq_conninfo(fresh_pg_url).rsplit("/", 1)[1]

    def factory() -> DbDriver:
        name = f"model_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

        def drop() -> None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        url = fresh_pg_url.rsplit("/", 1)[0] + "/" + name
        return driver(url, on_close=drop)

    _run(factory)


def _run(factory) -> None:
    machine = type("DbRun", (DbComparison,), {"driver_factory": staticmethod(factory)})
    run_state_machine_as_test(machine, settings=DB_SETTINGS)
