"""An httpx transport that connects only to public addresses, pinned to the one it checked.

Checking a URL when it is registered is not enough: a partner's DNS name may resolve to a
public address then and to ``127.0.0.1`` at delivery time (DNS rebinding), or the name may
have pointed inside from the start. ``GuardedTransport`` resolves the host itself, refuses
the request if *any* address is forbidden (``domain.destinations.address_refusal``), and
sends it to the first checked address: the URL's host is replaced by that IP while the
``Host`` header and the TLS server name (the ``sni_hostname`` extension, also used to verify
the certificate) keep the partner's name, so nothing resolves the name a second time.

Connections are not kept alive: a pooled connection is keyed by IP, and reusing one opened
for another partner's name on the same IP would send that partner's traffic over a TLS
session verified for someone else. Proxies from the environment are never used (httpx
ignores them when a transport is given), as a proxy would resolve the name on its own.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Final

import httpx

from bankstack.gateway.domain.destinations import IPAddress, address_refusal, url_refusal

DEFAULT_PORTS: Final = {"http": 80, "https": 443}


class DestinationForbidden(httpx.RequestError):
    """The destination is not a public address: a permanent refusal, not a network error."""


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (TCP), in the resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise httpx.ConnectError(f"cannot resolve {host}: {error}") from error
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
        address = ipaddress.ip_address(text)
        if address not in addresses:
            addresses.append(address)
    return addresses


def checked_address(host: str, port: int) -> IPAddress:
    """The address to connect to; raises ``DestinationForbidden`` if any is not public."""
    addresses = resolve(host, port)
    if not addresses:
        raise httpx.ConnectError(f"{host} resolves to no address")
    for address in addresses:
        reason = address_refusal(address)
        if reason is not None:
            raise DestinationForbidden(f"destination forbidden: {host} -> {reason}")
    return addresses[0]


class GuardedTransport(httpx.BaseTransport):
    """Refuses non-public destinations; with ``allow_private`` it only forwards (development)."""

    def __init__(
        self, *, allow_private: bool = False, inner: httpx.BaseTransport | None = None
    ) -> None:
        self._allow_private = allow_private
        self._inner = inner or httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        reason = url_refusal(str(url), allow_private=self._allow_private)
        if reason is not None:
            raise DestinationForbidden(f"destination forbidden: {reason}", request=request)
        if self._allow_private:
            return self._inner.handle_request(request)
        port = url.port or DEFAULT_PORTS.get(url.scheme, 443)
        try:
            address = checked_address(url.host, port)
        except httpx.RequestError as error:
            error.request = request
            raise
        request.url = url.copy_with(host=str(address))
        if url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": url.host}
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def guarded_client(*, allow_private: bool, timeout_s: float = 10.0) -> httpx.Client:
    """An ``httpx.Client`` for partner-supplied URLs: guarded, no redirects, no env proxies."""
    return httpx.Client(
        transport=GuardedTransport(allow_private=allow_private),
        timeout=timeout_s,
        follow_redirects=False,
        trust_env=False,
    )
