"""Rate limits for ``/v1`` endpoints (spec I), as a FastAPI dependency.

    reads = RateLimit(limiter, per_app(Policy("app", 100, 1)), fail_open=True)
    money = RateLimit(limiter, per_app(Policy("app", 100, 1), Policy("merchant", 1000, 1)),
                      fail_open=False)

    @router.post("/trades", dependencies=[Depends(money)])

Each request draws one token (``cost``) from every bucket ``buckets_of(request)`` names; the
answer carries ``RateLimit-Policy`` and ``RateLimit`` (added by ``V1Route``), and a refused
request gets 429 ``rate_limited`` with ``Retry-After``. When the limiter's store is down a
``fail_open`` limit lets the request through (reads: availability first) and a closed one
answers 503 ``rate_limiter_unavailable`` (money: never unmetered).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from bankstack.gateway.api.routing import add_response_headers
from bankstack.gateway.domain.ratelimit import Bucket, Policy, response_headers, retry_after_s
from bankstack.gateway.errors import RateLimited, RateLimiterUnavailable
from bankstack.gateway.ports import RateLimiter
from bankstack.kernel.errors import Unauthenticated
from bankstack.platform.logging import get_logger

BucketsOf = Callable[[Request], Sequence[Bucket]]
_log = get_logger(__name__)


def per_app(app_policy: Policy, merchant_policy: Policy | None = None) -> BucketsOf:
    """Buckets keyed by ``request.state.app_id`` (and ``merchant_id`` when given a policy)."""

    def buckets_of(request: Request) -> list[Bucket]:
        app_id = getattr(request.state, "app_id", None)
        if not isinstance(app_id, str) or not app_id:
            raise Unauthenticated("this request needs an authenticated app")
        buckets = [Bucket(f"app:{app_id}:{app_policy.name}", app_policy)]
        merchant_id = getattr(request.state, "merchant_id", None)
        if merchant_policy is not None and isinstance(merchant_id, str) and merchant_id:
            buckets.append(
                Bucket(f"merchant:{merchant_id}:{merchant_policy.name}", merchant_policy)
            )
        return buckets

    return buckets_of


class RateLimit:
    def __init__(
        self,
        limiter: RateLimiter,
        buckets_of: BucketsOf,
        *,
        fail_open: bool,
        cost: int = 1,
        offload: bool = True,
    ) -> None:
        """``offload``: call the limiter in a worker thread (a network store); pass False
        for the in-memory limiter, which never blocks."""
        self._limiter = limiter
        self._buckets_of = buckets_of
        self._fail_open = fail_open
        self._cost = cost
        self._offload = offload

    async def __call__(self, request: Request) -> None:
        buckets = self._buckets_of(request)
        try:
            if self._offload:
                decisions = await run_in_threadpool(self._limiter.take, buckets, self._cost)
            else:
                decisions = self._limiter.take(buckets, self._cost)
        except RateLimiterUnavailable:
            if not self._fail_open:
                raise
            _log.warning("rate limiter unavailable; request let through", path=request.url.path)
            return
        add_response_headers(request, response_headers(decisions))
        if not all(d.allowed for d in decisions):
            raise RateLimited(
                "too many requests; slow down and retry after the delay given",
                retry_after_s=retry_after_s(decisions),
            )
