"""Structured logging: structlog in front, the standard library underneath.

``configure_logging()`` installs one handler on the root logger whose formatter renders every
record (ours from structlog, and foreign ones from SQLAlchemy, uvicorn, alembic ...) the same
way: JSON lines in production, a readable console format otherwise. Context bound with
``structlog.contextvars.bind_contextvars(request_id=...)`` appears on every line logged
while it is bound. Exceptions are rendered without local variables, which could hold secrets.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    from structlog.typing import Processor

_HANDLER_NAME = "bankstack"


def _shared_processors() -> list[Processor]:
    """Processors run on every record, structlog's and foreign ones alike."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]


def configure_logging(level: str | int = "INFO", json: bool = False) -> None:
    """Route structlog and stdlib logging through one handler on stderr. Safe to call again."""
    if isinstance(level, int):
        numeric = level
    else:
        try:
            numeric = logging.getLevelNamesMapping()[level.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown log level {level!r}") from None
    renderer: Processor
    if json:
        renderer = structlog.processors.JSONRenderer()
        final: list[Processor] = [structlog.processors.dict_tracebacks, renderer]
    else:
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(),
            # Plain tracebacks: Rich's formatter costs over half a second of CPU per error,
            # which turns a burst of failures into an outage (seen in bench/payments).
            exception_formatter=structlog.dev.plain_traceback,
        )
        final = [renderer]

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )

    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)

    root = logging.getLogger()
    # Replace our own handler from an earlier call; leave handlers others installed (pytest's).
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """A structlog logger; ``name`` (usually ``__name__``) becomes the ``logger`` field."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
