"""Hand-computed feature values: fan-out, fan-in, stuffing, currencies, pass-through, links,
profiles and the event's own features."""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest

from bankstack.kernel.money import Money
from bankstack.risk.domain.decision import FeatureValue
from bankstack.risk.domain.event import EventKind, RiskEvent
from bankstack.risk.features.memory import InMemoryFeatureSource
from bankstack.risk.features.windows import DAY_NS, SECOND_NS

T0 = 20_718 * DAY_NS  # midnight UTC: every window's bucket starts here
MINUTE, HOUR = 60 * SECOND_NS, 3_600 * SECOND_NS
_numbers = iter(range(1_000_000))


def pay(customer, payee, minor, at, currency="CNY", **more: Any) -> RiskEvent:
    return RiskEvent(
        event_id=f"e{next(_numbers)}",
        kind=EventKind.PAYMENT,
        occurred_at=at,
        customer_id=customer,
        amount=Money(minor, currency),
        merchant_id=payee,
        **more,
    )


def send(customer, counterparty, minor, at, currency="CNY", **more: Any) -> RiskEvent:
    return RiskEvent(
        event_id=f"e{next(_numbers)}",
        kind=EventKind.TRANSFER,
        occurred_at=at,
        customer_id=customer,
        amount=Money(minor, currency),
        counterparty_id=counterparty,
        **more,
    )


def login(customer, at, **more: Any) -> RiskEvent:
    return RiskEvent(
        event_id=f"e{next(_numbers)}",
        kind=EventKind.LOGIN,
        occurred_at=at,
        customer_id=customer,
        **more,
    )


def after(events: list[RiskEvent], event: RiskEvent, **options: Any) -> dict[str, FeatureValue]:
    source = InMemoryFeatureSource(**options)
    for past in events:
        source.record(past)
    return source.compute(event)


class TestVelocity:
    def test_fan_out_counts_distinct_payees(self):
        history = [pay("a", payee, 1_000, T0 + k * SECOND_NS) for k, payee in enumerate("xyzy")]
        vector = after(history, pay("a", "w", 1_000, T0 + 4 * SECOND_NS))
        assert vector["customer_count_1m"] == 4
        assert vector["customer_sum_1m"] == 4_000
        assert vector["customer_distinct_payees_1m"] == 3
        assert vector["is_new_payee"] is True
        # 61 s later the buckets of T0 and T0 + 1 s have left the minute: "z" and "y" remain.
        later = after(history, pay("a", "y", 1_000, T0 + 61 * SECOND_NS))
        assert later["customer_count_1m"] == 2
        assert later["customer_sum_1m"] == 2_000
        assert later["customer_distinct_payees_1m"] == 2
        assert later["customer_distinct_payees_1h"] == 3
        assert later["is_new_payee"] is False

    def test_fan_in_counts_distinct_payers(self):
        history = [pay(f"c{k}", "shop", 500, T0 + k * 10 * SECOND_NS) for k in range(3)]
        history.append(pay("c1", "shop", 700, T0 + 35 * SECOND_NS))
        vector = after(history, pay("c9", "shop", 100, T0 + 40 * SECOND_NS))
        assert vector["payee_count_1m"] == 4
        assert vector["payee_sum_1m"] == 2_200
        assert vector["payee_distinct_payers_1m"] == 3
        assert vector["payee_distinct_payers_30d"] == 3
        assert vector["customer_count_1m"] == 0  # c9 itself is new

    def test_credential_stuffing_shows_in_ip_count_not_in_distinct(self):
        history = [login(f"c{k}", T0 + k * SECOND_NS, ip="6.6.6.6") for k in range(5)]
        vector = after(history, login("c7", T0 + 9 * SECOND_NS, ip="6.6.6.6"))
        assert vector["ip_count_1m"] == 5
        assert vector["ip_distinct_customers_1m"] == 0  # logins move no money
        assert vector["ip_sum_1m"] == 0
        assert vector["has_ip"] is True

    def test_sums_never_mix_currencies(self):
        history = [
            pay("a", "x", 100, T0, "USD"),
            pay("a", "x", 5_000, T0 + SECOND_NS),
            pay("a", "x", 300, T0 + 2 * SECOND_NS, "JPY"),
        ]
        cny = after(history, pay("a", "x", 1, T0 + 3 * SECOND_NS))
        usd = after(history, pay("a", "x", 1, T0 + 3 * SECOND_NS, "USD"))
        assert (cny["customer_count_1h"], cny["customer_sum_1h"]) == (3, 5_000)
        assert (usd["customer_count_1h"], usd["customer_sum_1h"]) == (3, 100)
        assert cny["payee_sum_24h"] == 5_000
        assert cny["customer_distinct_payees_1h"] == 1
        no_amount = after(history, login("a", T0 + 3 * SECOND_NS))
        assert (no_amount["customer_count_1h"], no_amount["customer_sum_1h"]) == (3, 0)

    def test_money_received_just_before_it_leaves(self):
        history = [
            send("mule-feeder", "m1", 200_000, T0),
            send("other", "m1", 50_000, T0 + 30 * MINUTE, "USD"),
        ]
        soon = after(history, send("m1", "away", 190_000, T0 + 5 * MINUTE))
        assert (soon["customer_received_1h"], soon["customer_received_24h"]) == (200_000, 200_000)
        later = after(history, send("m1", "away", 190_000, T0 + 2 * HOUR))
        assert (later["customer_received_1h"], later["customer_received_24h"]) == (0, 200_000)
        in_usd = after(history, send("m1", "away", 1, T0 + 2 * HOUR, "USD"))
        assert in_usd["customer_received_24h"] == 50_000


