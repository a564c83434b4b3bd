"""The demo's unusual payers: Mallory at work, and honest customers risk rightly asks to confirm.

One partner scenario in twenty-five (``SPECIAL_SHARE``) is one of these, following the
typologies of ``risk/simulator``; the outcomes below are what the packaged rules
(``risk/rules/default.toml``) decide for wallets opened this week, as a fresh demo's are. The
first five are one of each, so that a short demo shows them all:

- installments: an installment payer, known at the tea house (a pot of tea first, from their
  own phone), pays a wedding banquet in three payments just under the 50,000.00 reporting
  threshold. The first is challenged (5,000.00 or more from a new account) and confirmed with
  the code on the phone; the next two (two payments in the day before each) are held for
  review. The reviewer clears them, the money reaches the tea house, and the AML monitor,
  seeing three paid amounts under the threshold within a day, raises a structuring alert,
  which the reviewer clears too;
- structuring: Mallory does the same at three merchants from her own account and phone: she
  confirms the challenge, and the held payments' cases are confirmed as fraud, which returns
  the money;
- card testing: a script tries stolen card details with tiny payments (0.01-1.99) about a
  second apart, from one IP, at three merchants in turn and then at new ones. Five go
  through; from the sixth within a minute risk challenges (the code goes to the card holder,
  not to Mallory), and the eleventh, the fifth merchant, is rejected: the script stops there;
- account takeover: from a device and an IP the account never used, Mallory spends
  2,000-4,900 at a merchant the account never paid: challenged, and she walks away. Each of
  the 40 taken-over accounts is tried at five different merchants at most (a sixth new
  device would add the many-devices rule); when all are spent, card testing takes the turn;
- a big purchase: a big buyer, known at the bike shop (a tune-up first), buys an electric
  bicycle for 5,000-9,000 from a new account: challenged, confirmed, paid.

Each pool of wallets is used in turn (``Partner.sequence``), so that a wallet's own history
changes its outcomes as late as possible: ten payments in a day on an account under two days
old add 250 points, and then held or rejected replaces challenged. Mallory's unpaid trades
expire after 60 s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, NamedTuple

from bankstack.entrypoints.demo_customers import (
    BIG_BUYERS,
    CARD_TESTERS,
    INSTALLMENT_PAYERS,
    STRUCTURERS,
    TAKEOVER_VICTIMS,
    DemoCustomer,
    Kind,
)
from bankstack.entrypoints.demo_partners import CURRENCY, PartnerApp
from bankstack.entrypoints.demo_paying import Json, Partner, Payer, pay
from bankstack.kernel.ids import new_id

SPECIAL_SHARE: Final = 0.04  # of all scenarios; Mallory's are 3 %, honest big spenders 1 %
# Per thousand scenarios. In this order for the first five: the AML story takes longest.
_WEIGHTS: Final = {
    Kind.INSTALLMENTS: 3,
    Kind.STRUCTURER: 5,
    Kind.CARD_TESTER: 10,
    Kind.TAKEOVER: 15,
    Kind.BIG_BUYER: 7,
}
NEAR_THRESHOLD_FEN: Final = (45_500_00, 49_900_00)  # just under the 50,000.00 threshold
CARD_TEST_FEN: Final = (1, 199)
TAKEOVER_FEN: Final = (2_000_00, 4_900_00)  # enough for the takeover rule, under new-account
BIG_PURCHASE_FEN: Final = (5_000_00, 9_000_00)
RICH_TOP_UP_FEN: Final = 150_000_00
WARM_UP_FEN: Final = 88_00  # what makes the customer known to risk: device, IP, the shop
# Three merchants in turn, then new ones: five payees are reached with the eleventh try.
CARD_TEST_SHOPS: Final = (0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 4, 5, 6, 7)
TAKEOVER_TRIES_PER_ACCOUNT: Final = 5
MALLORY_TIMEOUT_S: Final = 60


class Order(NamedTuple):
    app: PartnerApp
    amount_fen: int
    subject: str


def run_special(partner: Partner, apps: Sequence[PartnerApp]) -> None:
    n = partner.sequence("special")
    kinds = list(_WEIGHTS)
    kind = kinds[n] if n < len(kinds) else partner.rng.choices(kinds, list(_WEIGHTS.values()))[0]
    play(partner, apps, kind)


def play(partner: Partner, apps: Sequence[PartnerApp], kind: Kind) -> None:
    """One episode of ``kind`` (not ordinary): its first payment now, the rest ``later``."""
    _RUN[kind](partner, apps)


def _turn(partner: Partner, pool: Sequence[DemoCustomer], kind: Kind) -> DemoCustomer:
    return pool[partner.sequence(f"pool {kind}") % len(pool)]


def _between(partner: Partner, bounds: tuple[int, int]) -> int:
    return partner.rng.randint(*bounds)


def _mallory_device(partner: Partner, kind: str) -> tuple[str, str]:
    """A device and a mobile-network IP that no demo customer ever used."""
    bits = partner.rng.getrandbits(30)
    ip = f"100.{64 + (bits >> 16) % 64}.{(bits >> 8) % 256}.{bits % 256}"
    return f"mallory-{kind}-{bits:08x}", ip


def _shop(apps: Sequence[PartnerApp], merchant_id: str) -> PartnerApp:
    return next((a for a in apps if a.merchant.id == merchant_id), apps[0])


def _in_turn(
    partner: Partner,
    payer: Payer,
    orders: Sequence[Order],
    *,
    gap_s: tuple[float, float] = (1.0, 3.0),
    timeout_s: int = 7_200,
    until: str = "",
) -> None:
    """Pay ``orders`` one after another, ``gap_s`` apart, stopping at an ``until`` outcome."""
    order = orders[0]
    body = {
        "out_trade_no": f"{order.app.merchant.id.removeprefix('demo-')}-{new_id():032x}",
        "amount": {"amount": order.amount_fen, "currency": CURRENCY},
        "subject": order.subject,
        "timeout_s": timeout_s,
    }
    trade: Json = partner.api(order.app).post("/v1/trades", body).data
    outcome = pay(partner, order.app, trade, payer).outcome
    rest = orders[1:]
    if rest and outcome != until:

        def next_order(later: Partner) -> None:
            _in_turn(later, payer, rest, gap_s=gap_s, timeout_s=timeout_s, until=until)

        partner.later(partner.rng.uniform(*gap_s), next_order)


def _installments(partner: Partner, apps: Sequence[PartnerApp]) -> None:
    payer = _turn(partner, INSTALLMENT_PAYERS, Kind.INSTALLMENTS)
    shop = _shop(apps, "demo-tea-house")
    orders = [Order(shop, WARM_UP_FEN, "Tea for four")] + [
        Order(shop, _between(partner, NEAR_THRESHOLD_FEN), f"Wedding banquet, payment {n} of 3")
        for n in (1, 2, 3)
    ]
    _in_turn(partner, Payer.own(payer, top_up_fen=RICH_TOP_UP_FEN), orders)


def _structuring(partner: Partner, apps: Sequence[PartnerApp]) -> None:
    launderer = _turn(partner, STRUCTURERS, Kind.STRUCTURER)
    shops = partner.rng.sample([a for a in apps if not a.merchant.escrow], 3)
    orders = [Order(shops[0], WARM_UP_FEN, shops[0].merchant.subjects[0])] + [
        Order(shop, _between(partner, NEAR_THRESHOLD_FEN), "Company order, paid in advance")
        for shop in shops
    ]
    _in_turn(partner, Payer.own(launderer, top_up_fen=RICH_TOP_UP_FEN), orders)


def _card_testing(partner: Partner, apps: Sequence[PartnerApp]) -> None:
    tester = _turn(partner, CARD_TESTERS, Kind.CARD_TESTER)
    _, ip = _mallory_device(partner, "script")
    # A script calling the checkout: the merchant sees its IP but no device.
    thief = Payer(tester.id, Kind.CARD_TESTER, None, ip, answers_codes=False)
    shops = partner.rng.sample(list(apps), len(apps))
    orders = [
        Order(shops[n % len(shops)], _between(partner, CARD_TEST_FEN), "Gift card")
        for n in CARD_TEST_SHOPS
    ]
    partner.count("card testing bursts")
    _in_turn(partner, thief, orders, gap_s=(0.3, 1.5), timeout_s=MALLORY_TIMEOUT_S,
             until="rejected")  # fmt: skip


def _takeover(partner: Partner, apps: Sequence[PartnerApp]) -> None:
    n = partner.sequence("takeover")
    accounts = len(TAKEOVER_VICTIMS)
    if n >= accounts * TAKEOVER_TRIES_PER_ACCOUNT:
        _card_testing(partner, apps)  # every account was tried enough: risk knows them now
        return
    victim, tries = n % accounts, n // accounts
    shop = apps[(victim + tries) % len(apps)]  # five different merchants per account
    device, ip = _mallory_device(partner, "phone")
    thief = Payer(TAKEOVER_VICTIMS[victim].id, Kind.TAKEOVER, device, ip, answers_codes=False)
    order = Order(shop, _between(partner, TAKEOVER_FEN), "Gift cards x10")
    _in_turn(partner, thief, [order], timeout_s=MALLORY_TIMEOUT_S)


def _big_purchase(partner: Partner, apps: Sequence[PartnerApp]) -> None:
    buyer = _turn(partner, BIG_BUYERS, Kind.BIG_BUYER)
    shop = _shop(apps, "demo-bike-repair")
    orders = [
        Order(shop, WARM_UP_FEN, "Brake tune-up"),
        Order(shop, _between(partner, BIG_PURCHASE_FEN), "Electric bicycle"),
    ]
    _in_turn(partner, Payer.own(buyer), orders)


_RUN: Final[dict[Kind, Callable[[Partner, Sequence[PartnerApp]], None]]] = {
    Kind.INSTALLMENTS: _installments,
    Kind.STRUCTURER: _structuring,
    Kind.CARD_TESTER: _card_testing,
    Kind.TAKEOVER: _takeover,
    Kind.BIG_BUYER: _big_purchase,
}
