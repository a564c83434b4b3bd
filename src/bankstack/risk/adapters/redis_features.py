"""``RedisFeatureSource``: the ``FeatureSource`` port in Redis, shared by several processes.

It keeps the state of ``InMemoryFeatureSource`` (velocity windows, links, profiles) in Redis
and answers with the same arithmetic, so that the same event stream gives the same vectors
(the integration tests compare every one). ``compute`` is one read-only Lua script call and
``record`` one more, each a single round trip (``EVALSHA``; redis-py loads a script once when
the server does not know it yet). A script runs atomically, so processes recording at the
same time never interleave inside one event. The scripts and the key layout are described in
``adapters.redis_features_lua``; the derived features come from ``features.vector.assemble``,
the very function the memory source uses.

Keys, under ``prefix``: ``<entity>.<window>:<id>`` (a window's hash) with ``.z`` (its values)
and ``.$<currency>`` (its sums per currency), for the entities ``c`` customer, ``d`` device,
``i`` IP, ``p`` payee; ``cd.30d`` and ``ci.24h`` for a customer's devices and IPs; ``cp:`` the
customer's profile; ``dc:``/``pc:`` the customers of a device / phone. A window's keys expire
one bucket after their window once nobody writes to them (wall-clock time: the counts
themselves follow event time, so a replay faster than real time loses nothing). Links and
profiles are the long-term memory and do not expire.

A Redis failure raises ``FeaturesUnavailable`` (retryable): the engine cannot decide, so the
action is refused and may be retried (fail closed: money never moves unscreened).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from redis import Redis
from redis.exceptions import RedisError

from bankstack.risk.adapters.redis_features_lua import COMPUTE_LUA, RECORD_LUA
from bankstack.risk.domain.decision import FeatureValue
from bankstack.risk.domain.event import RiskEvent
from bankstack.risk.errors import FeaturesUnavailable
from bankstack.risk.features.links import LinkFacts
from bankstack.risk.features.profile import ProfileFacts
from bankstack.risk.features.vector import DEFAULT_THRESHOLDS, History, amount_of, assemble
from bankstack.risk.features.windows import SPECS

if TYPE_CHECKING:
    from redis.commands.core import Script

REDIS_PREFIX: Final = "bankstack:risk:f:"
_MS: Final = 1_000_000  # ns
_STAMP_OFFSET: Final = 1 << 63  # makes any int64 time a 20-digit non-negative stamp
_ENTITIES: Final = ("c", "d", "i", "p")
_VELOCITY: Final = 3 * len(SPECS) * len(_ENTITIES)
_COUNTS: Final = tuple(str(spec.buckets) for spec in SPECS)
# A window's keys outlive their last write by the window plus one bucket.
_TTLS: Final = tuple(str((spec.span_ns + spec.width_ns) // _MS) for spec in SPECS)


def _stamp(time_ns: int) -> str:
    return f"{time_ns + _STAMP_OFFSET:020d}"


def _time(raw: bytes | str | None) -> int | None:
    return None if raw is None else int(raw) - _STAMP_OFFSET


class RedisFeatureSource:
    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = REDIS_PREFIX,
        thresholds: Mapping[str, int] = DEFAULT_THRESHOLDS,
    ) -> None:
        self._thresholds = dict(thresholds)
        self._compute: Script = client.register_script(COMPUTE_LUA)
        self._record: Script = client.register_script(RECORD_LUA)
        # Per entity, per window: (hash, values, sums) key prefixes; only ids and the
        # currency are appended per call.
        self._windows = tuple(
            tuple(
                (f"{prefix}{e}.{s.name}:", f"{prefix}{e}.{s.name}.z:", f"{prefix}{e}.{s.name}.$")
                for s in SPECS
            )
            for e in _ENTITIES
        )
        self._devices = (f"{prefix}cd.30d:", f"{prefix}cd.30d.z:")
        self._ips = (f"{prefix}ci.24h:", f"{prefix}ci.24h.z:")
        self._received = (f"{prefix}p.1h.$", f"{prefix}p.24h.$")
        self._profile = f"{prefix}cp:"
        self._device_customers = f"{prefix}dc:"
        self._phone_customers = f"{prefix}pc:"

    def compute(self, event: RiskEvent) -> dict[str, FeatureValue]:
        currency = amount_of(event)[0]
        customer = event.customer_id
        keys = self._velocity_keys(event, currency)
        keys += (self._devices[0] + customer, self._devices[1] + customer)
        keys += (self._ips[0] + customer, self._ips[1] + customer)
        keys += tuple(f"{prefix}{currency}:{customer}" for prefix in self._received)
        keys += self._link_keys(event)
        ids = (event.payee or "", event.device_id or "", event.ip or "", event.phone or "")
        args = (*ids, currency, *_buckets(event.occurred_at), *_COUNTS)
        reply = self._call(self._compute, keys, args)
        return assemble(event, _history(reply), self._thresholds)

    def record(self, event: RiskEvent) -> None:
        currency, amount = amount_of(event)
        keys = self._velocity_keys(event, currency)
        keys += (self._devices[0] + event.customer_id, self._devices[1] + event.customer_id)
        keys += (self._ips[0] + event.customer_id, self._ips[1] + event.customer_id)
        keys += self._link_keys(event)
        args = (
            "1" if event.kind.moves_money else "0",
            str(amount),
            event.customer_id,
            event.payee or "",
            event.device_id or "",
            event.ip or "",
            event.phone or "",
            currency,
            _stamp(event.occurred_at),
            *_buckets(event.occurred_at),
            *_COUNTS,
            *_TTLS,
        )
        self._call(self._record, keys, args)

    def _velocity_keys(self, event: RiskEvent, currency: str) -> tuple[str, ...]:
        keys: list[str] = []
        ids = (event.customer_id, event.device_id, event.ip, event.payee)
        for position, (windows, entity) in enumerate(zip(self._windows, ids, strict=True)):
            if entity or position == 0:  # the script always reads the customer's windows
                for hash_key, values_key, sums_key in windows:
                    keys += (
                        f"{hash_key}{entity}",
                        f"{values_key}{entity}",
                        f"{sums_key}{currency}:{entity}",
                    )
        return tuple(keys)

    def _link_keys(self, event: RiskEvent) -> tuple[str, ...]:
        keys: tuple[str, ...] = (self._profile + event.customer_id,)
        if event.device_id:
            keys += (self._device_customers + event.device_id,)
        if event.phone:
            keys += (self._phone_customers + event.phone,)
        return keys

    @staticmethod
    def _call(script: Script, keys: Sequence[str], args: Sequence[str]) -> Any:
        try:
            return script(keys=keys, args=args)
        except RedisError as error:
            raise FeaturesUnavailable(f"risk features unavailable: {error}") from error


def _buckets(time_ns: int) -> tuple[str, ...]:
    return tuple(str(time_ns // spec.width_ns) for spec in SPECS)


def _history(reply: Sequence[Any]) -> History:
    """The compute script's answer: 48 velocity numbers, 6 link numbers, 10 profile fields."""
    devices, ips, received_1h, received_24h, on_device, on_phone = reply[_VELOCITY : _VELOCITY + 6]
    events, first, last, new_device, known_device, known_ip, known_payee, n, mean, m2 = reply[
        _VELOCITY + 6 :
    ]
    return History(
        velocity=reply[:_VELOCITY],
        received=(received_1h, received_24h),
        links=LinkFacts(
            device_customers=on_device,
            phone_customers=on_phone,
            devices_30d=devices,
            ips_24h=ips,
            known_device=known_device is not None,
            known_ip=known_ip is not None,
            known_payee=known_payee is not None,
            last_seen=_time(last),
            last_new_device=_time(new_device),
        ),
        profile=ProfileFacts(
            events_total=int(events or 0),
            first_seen=_time(first),
            amount_count=int(n or 0),
            amount_mean=float(mean or 0.0),
            amount_m2=float(m2 or 0.0),
        ),
    )
