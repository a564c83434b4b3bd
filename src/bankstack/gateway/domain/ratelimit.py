"""Token buckets for rate limits (spec I), in exact integer arithmetic (pure rules).

A ``Policy`` allows ``quota`` requests per ``window_s`` seconds with bursts up to ``quota``:
a bucket holds up to ``quota`` tokens and refills continuously at ``quota / window_s`` per
second. To keep the arithmetic exact (and identical in the Redis Lua script, whose numbers
are doubles) a bucket's level is counted in *ticks*: one token is ``window_ms`` ticks and
every millisecond adds ``quota`` ticks. Levels then stay integers below 2**53.

A request may draw on several buckets at once (per app and per merchant); it is admitted
only if every bucket has enough, and then every bucket pays. ``Decision``s render as the
``RateLimit-Policy`` and ``RateLimit`` fields of draft-ietf-httpapi-ratelimit-headers:

    RateLimit-Policy: "app";q=100;w=1, "merchant";q=1000;w=1
    RateLimit: "app";r=42;t=1, "merchant";r=917;t=1

``r`` is the whole tokens left, ``t`` the seconds until the bucket is full again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

MAX_TICKS: Final = 1 << 50  # far below 2**53, where doubles stop being exact
_NAME: Final = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
_MS: Final = 1000


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    quota: int
    window_s: int

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"policy name must be 1-64 of [A-Za-z0-9_.:-], not {self.name!r}")
        if self.quota < 1 or self.window_s < 1:
            raise ValueError("quota and window_s must be positive")
        if self.capacity > MAX_TICKS:
            raise ValueError("quota * window is too large for exact arithmetic")

    @property
    def window_ms(self) -> int:
        return self.window_s * _MS

    @property
    def capacity(self) -> int:
        """A full bucket, in ticks."""
        return self.quota * self.window_ms


@dataclass(frozen=True, slots=True)
class Bucket:
    """One bucket: a storage key and the policy that governs it."""

    key: str
    policy: Policy


@dataclass(frozen=True, slots=True)
class BucketState:
    level: int  # ticks
    updated_ms: int


@dataclass(frozen=True, slots=True)
class Decision:
    policy: Policy
    allowed: bool
    remaining: int  # whole tokens left after this request
    reset_s: int  # seconds until the bucket is full
    retry_after_s: int  # 0 unless this bucket refused the request


def refill(policy: Policy, state: BucketState | None, now_ms: int) -> int:
    """The level at ``now_ms``; a new bucket starts full, a clock going back adds nothing."""
    if state is None:
        return policy.capacity
    elapsed = max(0, now_ms - state.updated_ms)
    return min(policy.capacity, state.level + elapsed * policy.quota)


def take(
    buckets: Sequence[tuple[Policy, BucketState | None]], now_ms: int, cost: int = 1
) -> tuple[bool, list[int]]:
    """Admit a request of ``cost`` tokens against all buckets at once.

    Returns whether it was admitted and each bucket's new level (reduced only if admitted).
    """
    if cost < 1:
        raise ValueError("cost must be at least 1")
    levels = [refill(policy, state, now_ms) for policy, state in buckets]
    allowed = all(
        level >= cost * policy.window_ms for (policy, _), level in zip(buckets, levels, strict=True)
    )
    if allowed:
        levels = [
            level - cost * policy.window_ms
            for (policy, _), level in zip(buckets, levels, strict=True)
        ]
    return allowed, levels


def decide(policy: Policy, level: int, *, allowed: bool, cost: int = 1) -> Decision:
    """What the caller is told about one bucket at ``level`` ticks after the request."""
    retry_after = 0
    missing = cost * policy.window_ms - level
    if not allowed and missing > 0:
        retry_after = max(1, _ceil_div(_ceil_div(missing, policy.quota), _MS))
    return Decision(
        policy=policy,
        allowed=allowed,
        remaining=level // policy.window_ms,
        reset_s=_ceil_div(_ceil_div(policy.capacity - level, policy.quota), _MS),
        retry_after_s=retry_after,
    )


def expiry_ms(policy: Policy, level: int) -> int:
    """How long a stored bucket must live: until it would be full again, plus a second."""
    return _ceil_div(policy.capacity - level, policy.quota) + _MS


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def policy_header(decisions: Sequence[Decision]) -> str:
    return ", ".join(
        f'"{d.policy.name}";q={d.policy.quota};w={d.policy.window_s}' for d in decisions
    )


def limit_header(decisions: Sequence[Decision]) -> str:
    return ", ".join(f'"{d.policy.name}";r={d.remaining};t={d.reset_s}' for d in decisions)


def response_headers(decisions: Sequence[Decision]) -> dict[str, str]:
    """``RateLimit-Policy`` and ``RateLimit``, plus ``Retry-After`` when refused."""
    if not decisions:
        return {}
    headers = {"RateLimit-Policy": policy_header(decisions), "RateLimit": limit_header(decisions)}
    if not all(d.allowed for d in decisions):
        headers["Retry-After"] = str(retry_after_s(decisions))
    return headers


def retry_after_s(decisions: Sequence[Decision]) -> int:
    """Seconds until a refused request would be admitted (at least 1)."""
    return max(1, *(d.retry_after_s for d in decisions))
