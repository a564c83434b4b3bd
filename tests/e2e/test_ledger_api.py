"""The ledger API over HTTP (TestClient, the real app and runtime) on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta

import orjson

from bankstack.ledger import LedgerUnavailable
from tests.e2e.conftest import (
    assert_problem,
    client_for,
    new_ids,
    open_accounts,
    post_transfers,
    transfer,
)

ACCOUNTS = "/v1/ledger/accounts"
TRANSFERS = "/v1/ledger/transfers"


def rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# -- authentication ---------------------------------------------------------------------------


def test_missing_token_is_401_problem(anonymous):
    response = anonymous.get(f"{ACCOUNTS}/1")
    body = assert_problem(response, 401, "auth.unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert body["retryable"] is False


def test_wrong_token_is_401_problem(anonymous):
    for header in ("Bearer not-the-token", "Basic dXNlcjpwYXNz", "Bearer", "e2e-admin-token"):
        response = anonymous.post(
            TRANSFERS, json={"transfers": []}, headers={"Authorization": header}
        )
        assert_problem(response, 401, "auth.unauthenticated")


def test_auth_is_checked_before_the_body(anonymous):
    response = anonymous.post(TRANSFERS, content=b"{not json")
    assert_problem(response, 401, "auth.unauthenticated")


def test_ledger_api_is_closed_without_an_admin_token(runtime):
    settings = runtime.settings.model_copy(update={"admin_token": None})
    with client_for(runtime, settings=settings) as client:
        response = client.get(f"{ACCOUNTS}/1")
    body = assert_problem(response, 503, "auth.not_configured")
    assert "BANKSTACK_ADMIN_TOKEN" in body["detail"]


# -- creating accounts and transfers ----------------------------------------------------------


def test_results_come_back_one_per_item_in_order(client):
    a, b = open_accounts(client, 2)
    unknown = new_ids(1)[0]
    results = post_transfers(
        client,
        transfer(a, b, 100),
        transfer(unknown, b, 100),
        transfer(a, a, 100),
        transfer(a, b, "250"),
    )
    assert results == ["ok", "debit_account_not_found", "accounts_must_be_different", "ok"]
    account = client.get(f"{ACCOUNTS}/{b}").json()
    assert account["credits_posted"] == 350
    assert account["debits_posted"] == 0


def test_accounts_results_include_failures(client):
    [existing] = open_accounts(client, 1)
    fresh = new_ids(1)[0]
    body = {
        "accounts": [
            {"id": fresh, "ledger": 1, "code": 1, "flags": ["history"], "user_data": "42"},
            {"id": existing, "ledger": 1, "code": 1},
            {"id": existing, "ledger": 1, "code": 2},
            {"id": "0", "ledger": 1, "code": 1},
        ]
    }
    response = client.post(ACCOUNTS, json=body)
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {"index": 0, "result": "ok"},
            {"index": 1, "result": "exists"},
            {"index": 2, "result": "exists_with_different_code"},
            {"index": 3, "result": "id_must_not_be_zero"},
        ]
    }
    account = client.get(f"{ACCOUNTS}/{fresh}").json()
    assert account["flags"] == ["history"]
    assert account["user_data"] == "42"


def test_empty_lists_answer_empty_results(client):
    for path, key in ((ACCOUNTS, "accounts"), (TRANSFERS, "transfers")):
        response = client.post(path, json={key: []})
        assert response.status_code == 200
        assert response.json() == {"results": []}


def test_retry_is_exists_and_a_changed_retry_is_refused(client):
    a, b = open_accounts(client, 2)
    first = transfer(a, b, 500)
    assert post_transfers(client, first) == ["ok"]
    assert post_transfers(client, first) == ["exists"]
    assert post_transfers(client, {**first, "amount": 501}) == ["exists_with_different_amount"]
    assert client.get(f"{ACCOUNTS}/{b}").json()["credits_posted"] == 500


def test_insufficient_funds_is_a_result_not_an_error(client):
    a, b = open_accounts(client, 2, flags=["debits_must_not_exceed_credits"])
    assert post_transfers(client, transfer(a, b, 1)) == ["exceeds_credits"]


def test_linked_chain_fails_as_a_whole(client):
    a, b = open_accounts(client, 2)
    results = post_transfers(
        client,
        transfer(a, b, 10, flags=["linked"]),
        transfer(a, "0", 10),
    )
    assert results == ["linked_event_failed", "credit_account_id_must_not_be_zero"]
    assert client.get(f"{ACCOUNTS}/{b}").json()["credits_posted"] == 0


def test_full_batch_of_8190_transfers(client):
    a, b = open_accounts(client, 2)
    transfers = [transfer(a, b, 1) for _ in range(8190)]
    assert post_transfers(client, *transfers) == ["ok"] * 8190
    assert client.get(f"{ACCOUNTS}/{b}").json()["credits_posted"] == 8190


# -- refused requests -------------------------------------------------------------------------


def test_more_than_8190_items_is_batch_too_large(client):
    a, b = open_accounts(client, 2)
    response = client.post(TRANSFERS, json={"transfers": [transfer(a, b, 1)] * 8191})
    body = assert_problem(response, 422, "ledger.batch_too_large")
    assert body["limit"] == 8190
    assert body["count"] == 8191
    accounts = [{"id": i, "ledger": 1, "code": 1} for i in new_ids(8191)]
    assert_problem(
        client.post(ACCOUNTS, json={"accounts": accounts}), 422, "ledger.batch_too_large"
    )
    assert client.get(f"{ACCOUNTS}/{b}").json()["credits_posted"] == 0


def test_float_amounts_are_refused(client):
    a, b = open_accounts(client, 2)
    for raw in (b"1.5", b"1e3", b"100.0", b"-1", b"true", b'"1.5"', b'"-1"', b'"1e3"', b'""',
                b"9223372036854775808", b'"9223372036854775808"'):  # fmt: skip
        good = orjson.dumps(transfer(a, b, 1))
        bad = good.replace(b'"amount":1', b'"amount":' + raw)
        response = client.post(TRANSFERS, content=b'{"transfers":[' + good + b"," + bad + b"]}")
        body = assert_problem(response, 422, "request.invalid")
        assert body["errors"][0]["loc"] == ["body", "transfers", 1, "amount"], raw
    assert client.get(f"{ACCOUNTS}/{b}").json()["credits_posted"] == 0


def test_amount_as_digit_string_and_the_largest_amount(client):
    a, b = open_accounts(client, 2)
    assert post_transfers(client, transfer(a, b, "12345")) == ["ok"]
    [result] = post_transfers(client, transfer(a, b, str(2**63 - 1)))
    assert result in {"overflows_debits_posted", "overflows_credits_posted"}
    assert client.get(f"{ACCOUNTS}/{b}").json()["credits_posted"] == 12345


def test_malformed_items_are_listed_by_field(client):
    a, b = open_accounts(client, 2)
    too_big = str(2**128)
    body = {
        "transfers": [
            transfer(a, b, 1, flags=["linked", "sideways"]),
            transfer(too_big, b, 1),
            {**transfer(a, b, 1), "id": 7},
            {**transfer(a, b, 1), "memo": "extra field"},
            transfer(a, b, 1, effective_at="2026-01-01T00:00:00"),
            transfer(a, b, 1, timeout=-1),
        ]
    }
    response = client.post(TRANSFERS, json=body)
    problem = assert_problem(response, 422, "request.invalid")
    locs = [tuple(e["loc"]) for e in problem["errors"]]
    assert locs == [
        ("body", "transfers", 0, "flags", 1),
        ("body", "transfers", 1, "debit_account_id"),
        ("body", "transfers", 2, "id"),
        ("body", "transfers", 3, "memo"),
        ("body", "transfers", 4, "effective_at"),
        ("body", "transfers", 5, "timeout"),
    ]
    assert all(e["msg"] for e in problem["errors"])
    assert client.get(f"{ACCOUNTS}/{b}").json()["credits_posted"] == 0


def test_accounts_are_validated(client):
    for account in (
        {"id": "1", "ledger": 0, "code": 1},
        {"id": "1", "ledger": 1, "code": 65536},
        {"id": str(2**128), "ledger": 1, "code": 1},
        {"id": "1", "ledger": 1, "code": 1, "flags": ["pending"]},
        {"id": "1", "ledger": 1, "code": 1, "credit_limit": 1.5},
        {"ledger": 1, "code": 1},
    ):
        response = client.post(ACCOUNTS, json={"accounts": [account]})
        assert_problem(response, 422, "request.invalid")


def test_oversized_bodies_are_413(client):
    response = client.post(TRANSFERS, content=b" " * (16 * 1024 * 1024 + 1))
    assert_problem(response, 413, "request.too_large")


def test_malformed_json_is_request_invalid(client):
    for raw in (b"{not json", b"", b"[]", b'{"transfers": {}}', b'{"transfer": []}'):
        response = client.post(TRANSFERS, content=raw)
        body = assert_problem(response, 422, "request.invalid")
        assert body["errors"], raw


# -- reading ----------------------------------------------------------------------------------


def test_get_account(client):
    a, b = open_accounts(client, 2)
    post_transfers(client, transfer(a, b, 700))
    response = client.get(f"{ACCOUNTS}/{b}")
    assert response.status_code == 200
    account = response.json()
    assert account["id"] == b
    assert (account["ledger"], account["code"], account["user_data"]) == (1, 1, "0")
    assert account["flags"] == []
    balances = ("credit_limit", "debits_pending", "debits_posted", "credits_pending")
    assert [account[k] for k in balances] == [0, 0, 0, 0]
    assert account["credits_posted"] == 700
    assert isinstance(account["timestamp"], int)
    assert account["created_at"].endswith("Z")
    assert "at" not in account


def test_unknown_account_and_transfer_are_404(client):
    [missing] = new_ids(1)
    body = assert_problem(client.get(f"{ACCOUNTS}/{missing}"), 404, "ledger.account_not_found")
    assert body["retryable"] is False
    assert_problem(client.get(f"{ACCOUNTS}/{missing}/statement"), 404, "ledger.account_not_found")
    assert_problem(client.get(f"{TRANSFERS}/{missing}"), 404, "ledger.transfer_not_found")


def test_bad_ids_in_paths_are_422(client):
    for bad in ("abc", "-1", str(2**128), "1.0", "%C2%B2"):
        body = assert_problem(client.get(f"{ACCOUNTS}/{bad}"), 422, "request.invalid")
        assert body["errors"][0]["loc"] == ["path", "account_id"]
    assert_problem(client.get(f"{TRANSFERS}/x"), 422, "request.invalid")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_balances_at_a_past_time(client):
    a, b = open_accounts(client, 2)
    now = datetime.now(UTC)
    ten_days_ago, five_days_ago = now - timedelta(days=10), now - timedelta(days=5)
    post_transfers(
        client,
        transfer(a, b, 100, effective_at=rfc3339(ten_days_ago)),
        transfer(a, b, 20, effective_at=rfc3339(five_days_ago)),
        transfer(a, b, 3),
    )
    at = rfc3339(now - timedelta(days=7))
    past = client.get(f"{ACCOUNTS}/{b}", params={"at": at}).json()
    assert past["credits_posted"] == 100
    # The same instant; the server writes the fraction in its shortest form.
    assert _instant(past["at"]) == _instant(at)
    earlier = client.get(f"{ACCOUNTS}/{b}", params={"at": rfc3339(now - timedelta(days=30))})
    assert earlier.json()["credits_posted"] == 0
    assert client.get(f"{ACCOUNTS}/{b}").json()["credits_posted"] == 123
    body = assert_problem(
        client.get(f"{ACCOUNTS}/{b}", params={"at": "yesterday"}), 422, "request.invalid"
    )
    assert body["errors"][0]["loc"] == ["query", "at"]


def test_effective_at_round_trips_to_the_nanosecond(client):
    a, b = open_accounts(client, 2)
    moment = datetime.now(UTC) - timedelta(hours=1)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S") + ".123456789+00:00"
    first = transfer(a, b, 5, effective_at=text)
    assert post_transfers(client, first) == ["ok"]
    got = client.get(f"{TRANSFERS}/{first['id']}").json()
    assert got["effective_at_ns"] % 1_000_000_000 == 123_456_789
    assert got["effective_at"].endswith(".123456789Z")
    assert post_transfers(client, {**first, "effective_at": got["effective_at"]}) == ["exists"]


def test_statement_pages_and_running_balances(client):
    a, b = open_accounts(client, 2)
    amounts = [10, 20, 30, 40, 50, 60, 70]
    post_transfers(client, *(transfer(a, b, n) for n in amounts[:5]))
    post_transfers(client, transfer(b, a, 15), transfer(a, b, 70))
    lines, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get(f"{ACCOUNTS}/{b}/statement", params=params).json()
        assert page["account_id"] == b
        pages += 1
        lines.extend(page["lines"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["lines"]) == 3
    assert pages == 3
    assert [(line["side"], line["amount"]) for line in lines] == [
        *(("credit", n) for n in amounts[:5]),
        ("debit", 15),
        ("credit", 70),
    ]
    balance = 0
    for line in lines:
        balance += line["amount"] if line["side"] == "credit" else -line["amount"]
        assert line["balance"] == balance == line["credits_posted"] - line["debits_posted"]
        assert line["counterparty_account_id"] == a
    account = client.get(f"{ACCOUNTS}/{b}").json()
    assert balance == account["credits_posted"] - account["debits_posted"]


def test_statement_refuses_bad_cursors_and_limits(client):
    [a] = open_accounts(client, 1)
    path = f"{ACCOUNTS}/{a}/statement"
    assert_problem(
        client.get(path, params={"cursor": "not-a-cursor!"}), 422, "ledger.invalid_cursor"
    )
    for limit in (0, 1001, "many"):
        body = assert_problem(client.get(path, params={"limit": limit}), 422, "request.invalid")
        assert body["errors"][0]["loc"] == ["query", "limit"]
    assert client.get(path).json() == {"account_id": a, "lines": [], "next_cursor": None}


def test_two_phase_transfers_and_pending_state(client):
    a, b = open_accounts(client, 2)
    pending, to_void, to_expire = (transfer(a, b, 1000, flags=["pending"]) for _ in range(3))
    to_expire["timeout"] = 1
    assert post_transfers(client, pending, to_void, to_expire) == ["ok", "ok", "ok"]
    got = client.get(f"{TRANSFERS}/{pending['id']}").json()
    assert got["pending_state"] == "pending"
    assert got["flags"] == ["pending"]
    account = client.get(f"{ACCOUNTS}/{b}").json()
    assert (account["credits_pending"], account["credits_posted"]) == (3000, 0)

    post = {"id": new_ids(1)[0], "pending_id": pending["id"], "flags": ["post_pending_transfer"]}
    void = {"id": new_ids(1)[0], "pending_id": to_void["id"], "flags": ["void_pending_transfer"]}
    assert post_transfers(client, post, void) == ["ok", "ok"]
    assert client.get(f"{TRANSFERS}/{pending['id']}").json()["pending_state"] == "posted"
    assert client.get(f"{TRANSFERS}/{to_void['id']}").json()["pending_state"] == "voided"
    posted = client.get(f"{TRANSFERS}/{post['id']}").json()
    assert posted["amount"] == 1000  # an omitted amount posts the full pending amount
    assert posted["pending_id"] == pending["id"]
    assert posted["pending_state"] is None

    deadline = time.monotonic() + 30
    state = "pending"
    while state == "pending" and time.monotonic() < deadline:
        time.sleep(0.1)
        state = client.get(f"{TRANSFERS}/{to_expire['id']}").json()["pending_state"]
    assert state == "expired"
    account = client.get(f"{ACCOUNTS}/{b}").json()
    assert (account["credits_pending"], account["credits_posted"]) == (0, 1000)


# -- errors from below, and the rest of the app -----------------------------------------------


class _DownWriter:
    def submit_accounts(self, _accounts):
        raise LedgerUnavailable("batch not applied: psycopg.OperationalError: secret internals")

    def submit_transfers(self, _transfers):
        future: Future[list[str]] = Future()
        future.set_exception(LedgerUnavailable("batch not applied: secret internals"))
        return future


def test_ledger_unavailable_is_503_retryable_without_internals(runtime):
    with client_for(runtime, writer=_DownWriter()) as client:
        for path, key in ((ACCOUNTS, "accounts"), (TRANSFERS, "transfers")):
            response = client.post(path, json={key: [{"id": "1", "ledger": 1, "code": 1}]})
            body = assert_problem(response, 503, "ledger.unavailable")
            assert body["retryable"] is True
            assert response.headers["retry-after"] == "1"
            assert "secret" not in response.text


class _BrokenReader:
    def account(self, _account_id):
        raise RuntimeError("secret: connection string postgres://admin:hunter2@db")


def test_unexpected_errors_are_500_without_internals(runtime):
    with client_for(runtime, reader=_BrokenReader()) as client:
        response = client.get(f"{ACCOUNTS}/1")
    body = assert_problem(response, 500, "internal.error")
    assert "secret" not in response.text
    assert "hunter2" not in response.text
    assert body["retryable"] is False


def test_unknown_routes_and_methods_are_problems(client):
    assert_problem(client.get("/nowhere"), 404, "http.not_found")
    # under /v1 the partner authenticator answers first: no route map for strangers
    assert client.get("/v1/nowhere").status_code == 401
    response = client.delete(f"{ACCOUNTS}/1")
    assert_problem(response, 405, "http.method_not_allowed")
    assert "GET" in response.headers["allow"]


def test_request_ids_are_echoed_or_made(client):
    response = client.get("/healthz", headers={"X-Request-ID": "req-123.abc"})
    assert response.headers["x-request-id"] == "req-123.abc"
    made = client.get("/healthz", headers={"X-Request-ID": "no spaces; or <html>"})
    assert made.headers["x-request-id"] not in {"", "no spaces; or <html>"}
    one, two = client.get("/healthz"), client.get("/healthz")
    assert one.headers["x-request-id"] != two.headers["x-request-id"]
    problem = client.get(f"{ACCOUNTS}/x", headers={"X-Request-ID": "trace-7"})
    assert problem.json()["request_id"] == "trace-7"


def test_healthz_needs_no_token(anonymous):
    response = anonymous.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_openapi_documents_the_ledger(anonymous):
    spec = anonymous.get("/openapi.json").json()
    assert spec["info"]["title"] == "bankstack"
    paths = spec["paths"]
    for path in (
        ACCOUNTS,
        TRANSFERS,
        f"{ACCOUNTS}/{{account_id}}",
        f"{ACCOUNTS}/{{account_id}}/statement",
        f"{TRANSFERS}/{{transfer_id}}",
        "/healthz",
    ):
        assert path in paths, path
    schemas = spec["components"]["schemas"]
    body = paths[TRANSFERS]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CreateTransfers"}
    assert set(schemas["TransferIn"]["properties"]) >= {"id", "amount", "flags", "effective_at"}
    assert "AccountIn" in schemas
    assert "Problem" in schemas
    assert "application/problem+json" in paths[TRANSFERS]["post"]["responses"]["422"]["content"]
    refs = {m for m in orjson.dumps(spec).decode().split('"') if m.startswith("#/components/")}
    assert {r.rsplit("/", 1)[-1] for r in refs} <= set(schemas)


def test_metrics_count_ledger_requests(client):
    a, b = open_accounts(client, 2)
    post_transfers(client, transfer(a, b, 1), transfer(a, a, 1))
    text = client.get("/metrics").text
    assert 'bankstack_ledger_events_total{kind="transfers",result="ok"}' in text
    assert 'result="accounts_must_be_different"' in text
    assert "bankstack_ledger_submission_size_bucket" in text
    assert (
        'bankstack_http_requests_total{method="POST",route="/v1/ledger/transfers",status="200"}'
        in text
    )


def test_docs_page_needs_no_token(anonymous):
    assert anonymous.get("/docs").status_code == 200
