"""Rules: declarative rule sets in CEL, compiled once, evaluated against a feature vector.

document.py   the TOML document, read and checked field by field
sandbox.py    what a condition may reference (catalog features, an allow-list of functions)
cel_runtime.py  the typed wrapper around the CEL runtime (cel-rust bindings)
compiler.py   compile_ruleset(text) -> CompiledRuleSet, or RuleSetInvalid
ruleset.py    CompiledRuleSet: evaluate(features, kind) -> RuleResult, outcome_for(score)
model.py      Rule, Thresholds, RuleHit, RuleError, RuleResult
lifecycle.py  stored versions and their statuses; the RuleSetRepository Protocol
files.py      load_ruleset_file(path), default_ruleset(), strict_ruleset()
default.toml, strict.toml   the rule sets that ship with bankstack
"""

from bankstack.risk.rules.compiler import compile_ruleset
from bankstack.risk.rules.files import default_ruleset, load_ruleset_file, strict_ruleset
from bankstack.risk.rules.lifecycle import RuleSetRepository, RuleSetStatus, StoredRuleSet
from bankstack.risk.rules.model import Rule, RuleError, RuleHit, RuleResult, Thresholds
from bankstack.risk.rules.ruleset import CompiledRuleSet

__all__ = [
    "CompiledRuleSet",
    "Rule",
    "RuleError",
    "RuleHit",
    "RuleResult",
    "RuleSetRepository",
    "RuleSetStatus",
    "StoredRuleSet",
    "Thresholds",
    "compile_ruleset",
    "default_ruleset",
    "load_ruleset_file",
    "strict_ruleset",
]
