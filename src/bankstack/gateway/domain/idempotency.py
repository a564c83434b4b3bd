"""Idempotency keys (spec D): what a retried money-moving request gets back (pure rules).

A client sends ``Idempotency-Key`` (1-255 printable ASCII characters, a UUID in practice;
the header may also arrive as an RFC 8941 string, ``"..."``). Keys are scoped per app, so
two partners never collide. The first request with a key takes a 30-second *lease*
(``in_progress``) and runs; its response is stored (``completed``) and kept 7 days, because
partner batch retries span weekends. Any later request with the key gets one of:

- ``Proceed``: you hold the lease (first request, an expired lease, an expired record);
- ``Replay``: the stored status, headers and body, byte for byte;
- ``ConflictInProgress``: the first request is still running (HTTP 409, ``Retry-After: 1``);
- ``FingerprintMismatch``: the key was used with another method, path or body (HTTP 422).

The fingerprint is ``sha256(method, target, sha256(body))``: the digest of the body is what
``Content-Digest`` carries, so a signed request's fingerprint covers the signed bytes.

Failures that committed nothing are never stored: a 5xx, and answers that say "try again"
(401, 408, 409, 425, 429), release the lease instead, so a retry executes afresh. A lease
that outlives a crashed server expires after 30 s; a request running longer than its lease
can be overtaken by a retry, which is why money endpoints also keep a business key
(``out_trade_no``) unique for ever.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

from bankstack.gateway.errors import IdempotencyKeyInvalid, IdempotencyKeyMissing

LEASE_S: Final = 30
RETENTION_S: Final = 7 * 24 * 3600
MAX_KEY_LENGTH: Final = 255
HEADER: Final = "Idempotency-Key"
REPLAYED_HEADER: Final = "Idempotent-Replayed"
# Answers that mean "nothing happened, try again": never replayed.
RETRY_STATUSES: Final = frozenset({401, 408, 409, 425, 429})
# Per-response headers that a replay must not copy from the first answer.
_VOLATILE_HEADERS: Final = frozenset(
    {
        "content-length",
        "date",
        "server",
        "connection",
        "transfer-encoding",
        "request-id",
        "x-request-id",
        "ratelimit",
        "ratelimit-policy",
        "retry-after",
        "signature",
        "signature-input",
        REPLAYED_HEADER.lower(),
    }
)


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class Proceed:
    """The caller holds the lease; ``token`` proves it to ``complete`` and ``abandon``."""

    token: str


@dataclass(frozen=True, slots=True)
class Replay:
    response: StoredResponse


@dataclass(frozen=True, slots=True)
class ConflictInProgress:
    retry_after_s: int = 1


@dataclass(frozen=True, slots=True)
class FingerprintMismatch:
    pass


Decision = Proceed | Replay | ConflictInProgress | FingerprintMismatch


def parse_key(header: str | None) -> str:
    """The key from the header's value; raises ``IdempotencyKeyMissing`` / ``...Invalid``."""
    if header is None or header == "":
        raise IdempotencyKeyMissing(
            f"this request moves money and needs an {HEADER} header", param=HEADER
        )
    key = header
    if len(header) >= 2 and header[0] == header[-1] == '"':  # noqa: PLR2004 - the quotes
        key = _unquote(header[1:-1])
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in key):
        raise IdempotencyKeyInvalid(
            f"{HEADER} must be 1-{MAX_KEY_LENGTH} printable ASCII characters", param=HEADER
        )
    return key


def _unquote(inner: str) -> str:
    """An RFC 8941 sf-string's content: ``\\"`` and ``\\\\`` are its only escapes."""
    out: list[str] = []
    chars = iter(inner)
    for c in chars:
        if c == '"':
            raise IdempotencyKeyInvalid(f"{HEADER} has an unescaped quote", param=HEADER)
        if c == "\\":
            c = next(chars, "")  # noqa: PLW2901 - consuming the escaped character
            if c not in {'"', "\\"}:
                raise IdempotencyKeyInvalid(f"{HEADER} has a bad escape", param=HEADER)
        out.append(c)
    return "".join(out)


def fingerprint(method: str, target: str, body: bytes) -> str:
    """``sha256(METHOD \\n target \\n hex(sha256(body)))`` in hex; ``target`` is path?query."""
    body_digest = hashlib.sha256(body).hexdigest()
    text = f"{method.upper()}\n{target}\n{body_digest}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def storable(status: int) -> bool:
    """Whether an answer with ``status`` is kept for replay (see the module docstring)."""
    return status < 500 and status not in RETRY_STATUSES  # noqa: PLR2004 - 5xx


def replayable_headers(headers: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The headers of a first answer that its replays repeat."""
    return tuple((k, v) for k, v in headers if k.lower() not in _VOLATILE_HEADERS)
