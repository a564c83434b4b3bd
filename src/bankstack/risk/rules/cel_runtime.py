"""The one place that touches the CEL runtime (``common-expression-language``, module ``cel``).

The package binds cel-rust: ``cel.compile`` parses once into a ``Program``, ``execute`` evaluates
it against a dict of Python values (about 2 us for a small dict), and ``references`` lists the
identifiers and functions the expression mentions, without evaluating it. Everything else in
rules/ goes through this module, so that the runtime's behaviour is pinned in one place:

- a syntax error is a ``ValueError`` whose text spans several lines (the caret drawing); it
  becomes ``CelSyntaxError`` with one line, ``"<line>:<column>: <problem>"``;
- evaluation errors are ``TypeError`` (no such overload, e.g. ``"a" > 1``), ``RuntimeError``
  (an undefined variable), ``ZeroDivisionError`` / ``OverflowError`` (integer arithmetic is
  checked), or ``ValueError`` (a context value CEL cannot represent): ``EVALUATION_ERRORS``.
- the Python callables the package can register (``cel.Context(functions=...)``) are never
  used: a rule's context is a plain dict of scalars, so nothing callable is in reach.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import cel

from bankstack.risk.domain.decision import FeatureValue

EVALUATION_ERRORS: Final = (TypeError, ValueError, RuntimeError, ArithmeticError, LookupError)
_MAX_MESSAGE = 160


class CelSyntaxError(ValueError):
    """The text is not a CEL expression; the message is one line."""


@dataclass(frozen=True, slots=True)
class Expression:
    """A compiled CEL expression and what it references (sorted, without duplicates)."""

    source: str
    variables: tuple[str, ...]
    functions: tuple[str, ...]
    execute: Callable[[dict[str, FeatureValue]], object]


def compile_expression(source: str) -> Expression:
    try:
        program = cel.compile(source)
    except ValueError as error:
        raise CelSyntaxError(_syntax_problem(str(error))) from None
    references = program.references()
    return Expression(
        source=source,
        variables=tuple(references["variables"]),
        functions=tuple(references["functions"]),
        execute=program.execute,
    )


def describe(error: BaseException) -> str:
    """An evaluation error as one short line: its type and the first sentence of its text."""
    text = str(error).strip().split("\n", 1)[0]
    sentence = text.split(". ", 1)[0].rstrip(".")
    return f"{type(error).__name__}: {sentence[:_MAX_MESSAGE]}"


def _syntax_problem(text: str) -> str:
    # The runtime's first line reads: Failed to parse expression '...': ERROR: <input>:1:4: ...
    first = text.strip().split("\n", 1)[0]
    _, marker, rest = first.partition("ERROR: <input>:")
    problem = rest if marker else first
    return problem.replace("Syntax error: ", "")[:_MAX_MESSAGE]
