"""Prefixed, time-sortable identifiers of the open API: ``app_``, ``evt_``, ``req_`` ...

An id is a prefix naming the kind of object, an underscore and the 128-bit ``kernel.ids``
id (48 bits of milliseconds, then random bits) in 26 characters of lower-case Crockford
base32. The encoding has a fixed width and an alphabet in ASCII order, so ids sort as text in
the order they were made (within a process exactly, across processes by millisecond), and a
client sees at a glance what an id names. Ids stay far below the 255 characters the API
promises as a maximum.
"""

from __future__ import annotations

import re
from typing import Final

from bankstack.kernel.ids import new_id

_ALPHABET: Final = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford: no i, l, o, u
_WIDTH: Final = 26  # ceil(128 / 5)
_PREFIX: Final = re.compile(r"[a-z][a-z0-9]{0,7}")

APP: Final = "app"
API_KEY: Final = "key"
WEBHOOK_ENDPOINT: Final = "we"
EVENT: Final = "evt"
DELIVERY: Final = "whd"
REQUEST: Final = "req"


def encode_u128(value: int) -> str:
    """``value`` in fixed-width lower-case Crockford base32 (26 characters)."""
    if not 0 <= value < 1 << 128:
        raise ValueError("encode_u128 takes an unsigned 128-bit integer")
    chars = []
    for _ in range(_WIDTH):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def new_prefixed_id(prefix: str) -> str:
    """A fresh id such as ``evt_01kf3b9x0c7d2r4t6v8w0y2z4a``."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"id prefix must be 1-8 lower-case letters or digits, not {prefix!r}")
    return f"{prefix}_{encode_u128(new_id())}"


def has_prefix(value: str, prefix: str) -> bool:
    """Whether ``value`` looks like an id of kind ``prefix`` (a cheap shape check)."""
    body = value.removeprefix(prefix + "_")
    return body != value and len(body) == _WIDTH and all(c in _ALPHABET for c in body)
