"""Risk: decisions (and shadow decisions), rule sets, alerts, cases with their links and
history, and labels.

Revision ID: 0006_risk
Revises: 0005_payments_trade_list

Portable column types, one script for SQLite and PostgreSQL. The database backs up the
Python rules: one active and at most one shadow version per rule set (partial unique
indexes), outcomes, statuses and labels from closed lists, one alert per detector finding
(``dedupe_key``), so that replaying the stream never raises an alert twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_risk"
down_revision = "0005_payments_trade_list"
branch_labels = None
depends_on = None

OUTCOMES = "('accept', 'challenge', 'review', 'reject')"


def _ns(name: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def _decisions() -> None:
    op.create_table(
        "risk_decisions",
        sa.Column("decision_id", sa.String(40), primary_key=True),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),  # JSON list of reasons
        sa.Column("rules_fired", sa.Text(), nullable=False),  # JSON list of rule ids
        sa.Column("ruleset_version", sa.String(80), nullable=False),
        sa.Column("model_version", sa.String(80), nullable=True),
        sa.Column("model_probability", sa.Float(), nullable=True),
        sa.Column("degraded", sa.Boolean(), nullable=False),
        _ns("decided_at"),
        sa.Column("features", sa.Text(), nullable=False),  # JSON object
        sa.Column("event", sa.Text(), nullable=False),  # JSON of the RiskEvent
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(8), nullable=True),
        sa.CheckConstraint(f"outcome IN {OUTCOMES}", name="ck_risk_decisions_outcome"),
        sa.CheckConstraint("score BETWEEN 0 AND 1000", name="ck_risk_decisions_score"),
    )
    op.create_index("ix_risk_decisions_event", "risk_decisions", ["event_id"])
    op.create_index("ix_risk_decisions_customer", "risk_decisions", ["customer_id", "decided_at"])
    op.create_index("ix_risk_decisions_time", "risk_decisions", ["decided_at"])
    op.create_table(
        "risk_shadow_decisions",
        sa.Column("decision_id", sa.String(40), primary_key=True),
        sa.Column("ruleset_version", sa.String(80), primary_key=True),
        sa.Column("model_version", sa.String(80), nullable=True),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("rules_fired", sa.Text(), nullable=False),
        _ns("decided_at"),
        sa.CheckConstraint(f"outcome IN {OUTCOMES}", name="ck_risk_shadow_outcome"),
    )


def _rulesets() -> None:
    op.create_table(
        "risk_rulesets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),  # the TOML text, exactly as submitted
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        _ns("created_at"),
        sa.Column("created_by", sa.String(64), nullable=False),
        _ns("status_at"),
        sa.Column("status_by", sa.String(64), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'shadow', 'active', 'retired')", name="ck_risk_rulesets_status"
        ),
        sa.CheckConstraint("version > 0", name="ck_risk_rulesets_version"),
    )
    for status in ("active", "shadow"):
        op.create_index(
            f"ux_risk_rulesets_{status}",
            "risk_rulesets",
            ["name"],
            unique=True,
            sqlite_where=sa.text(f"status = '{status}'"),
            postgresql_where=sa.text(f"status = '{status}'"),
        )


def _alerts() -> None:
    op.create_table(
        "risk_alerts",
        sa.Column("alert_id", sa.String(40), primary_key=True),
        sa.Column("detector", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),  # account or customer
        sa.Column("severity", sa.String(12), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),  # JSON: transfers, amounts, path
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(8), nullable=True),
        _ns("raised_at"),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        sa.Column("case_id", sa.String(40), nullable=True),
        sa.CheckConstraint("severity IN ('low', 'medium', 'high')", name="ck_risk_alerts_severity"),
    )
    op.create_index("ix_risk_alerts_subject", "risk_alerts", ["subject", "raised_at"])


def _cases() -> None:
    op.create_table(
        "risk_cases",
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),  # decision | alert | staff
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        _ns("opened_at"),
        _ns("updated_at"),
        sa.Column("assignee", sa.String(64), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'investigating', 'confirmed', 'false_positive')",
            name="ck_risk_cases_status",
        ),
        sa.CheckConstraint("origin IN ('decision', 'alert', 'staff')", name="ck_risk_cases_origin"),
    )
    op.create_index("ix_risk_cases_queue", "risk_cases", ["status", "priority", "opened_at"])
    op.create_index("ix_risk_cases_subject", "risk_cases", ["subject", "status"])
    op.create_table(
        "risk_case_links",
        sa.Column("case_id", sa.String(40), sa.ForeignKey("risk_cases.case_id"), primary_key=True),
        sa.Column("ref_kind", sa.String(16), primary_key=True),
        sa.Column("ref_id", sa.String(128), primary_key=True),
        _ns("linked_at"),
        sa.CheckConstraint(
            "ref_kind IN ('decision', 'alert', 'event', 'trade', 'transfer')",
            name="ck_risk_case_links_kind",
        ),
    )
    op.create_index("ix_risk_case_links_ref", "risk_case_links", ["ref_kind", "ref_id"])
    op.create_table(
        "risk_case_history",
        sa.Column("case_id", sa.String(40), sa.ForeignKey("risk_cases.case_id"), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True),
        _ns("at"),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )


def _labels() -> None:
    op.create_table(
        "risk_labels",
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("label", sa.SmallInteger(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("case_id", sa.String(40), nullable=True),
        _ns("labelled_at"),
        sa.CheckConstraint("label IN (0, 1)", name="ck_risk_labels_label"),
        sa.CheckConstraint("source IN ('case', 'simulator', 'import')", name="ck_risk_labels_src"),
    )


def upgrade() -> None:
    _decisions()
    _rulesets()
    _alerts()
    _cases()
    _labels()


def downgrade() -> None:
    for table in (
        "risk_labels",
        "risk_case_history",
        "risk_case_links",
        "risk_cases",
        "risk_alerts",
        "risk_rulesets",
        "risk_shadow_decisions",
        "risk_decisions",
    ):
        op.drop_table(table)
