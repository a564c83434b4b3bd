"""One ``/gateway.do`` request, from raw query and body to the signed answer body.

    parse parameters (charset)  ->  method known?        else error_response 40001/40002
    public parameters present   ->  40001 isv.missing-*
    sign_type, app, its key     ->  40002 isv.invalid-signature-type / invalid-app-id /
                                    missing-signature-config
    signature                   ->  40002 isv.invalid-signature, sub_msg echoes the string built
    timestamp window            ->  40002 isv.invalid-timestamp
    version, format, extras     ->  40002 / 20001
    biz_content -> command      ->  40004 ACQ.INVALID_PARAMETER
    port                        ->  10000 / 10003, or the error's mapping (codes.py)

Failures without a known method are answered under ``error_response``; all others under
``<method>_response``. The timestamp must lie within ``timestamp_tolerance_s`` (15 minutes by
default) of the gateway's clock, either way, read as Beijing time. v2 has no nonce: the window
bounds how long a captured request can be replayed, and every money-moving method is
idempotent on the merchant's own keys (``out_trade_no``, ``out_request_no``) anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bankstack.gateway.alipay.biz import Biz, Call
from bankstack.gateway.alipay.codes import (
    UNKNOWN_ERROR,
    Outcome,
    Rejected,
    invalid,
    missing,
    outcome_for_error,
)
from bankstack.gateway.alipay.commands import SignType
from bankstack.gateway.alipay.envelope import ERROR_KEY, envelope, media_type, response_key
from bankstack.gateway.alipay.methods import METHODS, Handler
from bankstack.gateway.alipay.params import DEFAULT_CHARSET, GatewayParams, parse_params
from bankstack.gateway.alipay.ports import AlipayApps, AlipayTrades, PlatformKeys
from bankstack.gateway.alipay.signing import request_sign_content, verify
from bankstack.gateway.alipay.times import format_beijing, parse_beijing
from bankstack.gateway.domain.destinations import url_refusal
from bankstack.kernel.clock import NS_PER_SECOND, Clock
from bankstack.kernel.errors import BankstackError
from bankstack.platform.logging import get_logger

_REQUIRED: Final = ("app_id", "sign_type", "sign", "timestamp", "version")
_MAX_URL_CHARS: Final = 256
_log = get_logger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlipayGatewaySettings:
    timestamp_tolerance_s: int = 15 * 60
    max_body_bytes: int = 256 * 1024
    # Accept and deliver to loopback/private notify_urls (development and tests only).
    allow_private_destinations: bool = False


@dataclass(frozen=True, slots=True)
class Reply:
    body: bytes
    media_type: str


class AlipayGateway:
    def __init__(
        self,
        *,
        trades: AlipayTrades,
        apps: AlipayApps,
        keys: PlatformKeys,
        clock: Clock,
        settings: AlipayGatewaySettings | None = None,
    ) -> None:
        self._trades = trades
        self._apps = apps
        self._keys = keys
        self._clock = clock
        self.settings = settings or AlipayGatewaySettings()

    def handle(self, query: bytes, body: bytes, content_type: str | None) -> Reply:
        """The answer to one request; never raises for anything the client sent."""
        try:
            params = parse_params(query, body, content_type)
        except Rejected as rejected:
            return self._reply(ERROR_KEY, rejected.outcome, SignType.RSA2, DEFAULT_CHARSET)
        declared = params.get("sign_type")
        answer_type = SignType.RSA if declared == SignType.RSA else SignType.RSA2
        method = params.get("method")
        if method is None:
            return self._reply(ERROR_KEY, missing("method").outcome, answer_type, params.charset)
        handler = METHODS.get(method)
        if handler is None:
            outcome = invalid("isv.invalid-method", "Unknown method").outcome
            return self._reply(ERROR_KEY, outcome, answer_type, params.charset)
        fields = self._run(handler, method, params)
        return self._reply(response_key(method), fields, answer_type, params.charset)

    def oversized(self) -> Reply:
        """The answer to a body over ``max_body_bytes``, which is never parsed."""
        limit = self.settings.max_body_bytes
        outcome = invalid("isv.invalid-parameter", f"The body exceeds {limit} bytes").outcome
        return self._reply(ERROR_KEY, outcome, SignType.RSA2, DEFAULT_CHARSET)

    def _reply(
        self, key: str, fields: Outcome | dict[str, object], sign_type: SignType, charset: str
    ) -> Reply:
        content = fields.fields() if isinstance(fields, Outcome) else fields
        body = envelope(
            key,
            content,
            private_key=self._keys.private_key(sign_type),
            sign_type=sign_type,
            charset=charset,
        )
        return Reply(body, media_type(charset))

    def _run(self, handler: Handler, method: str, params: GatewayParams) -> dict[str, object]:
        try:
            return handler(self._authenticate(params), self._trades)
        except Rejected as rejected:
            _log.debug("alipay request refused", method=method, sub_code=rejected.outcome.sub_code)
            return rejected.outcome.fields()
        except BankstackError as error:
            outcome = outcome_for_error(error)
            if outcome.code == "20000":
                _log.warning("alipay port unavailable", method=method, code=error.code)
            return outcome.fields()
        except Exception:  # noqa: BLE001 - any failure must still answer in the protocol's shape
            _log.exception("alipay gateway failed", method=method)
            return UNKNOWN_ERROR.fields()

    def _authenticate(self, params: GatewayParams) -> Call:
        for name in _REQUIRED:
            if params.get(name) is None:
                raise missing(name)
        sign_type = _sign_type(params.values["sign_type"])
        app = self._apps.get(params.values["app_id"])
        if app is None:
            raise invalid("isv.invalid-app-id", "Unknown app_id")
        key = app.public_key(sign_type)
        if key is None:
            raise invalid(
                "isv.missing-signature-config",
                f"No {sign_type.value} public key is registered for this app",
            )
        content = request_sign_content(params.raw)
        if not verify(key, sign_type, content, params.values["sign"]):
            raise invalid(
                "isv.invalid-signature",
                "Signature verification failed; check the signed string and that the private "
                "key matches the app's registered public key. String the gateway built: "
                + content.decode(params.charset, errors="replace"),
            )
        self._check_timestamp(params.values["timestamp"])
        _check_extras(params)
        return Call(
            app=app,
            biz=Biz.parse(params.get("biz_content")),
            notify_url=_notify_url(
                params.get("notify_url"), allow_private=self.settings.allow_private_destinations
            ),
        )

    def _check_timestamp(self, text: str) -> None:
        try:
            sent_ns = parse_beijing(text)
        except ValueError:
            raise invalid(
                "isv.invalid-timestamp", "timestamp must be yyyy-MM-dd HH:mm:ss, Beijing time"
            ) from None
        now_ns = self._clock.now_ns()
        tolerance = self.settings.timestamp_tolerance_s
        if abs(now_ns - sent_ns) > tolerance * NS_PER_SECOND:
            raise invalid(
                "isv.invalid-timestamp",
                f"timestamp is more than {tolerance} s from the gateway's time "
                f"{format_beijing(now_ns)} (Beijing)",
            )


def _sign_type(text: str) -> SignType:
    try:
        return SignType(text)
    except ValueError:
        raise invalid("isv.invalid-signature-type", "sign_type must be RSA2 or RSA") from None


def _check_extras(params: GatewayParams) -> None:
    if params.values["version"] != "1.0":
        raise invalid("isv.invalid-parameter", "version must be 1.0")
    declared_format = params.get("format")
    if declared_format is not None and declared_format.lower() != "json":
        raise invalid("isv.invalid-format", "format must be JSON")
    if params.get("encrypt_type") is not None:
        raise invalid("isv.invalid-encrypt-type", "Content encryption is not supported")
    if params.get("app_auth_token") is not None:
        # Acting for another merchant needs authorisation records this gateway does not keep.
        raise Rejected(
            Outcome("20001", "aop.invalid-app-auth-token", "app_auth_token is not supported")
        )


def _notify_url(url: str | None, *, allow_private: bool) -> str | None:
    """The request's notify_url; a local or private host is refused like a malformed one
    (40002), so a merchant cannot point the bank's notifier into its own network."""
    if url is None:
        return None
    if len(url) > _MAX_URL_CHARS:
        raise invalid(
            "isv.invalid-parameter", "notify_url must be an http(s) URL, 256 chars at most"
        )
    reason = url_refusal(url, allow_private=allow_private)
    if reason is not None:
        raise invalid("isv.invalid-parameter", f"notify_url is not allowed: {reason}")
    return url
