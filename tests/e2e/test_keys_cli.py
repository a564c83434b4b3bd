"""``bankstack keys``: rotate, inspect and retire the webhook-secret keyring, on SQLite.

Every row a test makes is read back through a box opened on the keyring file as it is after
the command, as a server restarted at that moment would: the plaintext secret must not
change, whatever key the row moved to.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from bankstack.entrypoints.cli import app
from bankstack.gateway.adapters.apps_sql import SqlAppStore
from bankstack.gateway.adapters.endpoint_secrets import open_secret
from bankstack.gateway.adapters.keyring import (
    add_key,
    list_keys,
    open_secret_box,
    webhook_keyring_path,
)
from bankstack.gateway.adapters.tables import webhook_endpoints as we
from bankstack.gateway.service.apps import AppService
from bankstack.kernel.clock import ManualClock
from bankstack.platform.database import make_engine
from bankstack.platform.migrations import upgrade

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy import Engine
    from typer.testing import Result

    from bankstack.gateway.domain.apps import WebhookEndpoint

runner = CliRunner()


@pytest.fixture(autouse=True)
def _root_logging():
    """webhook-rotate installs a log handler on the stderr CliRunner captures, closed after
    the call: put the root logger back so later tests do not log into a closed stream."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def keyring(tmp_path):
    return webhook_keyring_path(tmp_path / "keys")


@pytest.fixture
def url(sqlite_url):
    """A migrated SQLite database, as a server leaves it."""
    upgrade(sqlite_url)
    return sqlite_url


@pytest.fixture
def engine(url):
    made = make_engine(url)
    try:
        yield made
    finally:
        made.dispose()


@pytest.fixture
def deployment(keyring, engine):
    """A keyring made as a server makes it at first start, and an app to add endpoints to."""
    apps = AppService(SqlAppStore(engine, open_secret_box(keyring)), clock=ManualClock(10**18))
    return apps, apps.create_app("m_keys", mode="test").id


def keys(command: str, keyring: Path, url: str, *args: str) -> Result:
    argv = ["keys", command, *args, "--key-dir", str(keyring.parent)]
    return runner.invoke(app, [*argv, "--database-url", url])


def add_endpoint(keyring: Path, engine: Engine, app_id: str, n: int) -> WebhookEndpoint:
    """An endpoint sealed by a server started now (its box reads the ring as it is)."""
    apps = AppService(SqlAppStore(engine, open_secret_box(keyring)), clock=ManualClock(10**18))
    return apps.add_webhook_endpoint(app_id, f"https://a.example/{n}")


