"""Every error the payments service can raise has a row in the gateway's code table."""

from __future__ import annotations

import bankstack.payments
from bankstack.gateway.alipay.codes import BUSINESS_ERRORS, outcome_for_error
from bankstack.kernel.errors import BankstackError


def payments_error_classes() -> list[type[BankstackError]]:
    exported = (getattr(bankstack.payments, name) for name in bankstack.payments.__all__)
    return [
        value
        for value in exported
        if isinstance(value, type)
        and issubclass(value, BankstackError)
        and value.__module__ == "bankstack.payments.errors"
    ]


def test_every_payments_error_code_has_a_row():
    classes = payments_error_classes()
    assert len(classes) >= 30
    missing = sorted(c.code for c in classes if c.code.rsplit(".", 1)[-1] not in BUSINESS_ERRORS)
    assert missing == []


def test_no_payments_error_answers_as_a_bug():
    for cls in payments_error_classes():
        outcome = outcome_for_error(cls("detail"))
        assert outcome.sub_code != "isp.unknow-error", cls.code
