"""Payments persistence: SQLAlchemy Core on SQLite and PostgreSQL (the only SQL in payments)."""
