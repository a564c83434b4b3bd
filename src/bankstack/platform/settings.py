"""Runtime configuration, read from ``BANKSTACK_*`` environment variables.

``load_settings()`` is called once by the composition root and the result is passed down;
there is no module-level instance, so tests build their own with overrides. Nested groups
added later read ``BANKSTACK_GROUP__FIELD`` (delimiter ``__``). Secrets are ``SecretStr`` so
that they never appear in a repr or a log line.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/bankstack.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BANKSTACK_",
        env_nested_delimiter="__",
        extra="ignore",
        frozen=True,
    )

    # SQLAlchemy URL. SQLite (the embedded tier) or PostgreSQL: "postgresql://..." and
    # "postgresql+psycopg://..." both work. A relative SQLite path is relative to the cwd, and
    # its directory is created on first use.
    database_url: str = DEFAULT_DATABASE_URL
    # Bearer token for the admin/staff endpoints; None disables them.
    admin_token: SecretStr | None = None

    log_level: str = "INFO"
    log_json: bool = False

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65_535)
    workers: int = Field(default=1, ge=1)

    # Group commit: at most this many transfers per batch (TigerBeetle's 8190 per request).
    ledger_batch_max: int = Field(default=8190, ge=1)
    # Extra time (milliseconds) a batch waits for more requests before it is written. 0 means
    # no extra wait: batches form from whatever queued while the previous batch committed.
    ledger_batch_window_ms: int = Field(default=0, ge=0)
    # How often pending transfers past their timeout are voided (milliseconds).
    expiry_interval_ms: int = Field(default=1000, ge=1)

    # Shared fast state (rate limits, velocity counters) when several processes serve.
    redis_url: str | None = None
    # Where partners and customers reach this server: cashier links and QR codes use it.
    public_url: str = "http://127.0.0.1:8000"
    # Keys this deployment signs with (partner API responses, webhooks, Alipay answers); every
    # process of one deployment must see the same directory.
    key_dir: str = "./var/keys"
    # Partner API: requests per second each app may make (a token bucket of one second).
    partner_rate_per_s: int = Field(default=2000, ge=1)
    # Sign every partner API answer (RFC 9421). Off only to measure what signing costs
    # (bench/payments); partners' SDKs refuse unsigned answers.
    partner_sign_responses: bool = True
    # Let partners register, and the bank deliver webhooks and Alipay notifications to,
    # loopback, private and link-local addresses. Development and tests only (the demo turns
    # it on for its own receivers): in production it opens the bank's network to
    # server-side request forgery.
    allow_private_destinations: bool = False
    # Background work (unpaid trades expiring, escrow deadlines, webhook and notify retries).
    worker_interval_ms: int = Field(default=1000, ge=10)
    # Published outbox rows and processed-event marks are deleted after this many days (an
    # hourly job); the domains keep their own history.
    outbox_retention_days: int = Field(default=7, ge=1)

    # Risk screening of payments (the risk engine decides before money moves). Off only for
    # tools and benchmarks that measure payments without it.
    risk_enabled: bool = True
    # The stored rule set that staff activate (`bankstack risk rules activate`); until one is
    # active, the packaged default.toml decides.
    risk_ruleset: str = "default"
    # The model registry (`bankstack risk train`): its fraud champion scores payments. With no
    # champion there, decisions are taken on rules alone.
    model_dir: str = "./var/models"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in logging.getLevelNamesMapping():
            msg = f"unknown log level {value!r}"
            raise ValueError(msg)
        return level


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment; keyword ``overrides`` win over environment variables."""
    return Settings(**overrides)
