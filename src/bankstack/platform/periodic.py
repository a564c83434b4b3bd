"""A background thread that runs a job every ``interval_s`` until stopped.

Jobs are the slow edges of the platform (expiring unpaid trades, acting on escrow deadlines,
delivering webhooks and notifications): each run does what is due and returns. A failing run
is logged and tried again at the next tick; it never stops the thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from bankstack.platform.logging import get_logger

_log = get_logger("bankstack.periodic")


class Periodic:
    def __init__(
        self, name: str, job: Callable[[], object], interval_s: float | Callable[[], float]
    ) -> None:
        """``interval_s``: seconds between runs, or a function drawing them anew each time."""
        self.name = name
        self._job = job
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_once(self) -> None:
        try:
            self._job()
        except Exception:  # noqa: BLE001 - logged; the next tick tries again
            _log.exception("periodic job failed", job=self.name)

    def _loop(self) -> None:
        while not self._stop.wait(self._next_interval()):
            self.run_once()

    def _next_interval(self) -> float:
        interval = self._interval_s
        return interval() if callable(interval) else interval
