"""The ledger's HTTP API: ``ledger_router`` (mounted at ``/v1/ledger``) and its wire schemas."""

from bankstack.ledger.api.endpoints import LedgerWriter, ledger_router
from bankstack.ledger.api.responses import openapi_components

__all__ = ["LedgerWriter", "ledger_router", "openapi_components"]
