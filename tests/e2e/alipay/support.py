"""Keys and request builders shared by the Alipay gateway's unit and end-to-end tests.

Requests are signed with the official SDK's own helpers (``get_sign_content``,
``sign_with_rsa2``, ``url_encode``), so the tests do not check the gateway against itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bankstack.gateway.alipay import AlipayApp, SignType, StaticApps, StaticPlatformKeys
from bankstack.gateway.alipay.times import format_beijing
from tests.e2e.alipay.sdks import get_sign_content, sign_with_rsa, sign_with_rsa2, url_encode

APP_ID = "2021000000000001"
MERCHANT_ID = "2088000000000001"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    """PKCS#1 PEM, which both SDKs load."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass(frozen=True)
class Keys:
    app: rsa.RSAPrivateKey  # the merchant's app key
    platform: rsa.RSAPrivateKey  # the platform's ("Alipay") key
    stranger: rsa.RSAPrivateKey  # a key nobody registered

    def apps(self, notify_url: str | None = None) -> StaticApps:
        return StaticApps(
            [
                AlipayApp(
                    app_id=APP_ID,
                    merchant_id=MERCHANT_ID,
                    public_keys={
                        SignType.RSA2: self.app.public_key(),
                        SignType.RSA: self.app.public_key(),
                    },
                    notify_url=notify_url,
                )
            ]
        )

    def platform_keys(self) -> StaticPlatformKeys:
        return StaticPlatformKeys(rsa2=self.platform, rsa=self.platform)


def make_keys() -> Keys:
    return Keys(app=new_key(), platform=new_key(), stranger=new_key())


def public_params(method: str, now_ns: int, **extra: str) -> dict[str, str]:
    params = {
        "app_id": APP_ID,
        "method": method,
        "charset": "utf-8",
        "format": "json",
        "sign_type": "RSA2",
        "timestamp": format_beijing(now_ns),
        "version": "1.0",
    }
    params.update(extra)
    return params


def signed(
    params: dict[str, str], key: rsa.RSAPrivateKey, biz: dict[str, Any] | None = None
) -> dict[str, str]:
    """``params`` plus ``biz_content`` (official SDK JSON) and a ``sign`` by the official SDK."""
    all_params = dict(params)
    if biz is not None:
        all_params["biz_content"] = json.dumps(
            biz, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
    charset = all_params.get("charset", "utf-8")
    content = get_sign_content(all_params)
    signer = sign_with_rsa if all_params.get("sign_type") == "RSA" else sign_with_rsa2
    all_params["sign"] = signer(private_pem(key), content, charset)
    return all_params


def encode(params: dict[str, str]) -> bytes:
    query: str = url_encode(params, params.get("charset", "utf-8"))
    return query.encode("ascii")
