"""What a rule's condition may say: catalog features, literals, operators and a few functions.

CEL has no loops, no I/O and no host access by design; the sandbox narrows it further, so that a
rule can read its features and nothing else, and so that its cost is linear in its length:

- **Names**: every identifier must be a catalog feature (``catalog.is_known``). The context a
  rule is evaluated in holds only the features it names, as scalars (int, float, bool, str).
- **Functions** (the allow-list): comparison (``== != < <= > >=``), logic (``&& || !``, ``?:``),
  arithmetic (``+ - * / %``, unary ``-``), ``in`` over a list literal, ``size``, the string
  tests ``startsWith`` / ``endsWith`` / ``contains``, and the numeric conversions ``int`` and
  ``double`` (CEL does not mix ``int`` and ``double`` in arithmetic, so ``double(amount)`` is
  how a ratio is written).
- **Refused**: field selection and indexing (``a.b``, ``a['b']``), map and message literals
  (``{...}``, ``Type{...}``), the macros (``has``, ``all``, ``exists``, ``exists_one``, ``map``,
  ``filter``: comprehensions are CEL's only loops), type introspection (``type``, ``dyn``), time
  (``timestamp``, ``duration``) and ``matches``. The Rust regex engine is linear-time, so
  ``matches`` cannot be made to backtrack; it is refused for its cost: cel-rust compiles the
  pattern on every call, measured at ~19 us against ~1.5 us for a whole two-comparison rule,
  and the catalog's strings (kind, channel, currency, attributes) are short codes that ``in``
  and the prefix/suffix tests cover.

The functions a program uses come from the runtime (``Program.references``), but field selection,
literals and macros leave no trace there, so the source is also read token by token. The checks
run on text that already compiled, so the tokenizer only has to tell strings, numbers, names
and punctuation apart.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from bankstack.risk.domain.catalog import is_known
from bankstack.risk.rules.cel_runtime import Expression

MAX_EXPRESSION_CHARS: Final = 1000

OPERATORS: Final = frozenset(
    {
        "_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_",
        "_&&_", "_||_", "!_", "_?_:_",
        "_+_", "_-_", "_*_", "_/_", "_%_", "-_",
        "@in",
    }
)  # fmt: skip
METHODS: Final = frozenset({"size", "startsWith", "endsWith", "contains"})
GLOBAL_CALLS: Final = frozenset({"size", "int", "double"})
ALLOWED_FUNCTIONS: Final = OPERATORS | METHODS | GLOBAL_CALLS

_TOKEN: Final = re.compile(
    r"""
      (?P<space>\s+|//[^\n]*)
    | (?P<string>
          (?:[rR][bB]?|[bB][rR])
          (?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"[^"\n\r]*"|'[^'\n\r]*')
        | [bB]?
          (?:\"\"\"(?:\\[\s\S]|[^\\])*?\"\"\"|'''(?:\\[\s\S]|[^\\])*?'''
            |"(?:\\.|[^\\"\n\r])*"|'(?:\\.|[^\\'\n\r])*')
      )
    | (?P<number>
          0[xX][0-9a-fA-F]+[uU]?
        | (?:[0-9]+\.[0-9]+|\.[0-9]+)(?:[eE][+-]?[0-9]+)?
        | [0-9]+[eE][+-]?[0-9]+
        | [0-9]+[uU]?
      )
    | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
    | (?P<punct>&&|\|\||==|!=|<=|>=|[-+*/%!<>?:()\[\],.{}])
    """,
    re.VERBOSE,
)
# After one of these, "[" opens an index (a[0]), not a list literal.
_INDEXABLE: Final = frozenset({"name", "string", "number"})


class SandboxViolation(ValueError):
    """The expression reaches outside its features; the message is one line."""


class _Token(NamedTuple):
    kind: str
    text: str


def check_expression(expression: Expression) -> None:
    """Raise ``SandboxViolation`` unless the expression stays inside the sandbox."""
    if len(expression.source) > MAX_EXPRESSION_CHARS:
        raise SandboxViolation(f"the condition is longer than {MAX_EXPRESSION_CHARS} characters")
    _check_tokens(_tokens(expression.source))
    for name in expression.variables:
        if not is_known(name):
            raise SandboxViolation(f"'{name}' is not a feature of the catalog")
    for function in expression.functions:
        if function not in ALLOWED_FUNCTIONS:
            raise SandboxViolation(f"function '{_shown(function)}' is not allowed")


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None or match.lastgroup is None:
            raise SandboxViolation(f"unexpected character {source[position]!r}")
        if match.lastgroup != "space":
            tokens.append(_Token(match.lastgroup, match.group()))
        position = match.end()
    return tokens


def _check_tokens(tokens: list[_Token]) -> None:
    end = _Token("end", "")
    for index, token in enumerate(tokens):
        before = tokens[index - 1] if index > 0 else end
        after = tokens[index + 1] if index + 1 < len(tokens) else end
        if _punct(token, "{") or _punct(token, "}"):
            raise SandboxViolation("map and message literals are not allowed")
        if _punct(token, "."):
            following = tokens[index + 2] if index + 2 < len(tokens) else end
            if not (after.kind == "name" and after.text in METHODS and _punct(following, "(")):
                raise SandboxViolation(f"field or method '.{after.text}' is not allowed")
        elif _calls(token, before, after) and token.text not in GLOBAL_CALLS:
            raise SandboxViolation(f"function '{token.text}' is not allowed")
        elif _punct(token, "[") and _indexes(before):
            raise SandboxViolation("indexing is not allowed")


def _punct(token: _Token, text: str) -> bool:
    return token.kind == "punct" and token.text == text


def _calls(token: _Token, before: _Token, after: _Token) -> bool:
    """A global call ``f(...)``; ``x.f(...)`` is a method, checked at its dot."""
    return (
        token.kind == "name"
        and token.text != "in"  # "x in (...)" is the operator
        and _punct(after, "(")
        and not _punct(before, ".")
    )


def _indexes(before: _Token) -> bool:
    if before.kind == "name":
        return before.text != "in"  # "x in [..]" is a list literal
    return before.kind in _INDEXABLE or _punct(before, ")") or _punct(before, "]")


def _shown(function: str) -> str:
    """CEL's overload names for operators ('_[_]', '@not_strictly_false') as staff read them."""
    return {"_[_]": "[] (indexing)"}.get(function, function)
