"""Use cases for partner apps: create, suspend, rotate signing keys, sandbox API keys,
webhook endpoints; and the lookups the request authenticators need.

Every change runs in one ``AppStore`` unit. Key changes lock the app row first, so two
concurrent rotations cannot both take the last free key slot (the table's unique
``(app_id, slot)`` is the backstop).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from bankstack.gateway import ids
from bankstack.gateway.domain.apps import (
    DEFAULT_API_VERSION,
    ED25519,
    KEY_SLOTS,
    MAX_ACTIVE_KEYS,
    MAX_WEBHOOK_ENDPOINTS,
    SUPPORTED_API_VERSIONS,
    ApiKey,
    ApiKeyStatus,
    App,
    AppKey,
    AppStatus,
    IssuedApiKey,
    KeyBinding,
    KeyStatus,
    WebhookEndpoint,
    check_api_version,
    check_event_filters,
    check_merchant_id,
    check_public_key,
    check_webhook_url,
    hash_api_secret,
    key_id,
    new_api_secret,
    new_webhook_secret,
)
from bankstack.gateway.errors import (
    ApiKeyInvalid,
    ApiKeyNotFound,
    ApiKeyTestModeOnly,
    AppInactive,
    AppKeyLastActive,
    AppKeyLimitReached,
    AppKeyNotFound,
    AppNotFound,
    ParameterInvalid,
    WebhookEndpointLimitReached,
    WebhookEndpointNotFound,
)
from bankstack.gateway.ports import AppStore, AppUnit
from bankstack.kernel.clock import Clock, SystemClock

_MODES: Final = {"test": False, "live": True}


class AppService:
    def __init__(
        self,
        store: AppStore,
        *,
        clock: Clock | None = None,
        api_versions: frozenset[str] = SUPPORTED_API_VERSIONS,
        allow_private_destinations: bool = False,
    ) -> None:
        self._store = store
        self._allow_private = allow_private_destinations
        self._clock = clock or SystemClock()
        self._api_versions = api_versions

    # -- apps -------------------------------------------------------------------------------

    def create_app(
        self,
        merchant_id: str,
        *,
        mode: str,
        api_version: str = DEFAULT_API_VERSION,
        name: str = "",
    ) -> App:
        if mode not in _MODES:
            raise ParameterInvalid("mode must be 'test' or 'live'", param="mode")
        if len(name) > 200:  # noqa: PLR2004 - the column's width
            raise ParameterInvalid("name is at most 200 characters", param="name")
        now = self._clock.now_ns()
        app = App(
            id=ids.new_prefixed_id(ids.APP),
            merchant_id=check_merchant_id(merchant_id),
            name=name,
            livemode=_MODES[mode],
            api_version=check_api_version(api_version, self._api_versions),
            status=AppStatus.ACTIVE,
            created_at=now,
            updated_at=now,
        )
        with self._store.unit() as unit:
            unit.insert_app(app)
        return app

    def get_app(self, app_id: str) -> App:
        with self._store.unit(write=False) as unit:
            return _app(unit, app_id)

    def apps_of_merchant(self, merchant_id: str, *, livemode: bool) -> list[App]:
        with self._store.unit(write=False) as unit:
            return unit.apps_of_merchant(merchant_id, livemode=livemode)

    def suspend_app(self, app_id: str) -> App:
        return self._set_status(app_id, AppStatus.SUSPENDED)

    def reactivate_app(self, app_id: str) -> App:
        return self._set_status(app_id, AppStatus.ACTIVE)

    def _set_status(self, app_id: str, status: AppStatus) -> App:
        now = self._clock.now_ns()
        with self._store.unit() as unit:
            app = _app(unit, app_id, for_update=True)
            unit.set_app_status(app_id, status, now)
        return replace(app, status=status, updated_at=now)

    # -- signing keys -----------------------------------------------------------------------

    def add_key(self, app_id: str, public_key: bytes) -> AppKey:
        """Register a new active Ed25519 key; refused when both slots are taken."""
        raw = check_public_key(bytes(public_key))
        with self._store.unit() as unit:
            app = _app(unit, app_id, for_update=True)
            keys = unit.keys(app_id)
            used = {k.slot for k in keys if k.status is KeyStatus.ACTIVE}
            free = [slot for slot in KEY_SLOTS if slot not in used]
            if len(used) >= MAX_ACTIVE_KEYS or not free:
                raise AppKeyLimitReached(
                    f"an app has at most {MAX_ACTIVE_KEYS} active keys; retire one first",
                    app_id=app_id,
                )
            key = AppKey(
                kid=key_id(app_id, len(keys) + 1),
                app_id=app_id,
                algorithm=ED25519,
                public_key=raw,
                status=KeyStatus.ACTIVE,
                slot=free[0],
                livemode=app.livemode,
                created_at=self._clock.now_ns(),
                retired_at=None,
            )
            unit.insert_key(key)
        return key

    def retire_key(self, app_id: str, kid: str) -> AppKey:
        """Retire an active key; the app's last active key cannot be retired."""
        now = self._clock.now_ns()
        with self._store.unit() as unit:
            _app(unit, app_id, for_update=True)
            keys = {k.kid: k for k in unit.keys(app_id)}
            key = keys.get(kid)
            if key is None:
                raise AppKeyNotFound(f"no key {kid!r} on app {app_id}", param="kid")
            if key.status is KeyStatus.RETIRED:
                return key
            if sum(k.status is KeyStatus.ACTIVE for k in keys.values()) == 1:
                raise AppKeyLastActive(
                    "add the new key before retiring the last active one", kid=kid
                )
            unit.retire_key(kid, now)
        return replace(key, status=KeyStatus.RETIRED, slot=None, retired_at=now)

    def keys(self, app_id: str) -> list[AppKey]:
        with self._store.unit(write=False) as unit:
            _app(unit, app_id)
            return unit.keys(app_id)

    def key_binding(self, kid: str) -> KeyBinding | None:
        """The active key ``kid`` of an active app, for verifying a request signature."""
        with self._store.unit(write=False) as unit:
            key = unit.key(kid)
            if key is None or key.status is not KeyStatus.ACTIVE:
                return None
            app = unit.get_app(key.app_id)
        if app is None or not app.active:
            return None
        return KeyBinding(
            kid=key.kid,
            algorithm=key.algorithm,
            public_key=key.public_key,
            app_id=app.id,
            merchant_id=app.merchant_id,
            livemode=app.livemode,
            api_version=app.api_version,
        )

    # -- sandbox API keys -------------------------------------------------------------------

    def issue_api_key(self, app_id: str) -> IssuedApiKey:
        """A new sandbox API key; its secret is in the result and nowhere else."""
        secret = new_api_secret()
        with self._store.unit() as unit:
            app = _app(unit, app_id, for_update=True)
            if app.livemode:
                raise ApiKeyTestModeOnly(
                    "API keys exist for test-mode apps only; live apps sign their requests",
                    app_id=app_id,
                )
            key = ApiKey(
                id=ids.new_prefixed_id(ids.API_KEY),
                app_id=app_id,
                last4=secret[-4:],
                status=ApiKeyStatus.ACTIVE,
                livemode=False,
                created_at=self._clock.now_ns(),
                revoked_at=None,
            )
            unit.insert_api_key(key, hash_api_secret(secret))
        return IssuedApiKey(api_key=key, secret=secret)

    def revoke_api_key(self, app_id: str, api_key_id: str) -> None:
        with self._store.unit() as unit:
            if not any(k.id == api_key_id for k in unit.api_keys(app_id)):
                raise ApiKeyNotFound(f"no API key {api_key_id!r} on app {app_id}", param="id")
            unit.revoke_api_key(api_key_id, self._clock.now_ns())

    def api_keys(self, app_id: str) -> list[ApiKey]:
        with self._store.unit(write=False) as unit:
            return unit.api_keys(app_id)

    def authenticate_api_key(self, secret: str) -> App:
        """The test-mode app an API key secret belongs to; ``ApiKeyInvalid`` otherwise."""
        with self._store.unit(write=False) as unit:
            key = unit.api_key_by_hash(hash_api_secret(secret))
            app = None if key is None else unit.get_app(key.app_id)
        if key is None or key.status is not ApiKeyStatus.ACTIVE or app is None:
            raise ApiKeyInvalid("the API key is unknown or revoked")
        if not app.active:
            raise AppInactive("the app is suspended", app_id=app.id)
        return app

    # -- webhook endpoints ------------------------------------------------------------------

    def add_webhook_endpoint(
        self, app_id: str, url: str, *, event_types: tuple[str, ...] | list[str] = ()
    ) -> WebhookEndpoint:
        filters = check_event_filters(event_types)
        now = self._clock.now_ns()
        with self._store.unit() as unit:
            app = _app(unit, app_id, for_update=True)
            if len(unit.endpoints(app_id)) >= MAX_WEBHOOK_ENDPOINTS:
                raise WebhookEndpointLimitReached(
                    f"an app has at most {MAX_WEBHOOK_ENDPOINTS} webhook endpoints"
                )
            endpoint = WebhookEndpoint(
                id=ids.new_prefixed_id(ids.WEBHOOK_ENDPOINT),
                app_id=app_id,
                url=check_webhook_url(
                    url, livemode=app.livemode, allow_private=self._allow_private
                ),
                secret=new_webhook_secret(),
                enabled=True,
                event_types=filters,
                livemode=app.livemode,
                disabled_reason=None,
                created_at=now,
                updated_at=now,
            )
            unit.insert_endpoint(endpoint)
        return endpoint

    def set_webhook_endpoint_enabled(
        self, app_id: str, endpoint_id: str, *, enabled: bool
    ) -> WebhookEndpoint:
        with self._store.unit() as unit:
            endpoint = _endpoint(unit, app_id, endpoint_id)
            changed = replace(
                endpoint,
                enabled=enabled,
                disabled_reason=None if enabled else "disabled_by_app",
                updated_at=self._clock.now_ns(),
            )
            unit.update_endpoint(changed)
        return changed

    def webhook_endpoints(self, app_id: str) -> list[WebhookEndpoint]:
        with self._store.unit(write=False) as unit:
            _app(unit, app_id)
            return unit.endpoints(app_id)


def _app(unit: AppUnit, app_id: str, *, for_update: bool = False) -> App:
    app = unit.get_app(app_id, for_update=for_update)
    if app is None:
        raise AppNotFound(f"no app {app_id!r}", param="app_id")
    return app


def _endpoint(unit: AppUnit, app_id: str, endpoint_id: str) -> WebhookEndpoint:
    for endpoint in unit.endpoints(app_id):
        if endpoint.id == endpoint_id:
            return endpoint
    raise WebhookEndpointNotFound(f"no webhook endpoint {endpoint_id!r}", param="id")
