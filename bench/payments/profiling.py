"""Where the server's time goes: py-spy attached to ``bankstack serve`` for one measured window.

``py-spy record --pid <server> --subprocesses --gil --nonblocking --format raw`` samples, in
the server and its workers, the stack of the thread that holds the GIL. The server is a Python
process whose threads (event loop, threadpool, ledger writer, outbox relay, periodic workers)
take turns on one GIL, so these samples are where its Python time goes; waits for PostgreSQL,
Redis or the network release the GIL and are not counted (the cell's ``/proc`` CPU figures
count everything). On a busy machine a GIL holder that the OS preempts still counts.

Why these flags, tried on this machine: py-spy's default mode (every thread it thinks is
running) counted threads parked in ``threading.Condition.wait`` as running, half of all
samples. The blocking mode (py-spy stops the process for each sample) halved the server's
throughput and its shares disagreed with the calibrated per-call costs (``calibrate.py``:
signing twice too high, the QR code half too low); ``--nonblocking`` barely slows the server
and agrees with them, at the price of samples py-spy cannot read (counted as ``errors``,
dropped) and of some stacks read only in part (their own component below).
py-spy is a profiling tool, not a dependency of bankstack: ``pip install py-spy`` into the
venv to use ``--profile``.

The collapsed stacks are summarised three ways, each as a share of all samples:

- by component: the first rule of ``COMPONENTS`` that matches any frame of a sample's stack
  (rules run from the most specific to the most general, so signing done inside a middleware
  counts as signing, not as middleware); a stack that ends where the event loop waits for I/O
  is the loop's native code (``NATIVE_LOOP``);
- by library: the package of a sample's innermost frame (where the instructions ran);
- by function: the innermost frame itself ("self time"), the top ``TOP_FUNCTIONS``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

SAMPLE_RATE_HZ: Final = 100
_ERRORS: Final = re.compile(r"Samples: \d+ Errors: (\d+)")
TOP_FUNCTIONS: Final = 15
TOP_LIBRARIES: Final = 10

# (component, any of these substrings in a frame), most specific first.
COMPONENTS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("app and key lookup per request (SQL)", ("gateway/service/apps.py",)),
    ("request signature check (RFC 9421 verify)", ("verify_request (",)),
    ("answer signing (RFC 9421 sign)", ("sign_response (",)),
    ("QR code SVG rendered on precreate", ("qr_svg (",)),
    (
        "nonce store and rate limiter",
        ("gateway/adapters/nonces.py", "gateway/adapters/ratelimit.py"),
    ),
    ("idempotency records (SQL)", ("gateway/adapters/idempotency_sql.py",)),
    ("outbox relay and webhook fan-out (background)", ("platform/outbox.py",)),
    ("ledger writer (group commit)", ("bankstack/ledger/",)),
    ("payments use cases (SQL)", ("bankstack/payments/",)),
    ("payments worker (periodic)", ("platform/periodic.py",)),
    (
        "request/response (uvicorn, Starlette, FastAPI, views)",
        ("uvicorn/", "starlette/", "fastapi/", "bankstack/gateway/api/", "bankstack/platform/"),
    ),
    # Stacks py-spy read only in part (--nonblocking): the caller is unknown.
    ("database client, caller not sampled (SQLAlchemy, psycopg)", ("sqlalchemy/", "psycopg/")),
    ("threadpool hand-off (anyio worker threads)", ("WorkerThread.run (anyio",)),
)
OTHER: Final = "other"
# The event loop's thread holding the GIL inside uvloop's C code (socket I/O, httptools
# parsing, scheduling): py-spy then shows the last Python stack of the loop, which ends in the
# coroutine waiting for I/O (uvicorn's ``receive``) or in ``asyncio.Runner.run`` itself.
NATIVE_LOOP: Final = "event loop in native code (uvloop: sockets, HTTP parsing, scheduling)"
_NATIVE_LOOP_LEAVES: Final = ("Event.wait (asyncio/locks.py", "Runner.run (asyncio/runners.py")


@dataclass
class Profile:
    """The summary that goes into the JSON and the docs."""

    tool: str
    samples: int
    seconds: float
    cell: dict[str, Any]
    unreadable: int | None = None  # samples py-spy could not read (its "Errors")
    by_component: list[tuple[str, float]] = field(default_factory=list)
    by_library: list[tuple[str, float]] = field(default_factory=list)
    top_functions: list[tuple[str, float]] = field(default_factory=list)
    raw_path: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "samples": self.samples,
            "unreadable_samples": self.unreadable,
            "seconds": self.seconds,
            "cell": self.cell,
            "by_component": [{"component": n, "share": s} for n, s in self.by_component],
            "by_library": [{"library": n, "share": s} for n, s in self.by_library],
            "top_functions": [{"function": n, "share": s} for n, s in self.top_functions],
            "raw_path": self.raw_path,
            "error": self.error,
        }


def py_spy_command() -> str | None:
    """py-spy next to this interpreter (the venv), else on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    if beside.exists():
        return str(beside)
    return shutil.which("py-spy")


