"""docs/benchmarks.md: each benchmark owns one section between its own markers."""

from __future__ import annotations

from pathlib import Path
from typing import Final

DOCS_INTRO: Final = """# Benchmarks

Measurements of bankstack on a stated machine, each produced by one command. The sections
between `<!-- bench:... -->` markers are generated; edit the harness, not the numbers.
"""


def markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"


def write_section(path: Path, name: str, section: str) -> None:
    """Replace the section ``name`` of ``path`` (append it if absent); keep everything else."""
    start_mark, end_mark = markers(name)
    block = f"{start_mark}\n{section}{end_mark}\n"
    text = path.read_text() if path.exists() else DOCS_INTRO
    start, end = text.find(start_mark), text.find(end_mark)
    if start != -1 and end > start:
        rest = text[end + len(end_mark) :].lstrip("\n")
        text = text[:start] + block + ("\n" + rest if rest else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
