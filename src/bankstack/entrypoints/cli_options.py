"""What the ``bankstack`` commands share (cli.py and its sub-commands): the database URL
option, settings from the environment, and errors as one line on stderr with an exit status
(2 for bad input, 1 for a failure)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bankstack.platform.database import normalize_url
from bankstack.platform.settings import Settings, load_settings

err = Console(stderr=True, highlight=False)


class UsageProblem(Exception):
    """Bad input that the option parser could not see (settings from the environment)."""


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code)


def first_line(error: BaseException) -> str:
    if isinstance(error, SQLAlchemyError):
        orig = getattr(error, "orig", None)
        error = orig if isinstance(orig, BaseException) else error
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def settings_from(**overrides: Any) -> Settings:
    """Settings from the environment with the options given; a bad value is UsageProblem."""
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        env = f"BANKSTACK_{where.upper()}" if first["loc"] else "settings"
        raise UsageProblem(f"invalid {env}: {first['msg']}") from None


def check_database_url(value: str | None) -> str | None:
    """A URL that does not parse is bad input (exit 2), reported in one line."""
    if value is None:
        return None
    try:
        normalize_url(value)
    except (ValueError, ArgumentError) as error:
        raise typer.BadParameter(str(error).splitlines()[0]) from None
    return value


DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLite or PostgreSQL URL [default: $BANKSTACK_DATABASE_URL or sqlite:///./var/bankstack.db]",
        callback=check_database_url,
        show_default=False,
    ),
]
