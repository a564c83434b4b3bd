"""The demo's merchants, their partner apps, and the customers who pay them.

``seed_partners`` sets up, through the payments and partner services:

- CNY for payments (the fee, escrow and funding accounts);
- eight named merchants, registered in both modes as ``POST /admin/merchants`` does (live
  under ``<id>``, test under ``test.<id>``);
- one test-mode partner app per merchant, with an Ed25519 key whose private half is a PEM
  file under ``<BANKSTACK_KEY_DIR>/demo/`` (made on the first run, reused after), and a
  webhook endpoint pointing at the demo's own receiver (``demo_webhooks``);
- the demo's customers (``demo_customers``: 500 ordinary ones, a few legitimate big spenders
  and Mallory's wallets) with test-mode wallets (``test.<id>``), each funded once with its
  opening amount (the funding reference is fixed, so funding again moves nothing).

Everything is looked up before it is made, so a second run creates nothing. Two things can
change on a later run: a key file that was deleted gets a new key (the lost ones are
retired), and a demo served on another port moves each app's webhook endpoint to the new
address (endpoints are never deleted: the old one is disabled).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Final

from bankstack.entrypoints.bootstrap import Runtime
from bankstack.entrypoints.demo_customers import FEATURED, ROSTER, DemoCustomer
from bankstack.entrypoints.demo_webhooks import PATH, receiver_url
from bankstack.gateway.adapters.keys import load_or_create_signing_key
from bankstack.gateway.api.views import scoped
from bankstack.gateway.domain.apps import MAX_ACTIVE_KEYS, KeyStatus
from bankstack.gateway.service.apps import AppService
from bankstack.kernel.money import Money
from bankstack.payments import (
    FundWallet,
    MerchantNotFound,
    PaymentsService,
    RegisterMerchant,
    WalletNotFound,
)
from bankstack_sdk import SigningKey

CURRENCY: Final = "CNY"
KEY_SUBDIR: Final = "demo"
OPENING_REFERENCE: Final = "demo-opening"


@dataclass(frozen=True, slots=True)
class DemoMerchant:
    id: str
    name: str
    fee_rate: str
    median_yuan: float  # a typical ticket; amounts are drawn around it, 5 to 300 CNY
    subjects: tuple[str, ...]
    weight: int  # share of the simulated trades
    escrow: bool = False  # sells second-hand goods: every trade is held in escrow


MERCHANTS: Final = (
    DemoMerchant("demo-noodle-bar", "Lanzhou Noodle Bar", "0.006", 32,
                 ("Beef noodles", "Dumplings x12", "Cold noodles and tea"), 24),
    DemoMerchant("demo-coffee", "Morning Bean Coffee", "0.006", 28,
                 ("Latte", "Americano and croissant", "Cold brew"), 20),
    DemoMerchant("demo-fruit", "Fresh Fruit Stall", "0.003", 25,
                 ("Mangoes 1 kg", "Lychees", "Watermelon"), 12),
    DemoMerchant("demo-bookshop", "Page One Bookshop", "0.006", 78,
                 ("Paperback novel", "City map", "Calligraphy set"), 10),
    DemoMerchant("demo-tea-house", "Jasmine Tea House", "0.006", 120,
                 ("Longjing 250 g", "Pu'er cake", "Tea for four"), 8),
    DemoMerchant("demo-cinema", "City Cinema", "0.006", 90,
                 ("Two tickets", "Popcorn combo", "IMAX ticket"), 8),
    DemoMerchant("demo-bike-repair", "Bike Repair Shop", "0.006", 60,
                 ("Tyre change", "Brake tune-up", "Chain and gears"), 4),
    DemoMerchant("demo-flea-market", "Old Street Second-hand Market", "0.01", 160,
                 ("Used bicycle", "Film camera", "Vinyl records", "Rice cooker"), 14,
                 escrow=True),
)  # fmt: skip


def cashier_customers() -> list[tuple[str, str]]:
    """Whom the cashier page lets pay: (payments-side id, label), all in test mode. The
    twenty named customers only: a list of hundreds would not help a person choose."""
    return [(scoped(c.id, livemode=False), f"{c.name} (test wallet)") for c in FEATURED]


def demo_phone(runtime: Runtime) -> Callable[[str], str | None]:
    """The demo customers' phones: the newest one-time code the runtime sent to one of them
    (unscoped id), as the cashier page shows it."""

    def newest_code(customer_id: str) -> str | None:
        inbox = runtime.codes
        return None if inbox is None else inbox.latest_code(scoped(customer_id, livemode=False))

    return newest_code


@dataclass(frozen=True, slots=True)
class PartnerApp:
    merchant: DemoMerchant
    app_id: str
    key: SigningKey  # key_id is the kid bankstack gave the registered public key
    key_file: Path
    webhook_secret: str


@dataclass(frozen=True, slots=True)
class PartnerSeed:
    apps: tuple[PartnerApp, ...]
    created: Counter[str]  # merchants, wallets, apps, keys, endpoints made by this run

    def describe(self) -> str:
        made = ", ".join(f"{self.created[k]} {k}" for k in _KINDS)
        return f"{made} new"


_KINDS: Final = ("merchants", "wallets", "apps", "keys", "endpoints")


def seed_partners(
    runtime: Runtime, *, base_url: str, customers: Sequence[DemoCustomer] = ROSTER
) -> PartnerSeed:
    """Seed the merchants, their apps and the wallets of ``customers`` (tests pass a few)."""
    payments, apps = runtime.payments, runtime.partners.apps
    key_dir = Path(runtime.settings.key_dir) / KEY_SUBDIR
    created: Counter[str] = Counter()
    payments.setup_currency(CURRENCY)
    for customer in customers:
        created["wallets"] += _wallet(payments, customer)
    seeded = []
    for merchant in MERCHANTS:
        created["merchants"] += _merchant(payments, merchant)
        app_id, new_app = _app(apps, merchant)
        key_file = key_dir / f"{merchant.id}.pem"
        key, new_key = _key(apps, app_id, key_file)
        secret, new_endpoint = _endpoint(apps, app_id, receiver_url(base_url, app_id))
        created.update(apps=new_app, keys=new_key, endpoints=new_endpoint)
        seeded.append(PartnerApp(merchant, app_id, key, key_file, secret))
    return PartnerSeed(tuple(seeded), created)


def _merchant(payments: PaymentsService, merchant: DemoMerchant) -> bool:
    new = False
    for live in (True, False):
        merchant_id = scoped(merchant.id, livemode=live)
        try:
            payments.get_merchant(merchant_id)
        except MerchantNotFound:
            payments.register_merchant(
                RegisterMerchant(
                    merchant_id=merchant_id,
                    name=merchant.name,
                    currency=CURRENCY,
                    fee_rate=Decimal(merchant.fee_rate),
                )
            )
            new = True
    return new


def _wallet(payments: PaymentsService, customer: DemoCustomer) -> bool:
    customer_id = scoped(customer.id, livemode=False)
    try:
        payments.get_wallet(customer_id, CURRENCY)
        new = False
    except WalletNotFound:
        payments.open_wallet(customer_id, CURRENCY)
        new = True
    # Always: a run that stopped between opening and funding is completed, never doubled.
    opening = Money(customer.opening_fen, CURRENCY)
    funding = FundWallet(customer_id=customer_id, amount=opening, reference=OPENING_REFERENCE)
    payments.fund_wallet(funding)  # the transfer id derives from customer and reference
    return new


def _app(apps: AppService, merchant: DemoMerchant) -> tuple[str, bool]:
    name = f"{merchant.name} (demo)"
    for app in apps.apps_of_merchant(merchant.id, livemode=False):
        if app.name == name and app.active:
            return app.id, False
    return apps.create_app(merchant.id, mode="test", name=name).id, True


def _key(apps: AppService, app_id: str, key_file: Path) -> tuple[SigningKey, bool]:
    """The app's key from ``key_file``, registering it if the app does not know it yet."""
    private_key = load_or_create_signing_key(key_file).private_key
    raw = private_key.public_key().public_bytes_raw()
    active = [k for k in apps.keys(app_id) if k.status is KeyStatus.ACTIVE]
    known = next((k for k in active if k.public_key == raw), None)
    if known is not None:
        return SigningKey(known.kid, private_key), False
    # The key file is new: its predecessors' private halves are gone, so retire them.
    if len(active) >= MAX_ACTIVE_KEYS:
        apps.retire_key(app_id, active.pop(0).kid)
    added = apps.add_key(app_id, raw)
    for stale in active:
        apps.retire_key(app_id, stale.kid)
    return SigningKey(added.kid, private_key), True


def _endpoint(apps: AppService, app_id: str, url: str) -> tuple[str, bool]:
    """The secret of the app's endpoint at ``url``, made or re-enabled as needed."""
    endpoints = apps.webhook_endpoints(app_id)
    for stale in endpoints:  # the receiver of a demo served on another port
        if stale.enabled and stale.url != url and PATH in stale.url:
            apps.set_webhook_endpoint_enabled(app_id, stale.id, enabled=False)
    ours = next((e for e in endpoints if e.url == url), None)
    if ours is None:
        return apps.add_webhook_endpoint(app_id, url).secret, True
    if not ours.enabled:
        apps.set_webhook_endpoint_enabled(app_id, ours.id, enabled=True)
    return ours.secret, False
