"""The SSRF policy: which URLs and addresses the bank may POST to, and the guarded transport."""

from __future__ import annotations

import ipaddress
import random
import socket

import httpx
import pytest

from bankstack.gateway.adapters.destinations import DestinationForbidden, GuardedTransport
from bankstack.gateway.alipay.apps import AlipayAppInvalid, check_notify_url
from bankstack.gateway.domain.destinations import address_refusal, host_refusal, url_refusal
from bankstack.gateway.domain.webhooks import AttemptResult, DeliveryStatus, after_attempt

PUBLIC = [
    "https://partner.example/hooks",
    "http://partner.example:8080/h?x=1",
    "https://8.8.8.8/h",
    "https://[2606:4700:4700::1111]/h",
    "HTTPS://Partner.Example/h",
]
FORBIDDEN = [
    ("http://127.0.0.1:5432/", "loopback"),
    ("http://127.1/", "loopback"),
    ("http://0x7f.1/", "loopback"),
    ("http://2130706433/", "loopback"),
    ("http://017700000001/", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://localhost:8000/h", "local name"),
    ("http://LOCALHOST./h", "local name"),
    ("http://api.localhost/h", "local name"),
    ("http://10.1.2.3/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://[fd12::1]/", "private"),
    ("http://[::ffff:192.168.0.1]/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://100.64.0.1/", "CGNAT"),
    ("http://224.0.0.251/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://0/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://240.0.0.1/", "reserved"),
    ("http://192.0.2.10/", "private"),  # documentation range: not routable
    ("http://[2002:7f00:1::]/", "loopback"),  # 6to4 wrapping 127.0.0.1
]
MALFORMED = [
    ("ftp://partner.example/x", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("gopher://partner.example/", "scheme"),
    ("https://user:pw@partner.example/", "credentials"),
    ("https:///nohost", "host"),
    ("https://[::1", "valid"),
    ("https://partner.example:99999/", "valid"),
]


@pytest.mark.parametrize("url", PUBLIC)
def test_public_destinations_pass(url: str) -> None:
    assert url_refusal(url, allow_private=False) is None


@pytest.mark.parametrize(("url", "why"), FORBIDDEN)
def test_non_public_destinations_are_refused(url: str, why: str) -> None:
    reason = url_refusal(url, allow_private=False)
    assert reason is not None
    assert why in reason
    assert url_refusal(url, allow_private=True) is None  # development: anything goes


@pytest.mark.parametrize(("url", "why"), MALFORMED)
def test_malformed_urls_are_refused_even_in_development(url: str, why: str) -> None:
    reason = url_refusal(url, allow_private=True)
    assert reason is not None
    assert why in reason


def test_names_are_left_to_delivery_time() -> None:
    assert host_refusal("internal.corp.example") is None  # resolved and checked when sent
    assert host_refusal("deadbeef") is None  # hex letters alone are a name, not an address


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.1", "169.254.169.254", "100.100.100.200", "::ffff:169.254.169.254"],
)
def test_addresses(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is not None


def test_a_refused_attempt_fails_the_delivery_without_retries() -> None:
    verdict = after_attempt(0, AttemptResult(None, "forbidden", refused=True), 0, random.Random(1))
    assert (verdict.status, verdict.attempts, verdict.next_attempt_at) == (
        DeliveryStatus.FAILED,
        1,
        None,
    )
    retry = after_attempt(0, AttemptResult(None, "ConnectError"), 0, random.Random(1))
    assert retry.status is DeliveryStatus.PENDING


def test_alipay_notify_url_registration() -> None:
    assert check_notify_url("https://shop.example/notify") == "https://shop.example/notify"
    assert check_notify_url("http://127.0.0.1:9/n", allow_private=True)
    with pytest.raises(AlipayAppInvalid, match="public host"):
        check_notify_url("http://169.254.169.254/n")


# -- the transport ----------------------------------------------------------------------------


def _fake_dns(monkeypatch: pytest.MonkeyPatch, table: dict[str, list[str]]) -> None:
    def getaddrinfo(host: str, port: int, *_args: object, **_kw: object) -> list[tuple]:  # type: ignore[type-arg]
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in table[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


class Recorder(httpx.BaseTransport):
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(204)


def _client(inner: Recorder, *, allow_private: bool = False) -> httpx.Client:
    return httpx.Client(transport=GuardedTransport(allow_private=allow_private, inner=inner))


def test_the_connection_goes_to_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dns(monkeypatch, {"hooks.partner.example": ["93.184.216.34"]})
    inner = Recorder()
    answer = _client(inner).post("https://hooks.partner.example/h?x=1", content=b"{}")
    assert answer.status_code == 204
    (sent,) = inner.requests
    assert sent.url.host == "93.184.216.34"
    assert sent.url.raw_path == b"/h?x=1"
    assert sent.headers["host"] == "hooks.partner.example"
    assert sent.extensions["sni_hostname"] == "hooks.partner.example"


@pytest.mark.parametrize(
    "addresses",
    [["10.0.0.7"], ["93.184.216.34", "127.0.0.1"], ["::ffff:169.254.169.254"], ["fd00::5"]],
)
def test_any_forbidden_resolved_address_refuses(
    monkeypatch: pytest.MonkeyPatch, addresses: list[str]
) -> None:
    _fake_dns(monkeypatch, {"rebind.example": addresses})
    inner = Recorder()
    with pytest.raises(DestinationForbidden, match="destination forbidden"):
        _client(inner).post("https://rebind.example/h")
    assert inner.requests == []


def test_literal_and_odd_forms_are_refused_before_resolving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake_dns(monkeypatch, {})
    inner = Recorder()
    for url in ("http://2130706433/", "http://0x7f.1/", "http://[::1]:8000/"):
        with pytest.raises(DestinationForbidden):
            _client(inner).post(url)
    assert inner.requests == []


def test_development_forwards_private_destinations_untouched() -> None:
    inner = Recorder()
    _client(inner, allow_private=True).post("http://127.0.0.1:9/h")
    assert inner.requests[0].url.host == "127.0.0.1"


def test_an_unknown_name_is_an_ordinary_connect_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dns(monkeypatch, {})
    with pytest.raises(httpx.ConnectError) as caught:
        _client(Recorder()).post("https://nowhere.example/h")
    assert not isinstance(caught.value, DestinationForbidden)
