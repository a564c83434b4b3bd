"""Set up the partner over the staff API: merchant, test-mode app, its key, customers.

``POST /admin/merchants`` (live and test), ``POST /admin/apps`` (test mode),
``POST /admin/apps/{id}/keys`` (a new Ed25519 key, raw public bytes in base64url),
``POST /admin/apps/{id}/api_keys`` (the sandbox key for the signatures-off mode), then one
funded wallet per customer (``POST /admin/wallets``), and the platform's response-signing key
from ``/.well-known/jwks.json`` (pinned by the partner, as ``BankstackClient`` would fetch it).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from bankstack_sdk.jwks import keys_from_jwks
from bench.payments.partner import CURRENCY, PartnerCredentials

SETUP_THREADS: Final = 4


class SetupFailed(RuntimeError):
    """A staff call of the set-up did not answer as documented."""


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _raw_public(key: Any) -> bytes:
    raw: bytes = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return raw


def onboard(
    base_url: str,
    admin_token: str,
    *,
    tag: str,
    customers: int,
    deposit_minor: int,
    amount_minor: int,
    progress: Callable[[str], None],
) -> PartnerCredentials:
    """A merchant ``bench<tag>`` with one test app and ``customers`` funded wallets."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60.0) as http:

        def post(path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
            answer = http.post(path, json=body)
            if answer.status_code != httpx.codes.CREATED:
                raise SetupFailed(f"POST {path}: HTTP {answer.status_code} {answer.text[:300]}")
            data: dict[str, Any] = answer.json()
            return data

        merchant = f"bench{tag}"
        post("/admin/merchants", {"merchant_id": merchant, "name": "bench/payments merchant"})
        app = post("/admin/apps", {"merchant_id": merchant, "mode": "test", "name": "bench"})
        private = Ed25519PrivateKey.generate()
        key = post(
            f"/admin/apps/{app['id']}/keys",
            {"public_key": _b64url(_raw_public(private.public_key()))},
        )
        api_key = post(f"/admin/apps/{app['id']}/api_keys")
        names = tuple(f"c{i}-{tag}" for i in range(customers))

        def open_wallet(name: str) -> None:
            post(
                "/admin/wallets",
                {
                    "customer_id": name,
                    "mode": "test",
                    "deposit": {"amount": deposit_minor, "currency": CURRENCY},
                },
            )

        with ThreadPoolExecutor(SETUP_THREADS) as pool:
            list(pool.map(open_wallet, names))
        progress(f"set-up: merchant {merchant}, app {app['id']}, {customers} funded wallets")
        jwks = http.get("/.well-known/jwks.json")
        jwks.raise_for_status()
        platform = {kid: _raw_public(keys[0]) for kid, keys in keys_from_jwks(jwks.json()).items()}
    seed = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    url = httpx.URL(base_url)
    return PartnerCredentials(
        host=url.host,
        port=url.port or 80,
        merchant_id=merchant,
        app_id=str(app["id"]),
        key_id=str(key["kid"]),
        private_key=seed,
        api_secret=str(api_key["secret"]),
        platform_keys=platform,
        customers=names,
        amount_minor=amount_minor,
    )
