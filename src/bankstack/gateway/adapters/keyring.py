"""The keyring file of the webhook-secret data-encryption keys, under the deployment's key dir.

Every process of a deployment must open what any other sealed, so the keys live in one file
beside the platform signing key (``keys.py``), made on first start with mode 0600. JSON, so
a key can be added without rewriting the others' bytes::

    {"format": "bankstack-keyring/1",
     "keys": [{"id": "3f9c0a1e", "key": "<base64url of 32 bytes>", "created_at": 1764...}]}

The last key is the newest: it seals new secrets. ``add_key`` appends one (rotation); old
keys stay so that tokens sealed with them still open, until every row has been re-sealed.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any, Final

from bankstack.gateway.adapters.keys import create_secret_file
from bankstack.gateway.adapters.secret_box import KEY_BYTES, KeyRing, SecretBox

FORMAT: Final = "bankstack-keyring/1"


def load_or_create_keyring(path: Path) -> KeyRing:
    """The keyring in ``path``, made with one fresh key first if the file does not exist.

    Creation is atomic (``keys.create_secret_file``): two processes starting together end up
    with one ring.
    """
    create_secret_file(path, lambda: _dump([_new_entry()]))
    return load_keyring(path)


def load_keyring(path: Path) -> KeyRing:
    data = json.loads(path.read_bytes())
    if not isinstance(data, dict) or data.get("format") != FORMAT or not data.get("keys"):
        raise ValueError(f"{path} is not a {FORMAT} file with at least one key")
    keys = {str(e["id"]): _decode(str(e["key"])) for e in data["keys"]}
    return KeyRing(keys, newest=str(data["keys"][-1]["id"]))


def add_key(path: Path) -> str:
    """Append a fresh key (it becomes the newest) and return its id.

    The file is replaced atomically, under a lock so that two rotations do not lose a key.
    Running processes pick the new key up when they meet a token naming it; they keep sealing
    with their old newest key until restarted, which every process can still open.
    """
    load_or_create_keyring(path)
    with open(path.with_name(path.name + ".lock"), "a") as lock:  # noqa: PTH123 - flock needs a file
        fcntl.flock(lock, fcntl.LOCK_EX)
        entries: list[dict[str, Any]] = json.loads(path.read_bytes())["keys"]
        entry = _new_entry()
        entries.append(entry)
        temporary = path.with_name(path.name + ".new")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(_dump(entries))
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)
    return str(entry["id"])


def _new_entry() -> dict[str, Any]:
    key = base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")
    return {"id": secrets.token_hex(4), "key": key, "created_at": time.time_ns()}


def _dump(entries: list[dict[str, Any]]) -> bytes:
    return json.dumps({"format": FORMAT, "keys": entries}, indent=1).encode("utf-8")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def open_secret_box(path: Path) -> SecretBox:
    """A box on the keyring in ``path`` (made if missing) that rereads the file when a token
    names a key added since (a rotation by another process)."""
    return SecretBox(load_or_create_keyring(path), reload=lambda: load_keyring(path))
