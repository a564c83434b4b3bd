"""Token-bucket arithmetic and the RateLimit header fields."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankstack.gateway.domain.ratelimit import (
    BucketState,
    Policy,
    decide,
    expiry_ms,
    refill,
    response_headers,
    retry_after_s,
    take,
)

TEN_PER_SECOND = Policy("app", 10, 1)


class TestPolicy:
    def test_capacity_is_counted_in_ticks(self):
        assert TEN_PER_SECOND.window_ms == 1000
        assert TEN_PER_SECOND.capacity == 10_000

    @pytest.mark.parametrize(
        ("name", "quota", "window"),
        [("", 1, 1), ("has space", 1, 1), ("ok", 0, 1), ("ok", 1, 0), ("ok", 2**40, 2**20)],
    )
    def test_bad_policies_are_refused(self, name, quota, window):
        with pytest.raises(ValueError, match=r"policy|positive|large"):
            Policy(name, quota, window)


class TestRefill:
    def test_a_new_bucket_is_full(self):
        assert refill(TEN_PER_SECOND, None, 5) == 10_000

    def test_refills_quota_ticks_per_millisecond_up_to_capacity(self):
        empty = BucketState(0, 1_000)
        assert refill(TEN_PER_SECOND, empty, 1_100) == 1_000  # 100 ms = one token
        assert refill(TEN_PER_SECOND, empty, 9_999_999) == 10_000

    def test_a_clock_going_back_adds_nothing(self):
        assert refill(TEN_PER_SECOND, BucketState(500, 2_000), 1_000) == 500


class TestTake:
    def test_burst_up_to_quota_then_refuse(self):
        state, admitted = None, 0
        for _ in range(12):
            allowed, (level,) = take([(TEN_PER_SECOND, state)], now_ms=0)
            admitted += allowed
            state = BucketState(level, 0)
        assert admitted == 10
        assert state is not None
        assert state.level == 0

    def test_refused_requests_cost_nothing(self):
        allowed, levels = take([(TEN_PER_SECOND, BucketState(999, 0))], now_ms=0)
        assert not allowed
        assert levels == [999]

    def test_all_buckets_must_allow_and_then_all_pay(self):
        merchant = Policy("merchant", 100, 1)
        buckets = [(TEN_PER_SECOND, BucketState(5_000, 0)), (merchant, BucketState(0, 0))]
        assert take(buckets, now_ms=0) == (False, [5_000, 0])
        buckets[1] = (merchant, BucketState(1_000, 0))
        assert take(buckets, now_ms=0) == (True, [4_000, 0])

    def test_cost_is_at_least_one(self):
        with pytest.raises(ValueError, match="cost"):
            take([(TEN_PER_SECOND, None)], now_ms=0, cost=0)

    @given(
        quota=st.integers(1, 1000),
        window=st.integers(1, 3600),
        gaps=st.lists(st.integers(0, 5_000), min_size=1, max_size=200),
    )
    def test_never_admits_more_than_the_policy_allows(self, quota, window, gaps):
        policy = Policy("p", quota, window)
        state, now, admitted = None, 0, 0
        for gap in gaps:
            now += gap
            allowed, (level,) = take([(policy, state)], now_ms=now)
            assert 0 <= level <= policy.capacity
            admitted += allowed
            state = BucketState(level, now)
        # A full bucket plus what refilled over the elapsed time, in whole tokens.
        assert admitted <= quota + now * quota // policy.window_ms


class TestDecision:
    def test_remaining_and_reset(self):
        decision = decide(TEN_PER_SECOND, 4_200, allowed=True)
        assert (decision.remaining, decision.reset_s, decision.retry_after_s) == (4, 1, 0)

    def test_retry_after_rounds_up_to_whole_seconds(self):
        slow = Policy("slow", 1, 60)
        decision = decide(slow, 30_000, allowed=False)
        assert decision.retry_after_s == 30
        assert decision.reset_s == 30  # half empty: half a window to full

    def test_retry_after_is_at_least_one_second(self):
        assert decide(TEN_PER_SECOND, 999, allowed=False).retry_after_s == 1

    def test_a_bucket_with_room_does_not_ask_for_a_wait(self):
        assert decide(TEN_PER_SECOND, 5_000, allowed=False).retry_after_s == 0

    def test_expiry_covers_the_refill(self):
        assert expiry_ms(TEN_PER_SECOND, 0) == 2_000
        assert expiry_ms(TEN_PER_SECOND, 10_000) == 1_000


class TestHeaders:
    def test_fields_of_the_ietf_draft(self):
        merchant = Policy("merchant", 1000, 60)
        decisions = [
            decide(TEN_PER_SECOND, 4_200, allowed=True),
            decide(merchant, 917 * 60_000, allowed=True),
        ]
        assert response_headers(decisions) == {
            "RateLimit-Policy": '"app";q=10;w=1, "merchant";q=1000;w=60',
            "RateLimit": '"app";r=4;t=1, "merchant";r=917;t=5',
        }

    def test_a_refusal_adds_retry_after(self):
        decisions = [decide(Policy("slow", 1, 60), 0, allowed=False)]
        headers = response_headers(decisions)
        assert headers["Retry-After"] == "60"
        assert retry_after_s(decisions) == 60

    def test_no_buckets_no_headers(self):
        assert response_headers([]) == {}
