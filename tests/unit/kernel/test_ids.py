from __future__ import annotations

import itertools
import time

import pytest

from bankstack.kernel.errors import ValidationFailed
from bankstack.kernel.ids import U128_MAX, InvalidId, new_id, parse_u128


class TestNewId:
    def test_strictly_increasing_across_10000_calls(self):
        ids = [new_id() for _ in range(10_000)]
        assert all(a < b for a, b in itertools.pairwise(ids))
        assert len(set(ids)) == 10_000

    def test_fits_128_bits(self):
        for _ in range(1000):
            value = new_id()
            assert 0 < value <= U128_MAX
            assert value.bit_length() <= 128

    def test_high_48_bits_are_milliseconds_since_epoch(self):
        before_ms = time.time_ns() // 1_000_000
        value = new_id()
        after_ms = time.time_ns() // 1_000_000
        assert before_ms <= value >> 80 <= after_ms

    def test_u128_max(self):
        assert U128_MAX == 340282366920938463463374607431768211455
        assert U128_MAX == 2**128 - 1


class TestParseU128:
    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ("0", 0),
            ("1", 1),
            ("007", 7),
            ("340282366920938463463374607431768211455", 2**128 - 1),
            ("18446744073709551616", 2**64),
        ],
    )
    def test_accepts(self, text, value):
        assert parse_u128(text) == value

    @pytest.mark.parametrize(
        "text",
        [
            "-1",
            "+1",
            "",
            " 1",
            "1 ",
            "1.0",
            "1e3",
            "0x10",
            "abc",
            "１２",  # full-width digits  # noqa: RUF001
            "١٢",  # Arabic-Indic digits
            "²",  # superscript two: str.isdigit() is True, isascii() is not
            "340282366920938463463374607431768211456",  # 2**128
            "9" * 39,
            "1" + "0" * 39,
        ],
    )
    def test_rejects_strings(self, text):
        with pytest.raises(InvalidId) as info:
            parse_u128(text, field="transfer_id")
        assert info.value.code == "bankstack.invalid_id"
        assert info.value.details["field"] == "transfer_id"

    @pytest.mark.parametrize("value", [0, 1, 2**64, -1, 1.0, None, b"1", ["1"], True])
    def test_rejects_non_strings(self, value):
        with pytest.raises(InvalidId) as info:
            parse_u128(value)
        assert info.value.details == {"field": "id", "value": repr(value)}

    def test_is_a_validation_failure(self):
        assert issubclass(InvalidId, ValidationFailed)

    def test_round_trip_of_new_ids(self):
        value = new_id()
        assert parse_u128(str(value)) == value
