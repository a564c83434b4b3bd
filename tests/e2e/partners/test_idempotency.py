"""Idempotency-Key on money calls: replay, reuse with another body, concurrent duplicates,
and failures that committed nothing."""

from __future__ import annotations

import json
import threading

from bankstack.kernel.ids import new_id
from bankstack_sdk.signing import sign_request
from tests.e2e.partners.conftest import BASE, Bank


def _post(bank: Bank, path: str, body: dict[str, object], key: str):
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": f'"{key}"'}
    headers |= sign_request("POST", f"{BASE}{path}", headers, raw, bank.key)
    return bank.http.post(path, content=raw, headers=headers)


def _trade(amount: int = 500) -> dict[str, object]:
    return {
        "out_trade_no": f"I{new_id() % 10**12}",
        "amount": {"amount": amount, "currency": "CNY"},
        "subject": "dumplings",
    }


def test_same_key_same_body_replays_the_stored_answer(bank: Bank) -> None:
    body = _trade()
    first = _post(bank, "/v1/trades", body, "same-1")
    second = _post(bank, "/v1/trades", body, "same-1")
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers


def test_same_key_other_body_is_422(bank: Bank) -> None:
    assert _post(bank, "/v1/trades", _trade(), "reuse-1").status_code == 201
    answer = _post(bank, "/v1/trades", _trade(), "reuse-1")
    assert answer.status_code == 422
    assert answer.json()["code"] == "idempotency_key_reused"


def test_missing_key_on_a_money_call_is_400(bank: Bank) -> None:
    raw = json.dumps(_trade()).encode()
    headers = {"Content-Type": "application/json"}
    headers |= sign_request("POST", f"{BASE}/v1/trades", headers, raw, bank.key)
    answer = bank.http.post("/v1/trades", content=raw, headers=headers)
    assert answer.status_code == 400
    assert answer.json()["code"] == "idempotency_key_missing"


def test_concurrent_duplicates_run_once(bank: Bank) -> None:
    body = _trade()
    answers = []

    def call() -> None:
        answers.append(_post(bank, "/v1/trades", body, "race-1"))

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {201, 409}
    created = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(created) == 1  # replays answer the same trade
    for conflict in (a for a in answers if a.status_code == 409):
        assert conflict.json()["code"] == "idempotency_key_in_use"
        assert conflict.headers["retry-after"] == "1"


def test_a_business_decline_is_stored_like_any_executed_answer(bank: Bank) -> None:
    # Dora holds 1.00; the trade is 3,000.00 (an amount the default risk rules let a new
    # customer pay without a challenge), so the first attempt is declined for funds.
    dora = f"dora-{bank.merchant_id}"
    bank.admin(
        "/admin/wallets",
        {"customer_id": dora, "deposit": {"amount": 100, "currency": "CNY"}, "reference": "d-1"},
    )
    created = _post(bank, "/v1/trades", _trade(amount=300_000), "big-1").json()
    poor = {"customer_id": dora}
    refused = _post(bank, f"/v1/trades/{created['id']}/pay", poor, "pay-1")
    assert refused.status_code == 402
    assert refused.json()["code"] == "insufficient_funds"
    bank.admin(
        "/admin/wallets",
        {
            "customer_id": dora,
            "deposit": {"amount": 5_000_000, "currency": "CNY"},
            "reference": "topup-1",
        },
    )
    replayed = _post(bank, f"/v1/trades/{created['id']}/pay", poor, "pay-1")
    assert (replayed.status_code, replayed.headers["idempotent-replayed"]) == (402, "true")
    paid = _post(bank, f"/v1/trades/{created['id']}/pay", poor, "pay-2")  # a new attempt
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "succeeded"


def test_a_failure_that_committed_nothing_is_not_stored(bank: Bank) -> None:
    created = _post(bank, "/v1/trades", _trade(), "down-0").json()
    payer = {"customer_id": f"bob-{bank.merchant_id}"}
    bank.runtime.writer.stop()  # the ledger is down: no money can move
    try:
        down = _post(bank, f"/v1/trades/{created['id']}/pay", payer, "down-1")
        assert down.status_code == 503, down.text
        assert down.json()["retryable"] is True
    finally:
        bank.runtime.writer.start()
    retried = _post(bank, f"/v1/trades/{created['id']}/pay", payer, "down-1")
    assert retried.status_code == 200, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert retried.json()["status"] == "succeeded"
