"""The QR flow through the SDK: precreate, pay, refund; money conserved."""

from __future__ import annotations

from bankstack.kernel.ids import new_id
from tests.e2e.partners.conftest import Bank


def test_qr_trade_paid_and_refunded(bank: Bank) -> None:
    client = bank.partner()
    out_trade_no = f"T{new_id() % 10**12}"
    created = client.post(
        "/v1/trades",
        {
            "out_trade_no": out_trade_no,
            "amount": {"amount": 2500, "currency": "CNY"},
            "subject": "Beef noodles",
        },
    )
    assert created.status == 201
    trade = created.data
    assert trade["status"] == "waiting"
    assert trade["cashier_url"].endswith(str(int(trade["id"][4:], 16)))
    paid = client.post(
        f"/v1/trades/{trade['id']}/pay", {"customer_id": f"alice-{bank.merchant_id}"}
    )
    assert paid.data["status"] == "succeeded"
    assert paid.data["paid"] == {"amount": 2500, "currency": "CNY"}
    refund = client.post(
        f"/v1/trades/{trade['id']}/refunds",
        {"out_refund_no": "R1", "amount": {"amount": 1000, "currency": "CNY"}},
    )
    assert refund.status == 201
    assert refund.data["status"] == "succeeded"
    again = client.get(f"/v1/trades/{trade['id']}")
    assert again.data["refunded"] == {"amount": 1000, "currency": "CNY"}