class TestLinks:
    def test_a_shared_device_and_phone(self):
        history = [
            login("c1", T0, device_id="d1", phone="p1"),
            pay("c2", "x", 100, T0 + SECOND_NS, device_id="d1", phone="p1"),
            login("c2", T0 + 2 * SECOND_NS, device_id="d1"),
        ]
        vector = after(history, pay("c3", "x", 100, T0 + 3 * SECOND_NS, device_id="d1", phone="p1"))
        assert vector["device_customers_total"] == 2
        assert vector["phone_customers_total"] == 2
        assert vector["device_count_1m"] == 3
        assert vector["device_distinct_customers_1m"] == 1  # only c2's payment moved money
        assert vector["is_new_device"] is True
        again = after(history, login("c2", T0 + 3 * SECOND_NS, device_id="d1"))
        assert again["is_new_device"] is False
        assert again["phone_customers_total"] == 0  # the login names no phone

    def test_devices_over_30_days_and_ips_over_24_hours(self):
        history = [
            login("c1", T0, device_id="d1", ip="ip1"),
            login("c1", T0 + DAY_NS, device_id="d2", ip="ip2"),
            login("c1", T0 + 2 * DAY_NS, device_id="d3", ip="ip2"),
        ]
        vector = after(history, login("c1", T0 + 2 * DAY_NS + HOUR, device_id="d1", ip="ip1"))
        assert vector["customer_devices_30d"] == 3
        assert vector["customer_ips_24h"] == 1  # ip2 on day 2; ip1 was two days ago
        assert vector["is_new_device"] is False
        assert vector["is_new_ip"] is False
        month = after(history, login("c1", T0 + 30 * DAY_NS, device_id="d4"))
        assert month["customer_devices_30d"] == 2  # day 0 left the 30 days
        assert month["is_new_device"] is True

    def test_seconds_since_the_last_event_and_the_last_new_device(self):
        history = [
            login("c1", T0, device_id="d1"),
            login("c1", T0 + 100 * SECOND_NS, device_id="d1"),
        ]
        vector = after(history, login("c1", T0 + 200 * SECOND_NS + 999_999_999))
        assert vector["seconds_since_last"] == 100
        assert vector["seconds_since_device_change"] == 200
        history.append(login("c1", T0 + 300 * SECOND_NS, device_id="d2"))
        vector = after(history, login("c1", T0 + 310 * SECOND_NS, device_id="d2"))
        assert vector["seconds_since_device_change"] == 10
        first = after([], login("c1", T0))
        assert (first["seconds_since_last"], first["seconds_since_device_change"]) == (-1, -1)
        late = after(history, login("c1", T0 + 50 * SECOND_NS))
        assert late["seconds_since_last"] == 0


