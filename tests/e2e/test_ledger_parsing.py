"""The transfer body parser: the fast path must never accept what the pydantic model refuses.

``transfers_from_body`` tries orjson and a hand loop first and falls back to the pydantic
model, which is the authority. These properties pin the two together: whatever the fast path
accepts, the model accepts too, with the same transfers; and well-formed bodies do take the
fast path.
"""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankstack.ledger.api import schemas
from bankstack.ledger.api.schemas import (
    CreateTransfers,
    format_rfc3339_ns,
    parse_rfc3339_ns,
    transfers_from_body,
)
from bankstack.ledger.domain import AMOUNT_MAX, Transfer
from bankstack.platform.problems import RequestInvalid

U128_MAX = 2**128 - 1

good_ids = st.integers(0, U128_MAX).map(str)
any_ids = st.one_of(
    good_ids,
    st.integers(-5, 2**130),
    st.sampled_from(["", "-1", "1.0", "²", "0x10", " 1", str(2**128), "0" * 40, None]),
)
good_amounts = st.one_of(st.integers(0, AMOUNT_MAX), st.integers(0, AMOUNT_MAX).map(str))
any_amounts = st.one_of(
    good_amounts,
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(2**64), 2**64),
    st.sampled_from(["", "1.5", "1e3", "-1", "0" * 20, True, False, [], {}]),
)
flag_names = st.sampled_from(sorted(schemas.TRANSFER_FLAG_BITS))
any_flags: st.SearchStrategy[object] = st.one_of(
    st.lists(flag_names, max_size=3),
    st.lists(st.sampled_from(["linked", "LINKED", "nope", 1, None]), max_size=2),
    st.sampled_from(["", "linked", None, {}, 0]),
)
good_times = st.integers(1, 4_102_444_800 * 10**9).map(format_rfc3339_ns)
any_times = st.one_of(
    good_times,
    st.none(),
    st.sampled_from(
        [
            "2026-01-01T00:00:00",
            "2026-02-30T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "2026-01-01T00:00:00+24:00",
            "2026-01-01 00:00:00.1234567891Z",
            "2026-01-01T00:00:60Z",
            "1969-12-31T23:59:59Z",
            12345,
            "",
        ]
    ),
)
small = st.one_of(
    st.integers(0, 70_000), st.integers(-2, 2**33), st.sampled_from([1.0, "1", True, None])
)


@st.composite
def transfer_dicts(draw: st.DrawFn, *, valid: bool) -> dict[str, object]:
    ids, amounts, flags, times = (
        (good_ids, good_amounts, st.lists(flag_names, max_size=3), good_times)
        if valid
        else (any_ids, any_amounts, any_flags, any_times)
    )
    fields = {
        "id": ids,
        "debit_account_id": ids,
        "credit_account_id": ids,
        "pending_id": ids,
        "user_data": ids,
        "amount": amounts,
        "ledger": st.integers(0, 2**32 - 1) if valid else small,
        "code": st.integers(0, 65_535) if valid else small,
        "timeout": st.integers(0, 2**32 - 1) if valid else small,
        "flags": flags,
        "effective_at": times,
    }
    chosen = draw(st.sets(st.sampled_from(sorted(fields))))
    item = {name: draw(fields[name]) for name in sorted(chosen | {"id"})}
    if not valid and draw(st.booleans()):
        item[draw(st.sampled_from(["memo", "Amount", "id"]))] = "x"
    return item


def via_model(body: bytes) -> list[Transfer] | None:
    try:
        parsed = CreateTransfers.model_validate_json(body)
    except ValueError:
        return None
    out = []
    for t in parsed.transfers:
        flags = 0
        for name in t.flags:
            flags |= schemas.TRANSFER_FLAG_BITS[name]
        amount = t.amount
        if amount is None:
            amount = AMOUNT_MAX if flags & schemas._POST else 0
        out.append(
            Transfer(
                t.id, t.debit_account_id, t.credit_account_id, amount, t.pending_id, t.ledger,
                t.code, t.user_data, flags, t.timeout, t.effective_at or 0,
            )
        )  # fmt: skip
    return out


def dumps(document: object) -> bytes:
    # json, not orjson: it writes integers of any size, and floats as floats.
    return json.dumps(document).encode()


@given(st.lists(transfer_dicts(valid=False), max_size=4))
def test_fast_path_accepts_nothing_the_model_refuses(items):
    body = dumps({"transfers": items})
    fast = schemas._transfers_fast(body)
    if fast is not None:
        assert via_model(body) == fast


@given(st.lists(transfer_dicts(valid=True), max_size=4))
def test_well_formed_bodies_take_the_fast_path(items):
    body = dumps({"transfers": items})
    fast = schemas._transfers_fast(body)
    assert fast is not None
    assert fast == via_model(body)
    assert transfers_from_body(body) == fast


@given(st.lists(transfer_dicts(valid=False), min_size=1, max_size=4))
def test_refused_bodies_name_their_errors(items):
    body = dumps({"transfers": items})
    if via_model(body) is not None:
        return
    with pytest.raises(RequestInvalid) as raised:
        transfers_from_body(body)
    assert raised.value.errors
    assert all(e["loc"][:2] == ["body", "transfers"] for e in raised.value.errors)


@pytest.mark.parametrize(
    "body",
    [b"", b"null", b"[]", b'{"transfers": null}', b'{"transfers": [], "x": 1}', b"{"],
)
def test_malformed_documents_are_refused(body):
    with pytest.raises(RequestInvalid):
        transfers_from_body(body)


def test_post_without_amount_posts_the_full_pending_amount():
    body = orjson.dumps(
        {"transfers": [{"id": "1", "pending_id": "2", "flags": ["post_pending_transfer"]}]}
    )
    [post] = transfers_from_body(body)
    assert post.amount == AMOUNT_MAX
    [plain] = transfers_from_body(b'{"transfers": [{"id": "1"}]}')
    assert plain.amount == 0


@given(st.integers(1, 253_402_300_799 * 10**9))
def test_times_round_trip_to_the_nanosecond(ns):
    assert parse_rfc3339_ns(format_rfc3339_ns(ns)) == ns


def test_times_with_offsets():
    assert parse_rfc3339_ns("1970-01-01T08:00:01+08:00") == 10**9
    assert parse_rfc3339_ns("1970-01-01T00:00:00.000000001Z") == 1
    assert format_rfc3339_ns(1_500_000_000) == "1970-01-01T00:00:01.5Z"
    for bad in ("2026-01-01", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z", "x"):
        with pytest.raises(ValueError, match=r"RFC 3339|month|range"):
            parse_rfc3339_ns(bad)
