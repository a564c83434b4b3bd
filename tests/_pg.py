"""Find (or start) a PostgreSQL server for the tests and make throwaway databases on it.

Where the server comes from, first that answers:
1. ``BANKSTACK_TEST_PG_URL`` (any libpq or SQLAlchemy URL of a role that may CREATE DATABASE);
   if it is set but does not answer, that is an error, never a silent fallback;
2. the local server at ``postgresql://postgres@127.0.0.1:5432/postgres`` (trust auth);
3. the same over the Unix socket in ``/var/run/postgresql``;
4. a throwaway cluster: ``initdb`` + ``pg_ctl`` from the newest ``/usr/lib/postgresql/*/bin``
   into a temporary directory, on a free port of 127.0.0.1, fsync on; as root it runs as the
   ``postgres`` OS user (PostgreSQL refuses to run as root). It is removed at session end.

Every database made here is named ``bankstack_{test|fresh}_<worker>_<pid>[_<n>]``, so a later
session can recognise, and drop, the ones a killed session left behind on a local server.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import psycopg
from psycopg import sql
from sqlalchemy import make_url

ENV_URL: Final = "BANKSTACK_TEST_PG_URL"
LOCAL_CANDIDATES: Final = (
    "postgresql://postgres@127.0.0.1:5432/postgres",
    "postgresql://postgres@/postgres?host=/var/run/postgresql",
)
CONNECT_TIMEOUT_S: Final = 5
_OURS = re.compile(r"^bankstack_(?:test|fresh)_[a-z0-9]+_(?P<pid>\d+)(?:_\d+)?$")
_LOCAL_HOSTS: Final = frozenset({"", "127.0.0.1", "localhost", "::1"})


class PgUnavailable(Exception):
    """No PostgreSQL server could be found or started; the message says what was tried."""


def worker_id() -> str:
    """The pytest-xdist worker ("gw0", "gw1" ...), or "main" without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def libpq_url(url: str) -> str:
    """A URL libpq/psycopg accepts: SQLAlchemy's ``+psycopg`` driver suffix removed."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sqlalchemy_url(url: str, database: str) -> str:
    """The SQLAlchemy URL of ``database`` on the server of ``url``, with the psycopg driver."""
    parsed = make_url(url).set(drivername="postgresql+psycopg", database=database)
    return parsed.render_as_string(hide_password=False)


def connect_error(url: str) -> str | None:
    """None if ``url`` answers ``SELECT 1``, else why not."""
    try:
        with psycopg.connect(
            libpq_url(url), autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
        ) as conn:
            conn.execute("SELECT 1")
    except (psycopg.Error, OSError) as exc:
        return f"{type(exc).__name__}: {str(exc).strip()}"
    return None


@dataclass
class ThrowawayCluster:
    """A PostgreSQL cluster of our own in a temporary directory."""

    bindir: Path
    base: Path
    port: int
    run_as: list[str] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str | Path) -> None:
        cmd = [*self.run_as, *(str(a) for a in args)]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            log = self.base / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PgUnavailable(
                f"{' '.join(cmd)} exited {result.returncode}: "
                f"{result.stderr.strip() or result.stdout.strip()}\n{tail}"
            )

    def start(self) -> None:
        self._run(
            self.bindir / "initdb",
            "--pgdata",
            self.data,
            "--username=postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",  # only initdb's own final sync; the server runs with fsync=on
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.base} -c fsync=on -c max_connections=200"
        )
        self._run(
            self.bindir / "pg_ctl",
            "--pgdata",
            self.data,
            "--log",
            self.base / "server.log",
            "--options",
            options,
            "--wait",
            "--timeout=60",
            "start",
        )

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(self.bindir / "pg_ctl", "--pgdata", self.data, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def _server_bindir() -> Path | None:
    """The bin directory of the newest installed PostgreSQL server."""

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))

    found = [
        p.parent
        for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")
        if (p.parent / "pg_ctl").exists()
    ]
    if found:
        return max(found, key=version)
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_throwaway_cluster() -> ThrowawayCluster:
    bindir = _server_bindir()
    if bindir is None:
        raise PgUnavailable(
            "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin "
            "or on PATH; install them (Debian: apt-get install postgresql)"
        )
    base = Path(tempfile.mkdtemp(prefix="bankstack-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL will not run as root: hand the directory to an unprivileged user.
        user = next((u for u in ("postgres", "nobody") if _user_exists(u)), None)
        runuser = shutil.which("runuser")
        if user is None or runuser is None:
            shutil.rmtree(base, ignore_errors=True)
            raise PgUnavailable("running as root without a 'postgres' user or runuser(1)")
        entry = pwd.getpwnam(user)
        os.chown(base, entry.pw_uid, entry.pw_gid)
        run_as = [runuser, "-u", user, "--"]
    cluster = ThrowawayCluster(bindir=bindir, base=base, port=_free_port(), run_as=run_as)
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@dataclass
class PgServer:
    """A reachable server (found or started) on which the tests create their databases."""

    admin_url: str
    source: str
    cluster: ThrowawayCluster | None = None
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            libpq_url(self.admin_url), autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
        )

    def fresh_name(self, kind: str = "fresh") -> str:
        """A database name unique to this process; ``kind`` "test" is the session database."""
        base = f"bankstack_{kind}_{worker_id()}_{os.getpid()}".lower()
        return base if kind == "test" else f"{base}_{next(self._counter)}"

    def create_database(self, name: str) -> str:
        """Create an empty database; returns its SQLAlchemy URL (``postgresql+psycopg://``)."""
        with self._admin() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name))
            )
        return sqlalchemy_url(self.admin_url, name)

    def drop_database(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))

    def drop_orphans(self) -> list[str]:
        """Drop databases of ours whose test process is gone (a killed session's leftovers).

        Only on a server on this machine, where a dead pid means a dead session.
        """
        host = make_url(self.admin_url).host or ""
        if host not in _LOCAL_HOSTS:
            return []
        with self._admin() as conn:
            names = [
                str(row[0])
                for row in conn.execute("SELECT datname FROM pg_database WHERE NOT datistemplate")
            ]
        dropped = []
        for name in names:
            match = _OURS.match(name)
            if match and not _pid_alive(int(match["pid"])):
                with contextlib.suppress(psycopg.Error):
                    self.drop_database(name)
                    dropped.append(name)
        return dropped

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def find_or_start() -> PgServer:
    """A server to test against; raises ``PgUnavailable`` with every reason if there is none."""
    explicit = os.environ.get(ENV_URL)
    if explicit:
        error = connect_error(explicit)
        if error is not None:
            raise PgUnavailable(f"{ENV_URL}={explicit!r} does not answer: {error}")
        return PgServer(admin_url=libpq_url(explicit), source=ENV_URL)
    tried = []
    for candidate in LOCAL_CANDIDATES:
        error = connect_error(candidate)
        if error is None:
            return PgServer(admin_url=candidate, source=candidate)
        tried.append(f"{candidate}: {error}")
    try:
        cluster = start_throwaway_cluster()
    except PgUnavailable as exc:
        tried.append(f"throwaway cluster: {exc}")
        raise PgUnavailable("; ".join(tried)) from None
    source = f"throwaway cluster in {cluster.base}"
    return PgServer(admin_url=cluster.url, source=source, cluster=cluster)
