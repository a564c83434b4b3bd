"""Honest big sums and money between people: what mules, structurers and cycles hide among.

A laundering transfer is a transfer of a few thousand to a payee the sender never paid; so is
rent. These honest days give the fraud model that company (config.py sets how often):

- a big purchase (``big_purchase_rate``): electronics or furniture at a new shop (10x-50x the
  usual amount); rent and a deposit of one to three months to a letting agency that many
  tenants pay, or to a private landlord; or a car, tuition or a renovation, 60,000.00-
  140,000.00 to one new payee in two or three transfers the same hour, each at most 49,900.00
  (the app's single-transfer limit): honest amounts in the structuring band, never three;
- a loan to a friend (``loan_rate``): 2,000.00-30,000.00 in whole hundreds, repaid in full
  three to ten days later (if the month lasts): money that goes round, but not within a day;
- a payment to a stranger (``stranger_rate``): a second-hand seller, a tutor, a plumber, paid
  by transfer, 20.00-20,000.00 (median 400.00) to an account never paid before (three times
  in ten, another customer of the bank);
- a small business (``vendor_share`` of the customers: a tutor, a stall, a barber): every
  day zero to four of its 8-40 regular clients pay it 30.00-2,000.00 (median 150.00) by
  transfer, and on one morning in seven, before any client pays, it pays two to six of its
  suppliers and helpers: an honest fan-in and fan-out, both under ten a day;
- a gathering (``gathering_rate``): one customer pays for a group meal (about 150.00 a head)
  or a trip (about 1,200.00 a head) and two to six friends and colleagues, most of whom never
  paid them before, send their share back within hours; or two to six guests send red
  envelopes (200.00-2,000.00) to a wedding or a birthday: an honest fan-in, kept under ten
  payers, as most guests bank elsewhere.

Amounts are integer minor units: lognormal float draws rounded once, then rounded down to the
whole yuan for what people type into a transfer. Everything but the strangers' payments (small, at
any hour) starts from 12:00 China time, over an hour after salaries land, so that no honest
customer looks like a rapid pass-through.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from bankstack.risk.domain.event import EventKind
from bankstack.risk.simulator.config import DAY, HOUR, MINUTE, NS_PER_SECOND
from bankstack.risk.simulator.emitter import Emitter
from bankstack.risk.simulator.normal import (
    PAYMENT_CHANNELS,
    Session,
    local_hour_at,
    open_session,
    poisson,
    time_of_day,
)
from bankstack.risk.simulator.world import (
    Customer,
    World,
    clamp,
    lognormal_minor,
    new_account,
)

YUAN: Final = 100  # minor units of a whole yuan: what people type into a transfer
_TRANSFER_LIMIT: Final = 4_990_000  # 49,900.00: the app's single-transfer limit, under 50,000
_RENT_MEDIAN: Final = 400_000  # 4,000.00 a month
_MIN_BIG: Final = 100_000  # 1,000.00
_MEAL_SHARE: Final = 15_000  # 150.00 a head
_TRIP_SHARE: Final = 120_000  # 1,200.00 a head
_RED_ENVELOPES: Final = (20_000, 50_000, 60_000, 80_000, 100_000, 120_000, 160_000, 200_000)
_MAX_PAYERS: Final = 6
# Clients a day: two days of them fit in the AML monitor's rolling 24 hours, so at most 8
# there, and a salary or a friend's transfer still leaves the business under ten payers.
_MAX_CLIENTS: Final = 4
_FEE_MEDIAN: Final = 15_000  # 150.00
_SUPPLIER_MEDIAN: Final = 50_000  # 500.00
_SUPPLY_DAY_SHARE: Final = 1 / 7
_STRANGER_MEDIAN: Final = 40_000  # 400.00
_CUSTOMER_SHARE: Final = 0.3  # the stranger banks with us too


class HonestActs:
    """Helpers for the honest look-alikes: sessions and payments of customers of one world."""

    def __init__(self, emitter: Emitter, world: World, rng: random.Random) -> None:
        self.emitter = emitter
        self.world = world
        self.rng = rng

    def session(self, customer: Customer, day: int, at: int, *, web: bool = False) -> Session:
        return open_session(self.emitter, self.world, customer, day, at, self.rng, web=web)

    def pay(self, session: Session, at: int, amount: int, merchant: str, channel: str = "") -> int:
        """A payment 20 s - 3 min after ``at`` (channel drawn unless given); its time."""
        rng = self.rng
        at += rng.randrange(20 * NS_PER_SECOND, 3 * MINUTE)
        channel = channel or rng.choice(PAYMENT_CHANNELS)
        session.emit(EventKind.PAYMENT, at, amount_minor=amount, merchant=merchant, channel=channel)
        return at

    def send(self, session: Session, at: int, amount: int, payee: str) -> int:
        """A transfer 20 s - 3 min after ``at``; its time."""
        at += self.rng.randrange(20 * NS_PER_SECOND, 3 * MINUTE)
        session.emit(EventKind.TRANSFER, at, amount_minor=amount, counterparty=payee)
        return at

    def elsewhere(self) -> str:
        """A merchant drawn from all of them: most are new to any one customer."""
        return self.rng.choice(self.world.merchants)


def whole(amount: int) -> int:
    """Rounded down to the whole yuan, as a person types a transfer (never below one yuan)."""
    return max(YUAN, amount - amount % YUAN)


@dataclass(frozen=True, slots=True)
class Business:
    """A customer who runs a small business, with its regular clients and its suppliers."""

    owner: Customer
    clients: tuple[Customer, ...]
    suppliers: tuple[str, ...]  # accounts at other banks


class Sharing(HonestActs):
    """Big purchases, loans, businesses and gatherings: a few honest sessions on one day."""

    def businesses(self) -> list[Business]:
        rng, world = self.rng, self.world
        return [
            Business(
                owner=world.by_id(owner),
                clients=tuple(rng.sample(world.customers, rng.randint(8, 40))),
                suppliers=tuple(new_account(rng) for _ in range(rng.randint(6, 10))),
            )
            for owner in world.vendors
        ]

    def business_day(self, business: Business, day: int, day_start: int) -> None:
        rng, owner = self.rng, business.owner
        if rng.random() < _SUPPLY_DAY_SHARE:  # 08:00-09:00, before the first client
            at = local_hour_at(day_start, 8, rng)
            session = self.session(owner, day, at)
            for supplier in rng.sample(business.suppliers, rng.randint(2, 6)):
                amount = whole(clamp(lognormal_minor(rng, _SUPPLIER_MEDIAN, 0.8), 5_000, 500_000))
                at = self.send(session, at, amount, supplier)
        for _ in range(min(poisson(rng, 2.0), _MAX_CLIENTS)):
            client = rng.choice(business.clients)
            if client.customer_id == owner.customer_id:
                continue
            at = local_hour_at(day_start, 9, rng, span_hours=12)
            fee = whole(clamp(lognormal_minor(rng, _FEE_MEDIAN, 0.7), 3_000, 200_000))
            self.send(self.session(client, day, at), at, fee, owner.customer_id)

    def big_purchase(self, customer: Customer, day: int, day_start: int) -> None:
        rng = self.rng
        at = local_hour_at(day_start, 12, rng, span_hours=10)
        session = self.session(customer, day, at)
        kind = rng.random()
        if kind < 0.4:  # noqa: PLR2004 - electronics or furniture, in a shop never visited
            amount = lognormal_minor(rng, 25 * customer.payment_habit, 0.5)
            self.pay(session, at, clamp(amount, _MIN_BIG, _TRANSFER_LIMIT), self.elsewhere())
        elif kind < 0.8:  # noqa: PLR2004 - rent and a deposit
            rent = lognormal_minor(rng, _RENT_MEDIAN, 0.5) * rng.randint(1, 3)
            agency = rng.random() < 0.5  # noqa: PLR2004
            landlord = rng.choice(self.world.agencies) if agency else new_account(rng)
            self.send(session, at, whole(clamp(rent, _MIN_BIG, _TRANSFER_LIMIT)), landlord)
        else:  # a car, tuition, a renovation: more than one transfer can carry
            payee, left = new_account(rng), rng.randrange(60_000, 140_001) * YUAN
            while left:
                piece = min(left, _TRANSFER_LIMIT)
                at = self.send(session, at, piece, payee)
                left -= piece

    def stranger(self, customer: Customer, day: int, day_start: int) -> None:
        rng = self.rng
        at = day_start + time_of_day(rng)
        amount = whole(clamp(lognormal_minor(rng, _STRANGER_MEDIAN, 1.0), 2_000, 2_000_000))
        customers = self.world.customers
        payee = rng.choice(customers) if rng.random() < _CUSTOMER_SHARE else None
        if payee is None:
            self.send(self.session(customer, day, at), at, amount, new_account(rng))
        elif payee.customer_id != customer.customer_id:
            self.send(self.session(customer, day, at), at, amount, payee.customer_id)

    def loan(self, lender: Customer, day: int, day_start: int, days: int) -> None:
        if not lender.friends:
            return
        rng = self.rng
        borrower = self.world.by_id(rng.choice(lender.friends))
        amount = rng.randrange(20, 301) * 100 * YUAN
        at = local_hour_at(day_start, 12, rng, span_hours=10)
        self.send(self.session(lender, day, at), at, amount, borrower.customer_id)
        back = day + rng.randint(3, 10)
        if back < days:
            at = local_hour_at(day_start + (back - day) * DAY, 12, rng, span_hours=10)
            self.send(self.session(borrower, back, at), at, amount, lender.customer_id)

    def gathering(self, host: Customer, day: int, day_start: int) -> None:
        rng = self.rng
        at = local_hour_at(day_start, 12, rng, span_hours=8)
        payers = self._guests(host)
        kind = rng.random()
        if kind < 0.3:  # noqa: PLR2004 - red envelopes for a wedding or a birthday
            shares = [rng.choice(_RED_ENVELOPES) for _ in payers]
        else:  # a meal or a trip, paid by the host, then shared
            median = _MEAL_SHARE if kind < 0.7 else _TRIP_SHARE  # noqa: PLR2004
            share = whole(lognormal_minor(rng, median, 0.5))
            shares = [share] * len(payers)
            at = self.pay(
                self.session(host, day, at), at, share * (len(payers) + 1), self.elsewhere()
            )
        for payer, share in zip(payers, shares, strict=True):
            paid_at = at + rng.randrange(10 * MINUTE, 6 * HOUR)
            self.send(self.session(payer, day, paid_at), paid_at, share, host.customer_id)

    def _guests(self, host: Customer) -> list[Customer]:
        """Two to six payers: the host's friends first, then colleagues."""
        others = [self.world.by_id(friend) for friend in host.friends]
        others += self.rng.sample(self.world.customers, _MAX_PAYERS)
        unique = {p.customer_id: p for p in others if p.customer_id != host.customer_id}
        return list(unique.values())[: self.rng.randint(2, _MAX_PAYERS)]
