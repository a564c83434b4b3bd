"""``python -m bench.payments``: parse options, run every cell, write the results."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from rich.console import Console

from bench.ledger import report as ledger_report
from bench.ledger.dbs import postgres_info
from bench.ledger.over_http import default_server_command, missing_server_reason
from bench.ledger.stats import Cell
from bench.payments import cpu, dbs, report
from bench.payments.calibrate import calibrate
from bench.payments.ledger_rate import run_ledger_cell
from bench.payments.load import LoadSpec, run_load
from bench.payments.onboarding import onboard
from bench.payments.partner import MODES, Mode, PartnerCredentials
from bench.payments.profiling import Profile, Recorder, py_spy_command
from bench.payments.provenance import source_fingerprint
from bench.payments.results import HttpCell, fill, fill_pg
from bench.payments.server import (
    RATE_PER_S,
    Server,
    ServerSpec,
    log_offset,
    logged_problems,
    serve,
    server_env,
)

REPO_ROOT: Final = Path(__file__).resolve().parents[2]
DEFAULT_PG_URL: Final = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL: Final = "redis://127.0.0.1:6379/0"
PROFILE_MIN_SECONDS: Final = 10.0  # the profiled cell, even with --quick: enough samples
PROFILE_MIN_WARMUP: Final = 2.0
DEPOSIT_MINOR: Final = 10**13  # fen per customer: 100 billion CNY, never the limit
DEFAULT_CUSTOMERS: Final = 6_000


def _ints(text: str) -> list[int]:
    try:
        values = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(
            "a comma-separated list of integers, e.g. 1,16,64"
        ) from None
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError("values must be positive integers")
    return values


def _modes(text: str) -> list[Mode]:
    items = [x.strip() for x in text.split(",") if x.strip() and x.strip() != "none"]
    unknown = [x for x in items if x not in MODES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown {', '.join(unknown)}; choose from signed,unsigned"
        )
    return [m for m in MODES if m in items]


def _profile_cell(text: str) -> tuple[Mode, int]:
    mode, _, concurrency = text.partition(":")
    if mode not in MODES or not concurrency.isdigit() or int(concurrency) < 1:
        raise argparse.ArgumentTypeError("MODE:C, e.g. signed:64")
    return (mode, int(concurrency))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.payments",
        description="The QR flow (precreate, then pay) end to end over HTTP on PostgreSQL, "
        "signed (RFC 9421 both ways) and with signatures off, at several concurrencies and "
        "server worker counts, next to the raw ledger rate of the same money movement. "
        "Paid trades/s, latency p50/p99 per trade and per request, and who used the CPU. "
        "Measurement, not a test: nothing here asserts timing. Run it on an idle machine.",
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL),
        help="PostgreSQL server, a role allowed to CREATE DATABASE [env BENCH_PG_URL, else "
        f"{DEFAULT_PG_URL}]; a fresh database bankstack_bench_pay_<pid> is created for the run "
        "and dropped after it",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        help=f"Redis for nonces and rate limits when 2+ workers serve [{DEFAULT_REDIS_URL}]",
    )
    parser.add_argument(
        "--concurrency", type=_ints, default="1,16,64", help="concurrent partners [1,16,64]"
    )
    parser.add_argument("--workers", type=_ints, default="1,2", help="server workers [1,2]")
    parser.add_argument(
        "--modes", type=_modes, default="signed,unsigned", help="signed, unsigned [both]"
    )
    parser.add_argument(
        "--ledger-rate",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure the raw ledger rate in-process [on]",
    )
    parser.add_argument(
        "--seconds", type=float, default=None, help="measured seconds per cell [12; --quick: 2]"
    )
    parser.add_argument(
        "--warmup", type=float, default=None, help="unmeasured seconds first [3; --quick: 1]"
    )
    parser.add_argument("--quick", action="store_true", help="2 s cells after 1 s warm-up")
    parser.add_argument(
        "--client-procs",
        type=int,
        default=1,
        help="client processes sharing the partners (an event loop each) [1]",
    )
    parser.add_argument(
        "--customers",
        type=int,
        default=None,
        help=(
            "funded test customers; partner i pays as customers i, i+C, ... [6000, at least"
            " 2 x the largest C: risk screens every payment, and fewer customers would each pay"
            " more often than the velocity rules let a new account (10 a day)]"
        ),
    )
    parser.add_argument(
        "--amount",
        type=int,
        default=8800,
        # 10.00 or less, five times a minute from one customer, is what risk challenges as
        # card testing: the default is a typical ticket.
        help="trade amount in fen; the fee is 0.6%% [8800]",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="if the signed flow misses the target, run --profile-cell again with py-spy "
        "attached to the server (needs py-spy in the venv: pip install py-spy)",
    )
    parser.add_argument(
        "--profile-cell",
        type=_profile_cell,
        default="signed:64",
        help="MODE:C to profile, with the worker count that did best there [signed:64]",
    )
    parser.add_argument(
        "--server-command",
        default=default_server_command(),
        help="the bankstack executable [.venv/bin/bankstack]",
    )
    parser.add_argument(
        "--log-dir",
        type=Path,
        default=REPO_ROOT / "var/bench",
        help="where the server log and the raw profile go [var/bench]",
    )
    parser.add_argument(
        "--pool-scale",
        type=float,
        default=1.0,
        help="multiply the raw ledger cells' pre-built chains; raise it if a cell reports "
        "'pool exhausted' [1.0]",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the raw ledger draws [1]")
    parser.add_argument(
        "--json-out",
        type=Path,
        default=None,
        help="results file [bench/results/payments-<timestamp>.json]",
    )
    parser.add_argument(
        "--write-docs", action="store_true", help="rewrite the payments section of --docs-path"
    )
    parser.add_argument(
        "--docs-from",
        type=Path,
        default=None,
        metavar="RESULTS_JSON",
        help="measure nothing: rewrite the docs section from a results file of this harness",
    )
    parser.add_argument(
        "--docs-path",
        type=Path,
        default=REPO_ROOT / "docs/benchmarks.md",
        help="[docs/benchmarks.md]; only the marked payments section is rewritten",
    )
    args = parser.parse_args(argv)
    args.seconds = args.seconds if args.seconds is not None else 2.0 if args.quick else 12.0
    args.warmup = args.warmup if args.warmup is not None else 1.0 if args.quick else 3.0
    if args.client_procs < 1:
        parser.error("--client-procs must be at least 1")
    if args.amount < 1:
        parser.error("--amount must be at least 1 fen")
    largest = max(args.concurrency)
    if args.customers is None:
        args.customers = max(DEFAULT_CUSTOMERS, 2 * largest)
    if args.customers < 1:
        parser.error("--customers must be at least 1")
    return args


class Run:
    def __init__(self, args: argparse.Namespace, argv: Sequence[str]) -> None:
        self.args = args
        self.console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
        self.progress = report.Progress(self.console)
        self.cells: list[HttpCell] = []
        self.ledger_cells: list[Cell] = []
        self.profile: Profile | None = None
        self.profile_cell: HttpCell | None = None
        self.check: dict[str, Any] | None = None
        self.calibration: dict[str, float] = {}
        self.started = dt.datetime.now(dt.UTC)
        stamp = self.started.strftime("%Y%m%dT%H%M%SZ")
        self.tag = f"{os.getpid() % 100_000}{secrets.token_hex(2)}"
        self.json_path: Path = args.json_out or REPO_ROOT / f"bench/results/payments-{stamp}.json"
        self.log_path = args.log_dir / f"payments-server-{os.getpid()}.log"
        self.admin_token = secrets.token_urlsafe(24)
        self.command = shlex.join([".venv/bin/python", "-m", "bench.payments", *argv])
        self.base: dict[str, Any] = {
            "benchmark": "payments",
            "format": 1,
            "date": self.started.isoformat(timespec="seconds"),
            "command": self.command,
            **ledger_report.commit_info(),
            "machine": ledger_report.machine_info(),
            "postgresql": None,
            "redis_version": None,
        }

    # -- the run ---------------------------------------------------------------------------------

    def main(self) -> int:
        args = self.args
        reason = missing_server_reason(args.server_command)
        if reason:
            self.console.print(f"cannot run the server: {reason}", style="red")
            return 2
        try:
            self.base["postgresql"] = postgres_info(args.pg_url)
        except Exception as error:  # noqa: BLE001 - say why and stop
            self.console.print(f"PostgreSQL at {args.pg_url} not usable: {error}", style="red")
            return 2
        if max(args.workers) > 1:
            self.base["redis_version"] = dbs.redis_version(args.redis_url)
            if self.base["redis_version"] is None:
                self.console.print(f"Redis at {args.redis_url} not reachable", style="red")
                return 2
        if not cpu.available():
            self.progress.info("WARNING: no /proc: CPU use will not be reported")
        load = self.base["machine"]["load_average_at_start"][0]
        if load > 0.5 * self.base["machine"]["nproc"]:
            self.progress.info(
                f"WARNING: load average {load:.2f} at start; other work will skew the numbers"
            )
        self.progress.info(
            f"commit {self.base['commit']}{' (dirty)' if self.base['dirty'] else ''}; "
            f"{args.seconds} s per cell after {args.warmup} s warm-up; "
            f"{args.client_procs} client process(es); server log {self.log_path}"
        )
        self.base["source_fingerprint_start"] = source_fingerprint()
        self.calibration = calibrate()
        self.progress.info(
            "CPU per call (us): " + ", ".join(f"{k} {v:,.0f}" for k, v in self.calibration.items())
        )
        creds: PartnerCredentials | None = None
        with (
            dbs.fresh_database(args.pg_url) as database_url,
            tempfile.TemporaryDirectory(prefix="bench-payments-keys-") as key_dir,
        ):
            self.database_url = database_url
            self.key_dir = Path(key_dir)
            creds = self.http_cells()
            if creds is not None and args.ledger_rate:
                self.ledger_rate(creds)
            if creds is not None and args.profile:
                self.maybe_profile(creds)
            if creds is not None:
                self.check = self.cross_check(creds)
        self.base["source_fingerprint_end"] = source_fingerprint()
        self.base["source_changed_during_run"] = (
            self.base["source_fingerprint_end"] != self.base["source_fingerprint_start"]
        )
        if self.base["source_changed_during_run"]:
            self.progress.info(
                "WARNING: src/, sdk/ or migrations/ changed during the run (commit or edit): "
                "the cells did not all measure the same code"
            )
        results = self.results()
        self.write_json(results)
        report.print_tables(self.console, results, self.cells)
        self.console.print(f"results: {self.json_path}", highlight=False)
        if args.write_docs:
            report.write_docs(args.docs_path, report.render_docs(results, self.cells))
            self.console.print(f"docs: {args.docs_path}", highlight=False)
        failed = any(c.error for c in self.cells) or any(c.error for c in self.ledger_cells)
        return 1 if failed or creds is None else 0

    def server_specs(self) -> list[ServerSpec]:
        args = self.args
        specs = []
        for workers in args.workers:
            redis = args.redis_url if workers > 1 else None
            specs += [ServerSpec(workers, mode == "signed", redis) for mode in args.modes]
        if not specs:  # only the raw ledger: a server is still needed for the set-up
            specs.append(ServerSpec(1, sign_responses=True, redis_url=None))
        return specs

    def serve(self, spec: ServerSpec) -> Any:
        return serve(
            spec,
            command=self.args.server_command,
            database_url=self.database_url,
            admin_token=self.admin_token,
            key_dir=self.key_dir,
            log_path=self.log_path,
        )

    def http_cells(self) -> PartnerCredentials | None:
        args = self.args
        creds: PartnerCredentials | None = None
        for spec in self.server_specs():
            mode: Mode = "signed" if spec.sign_responses else "unsigned"
            self.progress.info(f"== server: {spec.describe()}")
            try:
                with self.serve(spec) as server:
                    if creds is None:
                        creds = self.onboard(server)
                    creds = creds.for_port(server.port)
                    if mode not in args.modes:
                        continue
                    for concurrency in args.concurrency:
                        self.measure(creds, server, mode, concurrency)
            except Exception as error:  # noqa: BLE001 - recorded; the other servers go on
                self.progress.info(f"server {spec.describe()} failed: {error}")
                for concurrency in args.concurrency:
                    if not any(c.key == (mode, spec.workers, concurrency) for c in self.cells):
                        cell = HttpCell(mode, spec.workers, concurrency, args.client_procs)
                        cell.skipped = f"{type(error).__name__}: {error}"
                        self.record(cell)
        return creds

    def onboard(self, server: Server) -> PartnerCredentials:
        args = self.args
        began = time.monotonic()
        creds = onboard(
            server.base_url,
            self.admin_token,
            tag=self.tag,
            customers=args.customers,
            deposit_minor=DEPOSIT_MINOR,
            amount_minor=args.amount,
            progress=self.progress.info,
        )
        self.progress.info(f"set-up took {time.monotonic() - began:.1f} s")
        return creds

    def run_cell(
        self,
        creds: PartnerCredentials,
        server: Server,
        mode: Mode,
        concurrency: int,
        *,
        at_window_start: Callable[[], None] | None = None,
        warmup_s: float | None = None,
        seconds: float | None = None,
    ) -> HttpCell:
        args = self.args
        procs = min(args.client_procs, concurrency)
        cell = HttpCell(mode, server.spec.workers, concurrency, procs, server.spec.describe())
        spec = LoadSpec(
            mode,
            concurrency,
            args.warmup if warmup_s is None else warmup_s,
            args.seconds if seconds is None else seconds,
            run_tag=f"{self.tag}-{mode[0]}{server.spec.workers}x{concurrency}-{secrets.token_hex(2)}",
        )
        since = log_offset(self.log_path)
        counters: list[dict[str, int]] = []

        def window_start() -> None:
            if at_window_start is not None:
                at_window_start()
            counters.append(self.pg_counters())

        try:
            result = run_load(
                creds,
                spec,
                procs=procs,
                server_sid=server.pid,
                database=dbs.database_name(),
                at_window_start=window_start,
                at_window_end=lambda: counters.append(self.pg_counters()),
            )
            fill(cell, result)
            if len(counters) == 2:  # noqa: PLR2004 - the window's start and end
                fill_pg(cell, *counters)
        except Exception as error:  # noqa: BLE001 - recorded in the cell
            cell.error = f"{type(error).__name__}: {error}"
        cell.server_log = logged_problems(self.log_path, since)
        return cell

    def pg_counters(self) -> dict[str, int]:
        try:
            return dbs.pg_counters(self.args.pg_url, dbs.database_name())
        except Exception:  # noqa: BLE001 - the counters are a diagnostic, never fatal
            return {}

    def measure(
        self, creds: PartnerCredentials, server: Server, mode: Mode, concurrency: int
    ) -> None:
        self.record(self.run_cell(creds, server, mode, concurrency))

    def record(self, cell: HttpCell) -> None:
        self.cells.append(cell)
        self.progress.http(cell)
        self.write_json(self.results())

    def ledger_rate(self, creds: PartnerCredentials) -> None:
        args = self.args
        self.progress.info("== raw ledger rate: in-process GroupCommitWriter, no server")
        for concurrency in args.concurrency:
            cell = Cell("pg", "payments_chain", "raw_ledger", 2, concurrency)
            try:
                run_ledger_cell(
                    cell,
                    database_url=self.database_url,
                    creds=creds,
                    tag=f"{self.tag}-c{concurrency}",
                    warmup_s=args.warmup,
                    seconds=args.seconds,
                    pool_scale=args.pool_scale,
                    seed=args.seed,
                )
            except Exception as error:  # noqa: BLE001 - recorded; the other cells go on
                cell.error = f"{type(error).__name__}: {error}"
            cell.note = "trades/s: one linked chain per paid trade"
            self.ledger_cells.append(cell)
            self.progress.ledger(cell)
            self.write_json(self.results())

    def maybe_profile(self, creds: PartnerCredentials) -> None:
        verdicts = report.targets(self.cells, self.ledger_cells)
        if report.target_met(verdicts):
            self.progress.info("the signed flow meets the target: no profile needed")
            return
        py_spy = py_spy_command()
        mode, concurrency = self.args.profile_cell
        measured = [c for c in self.cells if (c.mode, c.concurrency) == (mode, concurrency)]
        best = max(measured, key=lambda c: c.tps or 0.0, default=None)
        workers = best.workers if best is not None else self.args.workers[0]
        cell_info: dict[str, Any] = {"mode": mode, "workers": workers, "concurrency": concurrency}
        if py_spy is None:
            self.profile = Profile(
                "py-spy",
                0,
                0.0,
                cell_info,
                error="py-spy is not installed "
                "(pip install py-spy into the venv; it is not a dependency)",
            )
            self.progress.info(f"profile skipped: {self.profile.error}")
            return
        redis = self.args.redis_url if workers > 1 else None
        spec = ServerSpec(workers, mode == "signed", redis)
        self.progress.info(f"== profile: py-spy on the server, {spec.describe()}, C={concurrency}")
        out = self.args.log_dir / f"payments-profile-{os.getpid()}.txt"
        with self.serve(spec) as server:
            seconds = max(self.args.seconds, PROFILE_MIN_SECONDS)
            recorder = Recorder(py_spy, server.pid, seconds, out)
            cell = self.run_cell(
                creds.for_port(server.port),
                server,
                mode,
                concurrency,
                at_window_start=recorder.start,
                warmup_s=max(self.args.warmup, PROFILE_MIN_WARMUP),
                seconds=seconds,
            )
            cell.note = "profiled: py-spy attached during the window"
            self.progress.http(cell)
            cell_info |= {"tps": cell.tps, "cpu_cores": cell.cpu_cores, "errors": cell.errors}
            self.profile = recorder.finish(cell_info)
        self.progress.info(
            f"profiled cell: {ledger_report.fmt_tps(cell.tps)} trades/s, "
            f"{self.profile.samples:,} samples"
            + (f"; {self.profile.error}" if self.profile.error else "")
        )
        self.profile_cell = cell

    def cross_check(self, creds: PartnerCredentials) -> dict[str, Any]:
        """Every trade a client saw paid must be paid in the database (and no more)."""
        seen = sum(c.trades_total for c in self.cells)
        if self.profile_cell is not None:
            seen += self.profile_cell.trades_total
        check: dict[str, Any] = {"paid_seen_by_clients": seen}
        try:
            check |= dbs.cross_check(self.database_url, creds.merchant_id)
        except Exception as error:  # noqa: BLE001 - a report, not a failure of the run
            check["error"] = f"{type(error).__name__}: {error}"
            return check
        failed = sum(c.error_count for c in self.cells)
        check["consistent"] = check["ledger_balanced"] and (
            check["paid_trades_in_db"] == seen
            or (failed and seen <= check["paid_trades_in_db"] <= seen + failed)
        )
        if not check["consistent"]:
            self.progress.info(
                f"WARNING: clients saw {seen:,} trades paid; the database holds {check} "
                "(a flow that failed after its payment committed explains extra paid trades)"
            )
        return check

    # -- results ---------------------------------------------------------------------------------

    def results(self) -> dict[str, Any]:
        args = self.args
        env = server_env(
            ServerSpec(1, sign_responses=True, redis_url=None),
            database_url="<bench database>",
            admin_token="<random>",  # noqa: S106 - a placeholder shown in the results
            key_dir=Path("<temporary directory>"),
            port=0,
        )
        settings = {k: v for k, v in env.items() if k.startswith("BANKSTACK_")}
        settings["BANKSTACK_PARTNER_SIGN_RESPONSES"] = "true (signed) / false (signatures off)"
        settings["BANKSTACK_REDIS_URL"] = f"{args.redis_url} with 2+ workers, unset with 1"
        settings["BANKSTACK_PUBLIC_URL"] = "http://127.0.0.1:<port>"
        ledger_cells = [c.to_json() for c in self.ledger_cells]
        return {
            **self.base,
            "json_path": _display_path(self.json_path),
            "options": {
                "concurrency": args.concurrency,
                "workers": args.workers,
                "modes": args.modes,
                "ledger_rate": args.ledger_rate,
                "seconds": args.seconds,
                "warmup": args.warmup,
                "quick": args.quick,
                "client_procs": args.client_procs,
                "customers": args.customers,
                "amount_minor": args.amount,
                "profile": args.profile,
                "profile_cell": list(args.profile_cell),
                "pool_scale": args.pool_scale,
                "seed": args.seed,
            },
            "server_settings": settings | {"BANKSTACK_PARTNER_RATE_PER_S": str(RATE_PER_S)},
            "calibration_cpu_us": self.calibration,
            "cells": [c.to_json() for c in self.cells],
            "ledger_cells": ledger_cells,
            "targets": report.targets(self.cells, self.ledger_cells),
            "profile": None if self.profile is None else self.profile.to_json(),
            "cross_check": self.check,
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


def docs_from(results_path: Path, docs_path: Path) -> int:
    """Re-render the docs section from a results file (after a change to the text only)."""
    results: dict[str, Any] = json.loads(results_path.read_text())
    cells = [HttpCell(**cell) for cell in results["cells"]]
    report.write_docs(docs_path, report.render_docs(results, cells))
    print(f"docs: {docs_path} (from {results_path})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.docs_from is not None:
        return docs_from(args.docs_from, args.docs_path)
    return Run(args, argv).main()
