"""Reading parameters from the query, the form body or both, in the declared charset."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest

from bankstack.gateway.alipay.codes import Rejected
from bankstack.gateway.alipay.params import parse_params

FORM = "application/x-www-form-urlencoded;charset=utf-8"


def rejected(query: bytes, body: bytes = b"", content_type: str | None = FORM) -> tuple[str, str]:
    with pytest.raises(Rejected) as caught:
        parse_params(query, body, content_type)
    outcome = caught.value.outcome
    return outcome.code, outcome.sub_code or ""


def test_query_only():
    params = parse_params(b"a=1&b=x+y&c=%26%3D", b"", None)
    assert params.values == {"a": "1", "b": "x y", "c": "&="}
    assert params.raw["c"] == b"&="
    assert params.charset == "utf-8"


def test_query_and_form_are_merged():
    params = parse_params(b"app_id=1&charset=utf-8", b"biz_content=%7B%7D", FORM)
    assert params.values == {"app_id": "1", "charset": "utf-8", "biz_content": "{}"}


def test_a_body_that_is_not_a_form_is_not_read():
    params = parse_params(b"a=1", b"b=2", "application/json")
    assert params.values == {"a": "1"}


def test_gbk_values_are_decoded_with_the_declared_charset():
    subject = quote_plus("测试", encoding="gbk")
    params = parse_params(f"charset=GBK&subject={subject}".encode(), b"", None)
    assert params.charset == "gbk"
    assert params.values["subject"] == "测试"
    assert params.raw["subject"] == "测试".encode("gbk")


def test_empty_values_read_as_absent():
    params = parse_params(b"a=&b", b"", None)
    assert params.get("a") is None
    assert params.get("b") is None
    assert params.get("missing") is None


def test_a_key_given_twice_is_refused():
    assert rejected(b"a=1&a=1") == ("40002", "isv.invalid-parameter")
    assert rejected(b"a=1", b"a=2") == ("40002", "isv.invalid-parameter")


def test_unknown_charset_is_refused():
    assert rejected(b"charset=latin-1") == ("40002", "isv.invalid-charset")


def test_bytes_invalid_in_the_charset_are_refused():
    assert rejected(b"charset=utf-8&subject=%FF%FE") == ("40002", "isv.invalid-charset")


def test_malformed_names_are_refused():
    assert rejected(b"%E4%B8%AD=1") == ("40002", "isv.invalid-parameter")
    assert rejected(b"=1") == ("40002", "isv.invalid-parameter")
    assert rejected(b"%0A=1") == ("40002", "isv.invalid-parameter")
