"""Open API gateway: partner apps, keys, webhook endpoints, events, deliveries, idempotency.

Revision ID: 0003_gateway
Revises: 0001_ledger_journal
Create Date: 2026-11-22 08:10

A branch of its own next to the other domains' migrations (``upgrade()`` migrates to
"heads"). Written with portable column types, so one script serves SQLite and PostgreSQL.
The database backs up the Python rules: an app has at most two active signing keys (a unique
rotation slot per active key), keys are 32 raw bytes, sandbox API keys are test mode only,
and an outbox event becomes at most one webhook event per app.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_gateway"
down_revision = "0002_payments"
branch_labels = None
depends_on = None


def _ns(name: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def _apps() -> None:
    op.create_table(
        "gateway_apps",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("merchant_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("api_version", sa.String(10), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _ns("created_at"),
        _ns("updated_at"),
        sa.CheckConstraint("status IN ('active', 'suspended')", name="ck_gateway_apps_status"),
    )
    op.create_index("ix_gateway_apps_merchant", "gateway_apps", ["merchant_id", "livemode"])
    op.create_table(
        "gateway_app_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("app_id", sa.String(40), sa.ForeignKey("gateway_apps.id"), nullable=False),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("slot", sa.SmallInteger(), nullable=True),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        _ns("created_at"),
        _ns("retired_at", nullable=True),
        sa.CheckConstraint("algorithm = 'ed25519'", name="ck_gateway_app_keys_algorithm"),
        sa.CheckConstraint("length(public_key) = 32", name="ck_gateway_app_keys_length"),
        sa.CheckConstraint("status IN ('active', 'retired')", name="ck_gateway_app_keys_status"),
        sa.CheckConstraint("slot IN (1, 2)", name="ck_gateway_app_keys_slot"),
        sa.CheckConstraint(
            "(status = 'active') = (slot IS NOT NULL)", name="ck_gateway_app_keys_active_slot"
        ),
        sa.UniqueConstraint("app_id", "slot", name="uq_gateway_app_keys_slot"),
    )
    op.create_table(
        "gateway_api_keys",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("app_id", sa.String(40), sa.ForeignKey("gateway_apps.id"), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(), nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        _ns("created_at"),
        _ns("revoked_at", nullable=True),
        sa.CheckConstraint("NOT livemode", name="ck_gateway_api_keys_test_only"),
        sa.CheckConstraint("status IN ('active', 'revoked')", name="ck_gateway_api_keys_status"),
        sa.UniqueConstraint("secret_hash", name="uq_gateway_api_keys_secret_hash"),
    )
    op.create_index("ix_gateway_api_keys_app", "gateway_api_keys", ["app_id"])


def _webhooks() -> None:
    op.create_table(
        "gateway_webhook_endpoints",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("app_id", sa.String(40), sa.ForeignKey("gateway_apps.id"), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("event_types", sa.Text(), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(64), nullable=True),
        _ns("created_at"),
        _ns("updated_at"),
    )
    op.create_index("ix_gateway_webhook_endpoints_app", "gateway_webhook_endpoints", ["app_id"])
    op.create_table(
        "gateway_events",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("app_id", sa.String(40), sa.ForeignKey("gateway_apps.id"), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("api_version", sa.String(10), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        _ns("created_at"),
        sa.Column("object_version", sa.BigInteger(), nullable=True),
        sa.Column("source_event_id", sa.String(200), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("app_id", "source_event_id", name="uq_gateway_events_source"),
    )
    op.create_index("ix_gateway_events_list", "gateway_events", ["app_id", "created_at", "id"])
    op.create_table(
        "gateway_webhook_deliveries",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("event_id", sa.String(40), sa.ForeignKey("gateway_events.id"), nullable=False),
        sa.Column(
            "endpoint_id",
            sa.String(40),
            sa.ForeignKey("gateway_webhook_endpoints.id"),
            nullable=False,
        ),
        sa.Column("app_id", sa.String(40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ns("next_attempt_at", nullable=True),
        _ns("last_attempt_at", nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        _ns("created_at"),
        _ns("updated_at"),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed')",
            name="ck_gateway_webhook_deliveries_status",
        ),
        sa.CheckConstraint("attempts >= 0", name="ck_gateway_webhook_deliveries_attempts"),
        sa.UniqueConstraint(
            "event_id", "endpoint_id", name="uq_gateway_webhook_deliveries_event_endpoint"
        ),
    )
    op.create_index(
        "ix_gateway_webhook_deliveries_due",
        "gateway_webhook_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_gateway_webhook_deliveries_endpoint", "gateway_webhook_deliveries", ["endpoint_id"]
    )


def _idempotency() -> None:
    op.create_table(
        "gateway_idempotency_keys",
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        _ns("created_at"),
        _ns("expires_at"),
        _ns("completed_at", nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_headers", sa.Text(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_gateway_idempotency_keys"),
        sa.CheckConstraint(
            "state IN ('in_progress', 'completed')", name="ck_gateway_idempotency_keys_state"
        ),
        sa.CheckConstraint(
            "(state = 'completed') = (response_status IS NOT NULL)",
            name="ck_gateway_idempotency_keys_response",
        ),
    )
    op.create_index(
        "ix_gateway_idempotency_keys_expires", "gateway_idempotency_keys", ["expires_at"]
    )


def upgrade() -> None:
    _apps()
    _webhooks()
    _idempotency()


def downgrade() -> None:
    for table in (
        "gateway_idempotency_keys",
        "gateway_webhook_deliveries",
        "gateway_events",
        "gateway_webhook_endpoints",
        "gateway_api_keys",
        "gateway_app_keys",
        "gateway_apps",
    ):
        op.drop_table(table)
