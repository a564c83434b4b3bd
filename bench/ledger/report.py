"""Results: the console lines, the JSON file, ratios, targets and the docs/benchmarks.md section."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from bench.docs import write_section
from bench.ledger.stats import Cell

RUN_COMMAND: Final = ".venv/bin/python -m bench.ledger --write-docs"
TARGET_BATCH: Final = 8190
DB_NAMES: Final = {"pg": "PostgreSQL", "sqlite": "SQLite"}
MODE_NAMES: Final = {
    "inprocess": "in-process",
    "http": "HTTP",
    "naive": "naive baseline",
    "raw": "raw baseline",
}


# -- machine and provenance ----------------------------------------------------------------------


def _git(*args: str) -> str:
    try:
        out = subprocess.run(  # noqa: S603 - fixed git arguments
            ["git", *args],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


def commit_info() -> dict[str, Any]:
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    return {"commit": commit, "dirty": dirty}


def _proc_field(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key:
                return value.strip()
    except OSError:
        return None
    return None


def machine_info() -> dict[str, Any]:
    mem_kb = _proc_field("/proc/meminfo", "MemTotal")
    mem_gib = round(int(mem_kb.split()[0]) / 1024**2, 1) if mem_kb else None
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count() or 0
    return {
        "nproc": nproc,
        "memory_gib": mem_gib,
        "cpu_model": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "?",
        "kernel": platform.release(),
        "os": platform.platform(terse=True),
        "python": sys.version.split()[0],
        "load_average_at_start": list(os.getloadavg()),
    }


# -- formatting ----------------------------------------------------------------------------------


def fmt_tps(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"  # noqa: PLR2004


def _latency(cell: Cell) -> dict[str, float | None]:
    """The latency a table shows: the writer's batches in-process, else per request."""
    if cell.mode == "inprocess" and cell.batch_latency_ms:
        return cell.batch_latency_ms
    return cell.latency_ms


def cell_text(cell: Cell | None) -> str:
    if cell is None:
        return "—"
    if cell.skipped:
        return "skipped"
    if cell.tps is None:
        return "error" if cell.error else "—"
    lat = _latency(cell)
    text = f"{fmt_tps(cell.tps)} / {fmt_ms(lat.get('p50'))} / {fmt_ms(lat.get('p99'))}"
    if cell.error:
        text += " (error)"
    elif cell.pool_exhausted:
        text += " (pool exhausted)"
    return text


# -- console -------------------------------------------------------------------------------------


class Progress:
    """One line per finished cell, as it finishes."""

    HEADER: Final = (
        f"{'db':<6} {'shape':<10} {'mode':<9} {'B':>5} {'C':>3} {'tps':>9} "
        f"{'req p50':>8} {'req p99':>8} {'p99.9':>8} {'bat p50':>8} {'bat p99':>8} "
        f"{'avg bat':>7}  note"
    )

    def __init__(self, console: Console) -> None:
        self._console = console
        self._printed_header = False

    def cell(self, cell: Cell) -> None:
        if not self._printed_header:
            self._console.print(self.HEADER, style="bold", highlight=False, soft_wrap=True)
            self._printed_header = True
        lat, bat = cell.latency_ms, cell.batch_latency_ms
        notes = [n for n in (cell.note,) if n]
        if cell.pool_exhausted:
            notes.append("POOL EXHAUSTED: rerun with a larger --pool-scale")
        if cell.retries:
            notes.append(f"{cell.retries} retries")
        if cell.skipped:
            notes = [f"SKIPPED: {cell.skipped}"]
        if cell.error:
            notes.append(f"ERROR: {cell.error}")
        mean = "—" if cell.mean_batch_size is None else f"{cell.mean_batch_size:,.0f}"
        line = (
            f"{cell.database:<6} {cell.shape:<10} {cell.mode:<9} {cell.batch_size:>5} "
            f"{cell.clients:>3} {fmt_tps(cell.tps):>9} {fmt_ms(lat.get('p50')):>8} "
            f"{fmt_ms(lat.get('p99')):>8} {fmt_ms(lat.get('p99.9')):>8} "
            f"{fmt_ms(bat.get('p50')):>8} {fmt_ms(bat.get('p99')):>8} {mean:>7}  "
            + "; ".join(notes)
        )
        style = "red" if cell.error else "yellow" if cell.skipped or cell.pool_exhausted else None
        self._console.print(line, style=style, highlight=False, soft_wrap=True)

    def info(self, text: str) -> None:
        self._console.print(text, style="dim", highlight=False, soft_wrap=True)


