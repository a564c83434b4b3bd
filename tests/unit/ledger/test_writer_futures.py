"""The writer resolves callers' futures; a caller that cancelled must not break it."""

from concurrent.futures import Future

import pytest

from bankstack.ledger.writer import _settle


def test_settling_a_cancelled_future_is_a_no_op():
    future: Future[list[str]] = Future()
    assert future.cancel()
    _settle(future, result=["ok"])  # without the guard: InvalidStateError, writer thread dies
    assert future.cancelled()


def test_settling_delivers_a_result_or_an_exception():
    ok: Future[list[str]] = Future()
    _settle(ok, result=["ok"])
    assert ok.result() == ["ok"]
    failed: Future[list[str]] = Future()
    _settle(failed, exception=RuntimeError("down"))
    with pytest.raises(RuntimeError, match="down"):
        failed.result()
