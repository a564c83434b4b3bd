"""The answer body: ``{"<method>_response":{...},"sign":"..."}``, signed over the exact bytes sent.

The ``_response`` object is serialised once, those bytes are signed, and the same bytes are
spliced into the body, so what a client cuts out of the body is byte for byte what was signed.
The body is encoded in the request's charset (the official SDK decodes with its configured
charset before cutting); text the charset cannot hold is sent as ``\\u`` escapes instead.

Clients find the object by scanning braces: the official SDK skips braces inside strings, the
community SDK does not. Braces inside strings are therefore written as ``\\u007b``/``\\u007d``
(the same JSON value), so that an unbalanced brace in, say, an echoed ``biz_content`` cannot
make the community SDK cut the wrong substring.

Every answer is signed, failures included: the official Python SDK cannot parse an answer
without ``sign`` at all, and the community SDK raises on one without reading its code. The
only unsigned answer is one of a signature type the platform has no key for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Final

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from bankstack.gateway.alipay.commands import SignType
from bankstack.gateway.alipay.signing import sign

ERROR_KEY: Final = "error_response"
_JSON_STRING: Final = re.compile(r'"(?:[^"\\]|\\.)*"')
_METHOD_NAME: Final = re.compile(r"[a-z][a-z0-9]*(?:\.[a-z0-9]+)+")


def response_key(method: str) -> str:
    """``alipay.trade.query`` -> ``alipay_trade_query_response``."""
    if not _METHOD_NAME.fullmatch(method):
        raise ValueError(f"not a method name: {method!r}")
    return method.replace(".", "_") + "_response"


def _hide_braces(match: re.Match[str]) -> str:
    return match.group().replace("{", "\\u007b").replace("}", "\\u007d")


def _dump(fields: Mapping[str, object], *, ascii_only: bool) -> str:
    text = json.dumps(fields, ensure_ascii=ascii_only, separators=(",", ":"))
    return _JSON_STRING.sub(_hide_braces, text)


def serialize(fields: Mapping[str, object], charset: str) -> bytes:
    """The ``_response`` object as the bytes to sign and send."""
    try:
        return _dump(fields, ascii_only=False).encode(charset)
    except UnicodeEncodeError:
        return _dump(fields, ascii_only=True).encode("ascii")


def envelope(
    key: str,
    fields: Mapping[str, object],
    *,
    private_key: RSAPrivateKey | None,
    sign_type: SignType,
    charset: str,
) -> bytes:
    """The whole body: the object under ``key``, then its signature."""
    content = serialize(fields, charset)
    head = b'{"' + key.encode("ascii") + b'":' + content
    if private_key is None:
        return head + b"}"
    signature = sign(private_key, sign_type, content)
    return head + b',"sign":"' + signature.encode("ascii") + b'"}'


def media_type(charset: str) -> str:
    return f"application/json;charset={charset}"
