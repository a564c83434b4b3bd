"""Storage adapters for the ledger: the only place ledger SQL lives."""
