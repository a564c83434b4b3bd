"""A minimal HTTP/1.1 keep-alive client on asyncio streams: one connection per virtual partner.

Why not ``httpx.AsyncClient``: on this machine it spends 1.4-2.6 ms of client CPU per request
(measured while writing this harness), about 15-30 times what this client needs, and on two
cores shared with the server every client millisecond is taken from the system under test.
This client writes each request in one ``write`` (headers and body together), reads the status
line and the header block, then exactly ``Content-Length`` bytes (or a chunked body). What a
partner's security code sees is unchanged: the SDK signs the request and verifies the answer
from the same method, absolute URL, header fields and body bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Final

_CRLF: Final = b"\r\n"
_HEAD_END: Final = b"\r\n\r\n"
_MAX_HEAD: Final = 64 * 1024


class HttpProtocolError(RuntimeError):
    """The server's answer is not HTTP/1.1 as this client reads it."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names; repeated fields joined with ", " (RFC 9110)
    body: bytes


class Http1Connection:
    """One persistent connection to ``host:port``; requests are sent one after the other."""

    def __init__(self, host: str, port: int, *, timeout_s: float) -> None:
        self.host = host
        self.port = port
        self.authority = f"{host}:{port}"
        self._timeout_s = timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(
            self.host, self.port, limit=_MAX_HEAD
        )

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        """Send one request and read its answer; reconnects once if the server had closed."""
        if self._writer is None:
            await self.open()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.authority}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        answer = await asyncio.wait_for(self._exchange(payload), self._timeout_s)
        if answer.headers.get("connection", "").lower() == "close":
            await self.close()
        return answer

    async def _exchange(self, payload: bytes) -> Answer:
        assert self._reader is not None
        assert self._writer is not None
        self._writer.write(payload)
        try:
            head = await self._reader.readuntil(_HEAD_END)
        except asyncio.IncompleteReadError as error:
            await self.close()
            raise HttpProtocolError("the server closed the connection") from error
        status, headers = _parse_head(head)
        length = headers.get("content-length")
        if length is not None:
            body = await self._reader.readexactly(int(length))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._read_chunked()
        else:
            raise HttpProtocolError("an answer without Content-Length or chunked encoding")
        return Answer(status, headers, body)

    async def _read_chunked(self) -> bytes:
        assert self._reader is not None
        parts: list[bytes] = []
        while True:
            size_line = await self._reader.readuntil(_CRLF)
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                await self._reader.readuntil(_CRLF)  # no trailers from uvicorn
                return b"".join(parts)
            parts.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    status_line, _, rest = head[: -len(_HEAD_END)].partition(_CRLF)
    version, _, tail = status_line.partition(b" ")
    if not version.startswith(b"HTTP/1."):
        raise HttpProtocolError(f"not an HTTP/1.x status line: {status_line[:80]!r}")
    status = int(tail[:3])
    headers: dict[str, str] = {}
    for raw in rest.split(_CRLF) if rest else ():
        name, sep, value = raw.partition(b":")
        if not sep:
            raise HttpProtocolError(f"a malformed header line: {raw[:80]!r}")
        key = name.decode("latin-1").strip().lower()
        text = value.decode("latin-1").strip()
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return status, headers
