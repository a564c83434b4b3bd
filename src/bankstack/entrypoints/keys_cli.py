"""``bankstack keys ...``: rotate, inspect and retire the keys that seal webhook secrets.

    bankstack keys webhook-status [--json]   the keyring's keys and the rows each still seals
    bankstack keys webhook-rotate            a new newest key; every row re-sealed under it
    bankstack keys webhook-retire KEY_ID     remove an old key that no row needs any more

The keyring is ``webhook-secrets-keyring.json`` under the key dir (``--key-dir``, default
``BANKSTACK_KEY_DIR``) and the rows are in the database of ``--database-url`` (default
``BANKSTACK_DATABASE_URL``). Neither is created or migrated here: a keyring or SQLite file
that is missing, most likely a wrong directory or URL, must not be replaced by an empty one
whose keys no server has. A missing or unreadable keyring, an unknown key id and a refused
retirement are one line on stderr and exit status 1 (2 for a bad option or setting).
The rotation procedure is in docs/architecture.md ("Webhook secrets at rest").
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from bankstack.entrypoints.cli_options import (
    DatabaseUrl,
    err,
    fail,
    first_line,
    one_line_errors,
    require_database,
    settings_from,
)
from bankstack.entrypoints.keys_status import status_document, status_table
from bankstack.gateway.adapters.endpoint_secrets import (
    count_endpoint_secrets,
    reseal_endpoint_secrets,
)
from bankstack.gateway.adapters.keyring import (
    KeyringError,
    add_key,
    list_keys,
    open_secret_box,
    remove_key,
    webhook_keyring_path,
)
from bankstack.platform.database import make_engine
from bankstack.platform.logging import configure_logging

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy import Engine

P = ParamSpec("P")
T = TypeVar("T")

out = Console(highlight=False)

keys_app = typer.Typer(
    help="Keys: rotate, inspect and retire the keyring that seals webhook endpoint secrets.",
    no_args_is_help=True,
)

KeyDir = Annotated[
    str | None,
    typer.Option(
        "--key-dir",
        # "\\[": the help is Rich markup, where a bare "[...]" would be taken as a style.
        help="the deployment's key directory \\[default: $BANKSTACK_KEY_DIR or ./var/keys]",
        show_default=False,
    ),
]


def _keys_command(command: Callable[P, T]) -> Callable[P, T]:
    """One line and exit status 1 for what the keyring refuses; the rest as every command."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return command(*args, **kwargs)
        except KeyringError as error:
            raise fail(str(error)) from None

    return one_line_errors(wrapper)


@keys_app.command("webhook-status")
@_keys_command
def webhook_status(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable JSON")] = False,
    key_dir: KeyDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Show the keys and how many webhook endpoint secrets each one seals.

    One row per key of the ring (id, created time in UTC, which one is the newest), then the
    secrets still in plaintext (legacy rows) and those sealed under a key missing from the ring.
    """
    keyring, url = _where(key_dir, database_url)
    keys = list_keys(keyring)
    with _engine(url) as engine:
        counts = count_endpoint_secrets(engine, [key.key_id for key in keys])
    if as_json:
        typer.echo(json.dumps(status_document(keyring, keys, counts), indent=2))
        return
    out.print(f"keyring {keyring}", soft_wrap=True)
    out.print(status_table(keys, counts))
    if counts.unknown:
        err.print(
            f"[yellow]warning:[/] {counts.unknown} webhook endpoint secret(s) are sealed under "
            "a key this keyring does not hold: their deliveries fail until it is back",
            soft_wrap=True,
        )


@keys_app.command("webhook-rotate")
@_keys_command
def webhook_rotate(key_dir: KeyDir = None, database_url: DatabaseUrl = None) -> None:
    """Add a new newest key and re-seal every webhook endpoint secret under it.

    Server processes already running keep sealing new secrets with their old newest key until
    they are restarted; that is safe, since every process can still open both keys. Restart
    them all: the re-seal every server runs at start moves what they wrote meanwhile, and
    `bankstack keys webhook-status` then shows the old key sealing nothing, ready for
    `bankstack keys webhook-retire`.
    """
    settings = settings_from(key_dir=key_dir, database_url=database_url)
    # The re-seal logs rows that do not open: on stderr, like every bankstack log line.
    configure_logging(settings.log_level, json=settings.log_json)
    keyring = webhook_keyring_path(settings.key_dir)
    list_keys(keyring)  # the file must exist and read: add_key would create a new ring
    with _engine(settings.database_url) as engine:
        count_endpoint_secrets(engine, [])  # the database answers before the ring changes
        new_id = add_key(keyring)
        try:
            moved = reseal_endpoint_secrets(engine, open_secret_box(keyring))
            after = count_endpoint_secrets(engine, [new_id])
        except Exception as error:  # noqa: BLE001 - the operator must learn the key was added
            raise fail(
                f"key {new_id} is the newest key now, but re-sealing failed "
                f"({first_line(error)}); servers re-seal at start"
            ) from None
    out.print(
        f"[green]ok[/]: key {new_id} is the newest key; {moved} webhook endpoint secret(s) "
        "re-sealed under it. Restart every server process, then check "
        "`bankstack keys webhook-status` before retiring the old key.",
        soft_wrap=True,
    )
    if left := after.total - after.by_key[new_id]:
        err.print(
            f"[yellow]warning:[/] {left} webhook endpoint secret(s) are not under the new key: "
            "they do not open with this keyring (logged above) or were written meanwhile",
            soft_wrap=True,
        )


@keys_app.command("webhook-retire")
@_keys_command
def webhook_retire(
    key_id: Annotated[
        str, typer.Argument(help="the key to remove (see webhook-status)", show_default=False)
    ],
    key_dir: KeyDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Remove an old key from the keyring once no webhook endpoint secret needs it.

    Refused, with nothing changed, for the newest key and for a key that still seals a row.
    Retire a key only after every server process has restarted since the rotation: a server
    started before it still seals new secrets with the old key.
    """
    keyring, url = _where(key_dir, database_url)
    list_keys(keyring)  # a missing file is reported as such, before the database is asked
    with _engine(url) as engine:

        def unused() -> None:
            # Asked under the keyring's lock, right before the file is rewritten.
            if used := count_endpoint_secrets(engine, [key_id]).by_key[key_id]:
                raise KeyringError(
                    f"key {key_id!r} still seals {used} webhook endpoint secret(s); restart "
                    "the servers (they re-seal at start) and check webhook-status"
                )

        remove_key(keyring, key_id, guard=unused)
    remaining = list_keys(keyring)
    out.print(
        f"[green]ok[/]: key {key_id} retired; the keyring holds {len(remaining)} key(s), "
        f"newest {remaining[-1].key_id}"
    )


def _where(key_dir: str | None, database_url: str | None) -> tuple[Path, str]:
    settings = settings_from(key_dir=key_dir, database_url=database_url)
    return webhook_keyring_path(settings.key_dir), settings.database_url


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    require_database(url)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
