"""The demo's risk story, in process: Mallory is caught, ordinary customers pass, staff decide.

The demo's own scenarios (``demo_scenarios``, ``demo_fraud``) run against the real app through
the SDK over FastAPI's ``TestClient`` (real signatures, real risk engine with the packaged
rules, no sockets), one step after another (``demo_harness``). The demo's reviewer
(``demo_reviewer``) then works the queue over the same transport, and the outbox relay is
driven by hand so that each effect is checked in turn.

The database is seeded once per backend, with the wallets the tests use; every test gets a
runtime of its own, so risk's in-memory history starts empty and the outcomes are exact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from bankstack.entrypoints import demo_scenarios
from bankstack.entrypoints.demo_customers import (
    BIG_BUYERS,
    CARD_TESTERS,
    FEATURED,
    INSTALLMENT_PAYERS,
    ORDINARY,
    ROSTER,
    STRUCTURERS,
    TAKEOVER_VICTIMS,
    Kind,
    is_fraudster,
    kind_of,
)
from bankstack.entrypoints.demo_risk_panel import risk_status
from bankstack.entrypoints.demo_trades import PartnerTraffic
from bankstack.payments import TradeStatus
from tests.e2e.demo_harness import BASE, STAFF, TOKEN, Demo, Seeded, open_demo, seed

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    home = tmp_path_factory.mktemp(f"demo-fraud-{request.param}")
    url = f"sqlite:///{home / 'bankstack.db'}"
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
    return seed(url, home)


@pytest.fixture
def demo(seeded: Seeded) -> Iterator[Demo]:
    with open_demo(seeded) as opened:
        yield opened


def test_the_roster_has_hundreds_of_ordinary_customers_and_names_mallory():
    assert len(ORDINARY) == 500
    assert len({c.id for c in ROSTER}) == len(ROSTER)
    assert ORDINARY[0].id == "wang-fang"
    assert len({c.ip for c in ROSTER}) == len(ROSTER)  # a home IP each: no shared-IP rule
    for pool in (CARD_TESTERS, TAKEOVER_VICTIMS, STRUCTURERS):
        assert all(c.id.startswith("mallory-") and is_fraudster(f"test.{c.id}") for c in pool)
    for pool in (ORDINARY, BIG_BUYERS, INSTALLMENT_PAYERS):
        assert not any(is_fraudster(c.id) for c in pool)
    assert kind_of("test.someone-else") is None


def test_ordinary_scenarios_pass_risk_untouched(demo: Demo, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(demo_scenarios, "SPECIAL_SHARE", 0.0)
    monkeypatch.setattr(demo_scenarios, "ORDINARY", FEATURED)  # the ones with wallets here
    for _ in range(25):
        demo.partner.run(lambda partner: demo_scenarios.run_scenario(partner, demo.apps))
    ordinary = demo.partner.risk(Kind.ORDINARY)
    assert ordinary.get("accepted", 0) >= 15, demo.partner.outcomes
    assert set(ordinary) == {"accepted"}, ordinary
    assert demo.partner.outcomes["paid"] >= 15


def test_card_testing_is_challenged_then_rejected(demo: Demo):
    tester = f"test.{CARD_TESTERS[0].id}"
    before = demo.runtime.payments.wallet_balance(tester, "CNY").posted.minor
    demo.play(Kind.CARD_TESTER)
    # Five tiny payments go through; from the sixth within a minute risk challenges and the
    # script (no phone) walks away; the eleventh, at a fifth merchant, is rejected: it stops.
    assert demo.partner.risk(Kind.CARD_TESTER) == {
        "accepted": 5,
        "challenged": 5,
        "abandoned": 5,
        "rejected": 1,
    }
    spent = before - demo.runtime.payments.wallet_balance(tester, "CNY").posted.minor
    assert 0 < spent < 5 * 2_00  # only the five tiny payments that went through
    assert demo.cases_of(CARD_TESTERS[0].id) == []  # challenges and rejections need no person


def test_account_takeover_is_challenged_and_the_thief_walks_away(demo: Demo):
    victim = f"test.{TAKEOVER_VICTIMS[0].id}"
    before = demo.runtime.payments.wallet_balance(victim, "CNY")
    demo.play(Kind.TAKEOVER)
    assert demo.partner.risk(Kind.TAKEOVER) == {"challenged": 1, "abandoned": 1}
    codes = demo.runtime.codes
    assert codes is not None
    assert codes.latest(victim) is not None  # the code went to the owner's phone, unused
    assert demo.runtime.payments.wallet_balance(victim, "CNY") == before


def test_structuring_is_held_and_the_reviewer_confirms_fraud(demo: Demo):
    launderer = STRUCTURERS[0].id
    demo.play(Kind.STRUCTURER)
    # A coffee, then three amounts just under 50,000.00: the first challenged (Mallory holds
    # this phone), the next two held for review.
    assert demo.partner.risk(Kind.STRUCTURER) == {
        "accepted": 1,
        "challenged": 1,
        "confirmed": 1,
        "held": 2,
    }
    cases = demo.cases_of(launderer)
    assert len(cases) == 2
    assert all(demo.trades_of(c) == [TradeStatus.PROCESSING] for c in cases)

    assert demo.review() >= 2
    demo.relay_all()
    resolved = [c for c in demo.cases_of(launderer, "confirmed") if c["id"] in _ids(cases)]
    assert len(resolved) == 2
    assert all(demo.trades_of(c) == [TradeStatus.CLOSED] for c in cases)  # money returned
    balance = demo.runtime.payments.wallet_balance(f"test.{launderer}", "CNY")
    assert balance.available == balance.posted  # nothing is held any more
    assert demo.reviewer.counts().fraud >= 2


def test_installments_are_cleared_by_staff_and_then_flagged_by_aml(demo: Demo):
    payer = INSTALLMENT_PAYERS[0].id
    demo.play(Kind.INSTALLMENTS)
    assert demo.partner.risk(Kind.INSTALLMENTS) == {
        "accepted": 1,
        "challenged": 1,
        "confirmed": 1,
        "held": 2,
    }
    held = demo.cases_of(payer)
    assert len(held) == 2

    demo.review()  # false positives: the holds are released and the banquet is paid
    demo.relay_all()
    assert all(demo.trades_of(c) == [TradeStatus.SUCCEEDED] for c in held)
    alerts = demo.http.get(f"/risk/alerts?subject=test.{payer}", headers=STAFF).json()["data"]
    assert [a["detector"] for a in alerts] == ["structuring"]
    flagged = demo.cases_of(payer)
    assert [c["origin"] for c in flagged] == ["alert"]

    demo.review()
    assert demo.cases_of(payer) == []
    counts = demo.reviewer.counts()
    assert (counts.alerts, counts.alert_cases) == (1, 1)
    assert counts.cleared >= 3
    assert counts.fraud == 0


def test_a_big_buyer_confirms_the_code_from_the_phone_and_pays(demo: Demo):
    demo.play(Kind.BIG_BUYER)
    assert demo.partner.risk(Kind.BIG_BUYER) == {"accepted": 1, "challenged": 1, "confirmed": 1}
    assert demo.partner.outcomes["paid"] == 2  # the tune-up and the electric bicycle
    assert demo.cases_of(BIG_BUYERS[0].id) == []


def test_the_status_line_counts_risk_outcomes(demo: Demo):
    traffic = PartnerTraffic(BASE, TOKEN, demo.apps, rate=1.0, seed=1)
    for what, n in {
        "risk ordinary accepted": 995,
        "risk ordinary challenged": 4,
        "risk ordinary confirmed": 4,
        "risk ordinary held": 1,
        "risk card testing accepted": 5,
        "risk card testing challenged": 5,
        "risk card testing rejected": 1,
    }.items():
        traffic.stats.count(what, n)
    line = risk_status(traffic, "12:00:00")
    assert "accepted 1,000" in line
    assert "challenged 9 (confirmed 4)" in line
    assert "rejected 1" in line
    assert "held 1" in line
    assert "ordinary stopped [green]5 of 1,000 (0.50%)" in line
    assert "Mallory stopped [green]6 of 11" in line


def _ids(cases: list[dict[str, Any]]) -> set[str]:
    return {c["id"] for c in cases}
