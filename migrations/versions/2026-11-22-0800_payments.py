"""Payments: merchants, wallets, trades, refunds and payment codes.

Revision ID: 0002_payments
Revises: 0001_ledger_journal
Create Date: 2026-11-22 08:00

The same DDL on SQLite and PostgreSQL. Ids of 128 bits are 32-character lowercase hex
strings (fixed width, so text order is numeric order); amounts are BIGINT minor units.
CHECK constraints refuse impossible states even if the Python code had a bug: the parts of
a split not summing to the amount, more refunded than paid (per leg and in total), a paid
trade without a payer, a succeeded trade not paid in full, an escrow refunded but not
closed; unique indexes make ``out_trade_no`` unique per merchant forever and
``out_refund_no`` unique per trade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_payments"
down_revision = "0001_ledger_journal"
branch_labels = None
depends_on = None

ID = sa.String(32)
PARTY = sa.String(64)

TRADE_CHECKS = {
    "amount_positive": "amount > 0",
    "split_parts": "net_amount >= 0 AND fee_amount >= 0 AND commission_amount >= 0",
    "split_sum": "net_amount + fee_amount + commission_amount = amount",
    "status_known": "status IN ('waiting', 'processing', 'succeeded', 'closed')",
    "paid_whole": "paid_amount = 0 OR paid_amount = amount",
    "refunded_legs": (
        "refunded_net BETWEEN 0 AND net_amount AND refunded_fee BETWEEN 0 AND fee_amount"
        " AND refunded_commission BETWEEN 0 AND commission_amount"
    ),
    "refunded_sum": "refunded_amount = refunded_net + refunded_fee + refunded_commission",
    "refunded_within_paid": "refunded_amount <= paid_amount",
    "unpaid_untouched": (
        "status NOT IN ('waiting', 'processing') OR (paid_amount = 0 AND refunded_amount = 0)"
    ),
    "succeeded_paid": "status <> 'succeeded' OR (paid_amount = amount AND paid_at IS NOT NULL)",
    "processing_claimed": (
        "status <> 'processing' OR (payer_account_id IS NOT NULL AND processing_since IS NOT NULL)"
    ),
    "paid_has_payer": "paid_amount = 0 OR payer_account_id IS NOT NULL",
    "attempts": "pay_attempt >= 0 AND version >= 1 AND escrow_version >= 0",
    "escrow_terms": (
        "(escrow_deadline_s IS NULL AND escrow_on_deadline IS NULL)"
        " OR (escrow_deadline_s > 0 AND escrow_on_deadline IN ('release', 'refund'))"
    ),
    "escrow_status_known": (
        "escrow_status IS NULL OR escrow_status IN"
        " ('held', 'disputed', 'releasing', 'refunding', 'released', 'refunded')"
    ),
    "escrow_when_paid": (
        "(escrow_status IS NULL AND (escrow_deadline_s IS NULL OR paid_amount = 0))"
        " OR (escrow_status IS NOT NULL AND escrow_deadline_s IS NOT NULL"
        " AND escrow_deadline_at IS NOT NULL AND paid_amount = amount)"
    ),
    "escrow_refunded_closed": (
        "escrow_status IS NULL OR escrow_status <> 'refunded'"
        " OR (status = 'closed' AND refunded_amount = paid_amount)"
    ),
    "escrow_unreleased_unrefunded": (
        "escrow_status IS NULL OR escrow_status IN ('released', 'refunded') OR refunded_amount = 0"
    ),
}

REFUND_CHECKS = {
    "amount_positive": "amount > 0",
    "legs": "net_amount >= 0 AND fee_amount >= 0 AND commission_amount >= 0",
    "legs_sum": "net_amount + fee_amount + commission_amount = amount",
    "status_known": "status IN ('processing', 'succeeded', 'failed')",
    "succeeded_at": "status <> 'succeeded' OR succeeded_at IS NOT NULL",
    "failed_code": "status <> 'failed' OR failure_code IS NOT NULL",
    "processing_since": "status <> 'processing' OR processing_since IS NOT NULL",
    "attempt": "attempt >= 1 AND version >= 1",
}


def _checks(table: str, checks: dict[str, str]) -> list[sa.CheckConstraint]:
    return [sa.CheckConstraint(sql, name=f"ck_{table}_{name}") for name, sql in checks.items()]


def _money_columns(*names: str) -> list[sa.Column[int]]:
    return [sa.Column(name, sa.BigInteger, nullable=False, server_default="0") for name in names]


def upgrade() -> None:
    op.create_table(
        "payments_merchants",
        sa.Column("id", PARTY, primary_key=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("fee_ppm", sa.Integer, nullable=False),
        sa.Column("partner_id", PARTY),
        sa.Column("commission_ppm", sa.Integer, nullable=False),
        sa.Column("settlement_account_id", ID, nullable=False, unique=True),
        sa.Column("partner_account_id", ID),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        *_checks(
            "payments_merchants",
            {
                "rates": "fee_ppm >= 0 AND commission_ppm >= 0 AND fee_ppm + commission_ppm < 1000000",
                "partner": (
                    "(partner_id IS NULL AND partner_account_id IS NULL AND commission_ppm = 0)"
                    " OR (partner_id IS NOT NULL AND partner_account_id IS NOT NULL)"
                ),
            },
        ),
    )
    op.create_table(
        "payments_wallets",
        sa.Column("customer_id", PARTY, primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("account_id", ID, nullable=False, unique=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    _create_trades()
    _create_refunds()
    op.create_table(
        "payments_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("customer_id", PARTY, nullable=False),
        sa.Column("issued_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("used_at", sa.BigInteger),
        sa.Column("trade_id", ID, sa.ForeignKey("payments_trades.id")),
        sa.CheckConstraint(
            "(used_at IS NULL AND trade_id IS NULL) OR (used_at IS NOT NULL AND trade_id IS NOT NULL)",
            name="ck_payments_codes_used",
        ),
    )


def _create_trades() -> None:
    op.create_table(
        "payments_trades",
        sa.Column("id", ID, primary_key=True),
        sa.Column("merchant_id", PARTY, sa.ForeignKey("payments_merchants.id"), nullable=False),
        sa.Column("out_trade_no", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(256), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        *_money_columns("net_amount", "fee_amount", "commission_amount", "paid_amount"),
        *_money_columns("refunded_amount", "refunded_net", "refunded_fee", "refunded_commission"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("buyer_id", PARTY),
        sa.Column("payer_id", PARTY),
        sa.Column("payer_account_id", ID),
        sa.Column("partner_account_id", ID),
        sa.Column("pay_attempt", sa.Integer, nullable=False, server_default="0"),
        sa.Column("processing_since", sa.BigInteger),
        sa.Column("timeout_s", sa.Integer, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("paid_at", sa.BigInteger),
        sa.Column("settled_at", sa.BigInteger),
        sa.Column("closed_at", sa.BigInteger),
        sa.Column("escrow_deadline_s", sa.Integer),
        sa.Column("escrow_on_deadline", sa.String(8)),
        sa.Column("escrow_status", sa.String(16)),
        sa.Column("escrow_deadline_at", sa.BigInteger),
        sa.Column("escrow_version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("escrow_dispute_reason", sa.String(256)),
        sa.Column("escrow_resolved_by", PARTY),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("merchant_id", "out_trade_no", name="uq_payments_trades_out_trade_no"),
        *_checks("payments_trades", TRADE_CHECKS),
    )
    op.create_index("ix_payments_trades_expiry", "payments_trades", ["status", "expires_at"])
    op.create_index(
        "ix_payments_trades_escrow", "payments_trades", ["escrow_status", "escrow_deadline_at"]
    )
    op.create_index("ix_payments_trades_settled", "payments_trades", ["merchant_id", "settled_at"])
    op.create_index("ix_payments_trades_in_flight", "payments_trades", ["processing_since"])


def _create_refunds() -> None:
    op.create_table(
        "payments_refunds",
        sa.Column("id", ID, primary_key=True),
        sa.Column("trade_id", ID, sa.ForeignKey("payments_trades.id"), nullable=False),
        sa.Column("merchant_id", PARTY, nullable=False),
        sa.Column("out_trade_no", sa.String(64), nullable=False),
        sa.Column("out_refund_no", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        *_money_columns("net_amount", "fee_amount", "commission_amount"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("payee_account_id", ID, nullable=False),
        sa.Column("reason", sa.String(256), nullable=False, server_default=""),
        sa.Column("failure_code", sa.String(64)),
        sa.Column("processing_since", sa.BigInteger),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("succeeded_at", sa.BigInteger),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("trade_id", "out_refund_no", name="uq_payments_refunds_out_refund_no"),
        *_checks("payments_refunds", REFUND_CHECKS),
    )
    op.create_index(
        "ix_payments_refunds_settled", "payments_refunds", ["merchant_id", "succeeded_at"]
    )
    op.create_index("ix_payments_refunds_in_flight", "payments_refunds", ["processing_since"])


def downgrade() -> None:
    for table in (
        "payments_codes",
        "payments_refunds",
        "payments_trades",
        "payments_wallets",
        "payments_merchants",
    ):
        op.drop_table(table)
