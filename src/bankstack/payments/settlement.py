"""Daily settlement files per merchant, and reconciliation of an external file against ours.

A merchant's day (``[00:00, 24:00)`` in ``tz``, UTC unless given) holds one ``payment``
line per trade whose money reached the merchant that day (a direct payment when paid, an
escrow payment when released; a voided escrow never did), and one ``refund`` line per
refund that succeeded that day, with negative amounts. Columns::

    record_type,trade_id,out_trade_no,refund_id,out_refund_no,occurred_at,currency,
    amount,fee,commission,net

``amount = fee + commission + net``; amounts are decimal strings in major units (``12.34``),
``occurred_at`` is RFC 3339 UTC. A last ``total`` line sums the amount columns.

Reconciliation matches lines by ``(record_type, out_trade_no, out_refund_no)`` and reports
each break: ``missing_on_our_side`` (in their file only), ``missing_on_their_side`` (in ours
only), ``amount_mismatch`` (currency, amount, or fee/commission/net where their file has
them), ``duplicate`` (a key their file lists again). ``total`` lines are not matched.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Final

from bankstack.kernel.clock import datetime_to_ns, ns_to_datetime
from bankstack.kernel.errors import ValidationFailed
from bankstack.kernel.money import Money
from bankstack.payments.errors import SettlementFileInvalid
from bankstack.payments.onboarding import get_merchant
from bankstack.payments.ports import Deps

COLUMNS: Final = (
    "record_type",
    "trade_id",
    "out_trade_no",
    "refund_id",
    "out_refund_no",
    "occurred_at",
    "currency",
    "amount",
    "fee",
    "commission",
    "net",
)
REQUIRED: Final = frozenset({"record_type", "out_trade_no", "currency", "amount"})
_AMOUNTS: Final = ("amount", "fee", "commission", "net")


class BreakKind(StrEnum):
    MISSING_ON_OUR_SIDE = "missing_on_our_side"
    MISSING_ON_THEIR_SIDE = "missing_on_their_side"
    AMOUNT_MISMATCH = "amount_mismatch"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class SettlementLine:
    record_type: str
    trade_id: str
    out_trade_no: str
    refund_id: str
    out_refund_no: str
    occurred_at: int
    amount: Money
    fee: Money
    commission: Money
    net: Money

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.record_type, self.out_trade_no, self.out_refund_no)


@dataclass(frozen=True, slots=True)
class Break:
    kind: BreakKind
    key: tuple[str, str, str]
    detail: str = ""
    line_no: int | None = None
    """The line of their file (1 is the header), when the break is about one."""


@dataclass(frozen=True, slots=True)
class ReconciliationReport:
    merchant_id: str
    day: date
    matched: int
    breaks: tuple[Break, ...]

    @property
    def clean(self) -> bool:
        return not self.breaks


def day_bounds(day: date, tz: tzinfo = UTC) -> tuple[int, int]:
    start = datetime.combine(day, time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
    return datetime_to_ns(start), datetime_to_ns(end)


def settlement_lines(
    deps: Deps, merchant_id: str, day: date, tz: tzinfo = UTC
) -> list[SettlementLine]:
    get_merchant(deps, merchant_id)
    start, end = day_bounds(day, tz)
    with deps.store.read() as uow:
        trades = uow.trades.settled_between(merchant_id, start, end)
        refunds = uow.refunds.succeeded_between(merchant_id, start, end)
    lines = [
        SettlementLine("payment", str(t.id), t.out_trade_no, "", "", t.settled_at or 0,
                       t.amount, t.split.fee, t.split.commission, t.split.net)
        for t in trades
    ]  # fmt: skip
    lines += [
        SettlementLine("refund", str(r.trade_id), r.out_trade_no, str(r.id), r.out_refund_no,
                       r.succeeded_at or 0, -r.amount, -r.legs.fee, -r.legs.commission,
                       -r.legs.net)
        for r in refunds
    ]  # fmt: skip
    lines.sort(key=lambda line: (line.occurred_at, line.record_type, line.out_refund_no))
    return lines


def _iso(ns: int) -> str:
    return ns_to_datetime(ns).isoformat().replace("+00:00", "Z")


def settlement_csv(deps: Deps, merchant_id: str, day: date, tz: tzinfo = UTC) -> str:
    """The merchant's settlement file for ``day`` (see the module docstring)."""
    currency = get_merchant(deps, merchant_id).currency
    lines = settlement_lines(deps, merchant_id, day, tz)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    totals = dict.fromkeys(_AMOUNTS, Money.zero(currency))
    for line in lines:
        amounts = (line.amount, line.fee, line.commission, line.net)
        for name, value in zip(_AMOUNTS, amounts, strict=True):
            totals[name] += value
        writer.writerow(
            (line.record_type, line.trade_id, line.out_trade_no, line.refund_id,
             line.out_refund_no, _iso(line.occurred_at), currency,
             *(value.format() for value in amounts))
        )  # fmt: skip
    day_start = day_bounds(day, tz)[0]
    writer.writerow(
        ("total", "", "", "", "", _iso(day_start), currency,
         *(totals[name].format() for name in _AMOUNTS))
    )  # fmt: skip
    return out.getvalue()


