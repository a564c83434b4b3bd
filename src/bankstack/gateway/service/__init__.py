"""Use cases of the open API: apps and keys, webhook events, webhook delivery."""
