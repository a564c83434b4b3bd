"""Background work of the gateway: turning outbox events into webhook events."""
