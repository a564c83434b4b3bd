"""bankstack error codes to Alipay answers, through the gateway, and the published table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import bankstack.gateway.alipay
from bankstack.gateway.alipay import AlipayGateway, TradeRef
from bankstack.gateway.alipay import errors as port_errors
from bankstack.gateway.alipay.codes import (
    BUSINESS_ERRORS,
    CATEGORY_DEFAULTS,
    MESSAGES,
    outcome_for_error,
)
from bankstack.kernel.errors import BankstackError, Conflict, NotFound, Unavailable
from tests.e2e.alipay.support import encode, public_params, signed

ERRORS_MD = Path(bankstack.gateway.alipay.__file__).with_name("ERRORS.md")


class RaisingTrades:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def query(self, ref: TradeRef):
        del ref  # every query fails the same way
        raise self.error


def answer_for(error: BaseException, keys, clock) -> dict[str, str]:
    gateway = AlipayGateway(
        trades=RaisingTrades(error),  # type: ignore[arg-type]
        apps=keys.apps(),
        keys=keys.platform_keys(),
        clock=clock,
    )
    params = public_params("alipay.trade.query", clock.now_ns())
    request = signed(params, keys.app, {"out_trade_no": "o-1"})
    body: dict[str, dict[str, str]] = json.loads(gateway.handle(encode(request), b"", None).body)
    return body["alipay_trade_query_response"]


def error_with_code(code: str, base: type[BankstackError] = Conflict) -> BankstackError:
    kind: type[BankstackError] = type("PortError", (base,), {"code": code})
    return kind("internal detail that must not leak")


@pytest.mark.parametrize("name", sorted(BUSINESS_ERRORS))
@pytest.mark.parametrize("prefix", ["payments.", ""])
def test_each_business_error_maps(keys, clock, name, prefix):
    answer = answer_for(error_with_code(prefix + name), keys, clock)
    code, sub_code, sub_msg = BUSINESS_ERRORS[name]
    assert answer == {
        "code": code,
        "msg": MESSAGES[code],
        "sub_code": sub_code,
        "sub_msg": sub_msg,
    }


def test_every_ready_made_error_class_is_in_the_table():
    classes = [
        value
        for value in vars(port_errors).values()
        if isinstance(value, type) and issubclass(value, BankstackError)
    ]
    names = {
        cls.code.rsplit(".", 1)[-1] for cls in classes if cls.__module__ == port_errors.__name__
    }
    assert names <= set(BUSINESS_ERRORS)


def test_categories_and_bugs(keys, clock):
    answer = answer_for(error_with_code("payments.db_down", Unavailable), keys, clock)
    assert (answer["code"], answer["sub_code"]) == ("20000", "ACQ.SYSTEM_ERROR")
    answer = answer_for(error_with_code("payments.buyer_not_found", NotFound), keys, clock)
    assert (answer["code"], answer["sub_code"]) == ("40004", "ACQ.INVALID_PARAMETER")
    answer = answer_for(error_with_code("payments.frozen", Conflict), keys, clock)
    assert (answer["code"], answer["sub_code"]) == ("40004", "ACQ.TRADE_STATUS_ERROR")
    answer = answer_for(RuntimeError("secret stack detail"), keys, clock)
    assert (answer["code"], answer["sub_code"]) == ("20000", "isp.unknow-error")
    assert "secret" not in json.dumps(answer)
    assert outcome_for_error(BankstackError("no category")).code == "20000"


def _table_rows(section: str) -> list[list[str]]:
    text = ERRORS_MD.read_text(encoding="utf-8").split(section, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in text.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if (
            line.startswith("|")
            and not re.fullmatch(r"[-| ]+", line)
            and cells[0] != "bankstack code"
        ):
            rows.append(cells)
    return rows


def test_errors_md_lists_the_business_table():
    rows = _table_rows("## Trade service errors")
    listed = {r[0]: (r[1], r[2]) for r in rows if r[0] in BUSINESS_ERRORS}
    assert listed == {name: (code, sub) for name, (code, sub, _) in BUSINESS_ERRORS.items()}
    categories = {r[0]: (r[1], r[2]) for r in rows if r[0] not in BUSINESS_ERRORS}
    for category, outcome in CATEGORY_DEFAULTS:
        assert categories[category.__name__] == (outcome.code, outcome.sub_code)


def test_a_missing_refund_raised_as_an_error_answers_success(keys, clock):
    class RefundlessTrades:
        def refund_query(self, query):
            del query
            raise error_with_code("refund_not_found", NotFound)

    gateway = AlipayGateway(
        trades=RefundlessTrades(),  # type: ignore[arg-type]
        apps=keys.apps(),
        keys=keys.platform_keys(),
        clock=clock,
    )
    params = public_params("alipay.trade.fastpay.refund.query", clock.now_ns())
    request = signed(params, keys.app, {"out_trade_no": "o-1", "out_request_no": "r-1"})
    body = json.loads(gateway.handle(encode(request), b"", None).body)
    assert body["alipay_trade_fastpay_refund_query_response"] == {"code": "10000", "msg": "Success"}
