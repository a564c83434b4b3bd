"""The ledger API's requests: models, parsing and the conversions (responses: responses.py).

Ids and ``user_data`` travel as decimal strings (JSON numbers above 2**53 lose digits in most
clients); amounts as integers of minor units, given as a JSON integer or a digit string, never
a float; flags as lists of names; times as RFC 3339 with an offset, to the nanosecond.

A batch of up to 8190 transfers is parsed once, from the raw body, by pydantic-core
(``model_validate_json``); the few fields that need Python (ids, amounts, times) go through
small plain validators, and ``transfers_from_body`` then builds ``Transfer`` records in one
tight loop.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Final, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from bankstack.kernel.ids import U128_MAX
from bankstack.ledger.domain import (
    AMOUNT_MAX,
    NS_PER_SECOND,
    Account,
    AccountFlags,
    Transfer,
    TransferFlags,
)
from bankstack.platform.problems import RequestInvalid, field_error, request_invalid

U32_MAX: Final = (1 << 32) - 1
U16_MAX: Final = (1 << 16) - 1
TIMEOUT_MAX: Final = U32_MAX
BATCH_LIMIT: Final = 8190
U128_DIGITS: Final = 39  # len(str(2**128 - 1))
AMOUNT_DIGITS: Final = 19  # len(str(2**63 - 1))

ACCOUNT_FLAG_BITS: Final[dict[str, int]] = {f.name.lower(): int(f) for f in AccountFlags}  # type: ignore[union-attr]
TRANSFER_FLAG_BITS: Final[dict[str, int]] = {f.name.lower(): int(f) for f in TransferFlags}  # type: ignore[union-attr]
_POST = int(TransferFlags.POST_PENDING_TRANSFER)

# -- times, to the nanosecond ----------------------------------------------------------------

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_SECOND: Final = timedelta(seconds=1)
_RFC3339: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})"  # date and time
    r"(?:\.(\d{1,9}))?"  # fraction, to the nanosecond
    r"(?:[Zz]|([+-])(\d{2}):(\d{2}))"  # offset
)


def parse_rfc3339_ns(text: str) -> int:
    """Nanoseconds since the epoch for an RFC 3339 time with an offset; ``ValueError`` if not."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError("must be an RFC 3339 time with an offset, e.g. 2026-01-31T12:00:00Z")
    year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
    moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)  # checks ranges
    offset = 0
    if match[8]:
        off_h, off_m = int(match[9]), int(match[10])
        if off_h > 23 or off_m > 59:  # noqa: PLR2004 - RFC 3339 offset bounds
            raise ValueError("the time zone offset is out of range")
        offset = (off_h * 3600 + off_m * 60) * (1 if match[8] == "+" else -1)
    seconds = (moment - _EPOCH) // _ONE_SECOND - offset
    return seconds * NS_PER_SECOND + int((match[7] or "").ljust(9, "0"))


def format_rfc3339_ns(ns: int) -> str:
    """``2026-01-31T12:00:00.123456789Z``, the fraction without trailing zeros (or none)."""
    seconds, fraction = divmod(ns, NS_PER_SECOND)
    text = (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{f'{fraction:09d}'.rstrip('0')}Z" if fraction else f"{text}Z"


# -- field types -------------------------------------------------------------------------------


def _u128(value: object) -> int:
    if type(value) is str and 0 < len(value) <= U128_DIGITS and value.isascii() and value.isdigit():
        number = int(value)
        if number <= U128_MAX:
            return number
        raise PydanticCustomError("u128_too_large", "must not exceed 2**128-1")
    raise PydanticCustomError(
        "u128_parsing", "must be a decimal string of an unsigned 128-bit integer"
    )


def _minor_units(value: object) -> int | None:
    # ``type(...) is int`` refuses bools; a JSON 1.5 or 1e3 arrives as a float and is refused.
    if type(value) is int:
        number = value
    elif (
        type(value) is str
        and 0 < len(value) <= AMOUNT_DIGITS
        and value.isascii()
        and value.isdigit()
    ):
        number = int(value)
    elif value is None:
        return None
    else:
        raise PydanticCustomError(
            "minor_units_parsing",
            "must be a non-negative integer of minor units: a JSON integer or a digit string",
        )
    if not 0 <= number <= AMOUNT_MAX:
        raise PydanticCustomError("minor_units_range", "must be between 0 and 2**63-1")
    return number


def _time_ns(value: object) -> int | None:
    if value is None:
        return None
    if type(value) is not str:
        raise PydanticCustomError("time_parsing", "must be an RFC 3339 time string")
    try:
        ns = parse_rfc3339_ns(value)
    except ValueError as error:
        raise PydanticCustomError("time_parsing", "{reason}", {"reason": str(error)}) from None
    if ns <= 0:
        raise PydanticCustomError("time_range", "must be after 1970-01-01T00:00:00Z")
    return ns


_U128_SCHEMA: Final = {
    "type": "string",
    "pattern": "^[0-9]{1,39}$",
    "description": "unsigned 128-bit integer as a decimal string",
    "examples": ["340282366920938463463374607431768211455"],
}
_MINOR_UNITS_SCHEMA: Final = {
    "description": "non-negative integer of minor units (fen, cents): JSON integer or digit "
    "string; floats are refused",
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": AMOUNT_MAX},
        {"type": "string", "pattern": "^[0-9]{1,19}$"},
    ],
}

