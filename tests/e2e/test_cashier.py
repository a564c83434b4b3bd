"""The hosted cashier page over a real runtime, on SQLite and PostgreSQL.

Ids get a per-test suffix: the PostgreSQL database is shared by the whole session.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI

from bankstack.entrypoints.bootstrap import Runtime, build_runtime
from bankstack.kernel.clock import NS_PER_SECOND, ManualClock, datetime_to_ns
from bankstack.kernel.errors import BankstackError, Unavailable
from bankstack.kernel.ids import U128_MAX, new_id
from bankstack.kernel.money import Money
from bankstack.payments import (
    CreateTrade,
    FundWallet,
    InsufficientFunds,
    InvalidPaymentRequest,
    LedgerRefused,
    Merchant,
    RegisterMerchant,
    Split,
    Trade,
    TradeAlreadyPaid,
    TradeBuyerMismatch,
    TradeClosed,
    TradePaymentInProgress,
    WalletNotFound,
)
from bankstack.payments.api import cashier_router
from bankstack.payments.api.notices import refusal
from bankstack.payments.api.page import PayForm, render_trade_page
from bankstack.payments.api.view import (
    Phase,
    format_amount,
    format_time_left,
    phase_of,
    trade_view,
)
from bankstack.payments.domain import TradeStatus
from bankstack.payments.qr import qr_svg
from bankstack.platform.settings import load_settings

with warnings.catch_warnings():  # starlette prefers httpx2 at import; httpx works
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx

START = datetime_to_ns(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


@dataclass
class Shop:
    runtime: Runtime
    clock: ManualClock
    merchant: Merchant
    alice: str
    bob: str
    tag: str
    clients: list[TestClient] = field(default_factory=list)

    def client(self, *, demo: bool = True) -> TestClient:
        app = FastAPI()
        customers = [(self.alice, "Alice (demo)"), (self.bob, "Bob <demo> & co")]
        demo_customers = (lambda: customers) if demo else None
        payments = self.runtime.payments
        app.include_router(
            cashier_router(payments, demo_customers=demo_customers, clock=self.clock)
        )
        made = TestClient(app, follow_redirects=False)
        self.clients.append(made)
        return made

    def trade(self, amount: int = 8800, subject: str = "Two coffees") -> Trade:
        return self.runtime.payments.create(
            CreateTrade(
                merchant_id=self.merchant.id,
                out_trade_no=f"o{new_id()}",
                amount=Money(amount, "CNY"),
                subject=subject,
                timeout_s=7200,
            )
        )

    def wallet(self, customer_id: str) -> int:
        return self.runtime.payments.wallet_balance(customer_id, "CNY").posted.minor

    def till(self) -> int:
        return self.runtime.payments.merchant_balance(self.merchant.id).posted.minor


@pytest.fixture
def shop(db_url: str) -> Iterator[Shop]:
    clock = ManualClock(START)
    settings = load_settings(database_url=db_url)
    runtime = build_runtime(settings, clock=clock, start_relay=False, start_workers=False)
    tag = f"{new_id():x}"[-10:]
    payments = runtime.payments
    payments.setup_currency("CNY")
    merchant = payments.register_merchant(
        RegisterMerchant(
            merchant_id=f"cafe-{tag}",
            name='Café "Blue" & <Sons>',
            currency="CNY",
            fee_rate=Decimal("0.006"),
        )
    )
    alice, bob = f"alice-{tag}", f"bob-{tag}"
    for customer_id, funds in ((alice, 100_000), (bob, 500)):
        payments.open_wallet(customer_id, "CNY")
        payments.fund_wallet(
            FundWallet(
                customer_id=customer_id, amount=Money(funds, "CNY"), reference=f"t{new_id()}"
            )
        )
    made = Shop(runtime, clock, merchant, alice, bob, tag)
    try:
        yield made
    finally:
        for client in made.clients:
            client.close()
        runtime.close()


def page_path(trade: Trade) -> str:
    return f"/cashier/{trade.id}"


def assert_secure_html(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    for name, value in HEADERS.items():
        assert response.headers[name] == value
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp
    assert "style-src 'unsafe-inline'" in csp
    body = response.text
    assert "<script" not in body.lower()
    assert "Traceback" not in body
    return body


class TestPage:
    def test_a_waiting_trade_shows_merchant_amount_time_left_qr_and_the_form(self, shop: Shop):
        trade = shop.trade()
        body = assert_secure_html(shop.client().get(page_path(trade)), 200)
        assert "Café &quot;Blue&quot; &amp; &lt;Sons&gt;" in body
        assert "Two coffees" in body
        assert '¥88.00 <span class="code">CNY</span>' in body
        assert "Waiting for payment" in body
        assert "Expires in <strong>2 h</strong>" in body
        assert '<time datetime="2026-11-22T11:00:00Z">2026-11-22 11:00 UTC</time>' in body
        assert f'<form method="post" action="/cashier/{trade.id}/pay">' in body
        assert f'<option value="{shop.alice}">Alice (demo)</option>' in body
        assert f'<option value="{shop.bob}">Bob &lt;demo&gt; &amp; co</option>' in body
        assert "Pay ¥88.00</button>" in body
        assert str(trade.id) in body

    def test_the_qr_code_encodes_the_trades_cashier_url(self, shop: Shop):
        trade = shop.trade()
        url = shop.runtime.payments.cashier_url(trade.id)
        body = shop.client().get(urlsplit(url).path).text
        found = re.search(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', body)
        assert found is not None
        assert base64.b64decode(found[1]).decode() == qr_svg(url)
        assert f"Or open {url}</p>" in body

    def test_the_time_left_counts_down_with_the_clock(self, shop: Shop):
        trade = shop.trade()
        shop.clock.advance(61 * 60 + 30)
        assert "Expires in <strong>58 min</strong>" in shop.client().get(page_path(trade)).text

    def test_without_a_demo_list_the_form_asks_for_a_customer_id(self, shop: Shop):
        body = shop.client(demo=False).get(page_path(shop.trade())).text
        assert '<input id="customer" name="customer_id" type="text" required' in body
        assert "<select" not in body

    def test_subject_is_escaped(self, shop: Shop):
        trade = shop.trade(subject="<script>alert('x')</script>")
        body = assert_secure_html(shop.client().get(page_path(trade)), 200)
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body

    @pytest.mark.parametrize(
        "trade_id", ["0", "0123", "-5", "abc", "12a", "1.0", str(U128_MAX + 1), "١٢"]
    )
    def test_anything_but_a_trade_id_is_not_found(self, shop: Shop, trade_id: str):
        client = shop.client()
        body = assert_secure_html(client.get(f"/cashier/{trade_id}"), 404)
        assert "Payment not found" in body
        response = client.post(f"/cashier/{trade_id}/pay", data={"customer_id": shop.alice})
        assert_secure_html(response, 404)

    def test_an_unknown_trade_is_not_found(self, shop: Shop):
        client = shop.client()
        body = assert_secure_html(client.get(f"/cashier/{new_id()}"), 404)
        assert "Payment not found" in body
        response = client.post(f"/cashier/{new_id()}/pay", data={"customer_id": shop.alice})
        assert "Payment not found" in assert_secure_html(response, 404)

    def test_a_closed_trade_says_so_and_offers_no_form(self, shop: Shop):
        trade = shop.trade()
        shop.runtime.payments.close(trade.id)
        client = shop.client()
        body = assert_secure_html(client.get(page_path(trade)), 200)
        assert "Closed" in body
        assert "The merchant closed this order" in body
        assert "<form" not in body
        assert "data:image/svg+xml" not in body
        response = client.post(f"{page_path(trade)}/pay", data={"customer_id": shop.alice})
        assert "This order can no longer be paid" in assert_secure_html(response, 409)
        assert shop.wallet(shop.alice) == 100_000

    def test_an_expired_trade_says_so_before_and_after_the_worker_closes_it(self, shop: Shop):
        trade = shop.trade()
        shop.clock.advance(7200)
        client = shop.client()
        for _ in range(2):
            body = assert_secure_html(client.get(page_path(trade)), 200)
            assert "Expired" in body
            assert "<form" not in body
            shop.runtime.payments.process_due()
        assert shop.runtime.payments.query(trade.id).status is TradeStatus.CLOSED

    def test_an_unexpected_error_is_a_plain_500_page(self, shop: Shop):
        def broken() -> list[tuple[str, str]]:
            raise RuntimeError("secret internals")

        app = FastAPI()
        app.include_router(
            cashier_router(shop.runtime.payments, demo_customers=broken, clock=shop.clock)
        )
        with TestClient(app) as client:
            body = assert_secure_html(client.get(page_path(shop.trade())), 500)
        assert "Something went wrong" in body
        assert "secret internals" not in body


class TestPay:
    def test_paying_redirects_to_the_page_which_shows_it_paid(self, shop: Shop):
        trade = shop.trade()
        client = shop.client()
        response = client.post(f"{page_path(trade)}/pay", data={"customer_id": shop.alice})
        assert response.status_code == 303
        assert response.headers["location"] == page_path(trade)
        assert response.headers["cache-control"] == "no-store"
        body = assert_secure_html(client.get(response.headers["location"]), 200)
        assert '<span class="badge">Paid</span>' in body
        assert "Paid at</dt><dd>2026-11-22 09:00 UTC</dd>" in body
        assert "<form" not in body
        assert shop.wallet(shop.alice) == 100_000 - 8800
        assert shop.till() == trade.split.net.minor == 8800 - 53  # 0.6 % fee (52.8, rounded)

    def test_paying_again_says_already_paid_and_moves_no_money(self, shop: Shop):
        trade = shop.trade()
        client = shop.client()
        assert client.post(f"{page_path(trade)}/pay", data={"customer_id": shop.alice}).is_redirect
        wallet, till = shop.wallet(shop.alice), shop.till()
        for payer in (shop.alice, shop.bob):
            response = client.post(f"{page_path(trade)}/pay", data={"customer_id": payer})
            body = assert_secure_html(response, 409)
            assert "Already paid" in body
            assert '<span class="badge">Paid</span>' in body
        assert (shop.wallet(shop.alice), shop.till()) == (wallet, till)
        assert shop.wallet(shop.bob) == 500

    def test_insufficient_funds_shows_the_message_and_keeps_the_form(self, shop: Shop):
        trade = shop.trade()
        response = shop.client().post(f"{page_path(trade)}/pay", data={"customer_id": shop.bob})
        body = assert_secure_html(response, 409)
        assert 'role="alert"><strong>Not enough money in the wallet</strong>' in body
        assert "Nothing was charged." in body
        assert "Waiting for payment" in body
        assert f'<option value="{shop.bob}" selected>' in body
        assert shop.wallet(shop.bob) == 500
        assert shop.till() == 0
        assert shop.runtime.payments.query(trade.id).status is TradeStatus.WAITING

    def test_a_customer_outside_the_demo_list_is_refused(self, shop: Shop):
        stranger = f"carol-{shop.tag}"
        shop.runtime.payments.open_wallet(stranger, "CNY")
        response = shop.client().post(
            f"{page_path(shop.trade())}/pay", data={"customer_id": stranger}
        )
        assert "Choose a demo customer" in assert_secure_html(response, 422)

    @pytest.mark.parametrize(
        ("customer_id", "message"),
        [
            ("nobody-here", "Unknown customer"),
            ("no spaces!", "Check the customer id"),
            ("", "Check the customer id"),
        ],
    )
    def test_a_bad_customer_id_is_a_422_with_the_form_kept(
        self, shop: Shop, customer_id: str, message: str
    ):
        trade = shop.trade()
        response = shop.client(demo=False).post(
            f"{page_path(trade)}/pay", data={"customer_id": customer_id}
        )
        body = assert_secure_html(response, 422)
        assert message in body
        assert "<form" in body

    def test_the_customer_id_field_is_a_free_text_when_no_demo_list(self, shop: Shop):
        trade = shop.trade()
        client = shop.client(demo=False)
        response = client.post(f"{page_path(trade)}/pay", data={"customer_id": shop.alice})
        assert response.status_code == 303
        assert shop.wallet(shop.alice) == 100_000 - 8800

    def test_a_form_that_is_not_urlencoded_or_too_big_is_refused(self, shop: Shop):
        trade = shop.trade()
        client = shop.client()
        as_json = client.post(f"{page_path(trade)}/pay", json={"customer_id": shop.alice})
        assert "The form could not be read" in assert_secure_html(as_json, 415)
        huge = client.post(f"{page_path(trade)}/pay", data={"customer_id": "a" * 5000})
        assert_secure_html(huge, 413)
        assert shop.wallet(shop.alice) == 100_000


class TestWording:
    @pytest.mark.parametrize(
        ("error", "status", "title"),
        [
            (InsufficientFunds("x"), 409, "Not enough money in the wallet"),
            (TradeAlreadyPaid("x"), 409, "Already paid"),
            (TradeClosed("x"), 409, "This order can no longer be paid"),
            (TradePaymentInProgress("x"), 409, "A payment is already in progress"),
            (WalletNotFound("x"), 422, "Unknown customer"),
            (InvalidPaymentRequest("x"), 422, "Check the customer id"),
            (TradeBuyerMismatch("x"), 403, "This order is for another customer"),
            (Unavailable("db down"), 503, "Please try again"),
            (LedgerRefused("internal words"), 500, "Something went wrong"),
        ],
    )
    def test_each_refusal_has_its_status_and_words(
        self, error: BankstackError, status: int, title: str
    ):
        got_status, notice = refusal(error)
        assert (got_status, notice.title) == (status, title)
        assert "internal words" not in notice.text
        assert "db down" not in notice.text

    def test_amounts_use_the_symbol_and_group_thousands(self):
        assert format_amount(Money(123_456_789, "CNY")) == "¥1,234,567.89"
        assert format_amount(Money(5, "CNY")) == "¥0.05"
        assert format_amount(Money(-5, "USD")) == "-$0.05"
        assert format_amount(Money(1500, "JPY")) == "¥1,500"
        assert format_amount(Money(1, "BTC")) == "0.00000001"

    @pytest.mark.parametrize(
        ("seconds", "text"),
        [(0, "less than a minute"), (59, "less than a minute"), (-5, "less than a minute"),
         (60, "1 min"), (3600, "1 h"), (7199, "1 h 59 min"), (86_400, "1 d"), (90_000, "1 d 1 h")],
    )  # fmt: skip
    def test_time_left_rounds_down_to_the_minute(self, seconds: int, text: str):
        assert format_time_left(seconds * NS_PER_SECOND) == text

    def test_a_closed_trade_that_was_paid_reads_refunded(self):
        trade = dataclasses.replace(fake_trade(), status=TradeStatus.CLOSED)
        assert phase_of(dataclasses.replace(trade, paid_at=10, closed_at=50), 60) is Phase.REFUNDED
        assert phase_of(dataclasses.replace(trade, closed_at=50), 60) is Phase.CLOSED
        assert phase_of(dataclasses.replace(trade, closed_at=100), 200) is Phase.EXPIRED

    def test_a_payment_in_flight_refreshes_by_itself_and_offers_no_form(self):
        trade = dataclasses.replace(fake_trade(), status=TradeStatus.PROCESSING)
        view = trade_view(trade, merchant_name="M", cashier_url="https://x/cashier/1", now_ns=60)
        form = PayForm("/cashier/1/pay", None)
        body = render_trade_page(
            view, page_path="/cashier/1", form=form, notice=None, qr_svg="<svg/>"
        )
        assert '<meta http-equiv="refresh" content="3">' in body
        assert "Payment in progress" in body
        assert "<form" not in body
        assert "data:image/svg+xml;base64," in body


def fake_trade() -> Trade:
    return Trade(
        id=1,
        merchant_id="m",
        out_trade_no="o",
        subject="s",
        amount=Money(100, "CNY"),
        split=Split.zero("CNY"),
        status=TradeStatus.WAITING,
        created_at=0,
        expires_at=100,
        timeout_s=60,
        paid=Money(100, "CNY"),
        refunded=Split.zero("CNY"),
    )
