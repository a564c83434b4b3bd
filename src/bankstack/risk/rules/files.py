"""Rule sets from files: any path, and the two that ship inside the package.

- ``default.toml``: the rule set a new installation starts with (``default_ruleset()``).
- ``strict.toml``: the same rules with a few tightened, as the next version of ``default``: a
  candidate to put in shadow or backtest against the default (``strict_ruleset()``).

The packaged files are read with ``importlib.resources`` so that they are found in a wheel as in
a source checkout; each is compiled once per process.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from bankstack.risk.rules.compiler import compile_ruleset
from bankstack.risk.rules.ruleset import CompiledRuleSet

_PACKAGE = "bankstack.risk.rules"


def load_ruleset_file(path: str | Path) -> CompiledRuleSet:
    """Compile the rule set in ``path`` (UTF-8). ``OSError`` when it cannot be read,
    ``RuleSetInvalid`` when it does not compile."""
    return compile_ruleset(Path(path).read_text(encoding="utf-8"))


def packaged_text(filename: str) -> str:
    return resources.files(_PACKAGE).joinpath(filename).read_text(encoding="utf-8")


@functools.cache
def default_ruleset() -> CompiledRuleSet:
    return compile_ruleset(packaged_text("default.toml"))


@functools.cache
def strict_ruleset() -> CompiledRuleSet:
    return compile_ruleset(packaged_text("strict.toml"))
