"""The webhook retry schedule, jitter and delivery verdicts."""

from __future__ import annotations

import json
import random

import pytest

from bankstack.gateway.domain.webhooks import (
    MAX_ATTEMPTS,
    SCHEDULE_S,
    AttemptResult,
    DeliveryStatus,
    Outcome,
    after_attempt,
    classify,
    jittered,
    next_delay_s,
    object_version,
    render_body,
    rfc3339,
)
from bankstack.kernel.clock import NS_PER_SECOND

NOW = 1_795_000_000 * NS_PER_SECOND


class TestSchedule:
    def test_thirteen_attempts_over_about_three_days(self):
        assert SCHEDULE_S == (
            0, 5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 86400
        )  # fmt: skip
        assert MAX_ATTEMPTS == 13
        assert 3.1 < sum(SCHEDULE_S) / 86400 < 3.2

    def test_jitter_stays_within_twenty_percent(self):
        rng = random.Random(7)
        samples = [jittered(100, rng) for _ in range(2000)]
        assert 80 <= min(samples) < 82
        assert 118 < max(samples) <= 120

    def test_jitter_is_reproducible_from_the_seed(self):
        first = [next_delay_s(n, random.Random(1)) for n in range(MAX_ATTEMPTS)]
        again = [next_delay_s(n, random.Random(1)) for n in range(MAX_ATTEMPTS)]
        assert first == again

    def test_no_delay_after_the_last_attempt(self):
        assert next_delay_s(MAX_ATTEMPTS, random.Random(1)) is None
        assert next_delay_s(0, random.Random(1)) == 0


class TestClassify:
    @pytest.mark.parametrize(
        ("result", "outcome"),
        [
            (AttemptResult(200), Outcome.SUCCEEDED),
            (AttemptResult(204), Outcome.SUCCEEDED),
            (AttemptResult(299), Outcome.SUCCEEDED),
            (AttemptResult(410), Outcome.GONE),
            (AttemptResult(301), Outcome.RETRY),
            (AttemptResult(404), Outcome.RETRY),
            (AttemptResult(500), Outcome.RETRY),
            (AttemptResult(None, "timeout"), Outcome.RETRY),
        ],
    )
    def test_outcomes(self, result, outcome):
        assert classify(result) is outcome


class TestAfterAttempt:
    def test_success_finishes(self):
        verdict = after_attempt(0, AttemptResult(200), NOW, random.Random(1))
        assert verdict.status is DeliveryStatus.SUCCEEDED
        assert (verdict.attempts, verdict.next_attempt_at) == (1, None)

    def test_gone_fails_and_disables_the_endpoint(self):
        verdict = after_attempt(3, AttemptResult(410), NOW, random.Random(1))
        assert verdict.status is DeliveryStatus.FAILED
        assert verdict.disable_endpoint

    def test_failure_schedules_the_next_attempt_with_jitter(self):
        verdict = after_attempt(1, AttemptResult(503), NOW, random.Random(1))
        assert verdict.status is DeliveryStatus.PENDING
        assert verdict.attempts == 2
        assert verdict.next_attempt_at is not None
        delay_s = (verdict.next_attempt_at - NOW) / NS_PER_SECOND
        assert 24 <= delay_s <= 36  # 30 s +- 20 %

    def test_the_thirteenth_failure_is_final(self):
        verdict = after_attempt(12, AttemptResult(None, "refused"), NOW, random.Random(1))
        assert verdict.status is DeliveryStatus.FAILED
        assert verdict.attempts == 13
        assert not verdict.disable_endpoint


class TestBody:
    def test_standard_shape_rendered_compactly(self):
        body = render_body(
            event_id="evt_1",
            event_type="trade.succeeded",
            api_version="2026-11-01",
            created_at=NOW,
            livemode=False,
            data_object={"id": "trd_1", "amount": 8888, "version": 3, "subject": "咖啡"},
            previous_attributes={"status": "pending"},
        )
        assert b" " not in body.replace("咖啡".encode(), b"")
        assert json.loads(body) == {
            "id": "evt_1",
            "object": "event",
            "type": "trade.succeeded",
            "api_version": "2026-11-01",
            "created": rfc3339(NOW),
            "livemode": False,
            "data": {
                "object": {"id": "trd_1", "amount": 8888, "version": 3, "subject": "咖啡"},
                "previous_attributes": {"status": "pending"},
            },
        }

    def test_rfc3339_is_utc_whole_seconds(self):
        assert rfc3339(0) == "1970-01-01T00:00:00Z"
        assert rfc3339(NS_PER_SECOND * 86_401 + 999) == "1970-01-02T00:00:01Z"

    @pytest.mark.parametrize(
        ("obj", "version"), [({"version": 4}, 4), ({"version": True}, None), ({}, None)]
    )
    def test_object_version(self, obj, version):
        assert object_version(obj) == version
