"""Migrations 0002_payments and 0008_payments_transfers go up, down and up again on both tiers,
from an empty database."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.pool import NullPool

from bankstack.platform.database import make_engine
from bankstack.platform.migrations import alembic_config, migration_connection, upgrade

TABLES = {
    "payments_merchants",
    "payments_wallets",
    "payments_trades",
    "payments_refunds",
    "payments_codes",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest) -> str:
    name = "fresh_pg_url" if request.param == "postgres" else "sqlite_url"
    url: str = request.getfixturevalue(name)
    return url


def _tables(url: str) -> set[str]:
    engine = make_engine(url, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_up_down_up(empty_url: str):
    upgrade(empty_url, "0002_payments")
    assert _tables(empty_url) >= TABLES
    cfg = alembic_config(empty_url)
    with migration_connection(empty_url) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001_ledger_journal")
    assert not TABLES & _tables(empty_url)
    assert "ledger_accounts" in _tables(empty_url)
    upgrade(empty_url, "0002_payments")
    assert _tables(empty_url) >= TABLES


def test_transfers_up_down_up(empty_url: str):
    upgrade(empty_url)
    assert "payments_transfers" in _tables(empty_url)
    cfg = alembic_config(empty_url)
    with migration_connection(empty_url) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007_payments_risk_checks")
    assert "payments_transfers" not in _tables(empty_url)
    assert "payments_risk_checks" in _tables(empty_url)
    upgrade(empty_url)
    assert "payments_transfers" in _tables(empty_url)
