"""Cursor pagination for lists (spec G): newest first, stable, no offsets.

A list is ordered by ``(created desc, id desc)``; the cursor is the position of the last
item returned, opaque to clients (URL-safe base64 of ``<created ns>:<id>``). ``limit`` is
1-100, default 20. A page renders as
``{"object": "list", "data": [...], "has_more": true, "next_cursor": "..."}``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from bankstack.gateway.errors import CursorInvalid, ParameterInvalid

DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 100

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Position:
    created_at: int
    id: str


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    data: list[T]
    has_more: bool
    next_cursor: str | None

    def render(self, item: Callable[[T], Any]) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [item(x) for x in self.data],
            "has_more": self.has_more,
            "next_cursor": self.next_cursor,
        }


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
        raise ParameterInvalid(f"limit must be an integer from 1 to {MAX_LIMIT}", param="limit")
    return limit


def encode_cursor(position: Position) -> str:
    raw = f"{position.created_at}:{position.id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> Position | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        created, item_id = raw.split(":", 1)
        position = Position(int(created), item_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise CursorInvalid("cursor is not one this API returned", param="cursor") from error
    if not item_id or position.created_at < 0:
        raise CursorInvalid("cursor is not one this API returned", param="cursor")
    return position


def page_of(rows: Sequence[T], limit: int, position_of: Callable[[T], Position]) -> Page[T]:
    """A page from up to ``limit + 1`` rows fetched in list order (one extra = has_more)."""
    has_more = len(rows) > limit
    data = list(rows[:limit])
    cursor = encode_cursor(position_of(data[-1])) if has_more and data else None
    return Page(data, has_more, cursor)
