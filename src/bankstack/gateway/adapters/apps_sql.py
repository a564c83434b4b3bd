"""Partner apps, signing keys, API keys and webhook endpoints on SQLAlchemy Core.

Webhook endpoint secrets are sealed on write and opened on read (``endpoint_secrets``): the
domain's ``WebhookEndpoint`` holds the plaintext in memory only, the database a token.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Row, func, select, update

from bankstack.gateway.adapters.endpoint_secrets import open_secret, seal_secret
from bankstack.gateway.adapters.secret_box import SecretBox
from bankstack.gateway.adapters.tables import (
    api_keys,
    app_keys,
    apps,
    transaction,
    webhook_endpoints,
)
from bankstack.gateway.domain.apps import (
    ApiKey,
    ApiKeyStatus,
    App,
    AppKey,
    AppStatus,
    KeyStatus,
    WebhookEndpoint,
)


class SqlAppStore:
    def __init__(self, engine: Engine, secrets: SecretBox) -> None:
        self._engine = engine
        self._secrets = secrets

    @contextmanager
    def unit(self, *, write: bool = True) -> Iterator[SqlAppUnit]:
        with transaction(self._engine, write=write) as conn:
            yield SqlAppUnit(conn, self._secrets)


class SqlAppUnit:
    """The app tables inside one transaction (also usable on a caller's connection)."""

    def __init__(self, conn: Connection, secrets: SecretBox) -> None:
        self._conn = conn
        self._secrets = secrets

    # -- apps -------------------------------------------------------------------------------

    def get_app(self, app_id: str, *, for_update: bool = False) -> App | None:
        query = select(apps).where(apps.c.id == app_id)
        if for_update and self._conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return None if row is None else app_from_row(row)

    def insert_app(self, app: App) -> None:
        self._conn.execute(
            apps.insert().values(
                id=app.id,
                merchant_id=app.merchant_id,
                name=app.name,
                livemode=app.livemode,
                api_version=app.api_version,
                status=app.status.value,
                created_at=app.created_at,
                updated_at=app.updated_at,
            )
        )

    def set_app_status(self, app_id: str, status: AppStatus, now: int) -> None:
        self._conn.execute(
            update(apps).where(apps.c.id == app_id).values(status=status.value, updated_at=now)
        )

    def apps_of_merchant(self, merchant_id: str, *, livemode: bool) -> list[App]:
        rows = self._conn.execute(
            select(apps)
            .where(apps.c.merchant_id == merchant_id, apps.c.livemode == livemode)
            .order_by(apps.c.id)
        )
        return [app_from_row(r) for r in rows]

    # -- signing keys -----------------------------------------------------------------------

    def keys(self, app_id: str) -> list[AppKey]:
        rows = self._conn.execute(
            select(app_keys)
            .where(app_keys.c.app_id == app_id)
            # Key ids end in a counter (_k1, _k2 ... _k10): by length first, then as text.
            .order_by(app_keys.c.created_at, func.length(app_keys.c.kid), app_keys.c.kid)
        )
        return [key_from_row(r) for r in rows]

    def key(self, kid: str) -> AppKey | None:
        row = self._conn.execute(select(app_keys).where(app_keys.c.kid == kid)).first()
        return None if row is None else key_from_row(row)

    def insert_key(self, key: AppKey) -> None:
        self._conn.execute(
            app_keys.insert().values(
                kid=key.kid,
                app_id=key.app_id,
                algorithm=key.algorithm,
                public_key=key.public_key,
                status=key.status.value,
                slot=key.slot,
                livemode=key.livemode,
                created_at=key.created_at,
                retired_at=key.retired_at,
            )
        )

    def retire_key(self, kid: str, now: int) -> None:
        self._conn.execute(
            update(app_keys)
            .where(app_keys.c.kid == kid)
            .values(status=KeyStatus.RETIRED.value, slot=None, retired_at=now)
        )

    # -- sandbox API keys -------------------------------------------------------------------

    def insert_api_key(self, key: ApiKey, secret_hash: bytes) -> None:
        self._conn.execute(
            api_keys.insert().values(
                id=key.id,
                app_id=key.app_id,
                secret_hash=secret_hash,
                last4=key.last4,
                status=key.status.value,
                livemode=key.livemode,
                created_at=key.created_at,
                revoked_at=key.revoked_at,
            )
        )

    def api_key_by_hash(self, secret_hash: bytes) -> ApiKey | None:
        row = self._conn.execute(
            select(api_keys).where(api_keys.c.secret_hash == secret_hash)
        ).first()
        return None if row is None else api_key_from_row(row)

    def api_keys(self, app_id: str) -> list[ApiKey]:
        rows = self._conn.execute(
            select(api_keys).where(api_keys.c.app_id == app_id).order_by(api_keys.c.id)
        )
        return [api_key_from_row(r) for r in rows]

    def revoke_api_key(self, key_id: str, now: int) -> None:
        self._conn.execute(
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.status == ApiKeyStatus.ACTIVE.value)
            .values(status=ApiKeyStatus.REVOKED.value, revoked_at=now)
        )

    # -- webhook endpoints ------------------------------------------------------------------

    def endpoints(self, app_id: str, *, with_secrets: bool = True) -> list[WebhookEndpoint]:
        """The app's endpoints; ``with_secrets=False`` leaves their secrets sealed (``""``)."""
        rows = self._conn.execute(
            select(webhook_endpoints)
            .where(webhook_endpoints.c.app_id == app_id)
            .order_by(webhook_endpoints.c.id)
        )
        secrets = self._secrets if with_secrets else None
        return [endpoint_from_row(r, secrets) for r in rows]

    def insert_endpoint(self, endpoint: WebhookEndpoint) -> None:
        values = _endpoint_values(endpoint, self._secrets)
        self._conn.execute(webhook_endpoints.insert().values(**values))

    def update_endpoint(self, endpoint: WebhookEndpoint) -> None:
        """Writes the whole row, so a legacy plaintext secret is sealed here too."""
        values = _endpoint_values(endpoint, self._secrets)
        del values["id"], values["created_at"]
        self._conn.execute(
            update(webhook_endpoints).where(webhook_endpoints.c.id == endpoint.id).values(**values)
        )


