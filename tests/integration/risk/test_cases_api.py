"""The staff case API over HTTP: a small app with the router, the gateway's staff check and
the platform's problem handlers, on SQLite."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from bankstack.gateway.api.admin import staff_only
from bankstack.platform.problems import install_problem_handlers
from bankstack.risk.api.cases import cases_router
from bankstack.risk.domain.decision import Outcome
from tests.integration.risk.case_kit import World, world_on

with warnings.catch_warnings():  # starlette asks for httpx2 instead of the pinned httpx
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

TOKEN = "staff-token-for-tests"  # noqa: S105 - a test token
STAFF = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    with world_on(sqlite_url) as made:
        yield made


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(cases_router(world.service, staff_only(SecretStr(TOKEN))))
    with TestClient(app) as made:
        yield made


def problem(response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["status"] == status
    return body


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}]
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/risk/cases"),
        ("GET", "/risk/cases/case_1"),
        ("POST", "/risk/cases/case_1/resolve"),
        ("GET", "/risk/alerts?subject=x"),
    ],
)
def test_without_the_staff_token_every_route_is_401(
    client: TestClient, headers: dict[str, str], method: str, path: str
) -> None:
    problem(client.request(method, path, headers=headers), 401, "admin_token_invalid")


def test_the_queue_pages_most_urgent_first(client: TestClient, world: World) -> None:
    reject = world.open_decision("r", outcome=Outcome.REJECT)
    world.clock.advance(1)
    review = world.open_decision("v", outcome=Outcome.REVIEW)
    world.clock.advance(1)
    challenge = world.open_decision("c", outcome=Outcome.CHALLENGE)
    first = client.get("/risk/cases", params={"limit": 2}, headers=STAFF)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [c["id"] for c in page["data"]] == [review.case_id, reject.case_id]
    assert page["has_more"] is True
    assert page["data"][0]["status"] == "open"
    assert page["data"][0]["priority"] == 1
    second = client.get(
        "/risk/cases", params={"limit": 2, "cursor": page["next_cursor"]}, headers=STAFF
    ).json()
    assert [c["id"] for c in second["data"]] == [challenge.case_id]
    assert (second["has_more"], second["next_cursor"]) == (False, None)
    resolved = client.get("/risk/cases", params={"status": "confirmed"}, headers=STAFF).json()
    assert resolved["data"] == []


def test_a_case_is_worked_from_the_queue_to_its_resolution(
    client: TestClient, world: World
) -> None:
    case = world.open_decision("d1")
    alert_case = world.service.raise_alert(world.alert("a1", movements=("m1",)))
    assert alert_case == case.case_id
    path = f"/risk/cases/{case.case_id}"

    assigned = client.post(f"{path}/assign", json={"assignee": "bo", "staff_id": "lead"},
                           headers=STAFF)  # fmt: skip
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assignee"] == "bo"
    started = client.post(f"{path}/investigate", json={"staff_id": "bo", "note": "calling"},
                          headers=STAFF)  # fmt: skip
    assert started.json()["status"] == "investigating"
    resolved = client.post(
        f"{path}/resolve",
        json={"confirmed": True, "note": "account takeover", "staff_id": "bo"},
        headers=STAFF,
    )
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["status"], resolved.json()["resolution"]) == (
        "confirmed",
        "account takeover",
    )

    found = client.get(path, headers=STAFF).json()
    assert [(h["actor"], h["from"], h["to"]) for h in found["history"]] == [
        ("system", None, "open"),
        ("system", "open", "open"),
        ("lead", "open", "open"),
        ("bo", "open", "investigating"),
        ("bo", "investigating", "confirmed"),
    ]
    assert {(link["kind"], link["id"]) for link in found["links"]} == {
        ("decision", world.name("dec-d1")),
        ("event", world.name("evt-d1")),
        ("alert", world.name("al-a1")),
        ("event", world.name("m1")),
    }
    [alert] = found["alerts"]
    assert (alert["amount"], alert["currency"], alert["severity"]) == (1_250_000, "CNY", "high")
    assert alert["details"] == {"window_s": 86_400, "payers": 12, "structured": True}
    assert world.resolved[0].case_id == case.case_id
    assert world.service.labels()[world.name("m1")] == 1

    listed = client.get("/risk/alerts", params={"subject": world.name("alice")}, headers=STAFF)
    assert [a["id"] for a in listed.json()["data"]] == [world.name("al-a1")]
    assert listed.json()["data"][0]["case_id"] == case.case_id


def test_changes_to_a_final_case_are_problem_json_409(client: TestClient, world: World) -> None:
    case = world.open_decision("d1")
    path = f"/risk/cases/{case.case_id}"
    body = {"confirmed": False, "note": "fine", "staff_id": "ana"}
    assert client.post(f"{path}/resolve", json=body, headers=STAFF).status_code == 200
    again = problem(
        client.post(f"{path}/resolve", json=body, headers=STAFF),
        409,
        "risk.case_transition_invalid",
    )
    assert again["case_id"] == case.case_id
    assert again["status"] == 409
    problem(
        client.post(f"{path}/investigate", json={"staff_id": "ana"}, headers=STAFF),
        409,
        "risk.case_transition_invalid",
    )
    problem(
        client.post(f"{path}/assign", json={"assignee": "bo", "staff_id": "ana"}, headers=STAFF),
        409,
        "risk.case_transition_invalid",
    )
    assert len(world.outbox(case.case_id)) == 1


def test_bad_requests_are_problem_json(client: TestClient, world: World) -> None:
    case = world.open_decision("d1")
    problem(client.get("/risk/cases/case_nope", headers=STAFF), 404, "risk.case_not_found")
    problem(
        client.get("/risk/cases", params={"cursor": "not-ours"}, headers=STAFF),
        422,
        "risk.case_query_invalid",
    )
    problem(client.get("/risk/cases", params={"status": "closed"}, headers=STAFF), 422,
            "request.invalid")  # fmt: skip
    problem(client.get("/risk/alerts", headers=STAFF), 422, "request.invalid")
    missing_note = {"confirmed": True, "staff_id": "ana"}
    problem(
        client.post(f"/risk/cases/{case.case_id}/resolve", json=missing_note, headers=STAFF),
        422,
        "request.invalid",
    )
    truthy = {"confirmed": "yes", "note": "x", "staff_id": "ana"}
    problem(
        client.post(f"/risk/cases/{case.case_id}/resolve", json=truthy, headers=STAFF),
        422,
        "request.invalid",
    )
    assert world.service.get(case.case_id).case.status == "open"
