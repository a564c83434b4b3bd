"""The authenticator's short memory of credentials (``auth._Recent``)."""

from __future__ import annotations

import pytest

from bankstack.gateway.api import auth


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(auth.time, "monotonic", fake)
    return fake


def test_a_found_credential_is_looked_up_once_within_the_ttl(clock: Clock) -> None:
    recent: auth._Recent[str, str] = auth._Recent(5.0)
    calls: list[str] = []

    def lookup() -> str:
        calls.append("k")
        return "binding"

    assert recent.get("k", lookup) == "binding"
    clock.now += 4.9
    assert recent.get("k", lookup) == "binding"
    assert calls == ["k"]
    clock.now += 0.2  # past the ttl: a revoked key is refused from here on
    recent.get("k", lookup)
    assert calls == ["k", "k"]


@pytest.mark.usefixtures("clock")
def test_what_was_not_found_is_not_kept() -> None:
    recent: auth._Recent[str, str] = auth._Recent(5.0)
    calls: list[str] = []

    def lookup() -> str | None:
        calls.append("unknown")
        return None

    assert recent.get("unknown", lookup) is None
    assert recent.get("unknown", lookup) is None
    assert calls == ["unknown", "unknown"]
    assert not recent._entries  # a flood of unknown ids does not grow it


@pytest.mark.usefixtures("clock")
def test_a_lookup_that_refuses_is_not_kept() -> None:
    recent: auth._Recent[bytes, str] = auth._Recent(5.0)

    def refuse() -> str:
        raise PermissionError("revoked")

    with pytest.raises(PermissionError):
        recent.get(b"digest", refuse)
    assert recent.get(b"digest", lambda: "app") == "app"
