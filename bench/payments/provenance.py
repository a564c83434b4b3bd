"""Did the code under test change while the run went on? (The repository is shared.)

A fingerprint of the sources a server imports: the HEAD commit, ``git status`` and the
uncommitted diff of ``src``, ``sdk`` and ``migrations``, taken at the start and at the end of
the run with read-only git commands (``--no-optional-locks``: no index refresh, no lock). Each
server start imports the working tree as it is then, so a change in between means the cells
did not all measure the same code.
"""

from __future__ import annotations

import hashlib
import subprocess
from typing import Final

PATHS: Final = ("src", "sdk", "migrations")


def _git(*args: str) -> bytes:
    try:
        out = subprocess.run(  # noqa: S603 - fixed, read-only git arguments
            ["git", "--no-optional-locks", *args],  # noqa: S607 - git from PATH
            capture_output=True,
            check=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return b"?"
    return out.stdout


def source_fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(_git("rev-parse", "HEAD"))
    digest.update(_git("status", "--porcelain", "--", *PATHS))
    digest.update(_git("diff", "HEAD", "--", *PATHS))
    return digest.hexdigest()[:16]
