"""Storage and network adapters of the gateway: SQLAlchemy Core, Redis, httpx."""
