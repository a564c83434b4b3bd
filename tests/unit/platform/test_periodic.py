"""``platform.periodic.Periodic``: runs its job until stopped, survives a failing run, and
draws a new interval each time when given a function."""

from __future__ import annotations

import threading

from bankstack.platform.periodic import Periodic


def test_a_drawn_interval_is_asked_for_before_every_run() -> None:
    drawn: list[int] = []
    ran = threading.Event()
    runs: list[int] = []

    def interval() -> float:
        drawn.append(1)
        return 0.001

    def job() -> None:
        runs.append(1)
        if len(runs) == 3:
            ran.set()

    periodic = Periodic("test", job, interval)
    periodic.start()
    assert ran.wait(10)
    periodic.stop()
    assert len(drawn) >= len(runs) >= 3


def test_a_failing_run_is_logged_and_the_next_one_still_runs() -> None:
    ran = threading.Event()
    runs: list[int] = []

    def job() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("first run fails")
        ran.set()

    periodic = Periodic("test", job, 0.001)
    periodic.start()
    assert ran.wait(10)
    periodic.stop()
    assert len(runs) >= 2
