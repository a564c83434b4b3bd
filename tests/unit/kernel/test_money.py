from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bankstack.kernel.errors import ValidationFailed
from bankstack.kernel.money import (
    ASSET_SCALES,
    AssetMismatch,
    InvalidAmount,
    Money,
    UnknownAsset,
    allocate,
    scale_of,
)

assets = st.sampled_from(sorted(ASSET_SCALES))
amounts = st.integers(min_value=-(10**38), max_value=10**38)
ratio_lists = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=20).filter(
    lambda rs: sum(rs) > 0
)


class TestScales:
    def test_known_scales(self):
        assert scale_of("CNY") == 2
        assert scale_of("JPY") == 0
        assert scale_of("KWD") == 3
        assert scale_of("CLF") == 4
        assert scale_of("BTC") == 8
        assert scale_of("ETH") == 9

    def test_unknown_asset_is_refused_everywhere(self):
        with pytest.raises(UnknownAsset) as info:
            scale_of("XXX")
        assert info.value.code == "money.unknown_asset"
        assert info.value.details == {"asset": "XXX"}
        with pytest.raises(UnknownAsset):
            Money(1, "XXX")
        with pytest.raises(UnknownAsset):
            Money.parse("1", "XXX")
        with pytest.raises(UnknownAsset):
            Money(1, "cny")  # codes are case-sensitive, upper case

    def test_errors_are_validation_failures(self):
        assert issubclass(UnknownAsset, ValidationFailed)
        assert issubclass(AssetMismatch, ValidationFailed)
        assert issubclass(InvalidAmount, ValidationFailed)


class TestConstruction:
    def test_holds_minor_units_exactly(self):
        m = Money(1234, "CNY")
        assert m.minor == 1234
        assert m.asset == "CNY"
        assert Money.zero("JPY") == Money(0, "JPY")

    @pytest.mark.parametrize("bad", [1.0, 12.34, float("nan"), True, False, Decimal(1), "1", None])
    def test_refuses_anything_but_int(self, bad):
        with pytest.raises(InvalidAmount) as info:
            Money(bad, "CNY")
        assert info.value.code == "money.invalid_amount"

    def test_is_immutable(self):
        m = Money(1, "CNY")
        with pytest.raises(AttributeError):
            m.minor = 2  # type: ignore[misc]

    def test_equality_includes_the_asset(self):
        assert Money(100, "CNY") == Money(100, "CNY")
        assert Money(100, "CNY") != Money(100, "USD")
        assert Money(100, "CNY") != Money(101, "CNY")
        assert hash(Money(100, "CNY")) == hash(Money(100, "CNY"))


class TestParse:
    @pytest.mark.parametrize(
        ("text", "asset", "minor"),
        [
            ("12.34", "CNY", 1234),
            ("12.3", "CNY", 1230),
            ("12", "CNY", 1200),
            ("0.01", "CNY", 1),
            ("-0.05", "CNY", -5),
            ("-0.00", "CNY", 0),
            ("007.50", "CNY", 750),
            ("  1.00\n", "CNY", 100),
            ("1234", "JPY", 1234),
            ("1.234", "KWD", 1234),
            ("0.00000001", "BTC", 1),
            ("0.000000001", "ETH", 1),
            ("123456789012345678901234567890.12", "CNY", 12345678901234567890123456789012),
        ],
    )
    def test_exact(self, text, asset, minor):
        assert Money.parse(text, asset) == Money(minor, asset)

    @pytest.mark.parametrize(
        ("text", "asset"),
        [
            ("12.345", "CNY"),
            ("12.340", "CNY"),  # exact in value, but more places than the asset has
            ("1.0", "JPY"),
            ("0.0001", "KWD"),
            ("0.000000001", "BTC"),
        ],
    )
    def test_too_many_decimals_refused(self, text, asset):
        with pytest.raises(InvalidAmount) as info:
            Money.parse(text, asset)
        assert info.value.details == {"value": text}

    @pytest.mark.parametrize(
        "text",
        ["", " ", "abc", "1.", ".5", "+1", "1e3", "1,000.00", "1 000", "--1", "- 1", "0x10", "¥1"],
    )
    def test_malformed_refused(self, text):
        with pytest.raises(InvalidAmount):
            Money.parse(text, "CNY")

    @pytest.mark.parametrize("bad", [1.5, 1.0, True, 12, Decimal("1.00"), None, b"1.00"])
    def test_non_strings_refused(self, bad):
        with pytest.raises(InvalidAmount) as info:
            Money.parse(bad, "CNY")
        assert "decimal strings only" in info.value.message

    def test_non_ascii_digits_refused(self):
        with pytest.raises(InvalidAmount):
            Money.parse("١٢.٣٤", "CNY")  # Arabic-Indic digits


