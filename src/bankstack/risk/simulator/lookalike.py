"""Honest look-alikes: the days of honest customers that a fraud model could mistake for fraud.

Real traffic is full of honest events that share a feature with fraud, and a model that never
saw them learns shortcuts ("new device means takeover", "many small payments means card
testing") that fail on the first real day. Each kind below is honest, labelled honest, and
deliberately resembles a typology; config.py sets how often each happens:

- travel (like a takeover): on each day of a trip, sessions come from a hotel or roaming IP
  (and, for some, a borrowed or new device; world.py plans the trip), with a hotel or ticket
  payment several times the usual amount and meals at merchants never paid before;
- a payday spree (like a takeover): after the salary, a few purchases at several times the
  usual amount and, for half of the spenders, 10-30% of the salary sent home to the parents;
- bursts (like card testing): two to six transit rides of 1.00-8.00 in a day, a food court's
  two to five stalls within minutes, a shopping afternoon at four to nine new merchants, or
  an online shop that checks the card with a charge of 0.01-1.00 before the order;
- big purchases, payments to strangers, loans to friends, small businesses paid by
  transfer and gatherings (like mules, structuring, cycles and fan-outs), in sharing.py.

Amounts are integer minor units: lognormal float draws rounded once (``lognormal_minor``).
Sprees start from 12:00 China time, more than an hour after salaries land (09:00-11:00), so
that no honest customer looks like a rapid pass-through to the AML monitor.
"""

from __future__ import annotations

import random

from bankstack.risk.simulator.config import HOUR, MINUTE, NS_PER_SECOND, SimulationConfig
from bankstack.risk.simulator.emitter import Emitter
from bankstack.risk.simulator.normal import day_of_month, local_hour_at
from bankstack.risk.simulator.sharing import Sharing, whole
from bankstack.risk.simulator.world import Customer, World, lognormal_minor


def live_lookalikes(
    emitter: Emitter, world: World, config: SimulationConfig, rng: random.Random
) -> None:
    """Every customer's unusual honest days; draws are per customer-day, in a fixed order."""
    days = _Days(emitter, world, rng)
    businesses = days.businesses()
    for day in range(config.days):
        day_start = config.start_ns + day * 24 * HOUR
        month_day = day_of_month(day_start)
        for business in businesses:
            days.business_day(business, day, day_start)
        for customer in world.customers:
            trip = customer.trip
            if trip is not None and trip.ip_on(day) is not None:
                days.travel(customer, day, day_start, first=day == trip.first_day)
            if customer.spree_on_payday and customer.payday == month_day:
                days.payday(customer, day, day_start)
            draws = [rng.random() for _ in range(5)]
            if draws[0] < config.big_purchase_rate:
                days.big_purchase(customer, day, day_start)
            if draws[1] < config.burst_rate:
                days.burst(customer, day, day_start)
            if draws[2] < config.gathering_rate:
                days.gathering(customer, day, day_start)
            if draws[3] < config.loan_rate:
                days.loan(customer, day, day_start, config.days)
            if draws[4] < config.stranger_rate:
                days.stranger(customer, day, day_start)


class _Days(Sharing):
    """Travel, payday and bursts (sharing.py has the big sums)."""

    def travel(self, customer: Customer, day: int, day_start: int, *, first: bool) -> None:
        rng, habit = self.rng, customer.payment_habit
        at = local_hour_at(day_start, 9, rng, span_hours=4)
        session = self.session(customer, day, at)
        if first:  # the hotel or the tickets
            at = self.pay(
                session, at, max(lognormal_minor(rng, 8 * habit, 0.5), 30_000), self.elsewhere()
            )
        for _ in range(rng.randint(1, 3)):
            at += rng.randrange(HOUR, 3 * HOUR)
            session = self.session(customer, day, at)
            at = self.pay(session, at, lognormal_minor(rng, 2 * habit, 0.7), self.elsewhere())

    def payday(self, customer: Customer, day: int, day_start: int) -> None:
        rng = self.rng
        at = local_hour_at(day_start, 12, rng, span_hours=9)
        session = self.session(customer, day, at)
        for _ in range(rng.randint(2, 5)):
            amount = lognormal_minor(rng, 3 * customer.payment_habit, 0.7)
            favourite = rng.random() < 0.6  # noqa: PLR2004
            at = self.pay(
                session,
                at,
                amount,
                rng.choice(customer.merchants) if favourite else self.elsewhere(),
            )
        if rng.random() < 0.5:  # noqa: PLR2004
            home = customer.salary * rng.randrange(10, 31) // 100
            self.send(session, at, whole(home), customer.home_account)

    def burst(self, customer: Customer, day: int, day_start: int) -> None:
        rng, kind = self.rng, self.rng.random()
        if kind < 0.35:  # noqa: PLR2004 - transit: one operator, a ride at a time
            operator = rng.choice(self.world.everyday)
            starts = sorted(local_hour_at(day_start, 8, rng, 14) for _ in range(rng.randint(2, 6)))
            for at in starts:
                self.pay(self.session(customer, day, at), at, rng.randrange(100, 801), operator)
        elif kind < 0.65:  # noqa: PLR2004 - a food court: several stalls, one session
            at = local_hour_at(day_start, 11, rng, span_hours=9)
            session = self.session(customer, day, at)
            for stall in rng.sample(self.world.merchants, rng.randint(2, 5)):
                at = self.pay(session, at, rng.randrange(800, 4_501), stall)
        elif kind < 0.85:  # noqa: PLR2004 - a shopping afternoon, an hour or so per shop
            at = local_hour_at(day_start, 13, rng, span_hours=4)
            for shop in rng.sample(self.world.merchants, rng.randint(4, 9)):
                at += rng.randrange(10 * MINUTE, HOUR)
                amount = lognormal_minor(rng, customer.payment_habit, 0.7)
                self.pay(self.session(customer, day, at), at, amount, shop)
        else:  # an online shop checks the card with a tiny charge, then takes the order
            at = local_hour_at(day_start, 9, rng, span_hours=14)
            session, shop = self.session(customer, day, at, web=True), self.elsewhere()
            at = self.pay(session, at, rng.randrange(1, 101), shop, channel="api")
            at += rng.randrange(10 * NS_PER_SECOND, 2 * MINUTE)
            amount = lognormal_minor(rng, 2 * customer.payment_habit, 0.7)
            self.pay(session, at, amount, shop, channel="api")
