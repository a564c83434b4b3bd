"""Money as integer minor units of an asset; the one money type of bankstack.

An amount is an ``int`` of the asset's smallest unit (fen, cents, satoshi), never a float and
never a ``Decimal``: integers sum exactly, compare exactly and serialise without loss. The
number of decimal places of each asset comes from one table, ``ASSET_SCALES``; nothing else
in the code multiplies by 100. Decimal strings exist only at the edges (API, CLI, files) and
are parsed exactly, refusing anything the asset's scale cannot hold. Splitting an amount uses
the largest-remainder method, so the parts always add up to the whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from bankstack.kernel.errors import ValidationFailed

# ISO 4217 exponents for the currencies a bank here meets, plus digital assets. Adding an asset
# is a reviewed change: an asset's scale can never change once amounts exist in it.
ASSET_SCALES: Final[dict[str, int]] = {
    "CNY": 2,
    "HKD": 2,
    "MOP": 2,
    "TWD": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "SGD": 2,
    "AUD": 2,
    "CAD": 2,
    "CHF": 2,
    "THB": 2,
    "MYR": 2,
    "PHP": 2,
    "INR": 2,
    "IDR": 2,
    "VND": 0,
    "JPY": 0,
    "KRW": 0,
    "CLP": 0,
    "ISK": 0,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
    "LYD": 3,
    "IQD": 3,
    "CLF": 4,
    "UYW": 4,
    # ETH's ledger unit is the gwei (1e-9 ETH): wei would cap a 64-bit balance at 9.2 ETH.
    "BTC": 8,
    "ETH": 9,
}

# [0-9], not \d: \d also matches other scripts' digits, which no amount field should accept.
_DECIMAL = re.compile(r"(?P<sign>-?)(?P<whole>[0-9]+)(?:\.(?P<frac>[0-9]+))?")


class UnknownAsset(ValidationFailed):
    code = "money.unknown_asset"


class AssetMismatch(ValidationFailed):
    code = "money.asset_mismatch"


class InvalidAmount(ValidationFailed):
    code = "money.invalid_amount"


def scale_of(asset: str) -> int:
    """The number of decimal places of ``asset``; raises ``UnknownAsset``."""
    try:
        return ASSET_SCALES[asset]
    except KeyError:
        raise UnknownAsset(f"unknown asset {asset!r}", asset=asset) from None


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An exact amount: ``minor`` units of ``asset`` (``Money(1234, "CNY")`` is 12.34 CNY)."""

    minor: int
    asset: str

    def __post_init__(self) -> None:
        # bool is an int subclass and a float is never money: refuse both loudly.
        if type(self.minor) is not int:
            raise InvalidAmount(
                f"money takes an int of minor units, not {type(self.minor).__name__}",
                value=repr(self.minor),
            )
        scale_of(self.asset)

    @classmethod
    def zero(cls, asset: str) -> Money:
        return cls(0, asset)

    @classmethod
    def parse(cls, text: str, asset: str) -> Money:
        """Parse a decimal string exactly: ``"12.34"`` CNY is 1234 fen; ``"12.345"`` is refused."""
        if not isinstance(text, str):
            raise InvalidAmount("amounts are parsed from decimal strings only", value=repr(text))
        match = _DECIMAL.fullmatch(text.strip())
        if match is None:
            raise InvalidAmount(f"not a decimal amount: {text!r}", value=text)
        scale = scale_of(asset)
        frac = match["frac"] or ""
        if len(frac) > scale:
            raise InvalidAmount(
                f"{text!r} has more than {scale} decimal places for {asset}", value=text
            )
        minor = int(match["whole"] + frac.ljust(scale, "0"))
        return cls(-minor if match["sign"] else minor, asset)

    def format(self) -> str:
        """The exact decimal string: ``Money(-5, "CNY").format() == "-0.05"``."""
        scale = scale_of(self.asset)
        digits = str(abs(self.minor)).rjust(scale + 1, "0")
        sign = "-" if self.minor < 0 else ""
        if scale == 0:
            return sign + digits
        return f"{sign}{digits[:-scale]}.{digits[-scale:]}"

    def __str__(self) -> str:
        return f"{self.format()} {self.asset}"

    def _same_asset(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise InvalidAmount(
                f"cannot combine money with {type(other).__name__}", value=repr(other)
            )
        if other.asset != self.asset:
            raise AssetMismatch(
                f"{self.asset} and {other.asset} do not mix",
                left=self.asset,
                right=other.asset,
            )
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + self._same_asset(other).minor, self.asset)

    def __sub__(self, other: Money) -> Money:
        return Money(self.minor - self._same_asset(other).minor, self.asset)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.asset)

    def __mul__(self, factor: int) -> Money:
        if type(factor) is not int:
            # Rates are Decimals applied by an explicit rounding rule, never here.
            raise InvalidAmount("money multiplies by int only", value=repr(factor))
        return Money(self.minor * factor, self.asset)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.minor < self._same_asset(other).minor

    def __le__(self, other: Money) -> bool:
        return self.minor <= self._same_asset(other).minor

    def __gt__(self, other: Money) -> bool:
        return self.minor > self._same_asset(other).minor

    def __ge__(self, other: Money) -> bool:
        return self.minor >= self._same_asset(other).minor

    def allocate(self, ratios: list[int] | tuple[int, ...]) -> list[Money]:
        """Split by integer ratios; the parts always sum to ``self`` exactly."""
        return [Money(part, self.asset) for part in allocate(self.minor, ratios)]


def allocate(total: int, ratios: list[int] | tuple[int, ...]) -> list[int]:
    """Largest-remainder split of ``total`` by non-negative integer ``ratios``.

    Each part gets its floor share; the units left over go one each to the parts with the
    largest remainders, ties to the earlier part, so the result is deterministic and
    ``sum(parts) == total`` always. A negative total is split as its magnitude, then negated.
    """
    if type(total) is not int or any(type(r) is not int for r in ratios):
        raise InvalidAmount("allocate takes ints only", value=repr((total, ratios)))
    if not ratios or any(r < 0 for r in ratios) or sum(ratios) == 0:
        raise InvalidAmount("ratios must be non-negative with a positive sum", value=ratios)
    sign, magnitude = (-1, -total) if total < 0 else (1, total)
    weight = sum(ratios)
    shares = [divmod(magnitude * r, weight) for r in ratios]
    parts = [share for share, _ in shares]
    leftover = magnitude - sum(parts)
    by_remainder = sorted(range(len(ratios)), key=lambda i: (-shares[i][1], i))
    for i in by_remainder[:leftover]:
        parts[i] += 1
    return [sign * p for p in parts]
