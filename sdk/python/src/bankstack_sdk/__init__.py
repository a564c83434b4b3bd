"""bankstack-sdk: a client for the bankstack open API."""
