"""The open API edge: signatures, idempotency, webhooks, and the Alipay-compatible gateway."""
