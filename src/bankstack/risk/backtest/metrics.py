"""What a policy (the recorded decisions, or a candidate) does to labelled events: pure.

Definitions, for the events that carry a label (1 fraud, 0 legitimate):

- *stopped*: the outcome holds the money or refuses it (``review`` or ``reject``);
  *challenged*: it asks the customer to step up (``challenge``), which a fraudster holding the
  victim's phone may pass, so it is counted apart from stopping, never as a catch;
- catch rate = fraud stopped / fraud; challenge rate = fraud challenged / fraud;
- false-positive rate = legitimate stopped or challenged / legitimate: every interruption
  of an honest customer counts;
- money at risk = the amounts of fraud the policy accepts; friction = the amounts of
  legitimate events it stops. Challenged amounts are in neither: their fate is the
  customer's answer, which a backtest cannot know.

Rates are exact fractions (``Rate``) shown by one fixed rule: half-even to four decimal places
(two in percent). Amounts are summed as integer minor units per currency, never converted
and never floats; events without an amount (logins) count in the rates and add no money.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final

from bankstack.kernel.money import Money
from bankstack.risk.cases.labels import FRAUD, LEGITIMATE
from bankstack.risk.domain.decision import Outcome

STOPPING: Final = frozenset({Outcome.REVIEW, Outcome.REJECT})
RATE_PLACES: Final = 4


@dataclass(frozen=True, slots=True)
class Rate:
    """``part`` of ``whole`` events, exactly; ``whole`` is never 0 (no events: no rate)."""

    part: int
    whole: int

    def __post_init__(self) -> None:
        if not 0 <= self.part <= self.whole or self.whole == 0:
            raise ValueError(f"a rate is 0 <= part <= whole, whole > 0: {self.part}/{self.whole}")

    def decimal(self, places: int = RATE_PLACES) -> Decimal:
        """Half-even to ``places`` decimals, from the exact fraction (no double rounding)."""
        units = round(Fraction(self.part * 10**places, self.whole))  # Fraction rounds half-even
        return Decimal(units).scaleb(-places)

    def percent(self) -> str:
        """``"12.34%"``: the four-decimal rate times 100, so exact to two decimals."""
        return f"{self.decimal() * 100:.2f}%"


def rate(part: int, whole: int) -> Rate | None:
    """None when there is nothing to divide by: "n/a", never 0."""
    return Rate(part, whole) if whole else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Performance:
    """One policy on the labelled events (see the module's definitions)."""

    fraud: int
    legitimate: int
    fraud_stopped: int
    fraud_challenged: int
    legitimate_stopped: int
    legitimate_challenged: int
    money_at_risk: tuple[Money, ...]  # fraud accepted, per currency
    friction: tuple[Money, ...]  # legitimate stopped, per currency

    @property
    def labelled(self) -> int:
        return self.fraud + self.legitimate

    @property
    def catch_rate(self) -> Rate | None:
        return rate(self.fraud_stopped, self.fraud)

    @property
    def challenge_rate(self) -> Rate | None:
        return rate(self.fraud_challenged, self.fraud)

    @property
    def false_positive_rate(self) -> Rate | None:
        return rate(self.legitimate_stopped + self.legitimate_challenged, self.legitimate)


class PerformanceTally:
    """Counts one labelled event at a time (a history may be long: nothing is kept)."""

    def __init__(self) -> None:
        self._counts = dict.fromkeys((FRAUD, LEGITIMATE), 0)
        self._stopped = dict.fromkeys((FRAUD, LEGITIMATE), 0)
        self._challenged = dict.fromkeys((FRAUD, LEGITIMATE), 0)
        self._at_risk: dict[str, int] = {}
        self._friction: dict[str, int] = {}

    def add(self, outcome: Outcome, label: int, amount: Money | None) -> None:
        if label not in self._counts:
            raise ValueError(f"a label is {LEGITIMATE} or {FRAUD}, not {label!r}")
        self._counts[label] += 1
        if outcome in STOPPING:
            self._stopped[label] += 1
        elif outcome is Outcome.CHALLENGE:
            self._challenged[label] += 1
        if amount is None:
            return
        if label == FRAUD and outcome is Outcome.ACCEPT:
            self._at_risk[amount.asset] = self._at_risk.get(amount.asset, 0) + amount.minor
        elif label == LEGITIMATE and outcome in STOPPING:
            self._friction[amount.asset] = self._friction.get(amount.asset, 0) + amount.minor

    def result(self) -> Performance:
        return Performance(
            fraud=self._counts[FRAUD],
            legitimate=self._counts[LEGITIMATE],
            fraud_stopped=self._stopped[FRAUD],
            fraud_challenged=self._challenged[FRAUD],
            legitimate_stopped=self._stopped[LEGITIMATE],
            legitimate_challenged=self._challenged[LEGITIMATE],
            money_at_risk=_totals(self._at_risk),
            friction=_totals(self._friction),
        )


def performance(events: Iterable[tuple[Outcome, int, Money | None]]) -> Performance:
    """The performance of the outcomes given to labelled events ``(outcome, label, amount)``."""
    tally = PerformanceTally()
    for outcome, label, amount in events:
        tally.add(outcome, label, amount)
    return tally.result()


def rate_text(value: Rate | None) -> str:
    """``"12.50% (13/104)"``, or ``"n/a"`` when there was nothing to count."""
    return "n/a" if value is None else f"{value.percent()} ({value.part}/{value.whole})"


def money_text(amounts: tuple[Money, ...]) -> str:
    """``"1234.56 CNY, 300 JPY"``: exact per currency, ``"0"`` when there is none."""
    return ", ".join(str(amount) for amount in amounts) or "0"


def _totals(minor_by_asset: Mapping[str, int]) -> tuple[Money, ...]:
    return tuple(Money(minor_by_asset[asset], asset) for asset in sorted(minor_by_asset))
