"""Payments: customer-to-customer transfers, screened by risk.

Revision ID: 0008_payments_transfers
Revises: 0007_payments_risk_checks

One row per transfer, named forever by the sender's reference (unique per sender); the id is
derived from the two, so a retry finds its row. ``processing_since`` is set while a ledger step
is in flight and indexed for the worker that takes over steps whose caller died. The one-time
code of a challenged transfer is kept as its SHA-256 only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_payments_transfers"
down_revision = "0007_payments_risk_checks"
branch_labels = None
depends_on = None

STATUSES = (
    "processing",
    "pending_challenge",
    "held_for_review",
    "completed",
    "rejected",
    "returned",
    "failed",
)


def upgrade() -> None:
    statuses = ", ".join(f"'{status}'" for status in STATUSES)
    op.create_table(
        "payments_transfers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("sender_id", sa.String(64), nullable=False),
        sa.Column("recipient_id", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("decision_id", sa.String(40), nullable=True),
        sa.Column("via_hold", sa.Boolean(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=True),
        sa.Column("code_expires_at", sa.BigInteger(), nullable=True),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.Column("failure_code", sa.String(64), nullable=True),
        sa.Column("processing_since", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("completed_at", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("sender_id", "reference", name="uq_payments_transfers_reference"),
        sa.CheckConstraint(f"status IN ({statuses})", name="ck_payments_transfers_status"),
        sa.CheckConstraint("amount > 0", name="ck_payments_transfers_amount"),
        sa.CheckConstraint("sender_id <> recipient_id", name="ck_payments_transfers_parties"),
        sa.CheckConstraint("code_attempts >= 0", name="ck_payments_transfers_attempts"),
    )
    op.create_index("ix_payments_transfers_in_flight", "payments_transfers", ["processing_since"])


def downgrade() -> None:
    op.drop_index("ix_payments_transfers_in_flight", table_name="payments_transfers")
    op.drop_table("payments_transfers")
