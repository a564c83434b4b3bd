"""The split rules: exact sums for any amount and rates, one rounding, refunds within legs."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankstack.kernel.money import Money
from bankstack.ledger import AMOUNT_MAX
from bankstack.payments import InvalidPaymentRequest, Split
from bankstack.payments.fees import PPM, ppm_to_rate, rate_to_ppm, split_payment, split_refund

amounts = st.integers(min_value=0, max_value=AMOUNT_MAX)
rates = st.integers(min_value=0, max_value=PPM - 1)


def cny(minor: int) -> Money:
    return Money(minor, "CNY")


@st.composite
def rate_pairs(draw: st.DrawFn) -> tuple[int, int]:
    fee = draw(rates)
    commission = draw(st.integers(min_value=0, max_value=PPM - 1 - fee))
    return fee, commission


class TestRates:
    @pytest.mark.parametrize(
        ("text", "ppm"), [("0", 0), ("0.006", 6000), ("0.0038", 3800), ("0.999999", 999_999)]
    )
    def test_decimal_rates_become_parts_per_million(self, text, ppm):
        assert rate_to_ppm(Decimal(text), field="fee_rate") == ppm
        assert ppm_to_rate(ppm) == Decimal(text)

    @pytest.mark.parametrize("bad", [0.006, Decimal("0.0000001"), Decimal(1), Decimal(-1), 1])
    def test_floats_extra_places_and_out_of_range_are_refused(self, bad):
        with pytest.raises(InvalidPaymentRequest):
            rate_to_ppm(bad, field="fee_rate")

    def test_rates_together_stay_below_one(self):
        with pytest.raises(InvalidPaymentRequest):
            split_payment(cny(100), 600_000, 400_000)


class TestPaymentSplit:
    @given(amount=amounts, pair=rate_pairs())
    def test_parts_sum_exactly_and_round_once_half_even(self, amount, pair):
        fee_ppm, commission_ppm = pair
        split = split_payment(cny(amount), fee_ppm, commission_ppm)
        assert split.total == cny(amount)
        assert min(split.net.minor, split.fee.minor, split.commission.minor) >= 0
        exact = Decimal(amount) * (fee_ppm + commission_ppm) / PPM
        deduction = exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
        assert split.fee.minor + split.commission.minor == deduction
        if fee_ppm + commission_ppm:  # the deduction divides by the rates' proportions
            share = Decimal(int(deduction) * fee_ppm) / (fee_ppm + commission_ppm)
            assert abs(split.fee.minor - share) < 1

    @pytest.mark.parametrize(
        ("amount", "fee", "commission", "parts"),
        [
            (12_345, 6000, 1000, (12_259, 74, 12)),  # 86.415 -> 86, split 6:1
            (250, 2000, 0, (250, 0, 0)),  # 0.5 -> 0 (to even)
            (750, 2000, 0, (748, 2, 0)),  # 1.5 -> 2 (to even)
            (1, 999_999, 0, (0, 1, 0)),
            (10_000, 0, 0, (10_000, 0, 0)),
        ],
    )
    def test_worked_examples(self, amount, fee, commission, parts):
        split = split_payment(cny(amount), fee, commission)
        assert (split.net.minor, split.fee.minor, split.commission.minor) == parts


class TestRefundSplit:
    @given(
        amount=st.integers(min_value=1, max_value=10**12),
        pair=rate_pairs(),
        cuts=st.lists(st.integers(min_value=1, max_value=10**12), max_size=8),
    )
    def test_refunds_never_reverse_a_leg_past_what_it_received(self, amount, pair, cuts):
        paid = split_payment(cny(amount), *pair)
        refunded = Split.zero("CNY")
        for cut in cuts:
            left = paid - refunded
            if left.total.minor == 0:
                break
            legs = split_refund(cny(min(cut, left.total.minor)), left)
            assert legs.total == cny(min(cut, left.total.minor))
            refunded = refunded + legs
            for part in (legs.net, legs.fee, legs.commission):
                assert part.minor >= 0
            for got, limit in zip(
                (refunded.net, refunded.fee, refunded.commission),
                (paid.net, paid.fee, paid.commission),
                strict=True,
            ):
                assert got <= limit
        rest = paid - refunded
        if rest.total.minor:
            assert split_refund(rest.total, rest) == rest  # the last refund takes what is left

    def test_a_full_refund_reverses_the_payment_split(self):
        paid = split_payment(cny(10_000), 6000, 1000)
        assert split_refund(cny(10_000), paid) == paid

    @pytest.mark.parametrize("amount", [0, 10_001])
    def test_zero_and_too_much_are_refused(self, amount):
        with pytest.raises(InvalidPaymentRequest):
            split_refund(cny(amount), split_payment(cny(10_000), 6000, 1000))
