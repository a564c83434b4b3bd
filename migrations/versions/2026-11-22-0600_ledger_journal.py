"""Ledger journal, balances, hash chain and outbox.

Revision ID: 0001_ledger_journal
Revises:
Create Date: 2026-11-22 06:00

The journal tables are append-only: triggers refuse UPDATE, DELETE and TRUNCATE on them, and
on accounts they refuse any change but balances and the CLOSED bit. CHECK constraints refuse a
negative balance or one beyond its account's limit even if the Python code had a bug.
Ids (128-bit) are UUID on PostgreSQL and 16-byte big-endian BLOBs on SQLite; amounts and
balances are 64-bit integers (ADR 0001).
"""

from __future__ import annotations

from alembic import op

revision = "0001_ledger_journal"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = (
    "ledger_transfers",
    "ledger_pending_resolutions",
    "ledger_failed_transfers",
    "ledger_batches",
    "ledger_account_history",
)


def _tables(id_type: str, bytes_type: str, *, widen: bool) -> list[str]:
    """DDL shared by both dialects. On PostgreSQL the limit CHECKs add in NUMERIC, because two
    BIGINT balances may sum past 2**63-1; SQLite's integers turn to REAL instead of failing."""

    def w(column: str) -> str:
        return f"CAST({column} AS NUMERIC)" if widen else column

    return [
        f"""CREATE TABLE ledger_accounts (
            id {id_type} PRIMARY KEY,
            ledger INTEGER NOT NULL CHECK (ledger > 0),
            code INTEGER NOT NULL CHECK (code > 0),
            user_data {id_type} NOT NULL,
            flags INTEGER NOT NULL,
            credit_limit BIGINT NOT NULL DEFAULT 0 CHECK (credit_limit >= 0),
            debits_pending BIGINT NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
            debits_posted BIGINT NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
            credits_pending BIGINT NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
            credits_posted BIGINT NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
            timestamp BIGINT NOT NULL UNIQUE,
            batch_id BIGINT NOT NULL,
            digest {bytes_type} NOT NULL,
            CONSTRAINT ck_ledger_accounts_one_constraint CHECK ((flags & 6) <> 6),
            CONSTRAINT ck_ledger_accounts_debits_within_credits CHECK ((flags & 2) = 0 OR
                {w("debits_pending")} + debits_posted <= {w("credits_posted")} + credit_limit),
            CONSTRAINT ck_ledger_accounts_credits_within_debits CHECK ((flags & 4) = 0 OR
                {w("credits_pending")} + credits_posted <= {w("debits_posted")} + credit_limit)
        )""",
        f"""CREATE TABLE ledger_transfers (
            id {id_type} PRIMARY KEY,
            debit_account_id {id_type} NOT NULL,
            credit_account_id {id_type} NOT NULL,
            amount BIGINT NOT NULL CHECK (amount >= 0),
            pending_id {id_type},
            ledger INTEGER NOT NULL,
            code INTEGER NOT NULL,
            user_data {id_type} NOT NULL,
            flags INTEGER NOT NULL,
            timeout BIGINT NOT NULL,
            effective_at BIGINT NOT NULL,
            timestamp BIGINT NOT NULL UNIQUE,
            batch_id BIGINT NOT NULL,
            digest {bytes_type} NOT NULL,
            CHECK (debit_account_id <> credit_account_id)
        )""",
        "CREATE INDEX ix_ledger_transfers_debit ON ledger_transfers (debit_account_id, timestamp)",
        "CREATE INDEX ix_ledger_transfers_credit ON ledger_transfers (credit_account_id, timestamp)",
        f"""CREATE TABLE ledger_pending_resolutions (
            pending_id {id_type} PRIMARY KEY,
            state SMALLINT NOT NULL CHECK (state IN (1, 2, 3)),
            transfer_id {id_type},
            timestamp BIGINT NOT NULL UNIQUE,
            batch_id BIGINT NOT NULL,
            digest {bytes_type}
        )""",
        f"""CREATE TABLE ledger_failed_transfers (
            id {id_type} PRIMARY KEY,
            result VARCHAR(64) NOT NULL,
            timestamp BIGINT NOT NULL
        )""",
        f"""CREATE TABLE ledger_pending_timeouts (
            transfer_id {id_type} PRIMARY KEY,
            expires_at BIGINT NOT NULL
        )""",
        "CREATE INDEX ix_ledger_pending_timeouts_expires ON ledger_pending_timeouts (expires_at)",
        f"""CREATE TABLE ledger_batches (
            id BIGINT PRIMARY KEY,
            kind VARCHAR(16) NOT NULL,
            previous_hash {bytes_type} NOT NULL,
            hash {bytes_type} NOT NULL,
            first_timestamp BIGINT NOT NULL,
            last_timestamp BIGINT NOT NULL,
            record_count INTEGER NOT NULL,
            recorded_at BIGINT NOT NULL
        )""",
        f"""CREATE TABLE ledger_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            batch_id BIGINT NOT NULL,
            hash {bytes_type} NOT NULL,
            last_timestamp BIGINT NOT NULL
        )""",
        f"""CREATE TABLE ledger_account_history (
            account_id {id_type} NOT NULL,
            timestamp BIGINT NOT NULL,
            debits_pending BIGINT NOT NULL,
            debits_posted BIGINT NOT NULL,
            credits_pending BIGINT NOT NULL,
            credits_posted BIGINT NOT NULL,
            PRIMARY KEY (account_id, timestamp)
        )""",
    ]