def print_targets(
    console: Console, targets: Sequence[dict[str, Any]], shapes: Sequence[str]
) -> None:
    if not targets:
        return
    table = Table(title=f"Targets (PostgreSQL, batch {TARGET_BATCH:,})")
    table.add_column("target")
    for shape in shapes:
        table.add_column(shape)
    for target in targets:
        row = [target["target"]]
        for shape in shapes:
            verdict = target["shapes"].get(shape, {})
            row.append(f"{verdict.get('status', 'n/a')} {verdict.get('value_text', '')}".strip())
        table.add_row(*row)
    console.print(table)


# -- ratios and targets --------------------------------------------------------------------------


@dataclass(frozen=True)
class Index:
    cells: Sequence[Cell]

    def get(self, database: str, shape: str, mode: str, batch: int | None = None) -> Cell | None:
        for cell in self.cells:
            if (cell.database, cell.shape, cell.mode) == (database, shape, mode) and (
                batch is None or cell.batch_size == batch
            ):
                return cell
        return None


def _tps(cell: Cell | None) -> float | None:
    if cell is None or cell.skipped or not cell.tps:
        return None
    return cell.tps


def ratios(cells: Sequence[Cell]) -> list[dict[str, Any]]:
    """Per database, shape and in-process batch size: ledger / naive and raw / ledger."""
    index = Index(cells)
    out = []
    for cell in cells:
        if cell.mode != "inprocess":
            continue
        ledger = _tps(cell)
        naive = _tps(index.get(cell.database, cell.shape, "naive"))
        raw = _tps(index.get(cell.database, cell.shape, "raw"))
        out.append(
            {
                "database": cell.database,
                "shape": cell.shape,
                "batch_size": cell.batch_size,
                "inprocess_over_naive": ledger / naive if ledger and naive else None,
                "raw_over_inprocess": raw / ledger if ledger and raw else None,
            }
        )
    return out


def _verdict(value: float | None, ok: bool, text: str, cell: Cell | None) -> dict[str, Any]:
    if value is None:
        return {"status": "n/a", "value": None, "value_text": "(not measured)"}
    flags = ""
    if cell is not None and (cell.error or cell.pool_exhausted):
        flags = " (error)" if cell.error else " (pool exhausted)"
    return {"status": "PASS" if ok else "FAIL", "value": value, "value_text": text + flags}


TARGET_INPROCESS_TPS: Final = 50_000
TARGET_SPEEDUP_OVER_NAIVE: Final = 10.0
TARGET_MAX_SLOWDOWN_VS_RAW: Final = 2.0
TARGET_P99_BATCH_MS: Final = 200.0
TARGET_HTTP_TPS: Final = 25_000


