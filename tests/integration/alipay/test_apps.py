"""Registering apps: stored on both tiers, checked, rotated, suspended; the gateway follows."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bankstack.gateway.alipay import AppStatus, SignType
from bankstack.gateway.alipay.apps import AlipayAppConflict, AlipayAppInvalid, AlipayAppNotFound
from bankstack.payments import MerchantNotFound
from tests.e2e.alipay.support import new_key, public_pem
from tests.integration.alipay.conftest import World

QUERY = "alipay.trade.query"


def failure(answer: dict[str, str]) -> tuple[str, str]:
    return answer["code"], answer["sub_code"]


def bare_base64(key: rsa.RSAPrivateKey) -> str:
    """The public key as the Alipay console shows it: base64 of the DER, no armour."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def test_register_is_idempotent_and_checked(world: World):
    merchant = world.merchant()
    apps = world.wiring.apps
    app_id = f"a{world.tag}"
    key = bare_base64(world.keys.app)
    first = apps.register(app_id=app_id, merchant_id=merchant.id, rsa2_public_key=key)
    assert first.rsa2_public_pem == public_pem(world.keys.app)  # stored as PEM
    again = apps.register(app_id=app_id, merchant_id=merchant.id, rsa2_public_key=key)
    assert again == first
    with pytest.raises(AlipayAppConflict):
        apps.register(
            app_id=app_id, merchant_id=merchant.id, rsa2_public_key=key, notify_url="https://x.y/"
        )
    with pytest.raises(MerchantNotFound):
        apps.register(app_id=f"b{world.tag}", merchant_id="nobody", rsa2_public_key=key)
    dollars = world.merchant("usd", currency="USD")
    with pytest.raises(AlipayAppInvalid, match="settles in USD"):
        apps.register(app_id=f"c{world.tag}", merchant_id=dollars.id, rsa2_public_key=key)
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - must be refused
    bad_inputs = [
        {"rsa2_public_key": public_pem(weak)},
        {"rsa2_public_key": "not a key"},
        {"rsa2_public_key": key, "notify_url": "ftp://shop.example/"},
        {"rsa2_public_key": key, "app_id": "has space"},
    ]
    for bad in bad_inputs:
        arguments = {"app_id": f"d{world.tag}", "merchant_id": merchant.id, **bad}
        with pytest.raises(AlipayAppInvalid):
            apps.register(**arguments)
    with pytest.raises(AlipayAppNotFound):
        apps.get(f"d{world.tag}")


def test_rotation_takes_effect_at_once(world: World):
    merchant = world.merchant()
    app_id = world.app(merchant)
    probe = {"out_trade_no": "none"}
    assert failure(world.call(app_id, QUERY, probe)) == ("40004", "ACQ.TRADE_NOT_EXIST")
    replacement = new_key()
    rotated = world.wiring.apps.rotate_key(app_id, public_pem(replacement))
    assert rotated.rsa2_public_pem == public_pem(replacement)
    old = world.call(app_id, QUERY, probe)
    assert failure(old) == ("40002", "isv.invalid-signature")
    new = world.call(app_id, QUERY, probe, key=replacement)
    assert failure(new) == ("40004", "ACQ.TRADE_NOT_EXIST")

    legacy = world.call(app_id, QUERY, probe, key=replacement, sign_type="RSA")
    assert failure(legacy) == ("40002", "isv.missing-signature-config")
    world.wiring.apps.rotate_key(app_id, public_pem(world.keys.app), sign_type=SignType.RSA)
    app = world.wiring.app_directory.get(app_id)
    assert app is not None
    assert set(app.public_keys) == {SignType.RSA2, SignType.RSA}


def test_suspension_and_the_default_notify_url(world: World):
    merchant = world.merchant()
    app_id = world.app(merchant)
    probe = {"out_trade_no": "none"}
    assert world.wiring.apps.suspend(app_id).status is AppStatus.SUSPENDED
    assert failure(world.call(app_id, QUERY, probe)) == ("40002", "isv.invalid-app-id")
    assert world.wiring.apps.activate(app_id).status is AppStatus.ACTIVE
    assert failure(world.call(app_id, QUERY, probe)) == ("40004", "ACQ.TRADE_NOT_EXIST")

    url = "https://shop.example/notify"
    assert world.wiring.apps.set_notify_url(app_id, url).notify_url == url
    app = world.wiring.app_directory.get(app_id)
    assert app is not None
    assert app.notify_url == url
    assert world.wiring.apps.set_notify_url(app_id, None).notify_url is None
    with pytest.raises(AlipayAppInvalid):
        world.wiring.apps.set_notify_url(app_id, "https://" + "x" * 300)
    with pytest.raises(AlipayAppNotFound):
        world.wiring.apps.suspend("unknown")
