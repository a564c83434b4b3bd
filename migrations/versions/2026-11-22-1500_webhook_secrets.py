"""Gateway: room for sealed webhook endpoint secrets.

Revision ID: 0009_webhook_secrets
Revises: 0008_payments_transfers

``gateway_webhook_endpoints.secret`` now holds an AES-GCM token (``v1:<key id>:<base64url>``,
about 120 characters for a ``whsec_`` secret) instead of the secret itself, so the column
grows from 100 to 255 characters. The data is not touched here: the keys live in the key
directory, which a migration does not see. Rows still in plaintext are read as such and
sealed by the application (at start and on every write of the row).

Downgrading shrinks the column back; on PostgreSQL that fails while sealed tokens are
stored, which is right: an older release could not read them anyway.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_webhook_secrets"
down_revision = "0008_payments_transfers"
branch_labels = None
depends_on = None

TABLE = "gateway_webhook_endpoints"


def upgrade() -> None:
    _resize(sa.String(100), sa.String(255))


def downgrade() -> None:
    _resize(sa.String(255), sa.String(100))


def _resize(old: sa.String, new: sa.String) -> None:
    # SQLite does not enforce VARCHAR lengths, and rebuilding the table there would fight the
    # deliveries' foreign key for nothing.
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column(TABLE, "secret", existing_type=old, type_=new, existing_nullable=False)
