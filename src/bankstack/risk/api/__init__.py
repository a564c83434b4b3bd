"""Risk's staff endpoints under ``/risk``: routers built by factories, wired by the entrypoints."""
