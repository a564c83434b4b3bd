"""HTTP pieces of the partner API (``/v1``): problem+json, request ids, idempotency, limits."""
