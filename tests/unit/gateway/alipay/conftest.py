"""Fixtures for the Alipay gateway's unit tests: keys (once per session), a manual clock, the
fake trades port and the gateway over them, called directly without HTTP."""

from __future__ import annotations

import pytest

from bankstack.gateway.alipay import AlipayGateway
from bankstack.kernel.clock import ManualClock
from tests.e2e.alipay.fake_trades import FakeTrades
from tests.e2e.alipay.support import Keys, make_keys


@pytest.fixture(scope="session")
def keys() -> Keys:
    return make_keys()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def trades(clock: ManualClock) -> FakeTrades:
    fake = FakeTrades(clock)
    fake.add_buyer("2088000000000101", "1000.00", auth_code="281234567890123456")
    return fake


@pytest.fixture
def gateway(keys: Keys, trades: FakeTrades, clock: ManualClock) -> AlipayGateway:
    return AlipayGateway(trades=trades, apps=keys.apps(), keys=keys.platform_keys(), clock=clock)
