"""The answer body: serialised once, signed over those bytes, and read back by both SDKs."""

from __future__ import annotations

import json

import pytest

from bankstack.gateway.alipay import SignType
from bankstack.gateway.alipay.envelope import envelope, response_key, serialize
from bankstack.gateway.alipay.signing import verify
from tests.e2e.alipay.sdks import THREAD_LOCAL, AliPay, AlipayClientConfig, DefaultAlipayClient
from tests.e2e.alipay.support import APP_ID, private_pem, public_pem

KEY = "alipay_trade_query_response"
FIELDS = {
    "code": "10000",
    "msg": "Success",
    "subject": "咖啡 {large",  # an unbalanced brace inside a string
    "out_trade_no": "o-1",
    "total_amount": "88.88",
}


def official_parse(keys, body: bytes, charset: str = "utf-8") -> str:
    config = AlipayClientConfig()
    config.app_id = APP_ID
    config.app_private_key = private_pem(keys.app)
    config.alipay_public_key = public_pem(keys.platform)
    config.charset = charset
    # execute() sets these per call; the parser is called alone here.
    THREAD_LOCAL.logger = None
    THREAD_LOCAL.uuid = "unit"
    content: str = DefaultAlipayClient(config)._DefaultAlipayClient__parse_response(body)
    return content


def community_parse(keys, body: bytes, key: str = KEY) -> dict[str, str]:
    client = AliPay(
        appid=APP_ID,
        app_private_key_string=private_pem(keys.app),
        alipay_public_key_string=public_pem(keys.platform),
    )
    answer: dict[str, str] = client._verify_and_return_sync_response(body.decode(), key)
    return answer


def test_response_key():
    assert response_key("alipay.trade.fastpay.refund.query") == (
        "alipay_trade_fastpay_refund_query_response"
    )
    with pytest.raises(ValueError, match="not a method name"):
        response_key('x"}')


def test_signature_covers_the_exact_spliced_bytes(keys):
    body = envelope(
        KEY, FIELDS, private_key=keys.platform, sign_type=SignType.RSA2, charset="utf-8"
    )
    content = serialize(FIELDS, "utf-8")
    assert body.startswith(b'{"' + KEY.encode() + b'":' + content + b',"sign":"')
    signature = json.loads(body)["sign"]
    assert verify(keys.platform.public_key(), SignType.RSA2, content, signature)
    assert json.loads(body)[KEY] == FIELDS


def test_braces_inside_strings_are_escaped():
    content = serialize(FIELDS, "utf-8").decode()
    assert "{large" not in content
    assert "\\u007blarge" in content
    assert json.loads(content) == FIELDS


def test_both_sdks_verify_and_read_the_answer(keys):
    body = envelope(
        KEY, FIELDS, private_key=keys.platform, sign_type=SignType.RSA2, charset="utf-8"
    )
    assert json.loads(official_parse(keys, body)) == FIELDS
    assert community_parse(keys, body) == FIELDS


def test_a_tampered_answer_fails_both_sdks(keys):
    body = envelope(
        KEY, FIELDS, private_key=keys.platform, sign_type=SignType.RSA2, charset="utf-8"
    )
    tampered = body.replace(b"88.88", b"99.99")
    with pytest.raises(Exception, match="sign verify failed"):
        official_parse(keys, tampered)
    with pytest.raises(Exception):  # noqa: B017, PT011 - AliPayValidationError has no message
        community_parse(keys, tampered)


def test_gbk_answer_is_encoded_and_signed_in_gbk(keys):
    body = envelope(KEY, FIELDS, private_key=keys.platform, sign_type=SignType.RSA2, charset="gbk")
    assert "咖啡".encode("gbk") in body
    assert json.loads(official_parse(keys, body, "gbk")) == FIELDS


def test_text_the_charset_cannot_hold_is_escaped(keys):
    fields = {**FIELDS, "subject": "coffee ☕"}
    content = serialize(fields, "gbk")
    assert content.isascii()
    assert json.loads(content) == fields
    body = envelope(KEY, fields, private_key=keys.platform, sign_type=SignType.RSA2, charset="gbk")
    assert json.loads(official_parse(keys, body, "gbk")) == fields


def test_rsa_answers_are_sha1_signed_for_the_community_sdk(keys):
    body = envelope(KEY, FIELDS, private_key=keys.platform, sign_type=SignType.RSA, charset="utf-8")
    client = AliPay(
        appid=APP_ID,
        app_private_key_string=private_pem(keys.app),
        alipay_public_key_string=public_pem(keys.platform),
        sign_type="RSA",
    )
    assert client._verify_and_return_sync_response(body.decode(), KEY) == FIELDS


def test_without_a_key_the_answer_is_unsigned():
    body = envelope(KEY, FIELDS, private_key=None, sign_type=SignType.RSA2, charset="utf-8")
    assert json.loads(body) == {KEY: FIELDS}
