from __future__ import annotations

import os

import pytest
from pydantic import SecretStr, ValidationError

from bankstack.platform.database import normalize_url
from bankstack.platform.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in [n for n in os.environ if n.startswith("BANKSTACK_")]:
        monkeypatch.delenv(name)


def test_defaults():
    s = load_settings()
    assert s.database_url == "sqlite:///./var/bankstack.db"
    assert s.admin_token is None
    assert s.log_level == "INFO"
    assert s.log_json is False
    assert (s.host, s.port, s.workers) == ("127.0.0.1", 8000, 1)
    assert s.ledger_batch_max == 8190
    assert s.ledger_batch_window_ms == 0
    assert s.expiry_interval_ms == 1000
    assert s.redis_url is None


def test_environment_is_read(monkeypatch):
    monkeypatch.setenv("BANKSTACK_DATABASE_URL", "postgresql://bank@db/bank")
    monkeypatch.setenv("BANKSTACK_ADMIN_TOKEN", "s3cret")
    monkeypatch.setenv("BANKSTACK_LOG_LEVEL", "debug")
    monkeypatch.setenv("BANKSTACK_LOG_JSON", "true")
    monkeypatch.setenv("BANKSTACK_PORT", "9000")
    monkeypatch.setenv("BANKSTACK_LEDGER_BATCH_WINDOW_MS", "2")
    s = load_settings()
    assert s.database_url == "postgresql://bank@db/bank"
    assert s.admin_token == SecretStr("s3cret")
    assert s.log_level == "DEBUG"
    assert s.log_json is True
    assert s.port == 9000
    assert s.ledger_batch_window_ms == 2


def test_overrides_win_over_environment(monkeypatch):
    monkeypatch.setenv("BANKSTACK_PORT", "9000")
    assert load_settings(port=9001).port == 9001


def test_secret_never_shows(monkeypatch):
    monkeypatch.setenv("BANKSTACK_ADMIN_TOKEN", "s3cret")
    s = load_settings()
    assert "s3cret" not in repr(s)
    assert "s3cret" not in str(s.model_dump())
    assert s.admin_token is not None
    assert s.admin_token.get_secret_value() == "s3cret"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("port", 0),
        ("port", 70000),
        ("workers", 0),
        ("ledger_batch_max", 0),
        ("ledger_batch_window_ms", -1),
        ("ledger_batch_window_ms", 0.5),
        ("expiry_interval_ms", 0),
        ("log_level", "LOUD"),
    ],
)
def test_bad_values_refused(field, value):
    with pytest.raises(ValidationError):
        load_settings(**{field: value})


def test_settings_are_frozen():
    s = Settings()
    with pytest.raises(ValidationError):
        s.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:///x.db", "sqlite"),
        ("sqlite://", "sqlite"),
    ],
)
def test_normalize_url(url, driver):
    assert normalize_url(url).drivername == driver


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgresql+asyncpg://u@h/db"])
def test_normalize_url_refuses_other_drivers(url):
    with pytest.raises(ValueError, match="unsupported database"):
        normalize_url(url)