class TestFormat:
    @pytest.mark.parametrize(
        ("minor", "asset", "text"),
        [
            (1234, "CNY", "12.34"),
            (-5, "CNY", "-0.05"),
            (0, "CNY", "0.00"),
            (100, "CNY", "1.00"),
            (-100000, "USD", "-1000.00"),
            (1234, "JPY", "1234"),
            (-7, "JPY", "-7"),
            (1, "KWD", "0.001"),
            (1, "ETH", "0.000000001"),
            (10**9, "ETH", "1.000000000"),
        ],
    )
    def test_exact(self, minor, asset, text):
        assert Money(minor, asset).format() == text

    def test_str_names_the_asset(self):
        assert str(Money(1234, "CNY")) == "12.34 CNY"
        assert str(Money(-1, "BTC")) == "-0.00000001 BTC"

    @given(asset=assets, minor=amounts)
    @example(asset="ETH", minor=10**38)
    @example(asset="ETH", minor=-(10**38))
    @example(asset="JPY", minor=0)
    def test_parse_format_round_trip(self, asset, minor):
        money = Money(minor, asset)
        text = money.format()
        assert Money.parse(text, asset) == money
        # The text has exactly the asset's number of decimal places.
        scale = ASSET_SCALES[asset]
        assert ("." in text) == (scale > 0)
        if scale:
            assert len(text.split(".")[1]) == scale

    @given(asset=assets, minor=amounts)
    def test_format_matches_exact_rational_value(self, asset, minor):
        scale = ASSET_SCALES[asset]
        assert Fraction(Money(minor, asset).format()) == Fraction(minor, 10**scale)

    @given(
        asset=assets,
        whole=st.integers(min_value=0, max_value=10**20),
        extra=st.integers(min_value=1, max_value=5),
        data=st.data(),
    )
    def test_more_places_than_scale_always_refused(self, asset, whole, extra, data):
        places = ASSET_SCALES[asset] + extra
        frac = data.draw(st.text(alphabet="0123456789", min_size=places, max_size=places))
        with pytest.raises(InvalidAmount):
            Money.parse(f"{whole}.{frac}", asset)


class TestArithmetic:
    def test_add_sub_neg(self):
        a, b = Money(1000, "CNY"), Money(250, "CNY")
        assert a + b == Money(1250, "CNY")
        assert a - b == Money(750, "CNY")
        assert b - a == Money(-750, "CNY")
        assert -a == Money(-1000, "CNY")

    def test_multiply_by_int_only(self):
        m = Money(333, "CNY")
        assert m * 3 == Money(999, "CNY")
        assert 3 * m == Money(999, "CNY")
        assert m * -1 == Money(-333, "CNY")
        assert m * 0 == Money(0, "CNY")

    @pytest.mark.parametrize("factor", [1.5, 2.0, True, Decimal("1.1"), Fraction(1, 2)])
    def test_multiply_refuses_non_int(self, factor):
        m = Money(333, "CNY")
        with pytest.raises(InvalidAmount):
            m * factor
        with pytest.raises(InvalidAmount):
            factor * m

    def test_comparisons(self):
        small, big = Money(1, "CNY"), Money(2, "CNY")
        assert small < big
        assert small <= big
        assert small <= Money(1, "CNY")
        assert big > small
        assert big >= small
        assert not big < small
        assert sorted([big, small]) == [small, big]

    @pytest.mark.parametrize(
        "op",
        [
            lambda a, b: a + b,
            lambda a, b: a - b,
            lambda a, b: a < b,
            lambda a, b: a <= b,
            lambda a, b: a > b,
            lambda a, b: a >= b,
        ],
        ids=["add", "sub", "lt", "le", "gt", "ge"],
    )
    def test_asset_mismatch_raises(self, op):
        with pytest.raises(AssetMismatch) as info:
            op(Money(1, "CNY"), Money(1, "USD"))
        assert info.value.code == "money.asset_mismatch"
        assert info.value.details == {"left": "CNY", "right": "USD"}

    @pytest.mark.parametrize("other", [1, 1.0, Decimal(1), None])
    def test_combining_with_non_money_raises(self, other):
        with pytest.raises(InvalidAmount):
            Money(1, "CNY") + other
        with pytest.raises(InvalidAmount):
            _ = Money(1, "CNY") < other

    @given(asset=assets, a=amounts, b=amounts)
    def test_add_then_sub_is_identity(self, asset, a, b):
        x, y = Money(a, asset), Money(b, asset)
        assert (x + y) - y == x
        assert x + y == y + x


