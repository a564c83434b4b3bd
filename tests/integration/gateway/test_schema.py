"""The Core table definitions match what the migration creates."""

from __future__ import annotations

from sqlalchemy import inspect

from bankstack.gateway.adapters.tables import metadata


def test_tables_match_the_migration(engine):
    found = inspect(engine)
    for table in metadata.sorted_tables:
        columns = {c["name"]: c for c in found.get_columns(table.name)}
        assert set(columns) == {c.name for c in table.columns}, table.name
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, (table.name, column.name)
        primary = found.get_pk_constraint(table.name)["constrained_columns"]
        assert primary == [c.name for c in table.primary_key.columns], table.name


def test_the_branch_downgrades_cleanly(isolated_engine):
    from alembic import command  # noqa: PLC0415

    from bankstack.platform.migrations import alembic_config, migration_connection  # noqa: PLC0415

    url = isolated_engine.url.render_as_string(hide_password=False)
    cfg = alembic_config(url)
    with migration_connection(url) as conn:
        cfg.attributes["connection"] = conn
        # The fixtures migrate past 0003 (to 0009): go down to the revision before the gateway.
        command.downgrade(cfg, "0002_payments")
    assert not any(
        name.startswith("gateway_") for name in inspect(isolated_engine).get_table_names()
    )