def targets(cells: Sequence[Cell], shapes: Iterable[str]) -> list[dict[str, Any]]:
    """The issue's targets, PostgreSQL, batch 8,190, one verdict per shape."""
    index = Index(cells)
    names = (
        f"in-process >= {TARGET_INPROCESS_TPS:,} transfers/s",
        f"in-process >= {TARGET_SPEEDUP_OVER_NAIVE:.0f}x naive baseline",
        f"in-process <= {TARGET_MAX_SLOWDOWN_VS_RAW:.0f}x slower than raw limit",
        f"p99 batch latency < {TARGET_P99_BATCH_MS:.0f} ms",
        f"HTTP >= {TARGET_HTTP_TPS:,} transfers/s",
    )
    rows: dict[str, dict[str, Any]] = {name: {} for name in names}
    for shape in shapes:
        led = index.get("pg", shape, "inprocess", TARGET_BATCH)
        http = index.get("pg", shape, "http", TARGET_BATCH)
        tps = _tps(led)
        naive = _tps(index.get("pg", shape, "naive"))
        raw = _tps(index.get("pg", shape, "raw"))
        p99 = led.batch_latency_ms.get("p99") if led and led.tps else None
        http_tps = _tps(http)
        speedup = tps / naive if tps and naive else None
        slowdown = raw / tps if tps and raw else None
        verdicts = (
            _verdict(tps, (tps or 0) >= TARGET_INPROCESS_TPS, fmt_tps(tps), led),
            _verdict(
                speedup,
                (speedup or 0) >= TARGET_SPEEDUP_OVER_NAIVE,
                f"{speedup or 0:,.1f}x",
                led,
            ),
            _verdict(
                slowdown,
                slowdown is not None and slowdown <= TARGET_MAX_SLOWDOWN_VS_RAW,
                f"raw / ledger = {slowdown or 0:.2f}",
                led,
            ),
            _verdict(p99, p99 is not None and p99 < TARGET_P99_BATCH_MS, f"{fmt_ms(p99)} ms", led),
            _verdict(http_tps, (http_tps or 0) >= TARGET_HTTP_TPS, fmt_tps(http_tps), http),
        )
        for name, verdict in zip(names, verdicts, strict=True):
            rows[name][shape] = verdict
    return [{"target": name, "shapes": verdicts} for name, verdicts in rows.items()]