def reconcile(
    deps: Deps, external_csv: str, merchant_id: str, day: date, tz: tzinfo = UTC
) -> ReconciliationReport:
    ours = {line.key: line for line in settlement_lines(deps, merchant_id, day, tz)}
    breaks: list[Break] = []
    seen: set[tuple[str, str, str]] = set()
    matched = 0
    for line_no, row in _external_rows(external_csv):
        key = (row["record_type"], row["out_trade_no"], row.get("out_refund_no") or "")
        if key in seen:
            breaks.append(Break(BreakKind.DUPLICATE, key, "listed again", line_no))
            continue
        seen.add(key)
        mine = ours.get(key)
        if mine is None:
            breaks.append(Break(BreakKind.MISSING_ON_OUR_SIDE, key, "", line_no))
            continue
        differences = _differences(mine, row, line_no)
        if differences:
            breaks.append(Break(BreakKind.AMOUNT_MISMATCH, key, "; ".join(differences), line_no))
        else:
            matched += 1
    breaks += [Break(BreakKind.MISSING_ON_THEIR_SIDE, key) for key in ours if key not in seen]
    return ReconciliationReport(merchant_id, day, matched, tuple(breaks))


def _external_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = REQUIRED - set(reader.fieldnames or ())
    if missing:
        raise SettlementFileInvalid("the settlement file lacks columns", missing=sorted(missing))
    rows = []
    for row in reader:
        if None in row or any(value is None for value in row.values()):
            raise SettlementFileInvalid(
                "a line has the wrong number of fields", line=reader.line_num
            )
        cleaned = {name: value.strip() for name, value in row.items()}
        if cleaned["record_type"] == "total":
            continue
        rows.append((reader.line_num, cleaned))
    return rows


def _differences(mine: SettlementLine, row: dict[str, str], line_no: int) -> list[str]:
    currency = row["currency"]
    if currency != mine.amount.asset:
        return [f"currency {currency} != {mine.amount.asset}"]
    ours = {"amount": mine.amount, "fee": mine.fee, "commission": mine.commission, "net": mine.net}
    found = []
    for name in _AMOUNTS:
        text = row.get(name) or ""
        if not text and name != "amount":
            continue  # their file may carry gross amounts only
        try:
            theirs = Money.parse(text, currency)
        except ValidationFailed as error:
            raise SettlementFileInvalid(
                f"line {line_no}: {name} is not an amount", line=line_no, value=text
            ) from error
        if theirs != ours[name]:
            found.append(f"{name} {theirs.format()} != {ours[name].format()}")
    return found
