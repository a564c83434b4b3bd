"""Run the risk benchmark: ``.venv/bin/python -m bench.risk [--write-docs]``."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy/LightGBM load: no thread fights

import argparse
import json
import platform
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from hdrh.histogram import HdrHistogram

from bankstack.risk import EventKind, RiskEvent
from bankstack.risk.adapters.decisions_sql import MemoryDecisionLog
from bankstack.risk.domain.catalog import CATALOG, VELOCITY_NAMES
from bankstack.risk.engine import RiskEngine
from bankstack.risk.features.memory import InMemoryFeatureSource
from bankstack.risk.models.fraud import FEATURES as FRAUD_FEATURES
from bankstack.risk.models.gbm import (
    FRAUD_REASON_FLOOR,
    Encoder,
    Encoding,
    GbmParams,
    GbmScorer,
    train_gbm,
)
from bankstack.risk.rules import default_ruleset
from bankstack.risk.service import FixedRuleSets
from bankstack.risk.simulator import SimulationConfig, simulate
from bench.docs import write_section

REPO_ROOT = Path(__file__).resolve().parents[2]
TARGET_P99_MS, TARGET_PER_S = 5.0, 2000
MODEL_FEATURES = [spec.name for spec in FRAUD_FEATURES]  # what the production fraud model reads


@dataclass
class Timing:
    name: str
    count: int
    seconds: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float

    @property
    def per_s(self) -> float:
        return self.count / self.seconds


def _stream(days: int, customers: int) -> tuple[list[RiskEvent], list[bool]]:
    config = SimulationConfig(seed=7, days=days, customers=customers)
    labelled = list(simulate(config))
    return [item.event for item in labelled], [item.fraud for item in labelled]


def _train(events: Sequence[RiskEvent], labels: Sequence[bool]) -> GbmScorer:
    source = InMemoryFeatureSource()
    rows = [source.observe(event) for event in events]
    money = [i for i, e in enumerate(events) if e.kind.moves_money]
    columns = {name: np.array([float(rows[i][name]) for i in money]) for name in MODEL_FEATURES}
    target = np.array([int(labels[i]) for i in money])
    encoders = [
        Encoder(name, name, Encoding.NUMERIC, 0, f"F_{name.upper()}", name.replace("_", " "))
        for name in MODEL_FEATURES
    ]
    model = train_gbm(columns, target, encoders, GbmParams(trees=300, leaves=15))
    return GbmScorer("fraud-bench", model, reason_floor=FRAUD_REASON_FLOOR)


def _timed(name: str, items: Sequence[Any], step: Callable[[Any], object]) -> Timing:
    histogram = HdrHistogram(1, 60_000_000, 3)  # microseconds up to a minute
    clock = time.perf_counter_ns
    started = clock()
    for item in items:
        before = clock()
        step(item)
        histogram.record_value(max(1, (clock() - before) // 1000))
    seconds = (clock() - started) / 1e9
    return Timing(
        name,
        len(items),
        seconds,
        histogram.get_value_at_percentile(50) / 1000,
        histogram.get_value_at_percentile(99) / 1000,
        histogram.get_value_at_percentile(99.9) / 1000,
        histogram.get_max_value() / 1000,
    )


def _engine(
    warm: Sequence[RiskEvent], model: GbmScorer | None
) -> tuple[RiskEngine, InMemoryFeatureSource]:
    source = InMemoryFeatureSource()
    for event in warm:
        source.record(event)
    models = {} if model is None else {EventKind.PAYMENT: model, EventKind.TRANSFER: model}
    engine = RiskEngine(
        features=source,
        rulesets=FixedRuleSets(default_ruleset()),
        models=models,
        log=MemoryDecisionLog(),
        now_ns=time.time_ns,
        config=None,
    )
    return engine, source


def run(days: int, customers: int) -> dict[str, Any]:
    events, labels = _stream(days, customers)
    split = int(len(events) * 0.6)
    warm, measured = events[:split], events[split:]
    model = _train(warm, labels[:split])
    full_engine, _ = _engine(warm, model)
    full = _timed("full decision", measured, full_engine.decide)
    rules_engine, _ = _engine(warm, None)
    rules = _timed("rules only (features + rules)", measured, rules_engine.decide)
    source = InMemoryFeatureSource()
    for event in warm:
        source.record(event)
    features = _timed("features only", measured, source.observe)
    replay = InMemoryFeatureSource()
    for event in warm:
        replay.record(event)
    vectors = [replay.observe(e) for e in measured if e.kind.moves_money]
    model_only = _timed("model only (+ TreeSHAP reasons)", vectors, model.score)
    ruleset = default_ruleset()
    return {
        "events": len(measured),
        "warm_up_events": len(warm),
        "rules": len(ruleset.applicable(EventKind.PAYMENT)),
        "rules_total": _rule_count(ruleset),
        "velocity_features": len(VELOCITY_NAMES),
        "features": len(CATALOG),
        "model": {"trees": 300, "leaves": 15, "inputs": len(MODEL_FEATURES)},
        "timings": [t.__dict__ | {"per_s": t.per_s} for t in (full, rules, model_only, features)],
    }


def _rule_count(ruleset: Any) -> int:
    return len({rule.id for kind in EventKind for rule in ruleset.applicable(kind)})


def _machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} CPUs, {cpu}, Python {platform.python_version()}"


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO_ROOT,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def section(result: dict[str, Any]) -> str:
    full = result["timings"][0]
    verdict_p99 = "PASS" if full["p99_ms"] <= TARGET_P99_MS else "FAIL"
    verdict_rate = "PASS" if full["per_s"] >= TARGET_PER_S else "FAIL"
    lines = [
        "## Risk: the full decision in process, one thread",
        "",
        (
            f"`.venv/bin/python -m bench.risk --write-docs` on {result['machine']},"
            f" commit {result['commit']},"
            f" {result['at']}. {result['events']:,} events of the seeded synthetic simulator (after"
            f" {result['warm_up_events']:,} warm-up events that also train the model), each decided"
            f" one at a time: {result['features']} features"
            f" ({result['velocity_features']} velocity),"
            f" {result['rules_total']} rules ({result['rules']} apply to payments), LightGBM"
            f" {result['model']['trees']} trees x {result['model']['leaves']} leaves on"
            f" {result['model']['inputs']} inputs with TreeSHAP reason codes for a fraud"
            " probability of 5 % or more (below it the model moves no outcome and is not"
            " explained), recorded to the in-memory log. The max column is Python's garbage"
            " collector: this loop does not `gc.freeze()`; the server freezes what it built at"
            " start-up (entrypoints/api.py)."
        ),
        "",
        "| path | decisions/s | p50 ms | p99 ms | p99.9 ms | max ms |",
        "|---|---|---|---|---|---|",
    ]
    lines.extend(
        (
            f"| {t['name']} | {t['per_s']:,.0f} | {t['p50_ms']:.3f} | {t['p99_ms']:.3f} |"
            f" {t['p999_ms']:.3f} | {t['max_ms']:.1f} |"
        )
        for t in result["timings"]
    )
    lines += [
        "",
        (
            f"Targets: p99 <= {TARGET_P99_MS:g} ms {verdict_p99}; >= {TARGET_PER_S:,} decisions/s"
            f" per core {verdict_rate} (one thread = one core)."
        ),
        "",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.risk", description=__doc__)
    parser.add_argument("--days", type=int, default=10, help="simulated days [10]")
    parser.add_argument("--customers", type=int, default=2000, help="simulated customers [2000]")
    parser.add_argument(
        "--write-docs", action="store_true", help="rewrite docs/benchmarks.md's risk section"
    )
    args = parser.parse_args()
    result = run(args.days, args.customers)
    result |= {
        "machine": _machine(),
        "commit": _commit(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(result, indent=1))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results = REPO_ROOT / "bench/results"
    results.mkdir(exist_ok=True)
    (results / f"risk-{stamp}.json").write_text(json.dumps(result, indent=1) + "\n")
    if args.write_docs:
        write_section(REPO_ROOT / "docs/benchmarks.md", "risk", section(result))


if __name__ == "__main__":
    main()
