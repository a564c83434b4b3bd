"""What the demo prints about risk: where the review queue is, and how screening went.

- ``risk_rows`` and ``risk_examples`` for the banner: who pays (ordinary customers, honest big
  spenders, Mallory's wallets), the staff queue's URL and ready ``curl`` commands with the
  admin token;
- ``risk_status``, a status line every few seconds: the first answers risk gave to payments
  (accepted, challenged, rejected, held), the codes confirmed, cases opened and resolved,
  AML alerts, the share of ordinary payments risk stopped, and how much of Mallory it caught;
- ``risk_summary``, the same per kind of payer when the demo stops.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Final

from bankstack.entrypoints.demo_customers import (
    BIG_BUYERS,
    CARD_TESTERS,
    INSTALLMENT_PAYERS,
    ORDINARY,
    STRUCTURERS,
    TAKEOVER_VICTIMS,
    Kind,
)
from bankstack.entrypoints.demo_fraud import SPECIAL_SHARE

if TYPE_CHECKING:
    from bankstack.entrypoints.demo_trades import PartnerTraffic

FIRST_ANSWERS: Final = ("accepted", "challenged", "rejected", "held")
STOPPED: Final = ("challenged", "rejected", "held")


def risk_rows(base: str) -> list[tuple[str, str]]:
    pools = ", ".join(
        f"{pool[0].id.rsplit('-', 1)[0]}-* ({len(pool)}, {pool[0].kind})"
        for pool in (CARD_TESTERS, TAKEOVER_VICTIMS, STRUCTURERS)
    )
    return [
        (
            "Risk",
            (
                f"every wallet payment screened (rules: risk/rules/default.toml); "
                f"{len(ORDINARY)} ordinary customers; about {SPECIAL_SHARE:.1%} of scenarios "
                f"are Mallory's ({pools}) or honest big spenders ({len(BIG_BUYERS)} "
                f"big-buyer-*, {len(INSTALLMENT_PAYERS)} installment-payer-*) whom risk asks "
                "to confirm"
            ),
        ),
        (
            "Review queue",
            (
                f"{base}/risk/cases (staff: the token); a simulated reviewer works it every "
                "20-30 s: Mallory's cases confirmed as fraud, the others cleared"
            ),
        ),
    ]


def risk_examples(base: str, token: str) -> list[str]:
    auth = f'-H "Authorization: Bearer {token}"'
    payer = f"test.{INSTALLMENT_PAYERS[0].id}"
    return [
        f"curl -s {auth} '{base}/risk/cases?status=confirmed&limit=5'",
        f"curl -s {auth} {base}/risk/cases/<case id>",
        f"curl -s {auth} '{base}/risk/alerts?subject={payer}'",
    ]


def _answers(outcomes: Counter[str], kinds: tuple[Kind, ...]) -> Counter[str]:
    total: Counter[str] = Counter()
    for kind in kinds:
        for outcome in (*FIRST_ANSWERS, "confirmed"):
            total[outcome] += outcomes[f"risk {kind} {outcome}"]
    return total


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.2%}" if whole else "-"


def risk_status(traffic: PartnerTraffic, clock: str) -> str:
    outcomes, _ = traffic.stats.snapshot()
    review = traffic.reviewer.counts()
    every = _answers(outcomes, tuple(Kind))
    ordinary = _answers(outcomes, (Kind.ORDINARY,))
    mallory = _answers(outcomes, tuple(k for k in Kind if k.fraud))
    answered = sum(ordinary[o] for o in FIRST_ANSWERS)
    stopped = sum(ordinary[o] for o in STOPPED)
    tried = sum(mallory[o] for o in FIRST_ANSWERS)
    caught = sum(mallory[o] for o in STOPPED)
    color = "green" if answered == 0 or stopped * 100 < answered else "red"
    return (
        f"[dim]{clock}[/] risk: accepted {every['accepted']:,} · challenged "
        f"{every['challenged']:,} (confirmed {every['confirmed']:,}) · rejected "
        f"{every['rejected']:,} · held {every['held']:,} · cases opened "
        f"{every['held'] + review.alert_cases:,}, resolved [green]{review.resolved:,}[/] "
        f"(fraud {review.fraud:,}, cleared {review.cleared:,}) · AML alerts {review.alerts:,} · "
        f"ordinary stopped [{color}]{stopped:,} of {answered:,} ({_share(stopped, answered)})[/]"
        f" · Mallory stopped [green]{caught:,} of {tried:,}[/]"
        f"{f' · reviewer failed [red]{review.failures:,}[/]' if review.failures else ''}"
    )


def risk_summary(traffic: PartnerTraffic) -> str:
    outcomes, _ = traffic.stats.snapshot()
    parts = []
    for kind in Kind:
        answers = _answers(outcomes, (kind,))
        total = sum(answers[o] for o in FIRST_ANSWERS)
        found = ", ".join(f"{o} {answers[o]:,}" for o in (*FIRST_ANSWERS, "confirmed"))
        parts.append(f"{kind} {total:,} ({found})")
    review = traffic.reviewer.counts()
    return (
        f"risk: payments by payer: {'; '.join(parts)}; reviewer: {review.passes:,} passes, "
        f"{review.fraud:,} cases confirmed as fraud, {review.cleared:,} cleared, "
        f"{review.alerts:,} AML alerts"
    )
