"""SQLAlchemy Core descriptions of the payments tables (created by migration 0002_payments).

Only what queries need: names and types. Constraints live in the migration, which is the
schema's one source; ``tests/integration/payments`` checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Integer, MetaData, String, Table

metadata = MetaData()

ID = String(32)
PARTY = String(64)


def _bigints(*names: str) -> list[Column[int]]:
    return [Column(name, BigInteger) for name in names]


merchants = Table(
    "payments_merchants",
    metadata,
    Column("id", PARTY, primary_key=True),
    Column("name", String(256)),
    Column("currency", String(3)),
    Column("fee_ppm", Integer),
    Column("partner_id", PARTY),
    Column("commission_ppm", Integer),
    Column("settlement_account_id", ID),
    Column("partner_account_id", ID),
    Column("created_at", BigInteger),
)

wallets = Table(
    "payments_wallets",
    metadata,
    Column("customer_id", PARTY, primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("account_id", ID),
    Column("created_at", BigInteger),
)

trades = Table(
    "payments_trades",
    metadata,
    Column("id", ID, primary_key=True),
    Column("merchant_id", PARTY),
    Column("out_trade_no", String(64)),
    Column("subject", String(256)),
    Column("currency", String(3)),
    *_bigints("amount", "net_amount", "fee_amount", "commission_amount", "paid_amount"),
    *_bigints("refunded_amount", "refunded_net", "refunded_fee", "refunded_commission"),
    Column("status", String(16)),
    Column("buyer_id", PARTY),
    Column("payer_id", PARTY),
    Column("payer_account_id", ID),
    Column("partner_account_id", ID),
    Column("pay_attempt", Integer),
    Column("processing_since", BigInteger),
    Column("timeout_s", Integer),
    *_bigints("created_at", "expires_at", "paid_at", "settled_at", "closed_at"),
    Column("escrow_deadline_s", Integer),
    Column("escrow_on_deadline", String(8)),
    Column("escrow_status", String(16)),
    Column("escrow_deadline_at", BigInteger),
    Column("escrow_version", Integer),
    Column("escrow_dispute_reason", String(256)),
    Column("escrow_resolved_by", PARTY),
    Column("version", Integer),
)

refunds = Table(
    "payments_refunds",
    metadata,
    Column("id", ID, primary_key=True),
    Column("trade_id", ID),
    Column("merchant_id", PARTY),
    Column("out_trade_no", String(64)),
    Column("out_refund_no", String(64)),
    Column("currency", String(3)),
    *_bigints("amount", "net_amount", "fee_amount", "commission_amount"),
    Column("status", String(16)),
    Column("attempt", Integer),
    Column("payee_account_id", ID),
    Column("reason", String(256)),
    Column("failure_code", String(64)),
    *_bigints("processing_since", "created_at", "succeeded_at"),
    Column("version", Integer),
)

codes = Table(
    "payments_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("customer_id", PARTY),
    Column("issued_at", BigInteger),
    Column("expires_at", BigInteger),
    Column("used_at", BigInteger),
    Column("trade_id", ID),
)

risk_checks = Table(
    "payments_risk_checks",
    metadata,
    Column("trade_id", ID, primary_key=True),
    Column("payer_id", PARTY, primary_key=True),
    Column("decision_id", String(40)),
    Column("status", String(12)),
    Column("code_hash", String(64)),
    Column("code_expires_at", BigInteger),
    Column("code_attempts", Integer),
    Column("hold_attempt", Integer),
    Column("created_at", BigInteger),
    Column("updated_at", BigInteger),
)

transfers = Table(
    "payments_transfers",
    metadata,
    Column("id", ID, primary_key=True),
    Column("sender_id", PARTY),
    Column("recipient_id", PARTY),
    Column("reference", String(64)),
    Column("currency", String(3)),
    Column("amount", BigInteger),
    Column("status", String(20)),
    Column("decision_id", String(40)),
    Column("via_hold", Boolean),
    Column("code_hash", String(64)),
    Column("code_expires_at", BigInteger),
    Column("code_attempts", Integer),
    Column("failure_code", String(64)),
    *_bigints("processing_since", "created_at", "updated_at", "completed_at"),
    Column("version", Integer),
)
