"""POSTs webhook bodies with httpx: 10 s timeouts, no redirects, the answer's body unread.

A receiver is told only by its status code; the body is never read, so a slow or huge
answer costs nothing. Network failures become an ``AttemptResult`` with an ``error`` (never
an exception), which the dispatcher treats like any failed attempt. The default client only
connects to public addresses (``adapters.destinations``); a refused destination comes back
as a ``refused`` result, which fails the delivery without retries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import httpx

from bankstack.gateway.adapters.destinations import DestinationForbidden, guarded_client
from bankstack.gateway.domain.webhooks import TIMEOUT_S, AttemptResult

MAX_ERROR: Final = 200


class HttpxWebhookSender:
    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        timeout_s: float = TIMEOUT_S,
        allow_private: bool = False,
    ) -> None:
        self._own = client is None
        self._client = client or guarded_client(allow_private=allow_private, timeout_s=timeout_s)
        self._timeout = httpx.Timeout(timeout_s)

    def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> AttemptResult:
        try:
            with self._client.stream(
                "POST",
                url,
                content=body,
                headers=dict(headers),
                timeout=self._timeout,
                follow_redirects=False,
            ) as response:
                return AttemptResult(response.status_code)
        except DestinationForbidden as error:
            return AttemptResult(None, str(error)[:MAX_ERROR], refused=True)
        except httpx.TimeoutException as error:
            return AttemptResult(None, f"timeout: {type(error).__name__}")
        except httpx.HTTPError as error:
            return AttemptResult(None, f"{type(error).__name__}: {error}"[:MAX_ERROR])

    def close(self) -> None:
        if self._own:
            self._client.close()