def stored(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {row.id: row.secret for row in conn.execute(select(we.c.id, we.c.secret))}


def plaintexts(engine: Engine, keyring: Path, app_id: str) -> dict[str, str]:
    box = open_secret_box(keyring)
    return {i: open_secret(box, app_id, i, token) for i, token in stored(engine).items()}


def write_raw(engine: Engine, endpoint_id: str, value: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(we).where(we.c.id == endpoint_id).values(secret=value))


def assert_one_line_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr


@pytest.mark.parametrize("command", ["webhook-status", "webhook-rotate", "webhook-retire"])
def test_help(command):
    result = runner.invoke(app, ["keys", command, "--help"])
    assert result.exit_code == 0, result.output
    assert "--key-dir" in result.output
    assert "--database-url" in result.output


def test_the_rotate_help_says_running_servers_need_a_restart():
    result = runner.invoke(app, ["keys", "webhook-rotate", "--help"])
    words = " ".join(result.output.split())
    assert "keep sealing new secrets with their old newest key until they are restarted" in words
    assert "the re-seal every server runs at start moves what they wrote meanwhile" in words


def test_rotate_moves_every_row_to_the_new_key_and_they_still_open(
    keyring, engine, url, deployment
):
    _, app_id = deployment
    endpoints = [add_endpoint(keyring, engine, app_id, n) for n in range(3)]
    write_raw(engine, endpoints[2].id, endpoints[2].secret)  # a legacy plaintext row
    old = list_keys(keyring)[0].key_id

    result = keys("webhook-rotate", keyring, url)

    assert result.exit_code == 0, result.output
    ring = list_keys(keyring)
    assert ring[0].key_id == old
    new = ring[-1].key_id
    assert new != old
    assert f"key {new} is the newest key; 3 webhook endpoint secret(s)" in result.stdout
    assert all(token.startswith(f"v1:{new}:") for token in stored(engine).values())
    assert plaintexts(engine, keyring, app_id) == {e.id: e.secret for e in endpoints}


def test_status_counts_rows_per_key_legacy_and_unknown(keyring, engine, url, deployment):
    _, app_id = deployment
    first = add_endpoint(keyring, engine, app_id, 1)
    old = list_keys(keyring)[0].key_id
    new = add_key(keyring)  # rotated by hand: nothing re-sealed yet
    add_endpoint(keyring, engine, app_id, 2)
    add_endpoint(keyring, engine, app_id, 3)
    legacy = add_endpoint(keyring, engine, app_id, 4)
    write_raw(engine, legacy.id, legacy.secret)
    stray = add_endpoint(keyring, engine, app_id, 5)
    write_raw(engine, stray.id, "v1:0badc0de:" + "A" * 40)  # a key not in the ring

    result = keys("webhook-status", keyring, url, "--json")

    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert status["keyring"] == str(keyring)
    assert status["newest"] == new
    assert [(k["id"], k["newest"], k["sealed"]) for k in status["keys"]] == [
        (old, False, 1),
        (new, True, 2),
    ]
    assert (status["legacy_plaintext"], status["unknown_key"], status["total"]) == (1, 1, 5)
    created = status["keys"][0]["created_at"]
    assert created.endswith("Z")
    assert created[:4].isdigit()
    assert created[10] == "T"
    assert first.id in stored(engine)

    table = keys("webhook-status", keyring, url)
    assert table.exit_code == 0, table.output
    for fragment in (old, new, "plaintext (legacy)", "key not in ring", "deliveries fail"):
        assert fragment in table.output


def test_retire_refuses_the_newest_key(keyring, engine, url, deployment):
    _, app_id = deployment
    add_endpoint(keyring, engine, app_id, 1)
    keys("webhook-rotate", keyring, url)
    before = keyring.read_bytes()
    newest = list_keys(keyring)[-1].key_id

    result = keys("webhook-retire", keyring, url, newest)

    assert_one_line_error(result, newest, "newest key")
    assert keyring.read_bytes() == before


def test_retire_refuses_a_key_that_still_seals_a_row(keyring, engine, url, deployment):
    _, app_id = deployment
    add_endpoint(keyring, engine, app_id, 1)
    old = list_keys(keyring)[0].key_id
    add_key(keyring)  # rotated by hand: the row is still under the old key
    before = keyring.read_bytes()

    result = keys("webhook-retire", keyring, url, old)

    assert_one_line_error(result, old, "still seals 1 webhook endpoint secret")
    assert keyring.read_bytes() == before


def test_retire_removes_an_unused_old_key_and_the_rest_still_opens(
    keyring, engine, url, deployment
):
    _, app_id = deployment
    endpoints = [add_endpoint(keyring, engine, app_id, n) for n in range(2)]
    old = list_keys(keyring)[0].key_id
    assert keys("webhook-rotate", keyring, url).exit_code == 0
    new = list_keys(keyring)[-1].key_id

    result = keys("webhook-retire", keyring, url, old)

    assert result.exit_code == 0, result.output
    assert f"key {old} retired" in result.stdout
    assert [key.key_id for key in list_keys(keyring)] == [new]
    assert old not in keyring.read_text()
    assert plaintexts(engine, keyring, app_id) == {e.id: e.secret for e in endpoints}


@pytest.mark.usefixtures("deployment")
def test_retire_an_unknown_key_id(keyring, url):
    before = keyring.read_bytes()
    result = keys("webhook-retire", keyring, url, "nope")
    assert_one_line_error(result, "no key 'nope'", list_keys(keyring)[0].key_id)
    assert keyring.read_bytes() == before


@pytest.mark.parametrize(
    "args", [["webhook-status"], ["webhook-rotate"], ["webhook-retire", "3f9c0a1e"]]
)
def test_a_missing_keyring_is_an_error_and_is_not_created(keyring, url, args):
    result = keys(args[0], keyring, url, *args[1:])
    assert_one_line_error(result, "no keyring file at", str(keyring))
    assert not keyring.exists()


@pytest.mark.parametrize("content", [b"not json", b'{"format": "other", "keys": []}', b"\xff"])
def test_a_broken_keyring_is_an_error(keyring, url, content):
    keyring.parent.mkdir(parents=True)
    keyring.write_bytes(content)
    for command in ("webhook-status", "webhook-rotate"):
        result = keys(command, keyring, url)
        assert_one_line_error(result, "is not a bankstack-keyring/1 file")
    assert keyring.read_bytes() == content


def test_an_unreadable_keyring_is_an_error(keyring, url):
    keyring.mkdir(parents=True)  # a directory where the file should be: reading fails
    assert_one_line_error(keys("webhook-status", keyring, url), "cannot read")


def test_a_missing_database_is_an_error_and_the_ring_is_unchanged(keyring, tmp_path):
    open_secret_box(keyring)
    before = keyring.read_bytes()
    url = f"sqlite:///{tmp_path / 'missing.db'}"
    assert_one_line_error(keys("webhook-rotate", keyring, url), "no database at")
    assert keyring.read_bytes() == before
    assert not (tmp_path / "missing.db").exists()


def test_rotate_warns_about_rows_that_do_not_open(keyring, engine, url, deployment):
    _, app_id = deployment
    kept = add_endpoint(keyring, engine, app_id, 1)
    stray = add_endpoint(keyring, engine, app_id, 2)
    write_raw(engine, stray.id, "v1:0badc0de:" + "A" * 40)

    result = keys("webhook-rotate", keyring, url)

    assert result.exit_code == 0, result.output
    assert "1 webhook endpoint secret(s) re-sealed" in result.stdout
    assert "1 webhook endpoint secret(s) are not under the new key" in result.stderr
    assert stored(engine)[stray.id] == "v1:0badc0de:" + "A" * 40  # left as it was
    token = stored(engine)[kept.id]
    assert open_secret(open_secret_box(keyring), app_id, kept.id, token) == kept.secret
