from __future__ import annotations

import shutil
import sqlite3
from typing import TYPE_CHECKING

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from bankstack.platform import database, migrations
from bankstack.platform.database import is_postgres, is_sqlite, make_engine, normalize_url

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def engine_for():
    """Build engines that are disposed of after the test."""
    engines: list[Engine] = []

    def build(url: str, **kwargs: object) -> Engine:
        engine = make_engine(url, **kwargs)
        engines.append(engine)
        return engine

    yield build
    for engine in engines:
        engine.dispose()


def _kill_pooled_connection(engine: Engine, admin: Engine) -> int:
    """Park one connection in ``engine``'s pool, then end its backend from ``admin``."""
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    return int(pid)


def _pragma(conn, name: str) -> object:
    return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


class TestSQLite:
    def test_every_connection_gets_the_pragmas(self, sqlite_url, engine_for):
        engine = engine_for(sqlite_url, pool_size=2, max_overflow=0)
        with engine.connect() as first, engine.connect() as second:
            for conn in (first, second):
                assert _pragma(conn, "journal_mode") == "wal"
                assert _pragma(conn, "synchronous") == 2  # FULL
                assert _pragma(conn, "busy_timeout") == 30000
                assert _pragma(conn, "foreign_keys") == 1
        assert is_sqlite(engine)
        assert not is_postgres(engine)

    def test_creates_the_directory_of_the_file(self, tmp_path, engine_for):
        path = tmp_path / "deeper" / "still" / "ledger.db"
        engine = engine_for(f"sqlite:///{path}")
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        assert path.is_file()

    def test_relative_path_is_relative_to_the_cwd(self, tmp_path, monkeypatch, engine_for):
        monkeypatch.chdir(tmp_path)
        engine = engine_for("sqlite:///./var/bankstack.db")
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        assert (tmp_path / "var" / "bankstack.db").is_file()

    def test_reads_are_inside_the_transaction(self, sqlite_url, engine_for):
        engine = engine_for(sqlite_url)
        with engine.connect() as conn, conn.begin():
            conn.exec_driver_sql("SELECT 1")
            driver = conn.connection.driver_connection
            assert driver is not None
            assert driver.in_transaction  # pysqlite alone would not have begun yet

    def test_savepoints_roll_back_alone(self, sqlite_url, engine_for):
        engine = engine_for(sqlite_url)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            nested = conn.begin_nested()
            conn.exec_driver_sql("INSERT INTO t VALUES (2)")
            nested.rollback()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT x FROM t").scalars().all() == [1]

    def test_begin_immediate_takes_the_write_lock_at_begin(self, sqlite_url, engine_for):
        engine = engine_for(sqlite_url)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        path = normalize_url(sqlite_url).database
        assert path is not None
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            immediate = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
            with (
                immediate as conn,
                conn.begin(),
                pytest.raises(sqlite3.OperationalError, match="locked"),
            ):
                other.execute("BEGIN IMMEDIATE")
            other.execute("BEGIN IMMEDIATE")  # free again after commit
            other.execute("ROLLBACK")
        finally:
            other.close()

    def test_unknown_begin_mode_refused(self, sqlite_url, engine_for):
        engine = engine_for(sqlite_url)
        conn = engine.connect().execution_options(sqlite_begin="SOMETIMES")
        with conn, pytest.raises(ValueError, match="sqlite_begin"):
            conn.begin()

    def test_autocommit_use_does_not_leave_legacy_mode_behind(self, sqlite_url, engine_for):
        engine = engine_for(sqlite_url, pool_size=1, max_overflow=0)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        with engine.connect() as conn, conn.begin():  # the same pooled connection
            conn.exec_driver_sql("SELECT 1")
            driver = conn.connection.driver_connection
            assert driver is not None
            assert driver.in_transaction

    def test_foreign_keys_are_enforced(self, sqlite_url, engine_for):
        engine = engine_for(sqlite_url)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE a (id INTEGER PRIMARY KEY)")
            conn.exec_driver_sql("CREATE TABLE b (a_id INTEGER REFERENCES a (id))")
        with pytest.raises(Exception, match="FOREIGN KEY"), engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO b VALUES (42)")


