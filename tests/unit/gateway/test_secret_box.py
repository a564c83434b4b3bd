"""The AES-GCM secret box and its keyring file: what a database dump, a moved or altered
token, a missing key and a rotation each do."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from bankstack.gateway.adapters.endpoint_secrets import endpoint_aad, open_secret, seal_secret
from bankstack.gateway.adapters.keyring import (
    add_key,
    load_keyring,
    load_or_create_keyring,
    open_secret_box,
)
from bankstack.gateway.adapters.secret_box import (
    KeyRing,
    SecretBox,
    SecretTampered,
    UnknownKeyId,
    is_sealed,
)

SECRET = "whsec_" + base64.b64encode(b"\x01" * 32).decode()
AAD = endpoint_aad("app_1", "we_1")


def ring(*ids: str) -> KeyRing:
    return KeyRing({i: os.urandom(32) for i in ids}, newest=ids[-1])


def test_round_trip_and_the_token_shape():
    box = SecretBox(ring("k1"))
    token = box.seal(SECRET, AAD)
    assert token.startswith("v1:k1:")
    assert SECRET not in token
    assert is_sealed(token)
    assert not is_sealed(SECRET)
    assert box.open(token, AAD) == SECRET
    assert len(token) <= 255  # the column's width
    assert box.seal(SECRET, AAD) != token  # a fresh nonce every time


def test_another_rows_associated_data_fails():
    box = SecretBox(ring("k1"))
    token = box.seal(SECRET, AAD)
    with pytest.raises(SecretTampered):
        box.open(token, endpoint_aad("app_1", "we_2"))
    with pytest.raises(SecretTampered):
        box.open(token, endpoint_aad("app_2", "we_1"))


@pytest.mark.parametrize("position", [8, 20, -1])
def test_a_tampered_token_fails(position):
    box = SecretBox(ring("k1"))
    token = box.seal(SECRET, AAD)
    changed = token[:position] + ("A" if token[position] != "A" else "B")
    changed += token[position + 1 :] if position != -1 else ""
    with pytest.raises(SecretTampered):
        box.open(changed, AAD)


@pytest.mark.parametrize("token", ["v1:k1:", "v1:k1:AAAA", "v2:k1:AAAA", "v1:k1:@@@"])
def test_malformed_tokens_fail_clearly(token):
    with pytest.raises(SecretTampered):
        SecretBox(ring("k1")).open(token, AAD)


def test_an_unknown_key_id_names_the_key():
    token = SecretBox(ring("k1")).seal(SECRET, AAD)
    with pytest.raises(UnknownKeyId, match="'k1'"):
        SecretBox(ring("k2")).open(token, AAD)


def test_a_wrong_key_under_the_same_id_fails():
    token = SecretBox(ring("k1")).seal(SECRET, AAD)
    with pytest.raises(SecretTampered):
        SecretBox(ring("k1")).open(token, AAD)


def test_every_key_of_the_ring_opens_and_the_newest_seals():
    old = ring("k1")
    new = KeyRing({**old.keys, "k2": os.urandom(32)}, newest="k2")
    sealed_before = SecretBox(old).seal(SECRET, AAD)
    box = SecretBox(new)
    sealed_after = box.seal(SECRET, AAD)
    assert sealed_after.startswith("v1:k2:")
    assert box.open(sealed_before, AAD) == SECRET
    assert box.open(sealed_after, AAD) == SECRET


def test_a_ring_needs_256_bit_keys_and_its_newest_key():
    with pytest.raises(ValueError, match="256-bit"):
        KeyRing({"k1": b"short"}, newest="k1")
    with pytest.raises(ValueError, match="newest"):
        KeyRing({"k1": os.urandom(32)}, newest="k2")


def test_the_ring_repr_shows_no_key():
    key = os.urandom(32)
    assert repr(key) not in repr(KeyRing({"k1": key}, newest="k1"))


def test_legacy_plaintext_reads_as_itself():
    box = SecretBox(ring("k1"))
    assert open_secret(box, "app_1", "we_1", SECRET) == SECRET
    token = seal_secret(box, "app_1", "we_1", SECRET)
    assert open_secret(box, "app_1", "we_1", token) == SECRET


def test_the_keyring_file_is_private_and_shared(tmp_path):
    path = tmp_path / "keys" / "ring.json"
    first = load_or_create_keyring(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_keyring(path) == first  # a second process reads the same ring


def test_adding_a_key_keeps_the_old_ones(tmp_path):
    path = tmp_path / "ring.json"
    token = open_secret_box(path).seal(SECRET, AAD)
    new_id = add_key(path)
    rotated = load_keyring(path)
    assert rotated.newest == new_id
    assert len(rotated.keys) == 2
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SecretBox(rotated).open(token, AAD) == SECRET


def test_a_running_box_rereads_the_file_for_a_key_added_since(tmp_path):
    path = tmp_path / "ring.json"
    running = open_secret_box(path)
    add_key(path)
    token = open_secret_box(path).seal(SECRET, AAD)  # a process started after the rotation
    assert running.open(token, AAD) == SECRET


def test_a_broken_keyring_file_is_refused(tmp_path):
    path = tmp_path / "ring.json"
    path.write_text('{"format": "something-else", "keys": []}')
    with pytest.raises(ValueError, match="bankstack-keyring/1"):
        load_or_create_keyring(path)
