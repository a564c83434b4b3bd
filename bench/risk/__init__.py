"""``python -m bench.risk``: the full in-process risk decision on one thread.

Features (every catalog feature, 48 of them velocity windows) -> the default rule set (CEL) ->
the fraud model (LightGBM with TreeSHAP reasons) -> reason codes -> a recorded decision, per
event of the seeded synthetic simulator, timed one by one (HDR histogram: p50/p99/p99.9).
Measured in the same run: rules only (features + rules, no model), model only (the model with
reasons on the same feature vectors), and features only. ``--write-docs`` rewrites the marked
risk section of docs/benchmarks.md; results also go to bench/results/risk-<time>.json.
"""
