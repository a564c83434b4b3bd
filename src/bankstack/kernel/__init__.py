"""The kernel: money, ids, clock and errors. Pure Python, no I/O, no third-party imports."""