class TestProfile:
    def test_mean_deviation_and_zscore_of_the_usual_amount(self):
        amounts = [1_000, 2_000, 3_000, 6_000]
        history = [pay("c1", "x", a, T0 + k * DAY_NS) for k, a in enumerate(amounts)]
        history.append(pay("c1", "x", 999_999, T0, "USD"))  # its own profile
        history.append(login("c1", T0 + HOUR))
        vector = after(history, pay("c1", "x", 10_000, T0 + 5 * DAY_NS))
        std = statistics.stdev(amounts)  # 2160.25 (sample deviation)
        assert vector["customer_amount_mean"] == 3_000
        assert vector["customer_amount_std"] == 2_160
        assert vector["amount_zscore"] == pytest.approx((10_000 - 3_000) / std, rel=1e-12)
        assert vector["amount_to_mean"] == pytest.approx(10_000 / 3_000, rel=1e-12)
        assert vector["customer_events_total"] == 6

    def test_too_little_history(self):
        one = after([pay("c1", "x", 4_000, T0)], pay("c1", "x", 6_000, T0 + SECOND_NS))
        assert (one["customer_amount_mean"], one["customer_amount_std"]) == (4_000, 0)
        assert one["amount_zscore"] == 0.0
        assert one["amount_to_mean"] == 1.5
        none = after([], pay("c1", "x", 6_000, T0))
        assert (none["amount_zscore"], none["amount_to_mean"]) == (0.0, 0.0)
        flat = after([pay("c1", "x", 500, T0 + k) for k in range(3)], pay("c1", "x", 9, T0 + 5))
        assert (flat["customer_amount_std"], flat["amount_zscore"]) == (0, 0.0)

    def test_integers_round_half_to_even(self):
        vector = after(
            [pay("c1", "x", 2, T0), pay("c1", "x", 3, T0 + 1)], pay("c1", "x", 1, T0 + 2)
        )
        assert vector["customer_amount_mean"] == 2  # 2.5 -> 2
        assert vector["customer_amount_std"] == round(math.sqrt(0.5))

    def test_account_age(self):
        opened = T0 - 10 * DAY_NS - 12 * HOUR
        assert after([], login("c1", T0, customer_since=opened))["account_age_days"] == 10
        history = [login("c1", T0 - 3 * DAY_NS), login("c1", T0 - DAY_NS)]
        assert after(history, login("c1", T0))["account_age_days"] == 3
        assert after([], login("c1", T0))["account_age_days"] == 0


class TestEventFeatures:
    @pytest.mark.parametrize(
        ("minor", "currency", "is_round"),
        [
            (10_000, "CNY", True),  # 100.00
            (1_000_000, "CNY", True),
            (1_000, "CNY", False),  # 10.00
            (10_050, "CNY", False),
            (100, "JPY", True),  # no decimals: 100 yen
            (150, "JPY", False),
            (100_000, "BHD", True),  # three decimals
            (10_000, "BHD", False),
        ],
    )
    def test_round_amounts_use_the_currency_scale(self, minor, currency, is_round):
        assert after([], pay("c1", "x", minor, T0, currency))["amount_is_round"] is is_round

    @pytest.mark.parametrize(
        ("minor", "currency", "near"),
        [
            (4_499_999, "CNY", False),
            (4_500_000, "CNY", True),  # exactly 90 %
            (4_999_999, "CNY", True),
            (5_000_000, "CNY", False),  # at the threshold it is reported anyway
            (900_000, "USD", True),
            (950_000, "JPY", False),  # no threshold for JPY by default
        ],
    )
    def test_just_below_the_reporting_threshold(self, minor, currency, near):
        assert after([], pay("c1", "x", minor, T0, currency))["amount_near_threshold"] is near

    def test_thresholds_are_a_constructor_parameter(self):
        event = pay("c1", "x", 950_000, T0, "JPY")
        assert after([], event, thresholds={"JPY": 1_000_000})["amount_near_threshold"] is True

    def test_an_event_without_amount(self):
        vector = after([], login("c1", T0 + 13 * HOUR + 5 * MINUTE, channel="app"))
        assert (vector["amount"], vector["currency"]) == (0, "")
        assert vector["amount_is_round"] is False
        assert vector["amount_near_threshold"] is False
        assert (vector["kind"], vector["channel"], vector["event_hour"]) == ("login", "app", 13)
        assert (vector["has_device"], vector["has_ip"], vector["is_new_payee"]) == (
            False,
            False,
            False,
        )
