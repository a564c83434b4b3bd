"""Who used the two cores during a measured window, read from ``/proc`` (Linux).

A snapshot holds the CPU ticks (user + system) of every process of interest, grouped:
``client`` (the load generator's processes), ``server`` (``bankstack serve`` and its workers:
the server's session), ``postgres`` (backends of the bench database plus the shared
background processes: WAL writer, checkpointer, ...; plus the CPU of the backends that
ended, which the postmaster accumulates as its children's time when it reaps them: a server
whose connection pool opens and closes connections runs many backends that live for
milliseconds, between two snapshots. On a shared PostgreSQL server those ended backends may
include other databases' short connections), ``redis`` (``redis-server``); and the machine's
busy and steal time from ``/proc/stat``. The difference of two snapshots divided by
the window gives cores used; ``other`` is the machine's busy time nobody above accounts for
(other people's work on a shared machine, the bench's own main process, the kernel).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

GROUPS: Final = ("client", "server", "postgres", "redis")
_TICKS_PER_S: Final = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PROC: Final = Path("/proc")


@dataclass(frozen=True)
class Watch:
    """What to attribute: client pids, the server's session id, the bench database's name."""

    client_pids: tuple[int, ...]
    server_sid: int | None
    database: str


@dataclass
class Snapshot:
    at_ns: int
    ticks: dict[str, dict[int, int]] = field(default_factory=dict)
    busy_ticks: int = 0
    steal_ticks: int = 0


def available() -> bool:
    return (_PROC / "stat").exists()


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (field 3 onwards), or None."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def _cmdline(pid: int) -> str:
    try:
        return (
            (_PROC / str(pid) / "cmdline")
            .read_bytes()
            .replace(b"\0", b" ")
            .decode(errors="replace")
        )
    except OSError:
        return ""


def _pids() -> Iterator[int]:
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            yield int(entry.name)


def _ticks(fields: list[str]) -> int:
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


def _reaped_ticks(fields: list[str]) -> int:
    return int(fields[13]) + int(fields[14])  # cutime, cstime: children waited for


def _group_of(pid: int, fields: list[str], watch: Watch) -> str | None:
    if pid in watch.client_pids:
        return "client"
    if watch.server_sid is not None and int(fields[3]) == watch.server_sid:  # session (6)
        return "server"
    cmd = _cmdline(pid)
    if _is_postmaster(cmd):
        return "postgres"
    if cmd.startswith("postgres"):
        # "postgres: 15/main: <user> <database> <client> <state>" for a backend; background
        # processes ("postgres: 15/main: walwriter") name no database and serve everyone.
        parts = cmd.split()
        is_backend = len(parts) >= 5  # noqa: PLR2004 - the backend title has 5+ words
        if not is_backend or watch.database in parts:
            return "postgres"
        return None
    if "redis-server" in cmd:
        return "redis"
    return None


def _is_postmaster(cmd: str) -> bool:
    """``/usr/lib/postgresql/15/bin/postgres -D /var/lib/...``: the server's first process."""
    program, _, rest = cmd.partition(" ")
    return program.endswith("/postgres") and "-D" in rest.split()


def snapshot(watch: Watch, now_ns: int) -> Snapshot:
    snap = Snapshot(now_ns, {g: {} for g in GROUPS})
    for pid in _pids():
        fields = _stat_fields(pid)
        if fields is None:
            continue
        group = _group_of(pid, fields, watch)
        if group is not None:
            ticks = _ticks(fields)
            if group == "postgres" and _is_postmaster(_cmdline(pid)):
                ticks += _reaped_ticks(fields)
            snap.ticks[group][pid] = ticks
    snap.busy_ticks, snap.steal_ticks = _machine_ticks()
    return snap


def _machine_ticks() -> tuple[int, int]:
    try:
        line = (_PROC / "stat").read_text().splitlines()[0]
    except OSError:
        return 0, 0
    values = [int(x) for x in line.split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    del idle, iowait
    return user + nice + system + irq + softirq, steal


def cores_used(start: Snapshot, end: Snapshot) -> dict[str, float]:
    """Cores used per group over the window, plus ``other``, ``machine`` and ``steal``."""
    seconds = (end.at_ns - start.at_ns) / 1e9
    if seconds <= 0:
        return {}

    def cores(ticks: float) -> float:
        return round(ticks / _TICKS_PER_S / seconds, 3)

    used: dict[str, float] = {}
    for group in GROUPS:
        before = start.ticks.get(group, {})
        after = end.ticks.get(group, {})
        used[group] = cores(sum(t - before.get(pid, 0) for pid, t in after.items()))
    machine = cores(end.busy_ticks - start.busy_ticks)
    used["other"] = round(max(0.0, machine - sum(used[g] for g in GROUPS)), 3)
    used["machine"] = machine
    used["steal"] = cores(end.steal_ticks - start.steal_ticks)
    return used
