"""SQLAlchemy Core descriptions of the risk tables (created by migration 0006_risk).

Only what queries need: names and types. Constraints live in the migration.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

metadata = MetaData()

ID = String(40)
PARTY = String(64)

decisions = Table(
    "risk_decisions",
    metadata,
    Column("decision_id", ID, primary_key=True),
    Column("event_id", String(128)),
    Column("kind", String(24)),
    Column("customer_id", PARTY),
    Column("outcome", String(12)),
    Column("score", Integer),
    Column("reasons", Text),
    Column("rules_fired", Text),
    Column("ruleset_version", String(80)),
    Column("model_version", String(80)),
    Column("model_probability", Float),
    Column("degraded", Boolean),
    Column("decided_at", BigInteger),
    Column("features", Text),
    Column("event", Text),
    Column("amount_minor", BigInteger),
    Column("currency", String(8)),
)

shadow_decisions = Table(
    "risk_shadow_decisions",
    metadata,
    Column("decision_id", ID, primary_key=True),
    Column("ruleset_version", String(80), primary_key=True),
    Column("model_version", String(80)),
    Column("outcome", String(12)),
    Column("score", Integer),
    Column("reasons", Text),
    Column("rules_fired", Text),
    Column("decided_at", BigInteger),
)

rulesets = Table(
    "risk_rulesets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("body", Text),
    Column("sha256", String(64)),
    Column("status", String(12)),
    Column("created_at", BigInteger),
    Column("created_by", PARTY),
    Column("status_at", BigInteger),
    Column("status_by", PARTY),
)

alerts = Table(
    "risk_alerts",
    metadata,
    Column("alert_id", ID, primary_key=True),
    Column("detector", String(32)),
    Column("subject", PARTY),
    Column("severity", String(12)),
    Column("summary", Text),
    Column("details", Text),
    Column("amount_minor", BigInteger),
    Column("currency", String(8)),
    Column("raised_at", BigInteger),
    Column("dedupe_key", String(200)),
    Column("case_id", ID),
)

cases = Table(
    "risk_cases",
    metadata,
    Column("case_id", ID, primary_key=True),
    Column("status", String(16)),
    Column("subject", PARTY),
    Column("title", String(300)),
    Column("origin", String(16)),
    Column("priority", SmallInteger),
    Column("opened_at", BigInteger),
    Column("updated_at", BigInteger),
    Column("assignee", PARTY),
    Column("resolution", Text),
    Column("version", Integer),
)

case_links = Table(
    "risk_case_links",
    metadata,
    Column("case_id", ID, primary_key=True),
    Column("ref_kind", String(16), primary_key=True),
    Column("ref_id", String(128), primary_key=True),
    Column("linked_at", BigInteger),
)

case_history = Table(
    "risk_case_history",
    metadata,
    Column("case_id", ID, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("at", BigInteger),
    Column("actor", PARTY),
    Column("from_status", String(16)),
    Column("to_status", String(16)),
    Column("note", Text),
)

labels = Table(
    "risk_labels",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("label", SmallInteger),
    Column("source", String(16)),
    Column("case_id", ID),
    Column("labelled_at", BigInteger),
)
