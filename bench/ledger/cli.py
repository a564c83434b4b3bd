"""``python -m bench.ledger``: parse options, run every cell group, write the results."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from rich.console import Console

from bench.ledger import baselines, dbs, report
from bench.ledger.inprocess import run_inprocess
from bench.ledger.over_http import default_server_command, missing_server_reason, run_http
from bench.ledger.stats import Cell
from bench.ledger.workload import SHAPES, Shape, TransferIds

REPO_ROOT: Final = Path(__file__).resolve().parents[2]
DEFAULT_PG_URL: Final = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASES: Final = ("pg", "sqlite")
MODES: Final = ("inprocess", "http")
BASELINES: Final = ("naive", "raw")
DEFAULT_CLIENTS: Final = "1=64,100=16,8190=2"
MAX_BATCH: Final = 8190


def _csv(choices: Sequence[str] | None = None) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        items = [x.strip() for x in text.split(",") if x.strip() and x.strip() != "none"]
        if choices is not None:
            unknown = [x for x in items if x not in choices]
            if unknown:
                msg = f"unknown {', '.join(unknown)}; choose from {', '.join(choices)}"
                raise argparse.ArgumentTypeError(msg)
        return items

    return parse


def _batch_sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError("batch sizes are integers, e.g. 1,100,8190") from None
    if not sizes or sizes[0] < 1 or sizes[-1] > MAX_BATCH:
        raise argparse.ArgumentTypeError(f"batch sizes must be between 1 and {MAX_BATCH}")
    return sizes


def _clients(text: str) -> dict[int, int]:
    try:
        pairs = [item.split("=") for item in text.split(",") if item.strip()]
        return {int(b): int(c) for b, c in pairs}
    except ValueError:
        raise argparse.ArgumentTypeError("--clients is BATCH=CLIENTS,..., e.g. 1=64") from None


def clients_for(batch: int, table: dict[int, int]) -> int:
    """Clients for a batch size: from --clients, else 64 below 10, 16 below 1,000, else 2."""
    if batch in table:
        return table[batch]
    return 64 if batch < 10 else 16 if batch < 1000 else 2  # noqa: PLR2004


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ledger",
        description="Ledger throughput and batch latency on PostgreSQL and SQLite, in-process "
        "and over HTTP, with the naive and raw-database baselines. Measurement, not a test: "
        "nothing here asserts timing. Run it on an otherwise idle machine.",
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL),
        help="PostgreSQL server, a role allowed to CREATE DATABASE [env BENCH_PG_URL, else "
        f"{DEFAULT_PG_URL}]; a fresh database bankstack_bench_<pid> is created per "
        "(database, shape) group and dropped after it",
    )
    parser.add_argument(
        "--sqlite-dir",
        type=Path,
        default=REPO_ROOT / "var/bench",
        help="where the SQLite files and the server log go [var/bench]",
    )
    parser.add_argument(
        "--databases", type=_csv(DATABASES), default="pg,sqlite", help="[pg,sqlite]"
    )
    parser.add_argument(
        "--shapes", type=_csv(SHAPES), default=",".join(SHAPES), help=f"[{','.join(SHAPES)}]"
    )
    parser.add_argument(
        "--batch-sizes",
        type=_batch_sizes,
        default="1,100,8190",
        help="transfers per request, 1..8190 [1,100,8190]",
    )
    parser.add_argument(
        "--modes", type=_csv(MODES), default="inprocess,http", help="[inprocess,http]"
    )
    parser.add_argument(
        "--baselines",
        type=_csv(BASELINES),
        default="naive,raw",
        help="naive, raw, or none [naive,raw]",
    )
    parser.add_argument(
        "--seconds", type=float, default=None, help="measured seconds per cell [8; --quick: 2]"
    )
    parser.add_argument(
        "--warmup", type=float, default=None, help="unmeasured seconds first [1; --quick: 0.5]"
    )
    parser.add_argument(
        "--accounts", type=int, default=None, help="accounts per database [100000; --quick: 10000]"
    )
    parser.add_argument(
        "--quick", action="store_true", help="2 s cells, 0.5 s warm-up, 10,000 accounts"
    )
    parser.add_argument(
        "--clients",
        type=_clients,
        default=DEFAULT_CLIENTS,
        help=f"concurrent clients per batch size [{DEFAULT_CLIENTS}; other sizes: 64 below 10, "
        "16 below 1,000, else 2]",
    )
    parser.add_argument(
        "--http-workers-pg", type=int, default=2, help="bankstack serve --workers on PostgreSQL [2]"
    )
    parser.add_argument("--http-workers-sqlite", type=int, default=1, help="the same on SQLite [1]")
    parser.add_argument(
        "--server-command",
        default=default_server_command(),
        help="the bankstack executable [.venv/bin/bankstack]",
    )
    parser.add_argument(
        "--pool-scale",
        type=float,
        default=1.0,
        help="multiply the pre-generated request pools; raise it if a cell reports "
        "'pool exhausted' [1.0]",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the account draws [1]")
    parser.add_argument(
        "--json-out",
        type=Path,
        default=None,
        help="results file [bench/results/ledger-<timestamp>.json]",
    )
    parser.add_argument(
        "--write-docs", action="store_true", help="rewrite the ledger section of --docs-path"
    )
    parser.add_argument(
        "--docs-path",
        type=Path,
        default=REPO_ROOT / "docs/benchmarks.md",
        help="[docs/benchmarks.md]; only the marked ledger section is rewritten",
    )
    args = parser.parse_args(argv)
    args.seconds = args.seconds if args.seconds is not None else 2.0 if args.quick else 8.0
    args.warmup = args.warmup if args.warmup is not None else 0.5 if args.quick else 1.0
    args.accounts = (
        args.accounts if args.accounts is not None else 10_000 if args.quick else 100_000
    )
    if args.accounts < 3:  # noqa: PLR2004 - the hot shapes need accounts 1, 2 and others
        parser.error("--accounts must be at least 3")
    return args


class Run:
    def __init__(self, args: argparse.Namespace, argv: Sequence[str]) -> None:
        self.args = args
        self.console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
        self.progress = report.Progress(self.console)
        self.cells: list[Cell] = []
        self.groups: list[dict[str, Any]] = []
        self.ids = TransferIds()
        self.started = dt.datetime.now(dt.UTC)
        stamp = self.started.strftime("%Y%m%dT%H%M%SZ")
        self.json_path: Path = args.json_out or REPO_ROOT / f"bench/results/ledger-{stamp}.json"
        self.command = shlex.join([".venv/bin/python", "-m", "bench.ledger", *argv])
        self.base: dict[str, Any] = {
            "benchmark": "ledger",
            "format": 1,
            "date": self.started.isoformat(timespec="seconds"),
            "command": self.command,
            **report.commit_info(),
            "machine": report.machine_info(),
            "postgresql": None,
            "sqlite": dbs.sqlite_info(),
        }

    # -- the run ---------------------------------------------------------------------------------

    def main(self) -> int:
        args = self.args
        if "pg" in args.databases:
            try:
                self.base["postgresql"] = dbs.postgres_info(args.pg_url)
            except Exception as error:  # noqa: BLE001 - say why and stop
                self.console.print(f"PostgreSQL at {args.pg_url} not usable: {error}", style="red")
                return 2
            sync = self.base["postgresql"]["settings"]["synchronous_commit"]
            if sync != "on":
                self.progress.info(f"WARNING: PostgreSQL synchronous_commit is {sync!r}, not 'on'")
        if "http" in args.modes:
            reason = missing_server_reason(args.server_command)
            if reason:
                self.progress.info(f"HTTP cells will be skipped: {reason}")
        load = self.base["machine"]["load_average_at_start"][0]
        if load > 0.5 * self.base["machine"]["nproc"]:
            self.progress.info(
                f"WARNING: load average {load:.2f} at start; other work will skew the numbers"
            )
        self.progress.info(
            f"commit {self.base['commit']}{' (dirty)' if self.base['dirty'] else ''}; "
            f"{args.seconds} s per cell after {args.warmup} s warm-up; {args.accounts:,} accounts"
        )
        for database in args.databases:
            for shape_name in args.shapes:
                self.group(database, Shape(shape_name, args.accounts))
        results = self.results()
        self.write_json(results)
        report.print_targets(self.console, results["targets"], args.shapes)
        self.console.print(f"results: {self.json_path}", highlight=False)
        if args.write_docs:
            report.write_docs(args.docs_path, report.render_docs(results, self.cells))
            self.console.print(f"docs: {args.docs_path}", highlight=False)
        return 1 if any(c.error for c in self.cells) else 0

    def group(self, database: str, shape: Shape) -> None:
        args = self.args
        rng = random.Random(f"{args.seed}:{database}:{shape.name}")
        began = time.monotonic()
        with dbs.fresh_database(database, args.pg_url, args.sqlite_dir) as db:
            dbs.create_accounts(db, args.accounts)
            self.progress.info(
                f"== {database} / {shape.name}: {args.accounts:,} accounts ready in "
                f"{time.monotonic() - began:.1f} s"
            )
            group_cells: list[Cell] = []
            timing = {"warmup_s": args.warmup, "seconds": args.seconds}

            def measure(cell: Cell, run: Callable[[Cell], None]) -> None:
                try:
                    run(cell)
                except Exception as error:  # noqa: BLE001 - recorded; the other cells go on
                    cell.error = f"{type(error).__name__}: {error}"
                group_cells.append(cell)
                self.cells.append(cell)
                self.progress.cell(cell)
                self.write_json(self.results())

            def new_cell(mode: str, batch: int, clients: int) -> Cell:
                return Cell(database, shape.name, mode, batch, clients)

            if "naive" in args.baselines:
                measure(
                    new_cell("naive", 1, baselines.NAIVE_CLIENTS),
                    lambda c: baselines.run_naive(
                        c, db, shape, self.ids, rng, pool_scale=args.pool_scale, **timing
                    ),
                )
            if "inprocess" in args.modes:
                for batch in args.batch_sizes:
                    measure(
                        new_cell("inprocess", batch, clients_for(batch, args.clients)),
                        lambda c: run_inprocess(
                            c, db, shape, self.ids, rng, pool_scale=args.pool_scale, **timing
                        ),
                    )
            if "raw" in args.baselines:
                measure(
                    new_cell("raw", baselines.RAW_BATCH, 1),
                    lambda c: baselines.run_raw(c, db, shape, self.ids, rng, **timing),
                )
            if "http" in args.modes:
                workers = args.http_workers_pg if database == "pg" else args.http_workers_sqlite
                for batch in args.batch_sizes:
                    measure(
                        new_cell("http", batch, clients_for(batch, args.clients)),
                        lambda c: run_http(
                            c,
                            db,
                            shape,
                            self.ids,
                            rng,
                            command=args.server_command,
                            workers=workers,
                            log_path=args.sqlite_dir / f"server-{os.getpid()}.log",
                            pool_scale=args.pool_scale,
                            **timing,
                        ),
                    )
            self.groups.append(self.check(database, shape.name, db, group_cells))

    def check(
        self, database: str, shape: str, db: dbs.BenchDatabase, cells: Sequence[Cell]
    ) -> dict[str, Any]:
        """Every transfer answered "ok" must be in the journal and in both balance sums."""
        expected = sum(c.applied_total for c in cells)
        totals = dbs.ledger_totals(db)
        consistent = totals["transfers"] == totals["debits_posted"] == totals["credits_posted"]
        matches = consistent and totals["transfers"] == expected
        if not matches:
            self.progress.info(
                f"WARNING {database}/{shape}: clients saw {expected:,} transfers applied, the "
                f"database holds {totals} (an HTTP request cut off mid-way can explain extra rows)"
            )
        return {
            "database": database,
            "shape": shape,
            "applied_by_clients": expected,
            **totals,
            "consistent": matches,
        }

    # -- results ---------------------------------------------------------------------------------

    def results(self) -> dict[str, Any]:
        args = self.args
        return {
            **self.base,
            "json_path": _display_path(self.json_path),
            "options": {
                "databases": args.databases,
                "shapes": args.shapes,
                "batch_sizes": args.batch_sizes,
                "modes": args.modes,
                "baselines": args.baselines,
                "seconds": args.seconds,
                "warmup": args.warmup,
                "accounts": args.accounts,
                "quick": args.quick,
                "clients": {str(b): clients_for(b, args.clients) for b in args.batch_sizes},
                "http_workers": {"pg": args.http_workers_pg, "sqlite": args.http_workers_sqlite},
                "pool_scale": args.pool_scale,
                "seed": args.seed,
            },
            "cells": [c.to_json() for c in self.cells],
            "groups": self.groups,
            "ratios": report.ratios(self.cells),
            "targets": report.targets(self.cells, args.shapes) if "pg" in args.databases else [],
        }

    def write_json(self, results: dict[str, Any]) -> None:
        self.json_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.json_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        tmp.replace(self.json_path)


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    return Run(args, argv).main()
