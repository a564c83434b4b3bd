"""Prefixed ids and list cursors."""

from __future__ import annotations

import pytest

from bankstack.gateway import ids
from bankstack.gateway.domain.pages import (
    DEFAULT_LIMIT,
    Page,
    Position,
    check_limit,
    decode_cursor,
    encode_cursor,
    page_of,
)
from bankstack.gateway.errors import CursorInvalid, ParameterInvalid


class TestIds:
    def test_prefixed_fixed_width_and_sortable_in_creation_order(self):
        made = [ids.new_prefixed_id(ids.EVENT) for _ in range(500)]
        assert made == sorted(made)
        assert len(set(made)) == 500
        assert all(len(x) == len("evt_") + 26 and ids.has_prefix(x, "evt") for x in made)

    def test_encoding_is_order_preserving(self):
        values = [0, 1, 31, 32, 2**64, 2**128 - 1]
        assert [ids.encode_u128(v) for v in values] == sorted(ids.encode_u128(v) for v in values)
        assert ids.encode_u128(0) == "0" * 26
        assert ids.encode_u128(2**128 - 1) == "7" + "z" * 25

    def test_shape_checks(self):
        assert not ids.has_prefix("app_" + "0" * 26, "evt")
        assert not ids.has_prefix("evt_" + "I" * 26, "evt")
        with pytest.raises(ValueError, match="prefix"):
            ids.new_prefixed_id("Bad")
        with pytest.raises(ValueError, match="128"):
            ids.encode_u128(-1)


class TestCursor:
    def test_round_trip(self):
        position = Position(1_795_000_000_123_456_789, "evt_01abc")
        assert decode_cursor(encode_cursor(position)) == position
        assert decode_cursor(None) is None

    @pytest.mark.parametrize("cursor", ["!!!", "bm90LWEtY3Vyc29y", "MTIz", "LTE6ZXZ0", "MTI6"])
    def test_foreign_cursors_are_refused(self, cursor):
        with pytest.raises(CursorInvalid):
            decode_cursor(cursor)


class TestLimit:
    def test_default_and_bounds(self):
        assert check_limit(None) == DEFAULT_LIMIT == 20
        assert check_limit(1) == 1
        assert check_limit(100) == 100

    @pytest.mark.parametrize("limit", [0, 101, -5, True])
    def test_out_of_range(self, limit):
        with pytest.raises(ParameterInvalid):
            check_limit(limit)


def test_page_of_uses_one_extra_row_for_has_more():
    rows = [(30, "c"), (20, "b"), (10, "a")]
    page = page_of(rows, 2, lambda r: Position(*r))
    assert page.data == [(30, "c"), (20, "b")]
    assert page.has_more
    assert decode_cursor(page.next_cursor) == Position(20, "b")
    last = page_of(rows[2:], 2, lambda r: Position(*r))
    assert (last.has_more, last.next_cursor) == (False, None)
    assert Page([1], has_more=False, next_cursor=None).render(str) == {
        "object": "list",
        "data": ["1"],
        "has_more": False,
        "next_cursor": None,
    }