def _outbox(serial: str) -> list[str]:
    return [
        f"""CREATE TABLE outbox (
            id {serial},
            topic VARCHAR(100) NOT NULL,
            key VARCHAR(100) NOT NULL,
            payload TEXT NOT NULL,
            occurred_at BIGINT NOT NULL,
            published_at BIGINT
        )""",
        "CREATE INDEX ix_outbox_unpublished ON outbox (id) WHERE published_at IS NULL",
        """CREATE TABLE processed_events (
            consumer VARCHAR(100) NOT NULL,
            event_id VARCHAR(200) NOT NULL,
            processed_at BIGINT NOT NULL,
            PRIMARY KEY (consumer, event_id)
        )""",
    ]


_PG_GUARDS = """
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger journal is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END $$;

CREATE FUNCTION ledger_refuse_account_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'only balances and the closed flag of a ledger account may change (% refused)',
    TG_OP USING ERRCODE = 'restrict_violation';
END $$;

-- The WHEN clause is evaluated without calling PL/pgSQL, so the balance updates of every
-- batch pay nothing for this guard; only a forbidden change reaches the function.
CREATE TRIGGER ledger_accounts_guard BEFORE UPDATE ON ledger_accounts FOR EACH ROW
  WHEN (NEW.id <> OLD.id OR NEW.ledger <> OLD.ledger OR NEW.code <> OLD.code
     OR NEW.user_data <> OLD.user_data OR NEW.credit_limit <> OLD.credit_limit
     OR NEW.timestamp <> OLD.timestamp OR NEW.batch_id <> OLD.batch_id
     OR NEW.digest <> OLD.digest OR ((NEW.flags # OLD.flags) & ~32) <> 0)
  EXECUTE FUNCTION ledger_refuse_account_change();
CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_account_change();
CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
"""


def _pg_append_only(table: str) -> str:
    return f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
"""


def _sqlite_guards() -> list[str]:
    guards = [
        """CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
           BEGIN SELECT RAISE(ABORT, 'ledger accounts are never deleted'); END""",
        """CREATE TRIGGER ledger_accounts_guard BEFORE UPDATE ON ledger_accounts
           WHEN NEW.id IS NOT OLD.id OR NEW.ledger <> OLD.ledger OR NEW.code <> OLD.code
             OR NEW.user_data IS NOT OLD.user_data OR NEW.credit_limit <> OLD.credit_limit
             OR NEW.timestamp <> OLD.timestamp OR NEW.batch_id <> OLD.batch_id
             OR NEW.digest IS NOT OLD.digest OR ((NEW.flags | OLD.flags) - (NEW.flags & OLD.flags)) & ~32 <> 0
           BEGIN SELECT RAISE(ABORT, 'only balances and the closed flag of a ledger account may change'); END""",
    ]
    guards.extend(
        f"""CREATE TRIGGER {table}_no_{op_name.lower()} BEFORE {op_name} ON {table}
        BEGIN SELECT RAISE(ABORT, 'ledger journal is append-only: {op_name} on {table} refused'); END"""
        for table in APPEND_ONLY
        for op_name in ("UPDATE", "DELETE")
    )
    return guards


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        statements = _tables("UUID", "BYTEA", widen=True)
        statements += _outbox("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
        # Balance updates then stay on the same page (HOT) and touch no index.
        statements.append("ALTER TABLE ledger_accounts SET (fillfactor = 80)")
        statements.append(_PG_GUARDS)
        statements += [_pg_append_only(t) for t in APPEND_ONLY]
        head = "INSERT INTO ledger_head VALUES (1, 0, decode(repeat('00', 32), 'hex'), 0)"
    else:
        statements = _tables("BLOB", "BLOB", widen=False)
        statements += _outbox("INTEGER PRIMARY KEY AUTOINCREMENT")
        statements += _sqlite_guards()
        head = "INSERT INTO ledger_head VALUES (1, 0, zeroblob(32), 0)"
    statements.append(head)
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in (
        "processed_events",
        "outbox",
        "ledger_account_history",
        "ledger_head",
        "ledger_batches",
        "ledger_pending_timeouts",
        "ledger_failed_transfers",
        "ledger_pending_resolutions",
        "ledger_transfers",
        "ledger_accounts",
    ):
        op.execute(f"DROP TABLE {table}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION ledger_refuse_account_change()")
        op.execute("DROP FUNCTION ledger_refuse_change()")
