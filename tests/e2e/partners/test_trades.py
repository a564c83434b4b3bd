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


def test_trades_are_listed_newest_first_a_page_at_a_time(bank: Bank) -> None:
    client = bank.partner()
    made = [
        client.post(
            "/v1/trades",
            {
                "out_trade_no": f"P{new_id() % 10**12}",
                "amount": {"amount": 100 + n, "currency": "CNY"},
                "subject": "tea",
            },
        ).data["id"]
        for n in range(5)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/trades", params=params).data
        assert len(page["data"]) <= 2
        seen += [t["id"] for t in page["data"]]
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert seen[:5] == list(reversed(made))  # newest first, none twice
    assert len(seen) == len(set(seen))
    one = client.get(f"/v1/trades/{made[0]}").data["out_trade_no"]
    found = client.get("/v1/trades", params={"out_trade_no": one}).data
    assert [t["id"] for t in found["data"]] == [made[0]]
