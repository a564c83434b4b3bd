"""``/admin/alipay``: staff register Alipay-protocol apps and read the platform's public key.

A merchant's app registers its RSA2 public key (PEM) and, optionally, a default notify_url;
the merchant configures bankstack's public key (``GET /admin/alipay/platform_key``) as its
"Alipay public key" in whichever SDK it uses.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, SecretStr, StrictStr
from starlette.responses import PlainTextResponse

from bankstack.gateway.alipay.wiring import AlipayWiring
from bankstack.gateway.api.admin import staff_only
from bankstack.gateway.api.routing import v1_router
from bankstack.gateway.api.views import scoped


class AlipayAppIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    app_id: Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
    merchant_id: Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    mode: Literal["test", "live"] = "live"
    rsa2_public_key: Annotated[StrictStr, Field(description="PEM, RSA 2048 bits or more")]
    notify_url: Annotated[StrictStr, Field(max_length=256)] | None = None


def alipay_admin_router(alipay: AlipayWiring, admin_token: SecretStr | None) -> APIRouter:
    router = v1_router(
        prefix="/admin/alipay", tags=["admin"], dependencies=[Depends(staff_only(admin_token))]
    )

    @router.post("/apps", status_code=201, summary="Register an Alipay-protocol app")
    def register(body: AlipayAppIn) -> dict[str, Any]:
        record = alipay.apps.register(
            app_id=body.app_id,
            merchant_id=scoped(body.merchant_id, livemode=body.mode == "live"),
            rsa2_public_key=body.rsa2_public_key,
            notify_url=body.notify_url,
        )
        return {"object": "alipay_app", "app_id": record.app_id, "status": str(record.status)}

    @router.get("/platform_key", summary="The platform's RSA2 public key (PEM)")
    def platform_key() -> PlainTextResponse:
        return PlainTextResponse(alipay.platform_public_pem, media_type="application/x-pem-file")

    return router
