"""The two SDKs under test, imported in one place: neither ships type information.

Both install into the top-level ``alipay`` package: the official SDK (``alipay-sdk-python``)
brings ``alipay/aop/``, the community SDK (``python-alipay-sdk``) brings ``alipay/__init__.py``
with ``AliPay``. The official wheel also lists an ``alipay/__init__.py`` of its own (a bare
docstring), so whichever package is installed last owns that file; the community SDK must be
installed after the official one (``test_community_sdk`` checks that it was).
"""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import alipay
import alipay.aop.api
from alipay import AliPay
from alipay.aop.api.AlipayClientConfig import AlipayClientConfig
from alipay.aop.api.constant.CommonConstants import THREAD_LOCAL
from alipay.aop.api.DefaultAlipayClient import DefaultAlipayClient
from alipay.aop.api.domain.AlipayTradePrecreateModel import AlipayTradePrecreateModel
from alipay.aop.api.request.AlipayTradeCancelRequest import AlipayTradeCancelRequest
from alipay.aop.api.request.AlipayTradeCloseRequest import AlipayTradeCloseRequest
from alipay.aop.api.request.AlipayTradeCreateRequest import AlipayTradeCreateRequest
from alipay.aop.api.request.AlipayTradeFastpayRefundQueryRequest import (
    AlipayTradeFastpayRefundQueryRequest,
)
from alipay.aop.api.request.AlipayTradeOrderSettleRequest import AlipayTradeOrderSettleRequest
from alipay.aop.api.request.AlipayTradePayRequest import AlipayTradePayRequest
from alipay.aop.api.request.AlipayTradePrecreateRequest import AlipayTradePrecreateRequest
from alipay.aop.api.request.AlipayTradeQueryRequest import AlipayTradeQueryRequest
from alipay.aop.api.request.AlipayTradeRefundRequest import AlipayTradeRefundRequest
from alipay.aop.api.response.AlipayTradePrecreateResponse import AlipayTradePrecreateResponse
from alipay.aop.api.util.SignatureUtils import get_sign_content, sign_with_rsa, sign_with_rsa2
from alipay.aop.api.util.WebUtils import url_encode
from alipay.exceptions import AliPayException

COMMUNITY_INIT = alipay.__file__
OFFICIAL_API = alipay.aop.api.__file__

__all__ = [
    "COMMUNITY_INIT",
    "OFFICIAL_API",
    "THREAD_LOCAL",
    "AliPay",
    "AliPayException",
    "AlipayClientConfig",
    "AlipayTradeCancelRequest",
    "AlipayTradeCloseRequest",
    "AlipayTradeCreateRequest",
    "AlipayTradeFastpayRefundQueryRequest",
    "AlipayTradeOrderSettleRequest",
    "AlipayTradePayRequest",
    "AlipayTradePrecreateModel",
    "AlipayTradePrecreateRequest",
    "AlipayTradePrecreateResponse",
    "AlipayTradeQueryRequest",
    "AlipayTradeRefundRequest",
    "DefaultAlipayClient",
    "get_sign_content",
    "sign_with_rsa",
    "sign_with_rsa2",
    "url_encode",
]
