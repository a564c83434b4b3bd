"""Migration 0004_alipay: the Core tables match it, and it downgrades cleanly."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from bankstack.gateway.alipay.adapters.tables import metadata
from bankstack.platform.database import make_engine
from bankstack.platform.migrations import alembic_config, current, migration_connection, upgrade

REVISION = "0004_alipay"


def test_tables_match_the_migration_and_it_downgrades(isolated_url: str):
    upgrade(isolated_url, REVISION)
    engine = make_engine(isolated_url)
    try:
        found = inspect(engine)
        for table in metadata.sorted_tables:
            columns = {c["name"]: c for c in found.get_columns(table.name)}
            assert set(columns) == {c.name for c in table.columns}, table.name
            for column in table.columns:
                assert columns[column.name]["nullable"] == column.nullable, column
            primary = found.get_pk_constraint(table.name)["constrained_columns"]
            assert primary == [c.name for c in table.primary_key.columns], table.name
        cfg = alembic_config(isolated_url)
        with migration_connection(isolated_url) as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, f"{REVISION}@-1")
        assert current(isolated_url) == "0003_gateway"
        names = inspect(engine).get_table_names()
        assert not any(name.startswith("alipay_") for name in names)
        upgrade(isolated_url, REVISION)
        assert current(isolated_url) == REVISION
    finally:
        engine.dispose()
