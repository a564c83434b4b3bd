"""Pure rules of the open API: apps and keys, idempotency, rate-limit buckets, webhooks."""
