"""Small helpers for HTTP fields shared by the signer, the webhook verifier and the client."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from http_sfv.item import Item

IDEMPOTENCY_KEY_MAX_LENGTH = 255


def header_lines(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """Every field line in order, keeping the repeated lines of httpx or Starlette headers."""
    multi = getattr(headers, "multi_items", None)
    if callable(multi):
        return [(str(name), str(value)) for name, value in multi()]
    return [(str(name), str(value)) for name, value in headers.items()]


def get_header(headers: Mapping[str, str], name: str) -> str | None:
    """The field's value, case-insensitively; repeated lines are joined with ", " as in RFC 9110."""
    wanted = name.lower()
    values = [value for key, value in header_lines(headers) if key.lower() == wanted]
    return ", ".join(values) if values else None


class FieldLines:
    """A read-only header view for http_message_signatures: ``items()`` keeps every field line."""

    def __init__(self, lines: Iterable[tuple[str, str]]) -> None:
        self._lines = list(lines)

    def items(self) -> list[tuple[str, str]]:
        return list(self._lines)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name for name, _ in self._lines))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(k.lower() == name.lower() for k, _ in self._lines)


def format_idempotency_key(key: str) -> str:
    """Serialise a key as the ``Idempotency-Key`` field value: an RFC 8941 String (quoted).

    This is the form the IETF idempotency-key draft defines and the bankstack API documents,
    e.g. ``"8e03978e-40d5-43e8-bc93-6894a57f9324"``.
    """
    if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ValueError("an idempotency key has 1 to 255 characters")
    item = Item(key)
    try:
        return str(item)
    except ValueError as exc:
        raise ValueError("an idempotency key must be printable ASCII") from exc


def parse_idempotency_key(value: str) -> str:
    """The key inside an ``Idempotency-Key`` field; accepts the quoted form and a bare token.

    Raises ``ValueError`` for anything else (empty, too long, unbalanced quotes).
    """
    text = value.strip()
    if text.startswith('"'):
        item = Item()
        item.parse(text.encode("ascii"))  # UnicodeEncodeError is a ValueError
        if not isinstance(item.value, str) or item.params:
            raise ValueError("Idempotency-Key must be a Structured Field String")
        key = str(item.value)
    else:
        key = text
    if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH or not key.isprintable():
        raise ValueError("an idempotency key has 1 to 255 printable characters")
    return key
