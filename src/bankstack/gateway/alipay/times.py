"""Times as the protocol writes them: ``yyyy-MM-dd HH:mm:ss`` in Beijing time (UTC+8).

China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact and needs
no time-zone database. Both Python SDKs stamp requests with ``datetime.now()``, the client
machine's local time: a merchant server must run in Beijing time (or set ``TZ``) for its
requests to pass the gateway's timestamp window.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

from bankstack.kernel.clock import NS_PER_SECOND, datetime_to_ns

BEIJING: Final = timezone(timedelta(hours=8), "CST")
FORMAT: Final = "%Y-%m-%d %H:%M:%S"
_SHAPE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def format_beijing(ns: int) -> str:
    """``ns`` (since the epoch) as Beijing wall-clock time, whole seconds."""
    return datetime.fromtimestamp(ns // NS_PER_SECOND, tz=UTC).astimezone(BEIJING).strftime(FORMAT)


def parse_beijing(text: str) -> int:
    """Nanoseconds since the epoch of a protocol timestamp; raises ``ValueError``."""
    if not _SHAPE.fullmatch(text):
        raise ValueError(f"not a yyyy-MM-dd HH:mm:ss timestamp: {text!r}")
    moment = datetime.strptime(text, FORMAT).replace(tzinfo=BEIJING)
    return datetime_to_ns(moment)
