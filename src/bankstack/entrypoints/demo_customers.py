"""Who pays in the demo: ordinary customers, a few legitimate big spenders, and Mallory.

- 500 ordinary customers (``wang-fang`` ... ``tang-xue``: 25 surnames x 20 given names, the
  first twenty the named customers of earlier demos), each with one phone and one home IP.
  With about three partner scenarios a second spread over them, a customer pays about once
  every three or four minutes: the velocity rules (five payments a minute, thirty an hour)
  stay quiet, as they should for ordinary people. (After some forty minutes on a fresh
  database each has ten payments in a day on an account under two days old, worth 250
  points, and an unusually large ticket may then be challenged: they confirm it);
- legitimate customers risk rightly asks to confirm: ``big-buyer-NN`` make a first big
  purchase from a new account (challenged, confirmed with the code on the phone),
  ``installment-payer-NN`` pay a banquet in three installments just under the 50,000.00
  reporting threshold (challenged, then held for review and cleared by staff; AML then
  flags the pattern);
- Mallory's wallets, named so that nobody mistakes them: ``mallory-cards-NN`` test stolen
  card details, ``mallory-takeover-NN`` are accounts Mallory took over, and
  ``mallory-structuring-NN`` launder money in amounts just under the threshold.

Every wallet is opened and funded once (``demo_partners``); ids never change, so the opening
funding of a second run is recognised. Devices and IPs are made up for risk's features: a
customer's own are stable, Mallory's are new each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bankstack.gateway.api.views import unscoped


class Kind(StrEnum):
    ORDINARY = "ordinary"
    BIG_BUYER = "big purchase"
    INSTALLMENTS = "installments"
    CARD_TESTER = "card testing"
    TAKEOVER = "takeover"
    STRUCTURER = "structuring"

    @property
    def fraud(self) -> bool:
        return self in _FRAUD


_FRAUD: Final = frozenset({Kind.CARD_TESTER, Kind.TAKEOVER, Kind.STRUCTURER})
OPENING_FEN: Final = 20_000_00  # 20,000 CNY: what an ordinary wallet opens with
RICH_OPENING_FEN: Final = 300_000_00  # enough for installments and structuring near 50,000
SMALL_OPENING_FEN: Final = 1_000_00  # card testing spends a few yuan

_SURNAMES: Final = (
    "wang", "li", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu", "xu", "sun",
    "ma", "zhu", "hu", "guo", "he", "lin", "gao", "luo", "zheng", "liang", "xie", "song", "tang",
)  # fmt: skip
_GIVEN: Final = (
    "fang", "wei", "min", "yang", "jing", "lei", "li", "tao", "xin", "hua", "ming", "yan", "jun",
    "lin", "bo", "mei", "ping", "na", "qiang", "xue",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    id: str  # unscoped: the demo's partner apps pay as ``test.<id>``
    name: str
    kind: Kind
    index: int  # its place in the roster: the source of its device and IP
    opening_fen: int = OPENING_FEN

    @property
    def device(self) -> str:
        return f"{self.id}-phone"

    @property
    def ip(self) -> str:
        return f"10.20.{self.index // 250}.{self.index % 250 + 1}"  # a home IP of its own


def _ordinary() -> tuple[DemoCustomer, ...]:
    # The diagonal first: wang-fang, li-wei ... luo-xue, the twenty of earlier demos.
    pairs = [(s, g) for s, g in zip(_SURNAMES, _GIVEN, strict=False)]
    pairs += [(s, g) for s in _SURNAMES for g in _GIVEN if (s, g) not in pairs]
    return tuple(
        DemoCustomer(f"{s}-{g}", f"{s.title()} {g.title()}", Kind.ORDINARY, n)
        for n, (s, g) in enumerate(pairs)
    )


def _pool(
    prefix: str, label: str, kind: Kind, count: int, start: int, opening: int
) -> tuple[DemoCustomer, ...]:
    return tuple(
        DemoCustomer(f"{prefix}-{n:02d}", f"{label} {n:02d}", kind, start + n, opening)
        for n in range(1, count + 1)
    )


ORDINARY: Final = _ordinary()
BIG_BUYERS: Final = _pool("big-buyer", "Big buyer", Kind.BIG_BUYER, 20, 1_000, OPENING_FEN)
INSTALLMENT_PAYERS: Final = _pool(
    "installment-payer", "Installment payer", Kind.INSTALLMENTS, 20, 1_100, RICH_OPENING_FEN
)
CARD_TESTERS: Final = _pool(
    "mallory-cards", "Mallory (cards)", Kind.CARD_TESTER, 30, 1_200, SMALL_OPENING_FEN
)
TAKEOVER_VICTIMS: Final = _pool(
    "mallory-takeover", "Account taken over by Mallory", Kind.TAKEOVER, 40, 1_300, OPENING_FEN
)
STRUCTURERS: Final = _pool(
    "mallory-structuring", "Mallory (structuring)", Kind.STRUCTURER, 20, 1_400, RICH_OPENING_FEN
)
ROSTER: Final = (
    *ORDINARY, *BIG_BUYERS, *INSTALLMENT_PAYERS, *CARD_TESTERS, *TAKEOVER_VICTIMS, *STRUCTURERS
)  # fmt: skip
FEATURED: Final = ORDINARY[:20]  # the named customers the cashier page offers
_BY_ID: Final = {customer.id: customer for customer in ROSTER}


def kind_of(customer_id: str) -> Kind | None:
    """The kind of a demo customer, by its id with or without the test-mode scope."""
    found = _BY_ID.get(unscoped(customer_id) or "")
    return None if found is None else found.kind


def is_fraudster(customer_id: str) -> bool:
    kind = kind_of(customer_id)
    return kind is not None and kind.fraud