class Recorder:
    """Starts py-spy on the server for ``seconds``; ``finish`` waits for it and summarises."""

    def __init__(self, py_spy: str, pid: int, seconds: float, out: Path) -> None:
        self._args = [py_spy, "record", "--pid", str(pid), "--subprocesses", "--gil"]
        self._args += ["--nonblocking"]
        self._args += ["--rate", str(SAMPLE_RATE_HZ), "--duration", str(max(1, round(seconds)))]
        self._args += ["--format", "raw", "--output", str(out)]
        self._out = out
        self._seconds = seconds
        self._process: subprocess.Popen[bytes] | None = None
        self._log = out.with_suffix(".log")

    def start(self) -> None:
        self._out.parent.mkdir(parents=True, exist_ok=True)
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(  # noqa: S603 - py-spy with fixed arguments
                self._args, stdout=log, stderr=subprocess.STDOUT
            )

    def finish(self, cell: dict[str, Any]) -> Profile:
        profile = Profile(
            "py-spy record --gil --nonblocking --subprocesses", 0, self._seconds, cell
        )
        if self._process is None:
            profile.error = "py-spy was not started"
            return profile
        try:
            code = self._process.wait(timeout=self._seconds + 60)
        except subprocess.TimeoutExpired:
            self._process.kill()
            code = -1
        if code != 0 or not self._out.exists():
            log = self._log.read_text(errors="replace").strip().splitlines()[-3:]
            profile.error = f"py-spy exited with {code}: {' | '.join(log)}"
            return profile
        profile.raw_path = str(self._out)
        summarise(read_collapsed(self._out), profile)
        found = _ERRORS.search(self._log.read_text(errors="replace"))
        profile.unreadable = int(found.group(1)) if found else None
        return profile


def read_collapsed(path: Path) -> Iterator[tuple[list[str], int]]:
    """(frames from the outermost, count) per line of py-spy's ``--format raw`` output."""
    with path.open(errors="replace") as lines:
        for line in lines:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if stack and count.isdigit():
                yield stack.split(";"), int(count)


def component_of(frames: Sequence[str]) -> str:
    if frames[-1].startswith(_NATIVE_LOOP_LEAVES):
        return NATIVE_LOOP
    for name, needles in COMPONENTS:
        if any(needle in frame for frame in frames for needle in needles):
            return name
    return OTHER


def library_of(frame: str) -> str:
    """``sqlalchemy`` for ``Connection.execute (sqlalchemy/engine/base.py:1494)``; the
    standard library as ``python (module)``; frames without a file as they are."""
    _, _, location = frame.rpartition(" (")
    path = location.rstrip(")").rsplit(":", 1)[0]
    if not path:
        return frame
    top = path.split("/", 1)[0]
    if "/" not in path or top in _STDLIB_TOPS:
        return f"python ({top.removesuffix('.py')})"
    if top == "bankstack":
        parts = path.split("/")
        return "/".join(parts[:2]) if len(parts) > 2 else top  # noqa: PLR2004 - bankstack/<domain>
    return top


_STDLIB_TOPS: Final = frozenset(
    {
        "asyncio",
        "concurrent",
        "json",
        "email",
        "http",
        "logging",
        "urllib",
        "importlib",
        "<frozen abc>",
    }
)


def summarise(stacks: Iterator[tuple[list[str], int]], profile: Profile) -> None:
    components: Counter[str] = Counter()
    libraries: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    total = 0
    for stack, count in stacks:
        frames = [f for f in stack if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        components[component_of(frames)] += count
        libraries[library_of(frames[-1])] += count
        functions[frames[-1]] += count
    profile.samples = total
    if not total:
        profile.error = "py-spy recorded no samples"
        return

    def shares(counter: Counter[str], top: int | None = None) -> list[tuple[str, float]]:
        return [(name, round(n / total, 4)) for name, n in counter.most_common(top)]

    profile.by_component = shares(components)
    profile.by_library = shares(libraries, TOP_LIBRARIES)
    profile.top_functions = shares(functions, TOP_FUNCTIONS)
