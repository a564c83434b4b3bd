from __future__ import annotations

import json
import logging

import pytest
import structlog

from bankstack.platform.logging import configure_logging, get_logger


@pytest.fixture(autouse=True)
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def test_json_lines_carry_context_and_iso_timestamps(capsys):
    configure_logging("INFO", json=True)
    structlog.contextvars.bind_contextvars(request_id="r-1")
    get_logger("bankstack.test").info("transfer.posted", amount=1234)
    logging.getLogger("sqlalchemy.engine").warning("foreign %s", "record")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["event"] for line in lines] == ["transfer.posted", "foreign record"]
    first, second = lines
    assert first["amount"] == 1234
    assert first["request_id"] == "r-1"
    assert first["level"] == "info"
    assert first["logger"] == "bankstack.test"
    assert first["timestamp"].endswith("Z")
    assert second["request_id"] == "r-1"
    assert second["logger"] == "sqlalchemy.engine"


def test_level_filters(capsys):
    configure_logging("warning", json=True)
    log = get_logger("bankstack.test")
    log.info("hidden")
    log.warning("shown")
    events = [json.loads(line)["event"] for line in capsys.readouterr().err.splitlines()]
    assert events == ["shown"]


def test_console_mode_is_readable(capsys):
    configure_logging("DEBUG", json=False)
    get_logger("bankstack.test").debug("hello", who="world")
    err = capsys.readouterr().err
    assert "hello" in err
    assert "who=world" in err
    assert not err.lstrip().startswith("{")


def test_reconfiguring_replaces_our_handler():
    configure_logging()
    configure_logging()
    ours = [h for h in logging.getLogger().handlers if h.get_name() == "bankstack"]
    assert len(ours) == 1


def test_unknown_level_refused():
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging("LOUD")