U128 = Annotated[int, PlainValidator(_u128), WithJsonSchema(_U128_SCHEMA)]
MinorUnits = Annotated[int, PlainValidator(_minor_units), WithJsonSchema(_MINOR_UNITS_SCHEMA)]
OptionalMinorUnits = Annotated[
    int | None,
    PlainValidator(_minor_units),
    WithJsonSchema(
        {
            **_MINOR_UNITS_SCHEMA,
            "description": "omitted: 0, or for post_pending_transfer the full pending amount",
        }
    ),
]
TimeNs = Annotated[
    int | None,
    PlainValidator(_time_ns),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-01-31T12:00:00Z"]}),
]
AccountFlagName = Literal[
    "linked",
    "debits_must_not_exceed_credits",
    "credits_must_not_exceed_debits",
    "history",
    "closed",
]
TransferFlagName = Literal[
    "linked",
    "pending",
    "post_pending_transfer",
    "void_pending_transfer",
    "balancing_debit",
    "balancing_credit",
    "closing_debit",
    "closing_credit",
]

# -- requests ----------------------------------------------------------------------------------

_STRICT: Final = ConfigDict(extra="forbid")


class AccountIn(BaseModel):
    model_config = _STRICT

    id: U128
    ledger: Annotated[int, Field(strict=True, ge=1, le=U32_MAX)]
    code: Annotated[int, Field(strict=True, ge=1, le=U16_MAX)]
    user_data: U128 = 0
    flags: tuple[AccountFlagName, ...] = ()
    credit_limit: MinorUnits = 0


class CreateAccounts(BaseModel):
    """Up to 8190 accounts, created in order (``linked`` chains are all-or-nothing)."""

    model_config = _STRICT

    accounts: list[AccountIn]


class TransferIn(BaseModel):
    model_config = _STRICT

    id: U128
    debit_account_id: U128 = 0
    credit_account_id: U128 = 0
    pending_id: U128 = 0
    amount: OptionalMinorUnits = None
    ledger: Annotated[int, Field(strict=True, ge=0, le=U32_MAX)] = 0
    code: Annotated[int, Field(strict=True, ge=0, le=U16_MAX)] = 0
    user_data: U128 = 0
    timeout: Annotated[int, Field(strict=True, ge=0, le=TIMEOUT_MAX, description="seconds")] = 0
    flags: tuple[TransferFlagName, ...] = ()
    effective_at: TimeNs = Field(
        default=None, description="when the movement counts; omitted: when it is recorded"
    )


class CreateTransfers(BaseModel):
    """Up to 8190 transfers, applied in order (``linked`` chains are all-or-nothing)."""

    model_config = _STRICT

    transfers: list[TransferIn]


def accounts_from_body(body: bytes) -> list[Account]:
    """Parse a ``CreateAccounts`` body; raise ``RequestInvalid`` listing each bad field."""
    try:
        parsed = CreateAccounts.model_validate_json(body)
    except ValidationError as error:
        raise request_invalid(error) from None
    return [
        Account(
            a.id,
            a.ledger,
            a.code,
            a.user_data,
            flag_bits(a.flags, ACCOUNT_FLAG_BITS),
            a.credit_limit,
        )
        for a in parsed.accounts
    ]


def flag_bits(names: Iterable[str], bits: dict[str, int]) -> int:
    """The flag set named by ``names``; raises KeyError for a name not in ``bits``."""
    flags = 0
    for name in names:
        flags |= bits[name]
    return flags


