"""Fee rates and splits: how a payment's amount divides, and how a refund reverses it.

Rates are ``Decimal`` fractions of the trade amount with at most six decimal places (stored
as integer parts per million, so a rate never passes through a float). A merchant pays the
platform fee and, when it came through a partner (ISV), the partner's commission; both are
charged on the trade amount.

The one rounding rule (payment): the total deduction is ``amount * (fee_rate +
commission_rate)`` rounded to whole minor units **half to even** (banker's rounding), in
Decimal arithmetic with enough precision to be exact. The deduction is then divided between
fee and commission in proportion to their rates by ``allocate`` (largest remainder, ties to
the fee), and the merchant's net is the amount minus the deduction. So
``net + fee + commission == amount`` always, and rounding happens once.

The refund rule: a refund reverses the legs in proportion to what is still unrefunded on
each leg: ``allocate(refund, [net_left, fee_left, commission_left])``. Every part is at most
what is left on its leg, so no leg is ever reversed past what it received, and the refund
that takes the trade to zero reverses exactly what is left. A full refund in one go
reverses the payment split exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Final

from bankstack.kernel.money import Money, allocate
from bankstack.payments.errors import InvalidPaymentRequest

PPM: Final = 1_000_000
RATE_PLACES: Final = 6


@dataclass(frozen=True, slots=True)
class Split:
    """Where an amount goes: the merchant's net, the platform fee, the partner commission."""

    net: Money
    fee: Money
    commission: Money

    @property
    def total(self) -> Money:
        return self.net + self.fee + self.commission

    @classmethod
    def zero(cls, asset: str) -> Split:
        return cls(Money.zero(asset), Money.zero(asset), Money.zero(asset))

    def __add__(self, other: Split) -> Split:
        return Split(self.net + other.net, self.fee + other.fee, self.commission + other.commission)

    def __sub__(self, other: Split) -> Split:
        return Split(self.net - other.net, self.fee - other.fee, self.commission - other.commission)


def rate_to_ppm(rate: object, *, field: str) -> int:
    """A rate as integer parts per million; refuses floats, negatives, >= 1 and > 6 places."""
    if not isinstance(rate, Decimal) or not rate.is_finite():
        raise InvalidPaymentRequest(f"{field} must be a finite Decimal", field=field)
    if rate < 0 or rate >= 1:
        raise InvalidPaymentRequest(f"{field} must be in [0, 1)", field=field, value=str(rate))
    scaled = rate * PPM
    if scaled != scaled.to_integral_value():
        raise InvalidPaymentRequest(
            f"{field} has more than {RATE_PLACES} decimal places", field=field, value=str(rate)
        )
    return int(scaled)


def ppm_to_rate(ppm: int) -> Decimal:
    return (Decimal(ppm) / PPM).normalize() if ppm else Decimal(0)


def check_rates(fee_ppm: int, commission_ppm: int) -> None:
    if fee_ppm + commission_ppm >= PPM:
        raise InvalidPaymentRequest(
            "fee_rate + commission_rate must be below 1", field="commission_rate"
        )


def split_payment(amount: Money, fee_ppm: int, commission_ppm: int) -> Split:
    """Split ``amount`` by the rule in the module docstring; the parts sum to ``amount``."""
    check_rates(fee_ppm, commission_ppm)
    if amount.minor < 0:
        raise InvalidPaymentRequest("a payment amount is never negative", field="amount")
    with localcontext() as ctx:
        ctx.prec = 80  # wide enough for any 64-bit amount times a 6-place rate: exact
        exact = Decimal(amount.minor) * (fee_ppm + commission_ppm) / PPM
        deduction = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    if deduction == 0:
        fee = commission = 0
    else:
        fee, commission = allocate(deduction, [fee_ppm, commission_ppm])
    asset = amount.asset
    return Split(
        Money(amount.minor - deduction, asset), Money(fee, asset), Money(commission, asset)
    )


def split_refund(amount: Money, left: Split) -> Split:
    """The legs a refund of ``amount`` reverses, given what is still unrefunded on each."""
    remaining = left.total
    if amount.minor <= 0 or amount > remaining:
        raise InvalidPaymentRequest(
            "a refund must be positive and at most what is left", field="refund_amount"
        )
    net, fee, commission = allocate(
        amount.minor, [left.net.minor, left.fee.minor, left.commission.minor]
    )
    asset = amount.asset
    return Split(Money(net, asset), Money(fee, asset), Money(commission, asset))
