"""The HTTP framework's own cost per request on this machine (``python -m bench.http_floor``)."""
