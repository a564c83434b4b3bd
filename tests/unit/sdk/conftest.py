"""Shared inputs for the SDK tests: the committed vectors and the keys they use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bankstack_sdk.signing import SigningKey

VECTORS_PATH = Path(__file__).with_name("vectors.json")


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def app_key(vectors: dict[str, Any]) -> SigningKey:
    spec = vectors["request_key"]
    return SigningKey.from_seed(spec["key_id"], bytes.fromhex(spec["seed_hex"]))


@pytest.fixture(scope="session")
def platform_key(vectors: dict[str, Any]) -> SigningKey:
    spec = vectors["platform_key"]
    return SigningKey.from_seed(spec["key_id"], bytes.fromhex(spec["seed_hex"]))
