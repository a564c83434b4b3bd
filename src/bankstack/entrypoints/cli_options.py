"""What the ``bankstack`` commands share (cli.py and its sub-commands): the database URL
option, settings from the environment, a check that a SQLite file exists, and errors as one
line on stderr with an exit status (2 for bad input, 1 for a failure)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bankstack.kernel.errors import BankstackError
from bankstack.platform.database import normalize_url
from bankstack.platform.settings import Settings, load_settings

P = ParamSpec("P")
T = TypeVar("T")

err = Console(stderr=True, highlight=False)


class UsageProblem(Exception):
    """Bad input that the option parser could not see (settings from the environment)."""


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code)


def one_line_errors(command: Callable[P, T]) -> Callable[P, T]:
    """Turn the failures a command can meet into one line on stderr and an exit status."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.TyperException, typer.Abort, KeyboardInterrupt):
            raise
        except UsageProblem as error:
            raise fail(str(error), 2) from None
        except BankstackError as error:
            raise fail(error.message) from None
        except SQLAlchemyError as error:
            raise fail(f"database: {first_line(error)}") from None
        except Exception as error:  # noqa: BLE001 - the contract is: no tracebacks
            raise fail(f"{type(error).__name__}: {first_line(error)}") from None

    return wrapper


def require_database(url: str) -> None:
    """Fail (exit 1) when ``url`` names a SQLite file that does not exist: connecting would
    create an empty database there, and the command would report on nothing."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database not in {None, "", ":memory:"}:
        path = Path(parsed.database or "")
        if not parsed.database.startswith("file:") and not path.exists():
            raise fail(f"no database at {path}; create one with `bankstack db upgrade`")


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
        # "\\[": the help is Rich markup, where a bare "[...]" would be taken as a style.
        help="SQLite or PostgreSQL URL \\[default: $BANKSTACK_DATABASE_URL or sqlite:///./var/bankstack.db]",
        callback=check_database_url,
        show_default=False,
    ),
]
