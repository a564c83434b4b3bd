"""Payments: list a merchant's trades newest first, a page at a time.

Revision ID: 0005_payments_trade_list
Revises: 0004_alipay
"""

from __future__ import annotations

from alembic import op

revision = "0005_payments_trade_list"
down_revision = "0004_alipay"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # (merchant, created_at, id) descending is the /v1/trades page order; the index lets a
    # page seek straight to its cursor instead of sorting the merchant's whole history.
    op.create_index(
        "ix_payments_trades_listing", "payments_trades", ["merchant_id", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_payments_trades_listing", table_name="payments_trades")