def _endpoint_values(endpoint: WebhookEndpoint, secrets: SecretBox) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "app_id": endpoint.app_id,
        "url": endpoint.url,
        "secret": seal_secret(secrets, endpoint.app_id, endpoint.id, endpoint.secret),
        "enabled": endpoint.enabled,
        "event_types": json.dumps(list(endpoint.event_types)),
        "livemode": endpoint.livemode,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
    }


def app_from_row(row: Row[Any]) -> App:
    return App(
        id=row.id,
        merchant_id=row.merchant_id,
        name=row.name,
        livemode=bool(row.livemode),
        api_version=row.api_version,
        status=AppStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def key_from_row(row: Row[Any]) -> AppKey:
    return AppKey(
        kid=row.kid,
        app_id=row.app_id,
        algorithm=row.algorithm,
        public_key=bytes(row.public_key),
        status=KeyStatus(row.status),
        slot=row.slot,
        livemode=bool(row.livemode),
        created_at=row.created_at,
        retired_at=row.retired_at,
    )


def api_key_from_row(row: Row[Any]) -> ApiKey:
    return ApiKey(
        id=row.id,
        app_id=row.app_id,
        last4=row.last4,
        status=ApiKeyStatus(row.status),
        livemode=bool(row.livemode),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def endpoint_from_row(row: Row[Any], secrets: SecretBox | None) -> WebhookEndpoint:
    """The endpoint of ``row``; without ``secrets`` its secret is left out (``""``)."""
    return WebhookEndpoint(
        id=row.id,
        app_id=row.app_id,
        url=row.url,
        secret="" if secrets is None else open_secret(secrets, row.app_id, row.id, row.secret),
        enabled=bool(row.enabled),
        event_types=tuple(json.loads(row.event_types)),
        livemode=bool(row.livemode),
        disabled_reason=row.disabled_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