# -- docs ----------------------------------------------------------------------------------------


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_docs(results: dict[str, Any], cells: Sequence[Cell]) -> str:
    opts = results["options"]
    machine = results["machine"]
    index = Index(cells)
    shapes: list[str] = opts["shapes"]
    out = [
        "## Ledger throughput (`bench/ledger`)",
        "",
        f"Run: `{RUN_COMMAND}` on an otherwise idle machine (about 15 minutes with",
        "the defaults; `--help` lists the options). This run:",
        "",
        f"    {results['command']}",
        "",
        "Full results (request latency p99.9, mean batch sizes, the per-group cross-check of",
        "journal rows against balances) are in the JSON file named below.",
        "",
    ]
    if opts["quick"]:
        out += [
            "> **Quick run** (`--quick`): short cells, 10,000 accounts; not representative.",
            "",
        ]
    pg = results.get("postgresql")
    commit = results["commit"] + (" (with uncommitted changes)" if results["dirty"] else "")
    facts = [
        ("Commit", f"`{commit}`"),
        ("Date", results["date"]),
        ("Machine", f"{machine['nproc']} CPUs (`nproc`), {machine['memory_gib']} GiB RAM"),
        ("CPU", machine["cpu_model"]),
        ("OS / Python", f"{machine['os']} / Python {machine['python']}"),
        ("Load average at start", ", ".join(f"{x:.2f}" for x in machine["load_average_at_start"])),
    ]
    if pg:
        s = pg["settings"]
        facts.append(("PostgreSQL", pg["version"]))
        facts.append(
            (
                "PostgreSQL settings",
                (
                    f"shared_buffers={s['shared_buffers']}, synchronous_commit="
                    f"{s['synchronous_commit']}, fsync={s['fsync']}, full_page_writes="
                    f"{s['full_page_writes']}, max_wal_size={s['max_wal_size']}"
                ),
            )
        )
    facts.append(("SQLite", f"{results['sqlite']['version']} (WAL, synchronous=FULL)"))
    facts.append(
        (
            "Per cell",
            (
                f"{opts['seconds']} s measured after {opts['warmup']} s warm-up; "
                f"{opts['accounts']:,} accounts; amount 1, no balance limits"
            ),
        )
    )
    facts.append(("Results file", f"`{results['json_path']}`"))
    out += _md_table(["", ""], [(k, v) for k, v in facts])
    out += [
        "",
        "Cells are **transfers/s applied / p50 / p99 latency in ms**. B = transfers per request,",
        "C = concurrent clients. In-process latency is the writer's batch latency (one database",
        "transaction, from the `on_batch` callback); HTTP latency is per request, as the client",
        "sees it. Shapes: `uniform` over all accounts; `hot_debit` / `hot_credit`: account 1 on",
        "that side of every transfer; `hot_pair`: every transfer 1 → 2.",
        "",
        "Method: one fresh database per (database, shape), migrated, accounts created through",
        "the writer; in it, in this order: naive baseline, in-process cells (small batches",
        "first), raw baseline, HTTP cells (`bankstack serve` in a subprocess; 2 workers on",
        "PostgreSQL, 1 on SQLite). Every request is generated before its cell starts and kept",
        "out of the garbage collector's sight. Each client runs a closed loop; throughput counts",
        "each request's transfers spread over its duration, inside the measured window.",
        "",
    ]
    batches: list[int] = opts["batch_sizes"]
    header = ["shape", *[f"B={b:,} (C={opts['clients'][str(b)]})" for b in batches]]
    for database in opts["databases"]:
        for mode in opts["modes"]:
            what = "writer batch latency" if mode == "inprocess" else "request latency"
            out += [f"### {DB_NAMES[database]}, {MODE_NAMES[mode]} ({what})", ""]
            rows = [
                [shape, *[cell_text(index.get(database, shape, mode, b)) for b in batches]]
                for shape in shapes
            ]
            out += [*_md_table(header, rows), ""]
    if opts["baselines"]:
        out += [
            "### Baselines",
            "",
            "naive: 16 clients, one transaction per transfer (lock both accounts, update both,",
            "insert the transfer, commit); latency per transaction. raw: batches of 8,190, COPY",
            "(SQLite: executemany) plus one set-based balance update, one transaction, no",
            "validation, one client; latency per batch; tps = rows / timed batch durations.",
            "",
        ]
        ledger_col = f"in-process B={TARGET_BATCH:,}"
        rows = []
        by_key = {(r["database"], r["shape"], r["batch_size"]): r for r in results["ratios"]}
        for database in opts["databases"]:
            for shape in shapes:
                ratio = by_key.get((database, shape, TARGET_BATCH), {})
                speed, slow = ratio.get("inprocess_over_naive"), ratio.get("raw_over_inprocess")
                rows.append(
                    [
                        DB_NAMES[database],
                        shape,
                        cell_text(index.get(database, shape, "naive")),
                        cell_text(index.get(database, shape, "raw")),
                        fmt_tps(_tps(index.get(database, shape, "inprocess", TARGET_BATCH))),
                        "—" if speed is None else f"{speed:,.1f}x",
                        "—" if slow is None else f"{slow:.2f}",
                    ]
                )
        out += _md_table(
            ["database", "shape", "naive", "raw", ledger_col, "ledger / naive", "raw / ledger"],
            rows,
        )
        out.append("")
    if "pg" in opts["databases"]:
        out += [
            f"### Targets (PostgreSQL, batch {TARGET_BATCH:,})",
            "",
            "Latency is the in-process writer's batch p99; ratios use the baselines above.",
            "",
        ]
        rows = [
            [
                t["target"],
                *[
                    f"{t['shapes'][s]['status']} {t['shapes'][s]['value_text']}".strip()
                    for s in shapes
                ],
            ]
            for t in results["targets"]
        ]
        out += [*_md_table(["target", *shapes], rows), ""]
    return "\n".join(out).rstrip() + "\n"


PLACEHOLDER: Final = f"""## Ledger throughput (`bench/ledger`)

Not measured yet. Run `{RUN_COMMAND}`
on an otherwise idle machine; it replaces this section with the tables, the machine and the
commit.
"""


def write_docs(path: Path, section: str) -> None:
    """Replace the marked ledger section of ``path``; keep the rest."""
    write_section(path, "ledger", section)
