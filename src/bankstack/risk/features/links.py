"""Links between customers, devices, IP addresses, phones and payees (pure, in memory).

Fraud rings share devices and phones; account takeover shows as a new device followed by
money leaving; mules pay payees they never paid before. The graph keeps:

- device -> the customers ever seen on it, phone -> the customers ever registered with it;
- per customer: the devices and IPs it ever used (``is_new_device``, ``is_new_ip``), the
  payees it ever paid with a money-moving event (``is_new_payee``), its distinct devices over
  the 30d window and IPs over the 24h window (``features.windows``), the time of its newest
  event and of the newest event that brought a device it had never used.

"Ever" means since the source started (or, in Redis, since the keys were written): these
sets are the long-term memory and are never pruned; only the customer's windows are, once
they are empty. ``lookup`` never changes state.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from bankstack.risk.domain.event import RiskEvent
from bankstack.risk.features.windows import ONE_DAY, THIRTY_DAYS, SlidingWindow


class LinkFacts(NamedTuple):
    device_customers: int  # customers ever seen on the event's device
    phone_customers: int  # customers ever registered with the event's phone
    devices_30d: int  # distinct devices of the customer in the 30d window
    ips_24h: int  # distinct IPs of the customer in the 24h window
    known_device: bool  # the customer used the event's device before
    known_ip: bool
    known_payee: bool  # the customer paid the event's payee before
    last_seen: int | None  # ns of the customer's newest event
    last_new_device: int | None  # ns of the customer's newest first use of a device


NO_LINKS: Final = LinkFacts(
    device_customers=0,
    phone_customers=0,
    devices_30d=0,
    ips_24h=0,
    known_device=False,
    known_ip=False,
    known_payee=False,
    last_seen=None,
    last_new_device=None,
)


class _Customer:
    __slots__ = (
        "devices",
        "devices_30d",
        "ips",
        "ips_24h",
        "last_new_device",
        "last_seen",
        "payees",
    )

    def __init__(self) -> None:
        self.devices: set[str] = set()
        self.ips: set[str] = set()
        self.payees: set[str] = set()
        self.devices_30d: SlidingWindow | None = None
        self.ips_24h: SlidingWindow | None = None
        self.last_seen: int | None = None
        self.last_new_device: int | None = None


def _later(known: int | None, time_ns: int) -> int:
    return time_ns if known is None or time_ns > known else known


class LinkGraph:
    __slots__ = ("_customers", "_device_customers", "_phone_customers")

    def __init__(self) -> None:
        self._device_customers: dict[str, set[str]] = {}
        self._phone_customers: dict[str, set[str]] = {}
        self._customers: dict[str, _Customer] = {}

    def lookup(self, event: RiskEvent) -> LinkFacts:
        device, ip, phone, payee = event.device_id, event.ip, event.phone, event.payee
        on_device = self._device_customers.get(device) if device else None
        on_phone = self._phone_customers.get(phone) if phone else None
        customer = self._customers.get(event.customer_id)
        if customer is None:
            return NO_LINKS._replace(
                device_customers=len(on_device or ()), phone_customers=len(on_phone or ())
            )
        time_ns = event.occurred_at
        devices_30d, ips_24h = customer.devices_30d, customer.ips_24h
        return LinkFacts(
            device_customers=len(on_device or ()),
            phone_customers=len(on_phone or ()),
            devices_30d=0 if devices_30d is None else devices_30d.query(time_ns)[2],
            ips_24h=0 if ips_24h is None else ips_24h.query(time_ns)[2],
            known_device=bool(device) and device in customer.devices,
            known_ip=bool(ip) and ip in customer.ips,
            known_payee=bool(payee) and payee in customer.payees,
            last_seen=customer.last_seen,
            last_new_device=customer.last_new_device,
        )

    def record(self, event: RiskEvent) -> None:
        customer_id, time_ns = event.customer_id, event.occurred_at
        customer = self._customers.get(customer_id)
        if customer is None:
            customer = self._customers[customer_id] = _Customer()
        customer.last_seen = _later(customer.last_seen, time_ns)
        if device := event.device_id:
            self._device_customers.setdefault(device, set()).add(customer_id)
            if device not in customer.devices:
                customer.devices.add(device)
                customer.last_new_device = _later(customer.last_new_device, time_ns)
            if customer.devices_30d is None:
                customer.devices_30d = SlidingWindow(THIRTY_DAYS)
            customer.devices_30d.add(time_ns, 0, device)
        if ip := event.ip:
            customer.ips.add(ip)
            if customer.ips_24h is None:
                customer.ips_24h = SlidingWindow(ONE_DAY)
            customer.ips_24h.add(time_ns, 0, ip)
        if phone := event.phone:
            self._phone_customers.setdefault(phone, set()).add(customer_id)
        if (payee := event.payee) and event.kind.moves_money:
            customer.payees.add(payee)

    def prune(self, before_ns: int) -> None:
        """Drop the windows of customers whose newest event is older than ``before_ns``."""
        for customer in self._customers.values():
            if customer.last_seen is not None and customer.last_seen < before_ns:
                customer.devices_30d = None
                customer.ips_24h = None