@pytest.mark.postgres
class TestPostgres:
    def test_select_one(self, pg_url, engine_for):
        engine = engine_for(pg_url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
            assert conn.execute(text("SELECT current_setting('fsync')")).scalar_one() == "on"
        assert is_postgres(engine)
        assert not is_sqlite(engine)

    @pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
    def test_plain_urls_use_psycopg(self, pg_url, engine_for, scheme):
        url = pg_url.replace("postgresql+psycopg://", f"{scheme}://", 1)
        engine = engine_for(url)
        assert engine.url.drivername == "postgresql+psycopg"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 2")).scalar_one() == 2

    def test_an_idle_connection_killed_by_the_server_is_replaced(
        self, pg_url, engine_for, monkeypatch
    ):
        engine = engine_for(pg_url, pool_size=1, max_overflow=0)
        killed = _kill_pooled_connection(engine, engine_for(pg_url))
        monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0.0)  # it has been idle long enough
        with engine.connect() as conn:  # the ping finds it dead: a new one answers
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != killed

    def test_a_busy_connection_is_not_pinged_and_one_failure_renews_the_pool(
        self, pg_url, engine_for
    ):
        engine = engine_for(pg_url, pool_size=1, max_overflow=0)
        killed = _kill_pooled_connection(engine, engine_for(pg_url))
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.execute(text("SELECT 1"))  # used just now: no ping, so the death shows here
        with engine.connect() as conn:  # the pool was invalidated: the next one is new
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != killed

    def test_session_database_is_ours(self, pg_url, engine_for):
        engine = engine_for(pg_url)
        with engine.connect() as conn:
            name = conn.execute(text("SELECT current_database()")).scalar_one()
        assert name.startswith("bankstack_test_")
        assert name == engine.url.database

    def test_fresh_database_is_new_and_empty(self, pg_url, fresh_pg_url, engine_for):
        assert fresh_pg_url != pg_url
        engine = engine_for(fresh_pg_url)
        with engine.connect() as conn:
            tables = conn.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            ).scalar_one()
        assert tables == 0


def test_unsupported_database_refused():
    with pytest.raises(ValueError, match="unsupported database"):
        make_engine("mysql://root@127.0.0.1/test")


def test_db_url_gives_each_dialect(db_url, engine_for):
    engine = engine_for(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 40 + 2")).scalar_one() == 42
    expected = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    assert engine.dialect.name == expected


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def empty_db_url(request: pytest.FixtureRequest) -> str:
    """A database nobody has touched yet, on each dialect."""
    name = "fresh_pg_url" if request.param == "postgres" else "sqlite_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def empty_script_dir(tmp_path: Path) -> Path:
    """A copy of migrations/ with no versions at all."""
    target = tmp_path / "migrations"
    source = migrations.project_root() / "migrations"
    target.mkdir()
    for name in ("env.py", "script.py.mako"):
        shutil.copy(source / name, target / name)
    (target / "versions").mkdir()
    return target


class TestMigrations:
    def test_zero_versions_upgrade_is_a_no_op(self, empty_db_url, empty_script_dir):
        migrations.upgrade(empty_db_url, script_location=empty_script_dir)
        migrations.upgrade(empty_db_url, script_location=empty_script_dir)
        assert migrations.current(empty_db_url) is None

    def test_upgrade_to_head_from_any_cwd(self, empty_db_url, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)  # nowhere near alembic.ini
        migrations.upgrade(empty_db_url)
        migrations.upgrade(empty_db_url)  # idempotent
        root = migrations.project_root()
        head = ScriptDirectory(str(root / "migrations")).get_current_head()
        assert migrations.current(empty_db_url) == head

    def test_finds_the_project_root(self):
        root = migrations.project_root()
        assert (root / "alembic.ini").is_file()
        assert (root / "migrations" / "env.py").is_file()
        cfg = migrations.alembic_config("sqlite:///x%20y.db")
        assert cfg.get_main_option("script_location") == str(root / "migrations")
        assert cfg.get_main_option("sqlalchemy.url") == "sqlite:///x%20y.db"
