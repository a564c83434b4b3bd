"""The string-to-sign rules, checked against what both SDKs really produce and sign."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bankstack.gateway.alipay import SignType, load_private_key, load_public_key
from bankstack.gateway.alipay.notify import sign_notification, verify_notification
from bankstack.gateway.alipay.params import parse_params
from bankstack.gateway.alipay.signing import (
    notification_sign_content,
    public_key_base64,
    request_sign_content,
    sign,
    verify,
)
from tests.e2e.alipay.sdks import (
    AliPay,
    AlipayClientConfig,
    AlipayTradePrecreateModel,
    AlipayTradePrecreateRequest,
    DefaultAlipayClient,
    get_sign_content,
    url_encode,
)
from tests.e2e.alipay.support import APP_ID, private_pem, public_pem

SUBJECT = "测试商品 {coffee} & tea=1"


def community(keys, sign_type="RSA2") -> AliPay:
    return AliPay(
        appid=APP_ID,
        app_notify_url=None,
        app_private_key_string=private_pem(keys.app),
        alipay_public_key_string=public_pem(keys.platform),
        sign_type=sign_type,
    )


def official_request(keys, charset: str) -> tuple[bytes, bytes]:
    config = AlipayClientConfig()
    config.app_id = APP_ID
    config.app_private_key = private_pem(keys.app)
    config.alipay_public_key = public_pem(keys.platform)
    config.charset = charset
    client = DefaultAlipayClient(config)
    model = AlipayTradePrecreateModel()
    model.out_trade_no = "order_1-A"
    model.total_amount = "88.88"
    model.subject = SUBJECT
    request = AlipayTradePrecreateRequest(biz_model=model)
    request.notify_url = "https://merchant.example/notify?a=1&b=2"
    query, body_params = client._DefaultAlipayClient__prepare_request(request)
    return query.encode("ascii"), url_encode(body_params, charset).encode("ascii")


def test_content_matches_the_official_rule():
    params = {"b": "2", "a": "x=y&z", "biz_content": '{"subject":"测试"}', "sign_type": "RSA2"}
    expected = get_sign_content(params).encode()
    ours = request_sign_content({k: v.encode() for k, v in params.items()})
    assert ours == expected
    assert ours.startswith(b"a=x=y&z&b=2&biz_content=")  # raw values, sign_type kept


def test_content_drops_sign_and_empty_values():
    params = {"sign": b"abc", "empty": b"", "b": b"2", "a": b"1"}
    assert request_sign_content(params) == b"a=1&b=2"


@pytest.mark.parametrize("charset", ["utf-8", "gbk"])
def test_official_sdk_request_verifies_query_plus_form(keys, charset):
    query, body = official_request(keys, charset)
    params = parse_params(query, body, f"application/x-www-form-urlencoded;charset={charset}")
    assert params.charset == charset
    assert "biz_content" in params.values
    assert "app_id" in params.values
    assert SUBJECT in params.values["biz_content"]
    content = request_sign_content(params.raw)
    assert SUBJECT.encode(charset) in content
    assert verify(keys.app.public_key(), SignType.RSA2, content, params.values["sign"])


@pytest.mark.parametrize("sign_type", ["RSA2", "RSA"])
def test_community_sdk_request_verifies(keys, sign_type):
    client = community(keys, sign_type)
    data = client.build_body(
        "alipay.trade.precreate",
        {"out_trade_no": "o1", "total_amount": 0.01, "subject": SUBJECT},
        notify_url="https://merchant.example/n",
    )
    query = client.sign_data(data).encode("ascii")
    params = parse_params(query, b"", None)
    assert '"total_amount":0.01' in params.values["biz_content"]
    content = request_sign_content(params.raw)
    assert verify(keys.app.public_key(), SignType(sign_type), content, params.values["sign"])
    assert not verify(keys.app.public_key(), SignType.RSA2, content + b"x", params.values["sign"])


def test_verify_refuses_bad_signatures(keys):
    data = b"a=1&b=2"
    good = sign(keys.app, SignType.RSA2, data)
    public = keys.app.public_key()
    assert verify(public, SignType.RSA2, data, good)
    assert not verify(public, SignType.RSA, data, good)  # the wrong hash
    assert not verify(keys.stranger.public_key(), SignType.RSA2, data, good)
    assert not verify(public, SignType.RSA2, b"a=1&b=3", good)
    assert not verify(public, SignType.RSA2, data, "")
    assert not verify(public, SignType.RSA2, data, "not base64!")
    assert not verify(public, SignType.RSA2, data, good[:-4])
    assert not verify(public, SignType.RSA2, data, "A" * 2000)


def test_notification_content_leaves_out_sign_and_sign_type():
    form = {"sign": "s", "sign_type": "RSA2", "b": "2", "a": "1", "empty": ""}
    assert notification_sign_content(form) == "a=1&b=2"


def test_notification_verifies_with_the_community_sdk(keys):
    form = {"notify_id": "n1", "trade_status": "TRADE_SUCCESS", "subject": SUBJECT}
    form["charset"] = "utf-8"
    signed = sign_notification(form, keys.platform, SignType.RSA2)
    assert verify_notification(signed, keys.platform.public_key())
    data = dict(signed)
    signature = data.pop("sign")
    assert community(keys).verify(data, signature)
    tampered = {**signed, "trade_status": "TRADE_CLOSED"}
    assert not verify_notification(tampered, keys.platform.public_key())
    assert not verify_notification({**signed, "sign_type": "MD5"}, keys.platform.public_key())
    assert not verify_notification({**signed, "sign": ""}, keys.platform.public_key())


def test_keys_load_from_pem_and_bare_base64(keys):
    public = keys.app.public_key()
    numbers = public.public_numbers()
    assert load_public_key(public_pem(keys.app)).public_numbers() == numbers
    assert load_public_key(public_key_base64(public)).public_numbers() == numbers
    der = keys.app.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    loaded = load_private_key(base64.b64encode(der).decode())
    assert loaded.private_numbers() == keys.app.private_numbers()
    assert load_private_key(private_pem(keys.app)).private_numbers() == keys.app.private_numbers()


def test_short_keys_are_refused():
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the weak key is the point
    with pytest.raises(ValueError, match="1024 bits"):
        load_public_key(public_pem(small))
    with pytest.raises(ValueError, match="1024 bits"):
        load_private_key(private_pem(small))
