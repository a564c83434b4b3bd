"""Where the bank may POST: the server-side request forgery (SSRF) policy, as pure rules.

Partners register the URLs that webhooks and Alipay notifications go to, so without a
policy a partner could make the bank's own servers call the cloud metadata service
(``169.254.169.254``), a database on ``127.0.0.1:5432`` or any host of the private network.
A destination must therefore be an ``http(s)`` URL without credentials whose host is, and
resolves only to, globally routable addresses.

The check runs twice: ``url_refusal`` when a URL is registered (literal addresses and
obviously local names, so that a partner learns at once), and ``address_refusal`` on every
address a host resolves to right before the connection, which is then made to the checked
address (``adapters.destinations``), so DNS rebinding cannot swap in a private one.
``allow_private`` (the ``allow_private_destinations`` setting) switches the address checks
off for development and tests, whose receivers listen on loopback.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import Final
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES: Final = frozenset({"http", "https"})
LOCAL_NAMES: Final = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
# Shared address space (RFC 6598): carrier-grade NAT, not reachable from the internet but
# ``ipaddress`` reports it neither private nor global, so it is named here.
CGNAT: Final = ipaddress.IPv4Network("100.64.0.0/10")
# The characters of the numeric IPv4 forms ``inet_aton`` accepts: ``2130706433``,
# ``0x7f.1``, ``017700000001``, ``127.1``. Resolvers and some clients reach loopback with them.
_NUMERIC_HOST: Final = re.compile(r"[0-9a-fA-FxX.]+")


def address_refusal(address: IPAddress) -> str | None:
    """Why the bank must not connect to ``address``; None when it is a public address.

    IPv4-mapped (``::ffff:127.0.0.1``) and NAT64/6to4-style embeddings are judged by the IPv4
    address they carry, since that is where the packets end up.
    """
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return address_refusal(mapped)
    checks = (
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_unspecified, "the unspecified address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        (
            isinstance(address, ipaddress.IPv4Address) and address in CGNAT,
            "a shared (CGNAT) address",
        ),
        (not address.is_global, "not globally routable"),
    )
    for refused, reason in checks:
        if refused:
            return f"{address} is {reason}"
    return None


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` names literally, in any form a resolver would accept; else None.

    Besides dotted quads and IPv6, ``inet_aton`` reads decimal, octal and hex forms
    (``http://2130706433/`` is loopback), which ``ipaddress`` alone would miss.
    """
    text = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if not _NUMERIC_HOST.fullmatch(text) or not any(ch.isdigit() for ch in text[:1]):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None


def host_refusal(host: str) -> str | None:
    """Why ``host`` (a URL's hostname) is refused without resolving it; None if it may be."""
    name = host.lower().rstrip(".")
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        return f"{host} is a local name"
    address = literal_address(name)
    return None if address is None else address_refusal(address)


def url_refusal(url: str, *, allow_private: bool) -> str | None:
    """Why the bank must not POST to ``url``; None when it may (as far as the URL shows).

    The scheme, credentials and host are always checked; the host's address only unless
    ``allow_private``. Resolving names is left to delivery time (``address_refusal``).
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on an invalid port
    except ValueError:
        return "not a valid URL"
    if parts.scheme.lower() not in SCHEMES:
        return "the scheme must be http or https"
    if parts.username is not None or parts.password is not None:
        return "the URL must not carry credentials"
    if not host:
        return "the URL needs a host"
    return None if allow_private else host_refusal(host)
