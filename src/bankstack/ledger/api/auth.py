"""Who may call the ledger API: staff and internal services holding the admin bearer token.

The ledger API moves money without further checks, so it is closed unless
``BANKSTACK_ADMIN_TOKEN`` is set: without a token every call answers 503
``auth.not_configured``. The token is compared in constant time. (Partners reach money
through the gateway's signed API, never through this one.)
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bankstack.kernel.errors import Unauthenticated, Unavailable

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from pydantic import SecretStr


class NotAuthenticated(Unauthenticated):
    code = "auth.unauthenticated"


class AuthNotConfigured(Unavailable):
    code = "auth.not_configured"
    retryable = False  # nothing changes until an operator sets the token


_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="AdminToken",
    description="The staff token, BANKSTACK_ADMIN_TOKEN: `Authorization: Bearer <token>`.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def staff_auth(
    admin_token: SecretStr | None,
) -> Callable[[HTTPAuthorizationCredentials | None], Awaitable[None]]:
    """A FastAPI dependency admitting requests that carry ``admin_token`` as a bearer token."""
    expected = admin_token.get_secret_value().encode() if admin_token is not None else None

    async def require_staff(credentials: Credentials) -> None:
        if not expected:
            raise AuthNotConfigured(
                "the ledger API is disabled: set BANKSTACK_ADMIN_TOKEN to enable it"
            )
        if credentials is None:
            raise NotAuthenticated("send the admin token as 'Authorization: Bearer <token>'")
        if not secrets.compare_digest(credentials.credentials.encode(), expected):
            raise NotAuthenticated("the bearer token is not valid")

    return require_staff
