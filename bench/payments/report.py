"""Results: progress lines, the Rich tables, the target verdict and the docs section."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from bench.docs import write_section
from bench.ledger.report import fmt_ms, fmt_tps
from bench.ledger.stats import Cell
from bench.payments.results import HttpCell

RUN_COMMAND: Final = ".venv/bin/python -m bench.payments --profile --write-docs"
TARGET_TPS: Final = 1_000
TARGET_P99_MS: Final = 100.0
MODE_NAMES: Final = {"signed": "signed", "unsigned": "signatures off"}
CPU_COLUMNS: Final = ("client", "server", "postgres", "redis", "other")


def _p(latency: dict[str, float | None], q: str) -> str:
    return fmt_ms(latency.get(q))


def _pair(latency: dict[str, float | None]) -> str:
    return f"{_p(latency, 'p50')} / {_p(latency, 'p99')}"


def _cores(cell: HttpCell) -> str:
    return " / ".join(f"{cell.cpu_cores.get(g, 0.0):.2f}" for g in CPU_COLUMNS)


def _per_trade(cell: HttpCell) -> str:
    ms = cell.cpu_ms_per_trade
    if not ms:
        return "—"
    return f"{ms['client']:.1f} + {ms['server']:.1f} + {ms['postgres']:.1f} + {ms['redis']:.1f}"


def _pg(cell: HttpCell) -> str:
    per = cell.pg_per_trade
    if not per:
        return "—"
    return f"{per['commits']:.1f} / {per['sessions']:.2f}"


def ceiling(cell: HttpCell, cores: int) -> float | None:
    """Paid trades/s ``cores`` could carry at this cell's CPU cost per trade (client, server,
    PostgreSQL, Redis), if nothing else ran and nothing waited."""
    total = cell.cpu_ms_per_trade.get("bench_system")
    return cores * 1000 / total if total else None


def _status(cell: HttpCell) -> str:
    if cell.skipped:
        return f"SKIPPED: {cell.skipped}"
    flags = []
    if cell.error:
        flags.append(f"ERROR: {cell.error}")
    if cell.errors:
        flags.append(
            f"{cell.error_count:,} failed flows: "
            + ", ".join(f"{k} x{v}" for k, v in list(cell.errors.items())[:3])
        )
    if cell.server_log:
        flags.append("server logged " + ", ".join(f"{k} x{v}" for k, v in cell.server_log.items()))
    if cell.client_saturated:
        flags.append("client saturated")
    if cell.note:
        flags.append(cell.note)
    return "; ".join(flags)


# -- console -------------------------------------------------------------------------------------


class Progress:
    """One line per finished cell, as it finishes."""

    HTTP_HEADER: Final = (
        f"{'mode':<9} {'W':>2} {'C':>3} {'trades/s':>9} {'trade p50':>9} {'p99':>7} "
        f"{'pre p50':>8} {'p99':>7} {'pay p50':>8} {'p99':>7}  "
        f"cores client/server/pg/redis/other  note"
    )

    def __init__(self, console: Console) -> None:
        self._console = console
        self._printed_header = False

    def http(self, cell: HttpCell) -> None:
        if not self._printed_header:
            self._console.print(self.HTTP_HEADER, style="bold", highlight=False, soft_wrap=True)
            self._printed_header = True
        t, pre, pay = cell.trade_latency_ms, cell.precreate_latency_ms, cell.pay_latency_ms
        line = (
            f"{cell.mode:<9} {cell.workers:>2} {cell.concurrency:>3} {fmt_tps(cell.tps):>9} "
            f"{_p(t, 'p50'):>9} {_p(t, 'p99'):>7} {_p(pre, 'p50'):>8} {_p(pre, 'p99'):>7} "
            f"{_p(pay, 'p50'):>8} {_p(pay, 'p99'):>7}  {_cores(cell):<33}  {_status(cell)}"
        )
        style = "red" if cell.error or cell.errors else "yellow" if cell.skipped else None
        self._console.print(line, style=style, highlight=False, soft_wrap=True)

    def ledger(self, cell: Cell) -> None:
        lat, bat = cell.latency_ms, cell.batch_latency_ms
        mean = "—" if cell.mean_batch_size is None else f"{cell.mean_batch_size:,.0f}"
        notes = []
        if cell.pool_exhausted:
            notes.append("POOL EXHAUSTED: rerun with a larger --pool-scale")
        if cell.error:
            notes.append(f"ERROR: {cell.error}")
        self._console.print(
            f"raw ledger C={cell.clients:<3} {fmt_tps(cell.tps):>9} trades/s; chain p50 "
            f"{fmt_ms(lat.get('p50'))} p99 {fmt_ms(lat.get('p99'))} ms; writer batch p50 "
            f"{fmt_ms(bat.get('p50'))} p99 {fmt_ms(bat.get('p99'))} ms, {mean} transfers "
            f"per batch  " + "; ".join(notes),
            style="red" if cell.error else None,
            highlight=False,
            soft_wrap=True,
        )

    def info(self, text: str) -> None:
        self._console.print(text, style="dim", highlight=False, soft_wrap=True)


def print_tables(console: Console, results: dict[str, Any], cells: Sequence[HttpCell]) -> None:
    nproc = int(results["machine"]["nproc"])
    table = Table(title="QR flow over HTTP (latency in ms, p50 / p99)")
    for column in (
        "mode",
        "W",
        "C",
        "paid trades/s",
        "trade",
        "precreate",
        "pay",
        "cores: client/server/pg/redis/other",
        "CPU ms/trade cl+srv+pg+redis",
        "pg commits / new conns per trade",
        f"{nproc}-core ceiling",
    ):
        table.add_column(column, justify="right" if column != "mode" else "left")
    for cell in cells:
        table.add_row(
            MODE_NAMES.get(cell.mode, cell.mode),
            str(cell.workers),
            str(cell.concurrency),
            fmt_tps(cell.tps) + (" (!)" if cell.errors or cell.error else ""),
            _pair(cell.trade_latency_ms),
            _pair(cell.precreate_latency_ms),
            _pair(cell.pay_latency_ms),
            _cores(cell),
            _per_trade(cell),
            _pg(cell),
            fmt_tps(ceiling(cell, nproc)),
        )
    console.print(table)
    if results["ledger_cells"]:
        ledger = Table(title="Raw ledger rate (in-process GroupCommitWriter, one chain per trade)")
        for column in ("C", "trades/s", "chain p50 / p99", "batch p50 / p99", "transfers/batch"):
            ledger.add_column(column, justify="right")
        for lc in results["ledger_cells"]:
            ledger.add_row(
                str(lc["clients"]),
                fmt_tps(lc["tps"]),
                _pair(lc["latency_ms"]),
                _pair(lc["batch_latency_ms"]),
                "—" if lc["mean_batch_size"] is None else f"{lc['mean_batch_size']:,.0f}",
            )
        console.print(ledger)
    verdicts = Table(
        title=f"Target: >= {TARGET_TPS:,} paid trades/s at p99 < {TARGET_P99_MS:.0f} ms"
    )
    for column in ("flow", "verdict", "best cell meeting the latency", "most trades/s"):
        verdicts.add_column(column)
    for t in results["targets"]:
        verdicts.add_row(t["flow"], t["status"], t["best_text"], t["max_text"])
    console.print(verdicts)
    profile = results.get("profile")
    if profile:
        print_profile(console, profile)


def print_profile(console: Console, profile: dict[str, Any]) -> None:
    if profile.get("error"):
        console.print(f"profile: {profile['error']}", style="yellow", highlight=False)
        return
    table = Table(title=f"Where the server's CPU goes ({_profile_title(profile)})")
    table.add_column("component")
    table.add_column("share", justify="right")
    for row in profile["by_component"]:
        table.add_row(row["component"], f"{row['share']:.1%}")
    console.print(table)
    functions = Table(title="Top functions (self time)")
    functions.add_column("function")
    functions.add_column("share", justify="right")
    for row in profile["top_functions"][:10]:
        functions.add_row(row["function"], f"{row['share']:.1%}")
    console.print(functions)


def _profile_title(profile: dict[str, Any]) -> str:
    cell = profile["cell"]
    unreadable = profile.get("unreadable_samples")
    dropped = "" if unreadable is None else f" (+{unreadable:,} unreadable, dropped)"
    return (
        f"{MODE_NAMES.get(cell['mode'], cell['mode'])}, {cell['workers']} worker(s), "
        f"C={cell['concurrency']}, {profile['samples']:,} samples{dropped}"
    )


# -- the verdict ---------------------------------------------------------------------------------


def _trade_p99(cell: HttpCell) -> float | None:
    return cell.trade_latency_ms.get("p99")


def _describe(cell: HttpCell) -> str:
    return (
        f"{fmt_tps(cell.tps)} trades/s at p99 {fmt_ms(_trade_p99(cell))} ms "
        f"({cell.workers} worker(s), C={cell.concurrency})"
    )


def targets(cells: Sequence[HttpCell], ledger_cells: Sequence[Cell]) -> list[dict[str, Any]]:
    """Per flow: does any measured cell reach the target rate with trade p99 under the limit?"""
    verdicts = []
    for mode, flow in (
        ("signed", "QR flow, signed (the target)"),
        ("unsigned", "QR flow, signatures off (reference)"),
    ):
        measured = [c for c in cells if c.mode == mode and c.tps and not c.skipped]
        if not measured:
            continue
        fast = [c for c in measured if (_trade_p99(c) or float("inf")) < TARGET_P99_MS]
        best = max(fast, key=lambda c: c.tps or 0.0, default=None)
        most = max(measured, key=lambda c: c.tps or 0.0)
        met = best is not None and (best.tps or 0.0) >= TARGET_TPS
        verdicts.append(
            {
                "flow": flow,
                "mode": mode,
                "status": "PASS" if met else "FAIL",
                "best": None if best is None else list(best.key),
                "best_text": "none under the latency limit" if best is None else _describe(best),
                "max": list(most.key),
                "max_text": _describe(most),
            }
        )
    rates = [c for c in ledger_cells if c.tps]
    if rates:
        top = max(rates, key=lambda c: c.tps or 0.0)
        p99 = top.latency_ms.get("p99")
        verdicts.append(
            {
                "flow": "raw ledger chain, in-process (reference)",
                "mode": "raw_ledger",
                "status": "PASS" if (top.tps or 0.0) >= TARGET_TPS else "FAIL",
                "best": None,
                "best_text": "—",
                "max": [top.clients],
                "max_text": f"{fmt_tps(top.tps)} trades/s at chain p99 {fmt_ms(p99)} ms "
                f"(C={top.clients})",
            }
        )
    return verdicts


def target_met(verdicts: Iterable[dict[str, Any]]) -> bool:
    return any(v["mode"] == "signed" and v["status"] == "PASS" for v in verdicts)


# -- docs ----------------------------------------------------------------------------------------


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _facts(results: dict[str, Any]) -> list[tuple[str, str]]:
    machine, opts = results["machine"], results["options"]
    commit = results["commit"] + (" (with uncommitted changes)" if results["dirty"] else "")
    facts = [
        ("Commit", f"`{commit}`"),
        ("Date", results["date"]),
        ("Machine", f"{machine['nproc']} CPUs (`nproc`), {machine['memory_gib']} GiB RAM"),
        ("CPU", machine["cpu_model"]),
        ("OS / Python", f"{machine['os']} / Python {machine['python']}"),
        ("Load average at start", ", ".join(f"{x:.2f}" for x in machine["load_average_at_start"])),
    ]
    pg = results.get("postgresql")
    if pg:
        s = pg["settings"]
        facts.append(("PostgreSQL", pg["version"]))
        facts.append(
            (
                "PostgreSQL settings",
                (
                    f"shared_buffers={s['shared_buffers']}, synchronous_commit="
                    f"{s['synchronous_commit']}, fsync={s['fsync']}, max_connections="
                    f"{s['max_connections']}"
                ),
            )
        )
    facts.append(("Redis", results.get("redis_version") or "—"))
    facts.append(
        (
            "Server",
            (
                f"`bankstack serve --workers {'/'.join(map(str, opts['workers']))}`; rate limit "
                f"{results['server_settings']['BANKSTACK_PARTNER_RATE_PER_S']}/s per app; "
                "nonces and rate limits in Redis with 2+ workers, in memory with 1; log level "
                "WARNING"
            ),
        )
    )
    facts.append(
        (
            "Client",
            (
                f"{opts['client_procs']} process(es), asyncio + uvloop, HTTP/1.1 keep-alive, "
                "one connection per virtual partner; signing and verifying with `bankstack_sdk`"
            ),
        )
    )
    facts.append(
        (
            "Per cell",
            (
                f"{opts['seconds']} s measured after {opts['warmup']} s warm-up; "
                f"{opts['customers']} customers, {opts['amount_minor']} fen per trade"
            ),
        )
    )
    facts.append(("Results file", f"`{results['json_path']}`"))
    return facts


METHOD: Final = """\
Each virtual partner (C of them, closed loop) runs the QR flow back to back on its own
keep-alive connection: `POST /v1/trades` (method `qr`, 201 `waiting`), then
`POST /v1/trades/{id}/pay` with a test customer's id (200 `succeeded`), each with a new
`Idempotency-Key`. **Signed**: every request signed with the app's Ed25519 key (RFC 9421,
`bankstack_sdk.sign_request`) and verified by the server; every answer's platform signature
verified by the client (`verify_response`) before it is believed. **Signatures off**: the
server started with `BANKSTACK_PARTNER_SIGN_RESPONSES=false`, the client authenticating with
the sandbox API key (`Authorization: Bearer sk_test_...`) and verifying nothing. One database
for the whole run (created, migrated by the server, dropped after); the server is restarted
for each (workers, mode); the first cell after a restart absorbs start-up in its warm-up.
A trade counts when its pay answer arrives inside the measured window; trade latency runs
from the partner starting the precreate (signing included) to the verified pay answer.
`cores` is CPU used during the window, from `/proc`: the client processes, the server and its
workers, PostgreSQL (this database's backends, the shared background processes, and backends
that ended during the window, which the postmaster counts as its children's time), Redis,
and `other` (everything else on the machine: the bench's own parent process, the kernel,
other people's work). `CPU ms/trade` divides those by the paid trades; the ceiling is the
trades/s the machine's cores could carry at that cost. The client is a minimal HTTP/1.1
client, not `httpx.AsyncClient`, which cost 1.4-2.6 ms of client CPU per request here."""


def render_docs(results: dict[str, Any], cells: Sequence[HttpCell]) -> str:
    opts = results["options"]
    nproc = int(results["machine"]["nproc"])
    out = [
        "## Payments: the QR flow over HTTP (`bench/payments`)",
        "",
        f"Run: `{RUN_COMMAND}` on an otherwise idle machine (about 7 minutes",
        "with the defaults; `--help` lists the options). This run:",
        "",
        f"    {results['command']}",
        "",
    ]
    if opts["quick"]:
        out += ["> **Quick run** (`--quick`): short cells; not representative.", ""]
    if results.get("source_changed_during_run"):
        out += [
            "> **The code changed during the run** (a commit or an edit in `src/`, `sdk/` or",
            "> `migrations/` of the shared working tree): the cells did not all measure the",
            "> same code.",
            "",
        ]
    load = results["machine"]["load_average_at_start"][0]
    if load > 0.5 * nproc:
        out += [
            f"> **The machine was busy** (load average {load:.2f} at start): the `other` CPU",
            "> column shows how much of it went to work outside this benchmark.",
            "",
        ]
    out += _md_table(["", ""], _facts(results))
    out += ["", METHOD, ""]
    out += [
        "### Paid trades/s and latency",
        "",
        "Latency in ms, p50 / p99: per paid trade (precreate + pay) and per request. W = server",
        "workers, C = concurrent partners. CPU ms per paid trade: client + server + PostgreSQL",
        "+ Redis. PostgreSQL's own counts (`pg_stat_database`, about a second's accuracy):",
        "transactions committed and connections opened in the bench database, per paid trade.",
        "",
    ]
    rows = [
        [
            MODE_NAMES.get(c.mode, c.mode),
            str(c.workers),
            str(c.concurrency),
            fmt_tps(c.tps) + (" (errors)" if c.errors or c.error else ""),
            _pair(c.trade_latency_ms),
            _pair(c.precreate_latency_ms),
            _pair(c.pay_latency_ms),
            _cores(c),
            _per_trade(c),
            _pg(c),
            fmt_tps(ceiling(c, nproc)),
        ]
        for c in cells
    ]
    header = [
        "mode",
        "W",
        "C",
        "paid trades/s",
        "trade",
        "precreate",
        "pay",
        "cores: client / server / pg / redis / other",
        "CPU ms/trade",
        "PG commits / new connections per trade",
        f"{nproc}-core ceiling",
    ]
    out += [*_md_table(header, rows), ""]
    failed = [c for c in cells if c.errors or c.error]
    if failed:
        out += ["Failed flows (counted, not retried):", ""]
        out += [
            f"- {MODE_NAMES.get(c.mode, c.mode)}, W={c.workers}, C={c.concurrency}: "
            + (c.error or "")
            + ", ".join(f"`{k}` x{v}" for k, v in c.errors.items())
            for c in failed
        ]
        out.append("")
    logged = [c for c in cells if c.server_log]
    if logged:
        out += ["Warnings and errors the server logged during a cell (by message):", ""]
        out += [
            f"- {MODE_NAMES.get(c.mode, c.mode)}, W={c.workers}, C={c.concurrency}: "
            + ", ".join(f"`{k}` x{v}" for k, v in c.server_log.items())
            for c in logged
        ]
        out.append("")
    out += _price_of_security(cells, results)
    out += _ledger_section(results)
    out += [
        f"### Target: >= {TARGET_TPS:,} paid trades/s at p99 < {TARGET_P99_MS:.0f} ms",
        "",
        "p99 of the whole trade (precreate + pay). The target is the signed flow's.",
        "",
    ]
    out += _md_table(
        ["flow", "verdict", "best cell meeting the latency", "most trades/s"],
        [[t["flow"], t["status"], t["best_text"], t["max_text"]] for t in results["targets"]],
    )
    out.append("")
    if results.get("profile"):
        out += _profile_section(results["profile"])
    return "\n".join(out).rstrip() + "\n"


def _calibration(results: dict[str, Any]) -> list[str]:
    costs: dict[str, float] = results.get("calibration_cpu_us") or {}
    if not costs:
        return []
    client = sum(v for k, v in costs.items() if k.startswith("client:"))
    server = sum(v for k, v in costs.items() if k.startswith("server:") and "qr_svg" not in k)
    listed = ", ".join(f"{k} {v:,.0f}" for k, v in costs.items())
    return [
        f"CPU per call, measured in the bench process at the start of the run (µs): {listed}.",
        (
            f"Two signed requests per trade cost {2 * client / 1000:.2f} ms on the client and "
            f"{2 * server / 1000:.2f} ms on the server before any HTTP, framework or database "
            "work;"
        ),
        "at 1,000 trades/s two cores have 2 ms per trade for everything.",
        "",
    ]


def _price_of_security(cells: Sequence[HttpCell], results: dict[str, Any]) -> list[str]:
    by_key = {c.key: c for c in cells}
    rows = []
    for c in cells:
        if c.mode != "signed":
            continue
        off = by_key.get(("unsigned", c.workers, c.concurrency))
        if off is None or not c.tps or not off.tps:
            continue
        on_ms, off_ms = c.cpu_ms_per_trade, off.cpu_ms_per_trade
        rows.append(
            [
                str(c.workers),
                str(c.concurrency),
                fmt_tps(c.tps),
                fmt_tps(off.tps),
                f"{off.tps / c.tps:.2f}x",
                f"{on_ms.get('client', 0):.1f} vs {off_ms.get('client', 0):.1f}",
                f"{on_ms.get('server', 0):.1f} vs {off_ms.get('server', 0):.1f}",
            ]
        )
    if not rows:
        return []
    return [
        "### The price of security",
        "",
        *_calibration(results),
        "The same cells, signed and with signatures off; CPU ms per paid trade signed vs off.",
        "",
        *_md_table(
            [
                "W",
                "C",
                "signed",
                "signatures off",
                "off / signed",
                "client CPU ms",
                "server CPU ms",
            ],
            rows,
        ),
        "",
    ]


def _ledger_section(results: dict[str, Any]) -> list[str]:
    cells = results["ledger_cells"]
    if not cells:
        return []
    rows = [
        [
            str(c["clients"]),
            fmt_tps(c["tps"]) + (" (pool exhausted)" if c["pool_exhausted"] else ""),
            _pair(c["latency_ms"]),
            _pair(c["batch_latency_ms"]),
            "—" if c["mean_batch_size"] is None else f"{c['mean_batch_size']:,.0f}",
        ]
        for c in cells
    ]
    return [
        "### Raw ledger rate",
        "",
        "The paid trade's ledger chain alone (wallet -> merchant net, wallet -> platform fee,",
        "linked), one chain per submission to an in-process `GroupCommitWriter` on the same",
        "database and accounts: no HTTP, no payments state, no signatures. Latency per chain",
        "and per writer batch (one PostgreSQL transaction), ms.",
        "",
        *_md_table(
            ["C", "trades/s", "chain p50 / p99", "batch p50 / p99", "transfers/batch"], rows
        ),
        "",
    ]


def _profile_section(profile: dict[str, Any]) -> list[str]:
    out = ["### Where the time goes", ""]
    if profile.get("error"):
        return [*out, f"The profile could not be taken: {profile['error']}", ""]
    cell = profile["cell"]
    out += [
        f"py-spy on the server ({_profile_title(profile)}, {profile['seconds']:.0f} s, "
        "sampling the thread that holds the GIL), in a separate run of that cell: "
        f"{fmt_tps(cell.get('tps'))} paid trades/s while profiled; CPU cores then: "
        + ", ".join(f"{k} {v:.2f}" for k, v in cell.get("cpu_cores", {}).items()),
        "",
    ]
    out += _md_table(
        ["server component", "share of server CPU samples"],
        [[r["component"], f"{r['share']:.1%}"] for r in profile["by_component"]],
    )
    out += ["", "Innermost frame's library / top functions by self time:", ""]
    libraries = ", ".join(f"{r['library']} {r['share']:.1%}" for r in profile["by_library"])
    out += [libraries, ""]
    out += _md_table(
        ["function", "self"],
        [[f"`{r['function']}`", f"{r['share']:.1%}"] for r in profile["top_functions"][:10]],
    )
    out.append("")
    return out


def write_docs(path: Path, section: str) -> None:
    """Replace the marked payments section of ``path``; keep the rest."""
    write_section(path, "payments", section)
