"""The keyring file of the webhook-secret data-encryption keys, under the deployment's key dir.

Every process of a deployment must open what any other sealed, so the keys live in one file
beside the platform signing key (``keys.py``), made on first start with mode 0600. JSON, so
a key can be added without rewriting the others' bytes::

    {"format": "bankstack-keyring/1",
     "keys": [{"id": "3f9c0a1e", "key": "<base64url of 32 bytes>", "created_at": 1764...}]}

The last key is the newest: it seals new secrets. ``add_key`` appends one (rotation); old
keys stay so that tokens sealed with them still open, until every row has been re-sealed and
``remove_key`` retires them (``bankstack keys webhook-retire``). Both rewrite the file under
one lock and replace it atomically (``_rewrite``).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bankstack.gateway.adapters.keys import create_secret_file, fsync_directory
from bankstack.gateway.adapters.secret_box import KEY_BYTES, KeyRing, SecretBox

FORMAT: Final = "bankstack-keyring/1"
# The file's name under the deployment's key dir (BANKSTACK_KEY_DIR).
WEBHOOK_KEYRING_FILE: Final = "webhook-secrets-keyring.json"

Entries = list[dict[str, Any]]


class KeyringError(ValueError):
    """The keyring file is missing, unreadable or malformed, or refuses a change (an unknown
    key id, the newest key); the message is one line and names no key material."""


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What may be shown of a key: its id and when it was made (ns since the epoch)."""

    key_id: str
    created_at_ns: int | None
    newest: bool


def webhook_keyring_path(key_dir: str | Path) -> Path:
    return Path(key_dir) / WEBHOOK_KEYRING_FILE


def load_or_create_keyring(path: Path) -> KeyRing:
    """The keyring in ``path``, made with one fresh key first if the file does not exist.

    Creation is atomic (``keys.create_secret_file``): two processes starting together end up
    with one ring.
    """
    create_secret_file(path, lambda: _dump([_new_entry()]))
    return load_keyring(path)


def load_keyring(path: Path) -> KeyRing:
    entries = _read_entries(path)
    try:
        keys = {str(e["id"]): _decode(str(e["key"])) for e in entries}
        return KeyRing(keys, newest=str(entries[-1]["id"]))
    except ValueError as error:  # bad base64, a short key, an id with ":"
        raise KeyringError(f"{path}: {error}") from None


def list_keys(path: Path) -> list[KeyInfo]:
    """The keys of the file, oldest first, without their material."""
    entries = _read_entries(path)
    last = str(entries[-1]["id"])
    return [KeyInfo(str(e["id"]), _created_at(e), newest=str(e["id"]) == last) for e in entries]


def add_key(path: Path) -> str:
    """Append a fresh key (it becomes the newest) and return its id.

    Running processes pick the new key up when they meet a token naming it; they keep sealing
    with their old newest key until restarted, which every process can still open.
    """
    load_or_create_keyring(path)
    entry = _new_entry()
    _rewrite(path, lambda entries: [*entries, entry])
    return str(entry["id"])


def remove_key(path: Path, key_id: str, *, guard: Callable[[], None] | None = None) -> None:
    """Remove an old key: refused (``KeyringError``, file untouched) for an unknown id or the
    newest key, which seals new secrets.

    ``guard`` runs under the file's lock after those checks and raises to refuse: the caller's
    check that no stored token names the key, made as late as possible. It cannot stop a
    server started before the last rotation from sealing with the key afterwards, hence the
    rule to restart every server before retiring a key.
    """

    def without(entries: Entries) -> Entries:
        ids = [str(e["id"]) for e in entries]
        if key_id not in ids:
            raise KeyringError(f"no key {key_id!r} in {path} (it holds {', '.join(ids)})")
        if ids[-1] == key_id:
            raise KeyringError(f"key {key_id!r} is the newest key: it seals new secrets")
        if guard is not None:
            guard()
        return [e for e in entries if str(e["id"]) != key_id]

    _rewrite(path, without)


def _rewrite(path: Path, change: Callable[[Entries], Entries]) -> None:
    """Replace the file's keys with ``change(keys)``; if ``change`` raises, nothing changes.

    Under an exclusive lock, so that two changes (two rotations, a rotation and a removal) do
    not lose each other's key; atomically, so that a reader never sees half a file; and made
    durable (file and directory) before returning, because rows are sealed under a new key
    right after: a key lost in a crash would leave them unopenable.
    """
    with open(path.with_name(path.name + ".lock"), "a") as lock:  # noqa: PTH123 - flock needs a file
        fcntl.flock(lock, fcntl.LOCK_EX)
        entries = change(_read_entries(path))
        temporary = path.with_name(path.name + ".new")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(_dump(entries))
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)
        fsync_directory(path.parent)


def _read_entries(path: Path) -> Entries:
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise KeyringError(f"no keyring file at {path}") from None
    except OSError as error:
        raise KeyringError(f"cannot read {path}: {error.strerror or error}") from None
    except ValueError:  # not JSON, not UTF-8
        data = None
    keys = data.get("keys") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(keys, list)
        or not keys
        or not all(_is_entry(e) for e in keys)
    ):
        raise KeyringError(f"{path} is not a {FORMAT} file with at least one key")
    return keys


def _is_entry(entry: object) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("id"), str)
        and isinstance(entry.get("key"), str)
    )


def _created_at(entry: dict[str, Any]) -> int | None:
    value = entry.get("created_at")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _new_entry() -> dict[str, Any]:
    key = base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")
    return {"id": secrets.token_hex(4), "key": key, "created_at": time.time_ns()}


def _dump(entries: Entries) -> bytes:
    return json.dumps({"format": FORMAT, "keys": entries}, indent=1).encode("utf-8")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def open_secret_box(path: Path) -> SecretBox:
    """A box on the keyring in ``path`` (made if missing) that rereads the file when a token
    names a key added since (a rotation by another process)."""
    return SecretBox(load_or_create_keyring(path), reload=lambda: load_keyring(path))
