"""Partner apps, key rotation, sandbox API keys and webhook endpoints on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bankstack.gateway.domain.apps import AppStatus, KeyStatus
from bankstack.gateway.errors import (
    ApiKeyInvalid,
    ApiKeyNotFound,
    ApiKeyTestModeOnly,
    AppInactive,
    AppKeyInvalid,
    AppKeyLastActive,
    AppKeyLimitReached,
    AppKeyNotFound,
    AppNotFound,
    ParameterInvalid,
    WebhookEndpointInvalid,
    WebhookEndpointNotFound,
)
from tests.integration.gateway.conftest import raw_public_key


class TestApps:
    def test_create_and_read_back(self, apps):
        app = apps.create_app("m_1001", mode="test", name="Coffee shop")
        assert app.id.startswith("app_")
        assert (app.livemode, app.mode, app.api_version, app.status) == (
            False,
            "test",
            "2026-11-01",
            AppStatus.ACTIVE,
        )
        assert apps.get_app(app.id) == app

    def test_modes_are_kept_apart(self, apps):
        live = apps.create_app("m_modes", mode="live")
        test = apps.create_app("m_modes", mode="test")
        assert apps.apps_of_merchant("m_modes", livemode=True) == [live]
        assert apps.apps_of_merchant("m_modes", livemode=False) == [test]

    def test_bad_input(self, apps):
        with pytest.raises(ParameterInvalid):
            apps.create_app("m_1", mode="production")
        with pytest.raises(ParameterInvalid):
            apps.create_app("m_1", mode="test", name="x" * 201)
        with pytest.raises(AppNotFound):
            apps.get_app("app_missing")

    def test_suspend_and_reactivate(self, apps):
        app = apps.create_app("m_1", mode="live")
        assert apps.suspend_app(app.id).status is AppStatus.SUSPENDED
        assert apps.get_app(app.id).status is AppStatus.SUSPENDED
        assert apps.reactivate_app(app.id).active


class TestKeyRotation:
    def test_two_active_keys_then_retire_the_old_one(self, apps):
        app = apps.create_app("m_1", mode="live")
        first = apps.add_key(app.id, raw_public_key())
        second = apps.add_key(app.id, raw_public_key())
        assert (first.kid, second.kid) == (f"{app.id}_k1", f"{app.id}_k2")
        assert {first.slot, second.slot} == {1, 2}
        with pytest.raises(AppKeyLimitReached):
            apps.add_key(app.id, raw_public_key())
        retired = apps.retire_key(app.id, first.kid)
        assert (retired.status, retired.slot) == (KeyStatus.RETIRED, None)
        third = apps.add_key(app.id, raw_public_key())
        assert (third.kid, third.slot) == (f"{app.id}_k3", first.slot)
        assert [k.status for k in apps.keys(app.id)] == [
            KeyStatus.RETIRED,
            KeyStatus.ACTIVE,
            KeyStatus.ACTIVE,
        ]
        assert apps.retire_key(app.id, first.kid).status is KeyStatus.RETIRED  # idempotent

    def test_key_binding_for_signature_verification(self, apps):
        app = apps.create_app("m_7", mode="live")
        raw = raw_public_key()
        key = apps.add_key(app.id, raw)
        binding = apps.key_binding(key.kid)
        assert binding is not None
        assert (binding.public_key, binding.app_id, binding.merchant_id, binding.livemode) == (
            raw,
            app.id,
            "m_7",
            True,
        )
        apps.add_key(app.id, raw_public_key())
        apps.retire_key(app.id, key.kid)
        assert apps.key_binding(key.kid) is None
        assert apps.key_binding("app_unknown_k1") is None

    def test_suspended_apps_have_no_usable_keys(self, apps):
        app = apps.create_app("m_1", mode="live")
        key = apps.add_key(app.id, raw_public_key())
        apps.suspend_app(app.id)
        assert apps.key_binding(key.kid) is None

    def test_the_last_active_key_stays(self, apps):
        app = apps.create_app("m_1", mode="live")
        key = apps.add_key(app.id, raw_public_key())
        with pytest.raises(AppKeyLastActive):
            apps.retire_key(app.id, key.kid)
        with pytest.raises(AppKeyNotFound):
            apps.retire_key(app.id, "nope")
        with pytest.raises(AppKeyInvalid):
            apps.add_key(app.id, b"short")

    def test_the_database_refuses_a_third_active_key(self, apps, engine):
        app = apps.create_app("m_1", mode="live")
        apps.add_key(app.id, raw_public_key())
        apps.add_key(app.id, raw_public_key())
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO gateway_app_keys (kid, app_id, algorithm, public_key, status,"
                    " slot, livemode, created_at) VALUES (:kid, :app, 'ed25519', :pk, 'active',"
                    " 1, true, 0)"
                ),
                {"kid": app.id + "_k9", "app": app.id, "pk": raw_public_key()},
            )


class TestApiKeys:
    def test_issue_authenticate_revoke(self, apps):
        app = apps.create_app("m_1", mode="test")
        issued = apps.issue_api_key(app.id)
        assert issued.secret.startswith("sk_test_")
        assert issued.api_key.last4 == issued.secret[-4:]
        assert apps.authenticate_api_key(issued.secret) == app
        assert apps.api_keys(app.id) == [issued.api_key]
        apps.revoke_api_key(app.id, issued.api_key.id)
        with pytest.raises(ApiKeyInvalid):
            apps.authenticate_api_key(issued.secret)
        with pytest.raises(ApiKeyNotFound):
            apps.revoke_api_key(app.id, "key_missing")

    def test_the_secret_is_not_stored(self, apps, engine):
        app = apps.create_app("m_1", mode="test")
        issued = apps.issue_api_key(app.id)
        with engine.connect() as conn:
            dumped = conn.execute(
                text("SELECT * FROM gateway_api_keys WHERE app_id = :a"), {"a": app.id}
            ).all()
        assert issued.secret not in repr(dumped)

    def test_live_apps_get_no_api_keys(self, apps, engine):
        app = apps.create_app("m_1", mode="live")
        with pytest.raises(ApiKeyTestModeOnly):
            apps.issue_api_key(app.id)
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO gateway_api_keys (id, app_id, secret_hash, last4, status,"
                    " livemode, created_at) VALUES ('key_x', :a, :h, 'abcd', 'active', true, 0)"
                ),
                {"a": app.id, "h": b"\x01" * 32},
            )

    def test_suspended_app_cannot_authenticate(self, apps):
        app = apps.create_app("m_1", mode="test")
        issued = apps.issue_api_key(app.id)
        apps.suspend_app(app.id)
        with pytest.raises(AppInactive):
            apps.authenticate_api_key(issued.secret)
        with pytest.raises(ApiKeyInvalid):
            apps.authenticate_api_key("sk_test_unknown")


class TestWebhookEndpoints:
    def test_add_disable_enable(self, apps):
        app = apps.create_app("m_1", mode="live")
        endpoint = apps.add_webhook_endpoint(
            app.id, "https://partner.example/hooks", event_types=["trade.*"]
        )
        assert endpoint.secret.startswith("whsec_")
        assert (endpoint.enabled, endpoint.livemode, endpoint.event_types) == (
            True,
            True,
            ("trade.*",),
        )
        assert apps.webhook_endpoints(app.id) == [endpoint]
        off = apps.set_webhook_endpoint_enabled(app.id, endpoint.id, enabled=False)
        assert (off.enabled, off.disabled_reason) == (False, "disabled_by_app")
        assert apps.webhook_endpoints(app.id) == [off]
        on = apps.set_webhook_endpoint_enabled(app.id, endpoint.id, enabled=True)
        assert on.enabled
        assert on.disabled_reason is None

    def test_bad_endpoints(self, apps):
        app = apps.create_app("m_1", mode="live")
        with pytest.raises(WebhookEndpointInvalid):
            apps.add_webhook_endpoint(app.id, "http://partner.example/hooks")
        with pytest.raises(WebhookEndpointNotFound):
            apps.set_webhook_endpoint_enabled(app.id, "we_missing", enabled=False)
