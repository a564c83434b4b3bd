"""Alipay-compatible gateway: apps, the trades made through it, pending notifications.

Revision ID: 0004_alipay
Revises: 0003_gateway
Create Date: 2026-11-22 09:00

Portable column types: one script serves SQLite and PostgreSQL. ``alipay_apps`` holds each
app's merchant, its RSA public keys (PEM) and default notify_url; ``alipay_trades`` links a
payments trade (hex id, as payments' tables write it) to the app that made it and its
notify_url; ``alipay_notifications`` holds signed notification forms and their retry state.
The CHECKs back up the Python rules: a pending notification always has a due time and a
finished one never has.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_alipay"
down_revision = "0003_gateway"
branch_labels = None
depends_on = None

URL = sa.String(256)


def _ns(name: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def _apps() -> None:
    op.create_table(
        "alipay_apps",
        sa.Column("app_id", sa.String(32), primary_key=True),
        sa.Column("merchant_id", sa.String(64), nullable=False),
        sa.Column("rsa2_public_key", sa.Text(), nullable=False),
        sa.Column("rsa_public_key", sa.Text(), nullable=True),
        sa.Column("notify_url", URL, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _ns("created_at"),
        _ns("updated_at"),
        sa.CheckConstraint("status IN ('active', 'suspended')", name="ck_alipay_apps_status"),
    )
    op.create_index("ix_alipay_apps_merchant", "alipay_apps", ["merchant_id"])


def _trades() -> None:
    op.create_table(
        "alipay_trades",
        sa.Column("trade_id", sa.String(32), primary_key=True),
        sa.Column("app_id", sa.String(32), sa.ForeignKey("alipay_apps.app_id"), nullable=False),
        sa.Column("notify_url", URL, nullable=True),
        _ns("created_at"),
        sa.CheckConstraint("length(trade_id) = 32", name="ck_alipay_trades_id"),
    )


def _notifications() -> None:
    op.create_table(
        "alipay_notifications",
        sa.Column("notify_id", sa.String(64), primary_key=True),
        sa.Column("app_id", sa.String(32), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("charset", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ns("created_at"),
        _ns("next_attempt_at", nullable=True),
        _ns("finished_at", nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'abandoned')",
            name="ck_alipay_notifications_status",
        ),
        sa.CheckConstraint("attempts >= 0", name="ck_alipay_notifications_attempts"),
        sa.CheckConstraint(
            "(status = 'pending') = (next_attempt_at IS NOT NULL)",
            name="ck_alipay_notifications_due",
        ),
        sa.CheckConstraint(
            "(status = 'pending') = (finished_at IS NULL)",
            name="ck_alipay_notifications_finished",
        ),
    )
    op.create_index(
        "ix_alipay_notifications_due",
        "alipay_notifications",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )


def upgrade() -> None:
    _apps()
    _trades()
    _notifications()


def downgrade() -> None:
    for table in ("alipay_notifications", "alipay_trades", "alipay_apps"):
        op.drop_table(table)