def transfers_from_body(body: bytes) -> list[Transfer]:
    """Parse a ``CreateTransfers`` body; raise ``RequestInvalid`` listing each bad field.

    A well-formed body takes the fast path (orjson and one loop, about 3 µs a transfer);
    anything the fast path is not sure of goes through the pydantic model, which is the
    authority: it accepts or names every error. The two must agree on what they accept
    (tests/e2e/test_ledger_parsing.py checks it).
    """
    fast = _transfers_fast(body)
    if fast is not None:
        return fast
    try:
        parsed = CreateTransfers.model_validate_json(body)
    except ValidationError as error:
        raise request_invalid(error) from None
    out = []
    for t in parsed.transfers:
        flags = flag_bits(t.flags, TRANSFER_FLAG_BITS)
        amount = t.amount
        if amount is None:
            amount = AMOUNT_MAX if flags & _POST else 0
        out.append(
            Transfer(
                t.id, t.debit_account_id, t.credit_account_id, amount, t.pending_id, t.ledger,
                t.code, t.user_data, flags, t.timeout, t.effective_at or 0,
            )
        )  # fmt: skip
    return out


_TRANSFER_KEYS: Final = frozenset(TransferIn.model_fields)
_TOP_KEYS: Final = frozenset({"transfers"})


class _NotFast(Exception):  # control flow, never escapes this module
    pass


def _u128_fast(value: object) -> int:
    if type(value) is str and 0 < len(value) <= U128_DIGITS and value.isascii() and value.isdigit():
        number = int(value)
        if number <= U128_MAX:
            return number
    raise _NotFast


def _transfers_fast(body: bytes) -> list[Transfer] | None:
    """The transfers of a body that is certainly valid, or None to let pydantic decide."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if type(doc) is not dict or doc.keys() != _TOP_KEYS or type(doc["transfers"]) is not list:
        return None
    bits, u128, keys = TRANSFER_FLAG_BITS, _u128_fast, _TRANSFER_KEYS
    out: list[Transfer] = []
    append = out.append
    try:
        for t in doc["transfers"]:
            if type(t) is not dict or not t.keys() <= keys:
                return None
            get = t.get
            flags = 0
            names = get("flags", ())
            if names:
                if type(names) is not list:
                    return None
                flags = flag_bits(names, bits)
            elif names != () and type(names) is not list:
                return None
            amount = get("amount")
            if amount is None:
                amount = AMOUNT_MAX if flags & _POST else 0
            elif (
                type(amount) is str
                and 0 < len(amount) <= AMOUNT_DIGITS
                and amount.isascii()
                and amount.isdigit()
            ):
                amount = int(amount)
            elif type(amount) is not int:
                return None
            ledger, code, timeout = get("ledger", 0), get("code", 0), get("timeout", 0)
            if (
                type(ledger) is not int or type(code) is not int or type(timeout) is not int
                or not 0 <= amount <= AMOUNT_MAX or not 0 <= ledger <= U32_MAX
                or not 0 <= code <= U16_MAX or not 0 <= timeout <= TIMEOUT_MAX
            ):  # fmt: skip
                return None
            effective_at = get("effective_at")
            if effective_at is not None:
                if type(effective_at) is not str:
                    return None
                effective_at = parse_rfc3339_ns(effective_at)
                if effective_at <= 0:
                    return None
            append(
                Transfer(
                    u128(t["id"]), u128(get("debit_account_id", "0")),
                    u128(get("credit_account_id", "0")), amount, u128(get("pending_id", "0")),
                    ledger, code, u128(get("user_data", "0")), flags, timeout, effective_at or 0,
                )
            )  # fmt: skip
    except (_NotFast, KeyError, TypeError, ValueError):
        return None
    return out


def time_query(value: str | None, name: str) -> int | None:
    """A time given as a query parameter, in ns; ``RequestInvalid`` when it is not RFC 3339."""
    if value is None:
        return None
    try:
        return parse_rfc3339_ns(value)
    except ValueError as error:
        raise RequestInvalid([field_error(["query", name], str(error))]) from None


def id_param(value: str, name: str) -> int:
    """A u128 path parameter; ``RequestInvalid`` when it is not one."""
    try:
        return _u128(value)
    except PydanticCustomError as error:
        raise RequestInvalid([field_error(["path", name], error.message(), error.type)]) from None


# -- responses ---------------------------------------------------------------------------------