class TestAllocate:
    @pytest.mark.parametrize(
        ("total", "ratios", "parts"),
        [
            (100, [1, 1, 1], [34, 33, 33]),
            (5, [3, 7], [2, 3]),  # remainders tie at 5/10: the earlier part wins
            (-5, [3, 7], [-2, -3]),  # negative totals split as magnitude, then negated
            (-100, [1, 1, 1], [-34, -33, -33]),
            (1, [1, 1, 1], [1, 0, 0]),
            (2, [1, 1, 1], [1, 1, 0]),
            (10, [0, 1], [0, 10]),
            (10, [1, 0, 1], [5, 0, 5]),
            (0, [1, 2], [0, 0]),
            (7, [5], [7]),
            (100, [70, 20, 10], [70, 20, 10]),
            (1000, [1, 2, 3], [167, 333, 500]),  # exact 166.67, 333.33, 500: .67 is largest
            (11, [1, 1, 1, 1], [3, 3, 3, 2]),
        ],
    )
    def test_exact(self, total, ratios, parts):
        assert allocate(total, ratios) == parts

    def test_money_allocate(self):
        assert Money(100, "CNY").allocate([1, 1, 1]) == [
            Money(34, "CNY"),
            Money(33, "CNY"),
            Money(33, "CNY"),
        ]
        assert Money(-1, "JPY").allocate((1, 1)) == [Money(-1, "JPY"), Money(0, "JPY")]

    @pytest.mark.parametrize(
        "ratios", [[], (), [0], [0, 0], [-1, 2], [1, -1], [1.0, 1], [True, 1], ["1"], [None]]
    )
    def test_bad_ratios_refused(self, ratios):
        with pytest.raises(InvalidAmount):
            allocate(100, ratios)

    @pytest.mark.parametrize("total", [100.0, True, Decimal(100), "100"])
    def test_non_int_total_refused(self, total):
        with pytest.raises(InvalidAmount):
            allocate(total, [1, 1])

    @given(total=amounts, ratios=ratio_lists)
    def test_parts_sum_exactly(self, total, ratios):
        assert sum(allocate(total, ratios)) == total

    @given(total=amounts, ratios=ratio_lists)
    def test_each_part_within_one_of_exact_share(self, total, ratios):
        weight = sum(ratios)
        parts = allocate(total, ratios)
        assert len(parts) == len(ratios)
        for part, ratio in zip(parts, ratios, strict=True):
            exact = Fraction(total * ratio, weight)
            assert abs(part - exact) < 1

    @given(total=amounts, ratios=ratio_lists)
    def test_zero_ratio_gets_nothing_and_signs_follow_total(self, total, ratios):
        for part, ratio in zip(allocate(total, ratios), ratios, strict=True):
            if ratio == 0:
                assert part == 0
            assert part * total >= 0  # never the opposite sign of the total

    @given(total=amounts, ratios=ratio_lists)
    def test_deterministic_and_symmetric_in_sign(self, total, ratios):
        first = allocate(total, ratios)
        assert allocate(total, list(ratios)) == first
        assert allocate(total, tuple(ratios)) == first
        assert allocate(-total, ratios) == [-p for p in first]

    @given(asset=assets, total=amounts, ratios=ratio_lists)
    def test_money_parts_keep_the_asset(self, asset, total, ratios):
        parts = Money(total, asset).allocate(ratios)
        assert {p.asset for p in parts} == {asset}
        assert sum(p.minor for p in parts) == total
