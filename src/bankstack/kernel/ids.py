"""128-bit identifiers, as TigerBeetle uses them.

Ids are unsigned 128-bit integers chosen by the client, so that a retry carries the same id
and is recognised. ``new_id()`` makes time-ordered ones (48 bits of milliseconds, then 80
random bits, strictly increasing within a process) so that new rows land at the end of an
index instead of all over it. At the API edge ids travel as decimal strings, because JSON
numbers above 2**53 lose digits in most clients.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Final

from bankstack.kernel.errors import ValidationFailed

U128_MAX: Final = (1 << 128) - 1
_U128_DIGITS: Final = len(str(U128_MAX))  # 39

_lock = threading.Lock()
_last = 0


class InvalidId(ValidationFailed):
    code = "bankstack.invalid_id"


def new_id() -> int:
    """A fresh id, unique and increasing within this process, random across processes."""
    global _last  # noqa: PLW0603 - one monotonic counter per process is the point
    candidate = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    with _lock:
        _last = max(candidate, _last + 1)
        return _last


def parse_u128(text: object, *, field: str = "id") -> int:
    """Parse a decimal string into a 128-bit unsigned int, or raise ``InvalidId``."""
    # The annotation is ``object`` on purpose: this guards the API edge, where anything arrives.
    if (
        not isinstance(text, str)
        or not text.isascii()
        or not text.isdigit()
        or len(text) > _U128_DIGITS
    ):
        raise InvalidId(
            f"{field} must be a decimal string of a 128-bit unsigned integer",
            field=field,
            value=repr(text),
        )
    value = int(text)
    if value > U128_MAX:
        raise InvalidId(f"{field} exceeds 2**128-1", field=field, value=text)
    return value
