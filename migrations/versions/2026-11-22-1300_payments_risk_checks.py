"""Payments: risk checks of a payer on a trade (rejected, challenged, held for review).

Revision ID: 0007_payments_risk_checks
Revises: 0006_risk

One row per (trade, payer) once risk answered anything but accept: a rejection to repeat, a
one-time code to confirm (only its SHA-256 is stored), or a hold awaiting its review case.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_payments_risk_checks"
down_revision = "0006_risk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payments_risk_checks",
        sa.Column("trade_id", sa.String(32), primary_key=True),
        sa.Column("payer_id", sa.String(64), primary_key=True),
        sa.Column("decision_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=True),
        sa.Column("code_expires_at", sa.BigInteger(), nullable=True),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.Column("hold_attempt", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "status IN ('rejected', 'challenged', 'confirmed', 'held', 'released', 'returned')",
            name="ck_payments_risk_checks_status",
        ),
        sa.CheckConstraint("code_attempts >= 0", name="ck_payments_risk_checks_attempts"),
    )


def downgrade() -> None:
    op.drop_table("payments_risk_checks")
