"""The Alipay gateway's tables as SQLAlchemy Core objects.

The schema is created by migration ``0004_alipay``; these definitions mirror it (a test
compares them with the migrated database) and never create tables. Times are BIGINT
nanoseconds since the epoch; a trade id is the 32-character lowercase hex form payments'
tables use (fixed width, so text order is numeric order).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from bankstack.gateway.alipay.ports import NOTIFY_URL_CHARS as URL_CHARS

metadata = MetaData()

apps = Table(
    "alipay_apps",
    metadata,
    Column("app_id", String(32), primary_key=True),
    Column("merchant_id", String(64), nullable=False),
    Column("rsa2_public_key", Text, nullable=False),
    Column("rsa_public_key", Text),
    Column("notify_url", String(URL_CHARS)),
    Column("status", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

trades = Table(
    "alipay_trades",
    metadata,
    Column("trade_id", String(32), primary_key=True),
    Column("app_id", String(32), ForeignKey("alipay_apps.app_id"), nullable=False),
    Column("notify_url", String(URL_CHARS)),
    Column("created_at", BigInteger, nullable=False),
)

notifications = Table(
    "alipay_notifications",
    metadata,
    Column("notify_id", String(64), primary_key=True),
    Column("app_id", String(32), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("form", Text, nullable=False),
    Column("charset", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("next_attempt_at", BigInteger),
    Column("finished_at", BigInteger),
)


def hex_id(trade_id: int) -> str:
    return f"{trade_id:032x}"
