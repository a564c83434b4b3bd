"""Parameters of a ``/gateway.do`` request, from the query string, the form body, or both.

The community SDK sends everything in a GET query; the official SDK puts the public
parameters in the query and POSTs ``biz_content`` as an ``application/x-www-form-urlencoded``
body. Both are read and merged; a key given twice (in one part or across both) is refused,
because the signature would cover only one of the values.

Values are kept twice: as the raw bytes the client percent-encoded (what it signed, in its
``charset``) and as text decoded with that charset. The charset is the ``charset`` parameter
(ASCII, so it can be read before anything is decoded); absent, it is UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote_to_bytes

from bankstack.gateway.alipay.codes import invalid

DEFAULT_CHARSET: Final = "utf-8"
# What the protocol allows, as Python codec names.
CHARSETS: Final[dict[str, str]] = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "gbk": "gbk",
    "gb2312": "gb2312",
}
_FORM_TYPE: Final = "application/x-www-form-urlencoded"
_MAX_KEY_CHARS: Final = 64


@dataclass(frozen=True, slots=True)
class GatewayParams:
    charset: str  # a codec name of CHARSETS
    raw: dict[str, bytes]
    values: dict[str, str]

    def get(self, key: str) -> str | None:
        """The decoded value, or None when absent or empty (the protocol drops empty ones)."""
        return self.values.get(key) or None


def _pairs(data: bytes) -> list[tuple[bytes, bytes]]:
    pairs: list[tuple[bytes, bytes]] = []
    for part in data.split(b"&"):
        if not part:
            continue
        key, _, value = part.partition(b"=")
        pairs.append(
            (unquote_to_bytes(key.replace(b"+", b" ")), unquote_to_bytes(value.replace(b"+", b" ")))
        )
    return pairs


def _body_is_form(content_type: str | None) -> bool:
    if content_type is None:
        return True
    return content_type.split(";", 1)[0].strip().lower() == _FORM_TYPE


def _merge(parts: list[list[tuple[bytes, bytes]]]) -> dict[str, bytes]:
    merged: dict[str, bytes] = {}
    for pairs in parts:
        for raw_key, value in pairs:
            try:
                key = raw_key.decode("ascii")
            except UnicodeDecodeError:
                raise invalid("isv.invalid-parameter", "Parameter names must be ASCII") from None
            if not key or len(key) > _MAX_KEY_CHARS or not key.isprintable():
                raise invalid("isv.invalid-parameter", "Malformed parameter name")
            if key in merged:
                raise invalid("isv.invalid-parameter", f"Parameter {key} is given more than once")
            merged[key] = value
    return merged


def _charset_of(raw: dict[str, bytes]) -> str:
    declared = raw.get("charset", b"").decode("ascii", errors="replace").strip().lower()
    if not declared:
        return DEFAULT_CHARSET
    codec = CHARSETS.get(declared)
    if codec is None:
        raise invalid("isv.invalid-charset", "charset must be utf-8, gbk or gb2312")
    return codec


def parse_params(query: bytes, body: bytes, content_type: str | None) -> GatewayParams:
    """The merged, decoded parameters; raises ``Rejected`` (40002) on a malformed request."""
    parts = [_pairs(query)]
    if body and _body_is_form(content_type):
        parts.append(_pairs(body))
    raw = _merge(parts)
    charset = _charset_of(raw)
    values: dict[str, str] = {}
    for key, value in raw.items():
        try:
            values[key] = value.decode(charset)
        except UnicodeDecodeError:
            raise invalid(
                "isv.invalid-charset", f"Parameter {key} is not valid {charset}"
            ) from None
    return GatewayParams(charset=charset, raw=raw, values=values)
