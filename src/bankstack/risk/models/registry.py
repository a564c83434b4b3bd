"""A file registry of trained models: what scores in production is a version in here.

Layout under the root (``var/models`` by default):

    <version>/manifest.json    kind, training data and its SHA-256, parameters, metrics,
                               creation time, bankstack commit, and each file's SHA-256
    <version>/<artifact files> e.g. scorecard.json, or model.txt + encoders.json
    champions.json             {"credit": <version>, "fraud": <version>}

Versions are content-addressed: ``<kind>-<12 hex digits of the artifact's SHA-256>``, so the
same artifact saved twice is one version, and a version name cannot point at other bytes.
A version is written under a temporary name and renamed in one step, and champions.json is
replaced atomically, so a reader never sees half a model or half a pointer.

``load`` checks every file against the manifest before building the scorer: a missing,
truncated or altered file raises ``ModelNotFound`` naming the version and the file, rather
than scoring with a model nobody trained.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from bankstack.risk.errors import ModelNotFound
from bankstack.risk.models.challenger import KIND as GBM_KIND
from bankstack.risk.models.gbm import FRAUD_REASON_FLOOR, GbmModel, GbmScorer
from bankstack.risk.models.scorecard import KIND as SCORECARD_KIND
from bankstack.risk.models.scorecard import ScorecardScorer, scorecard_from_files
from bankstack.risk.ports import Scorer

DEFAULT_ROOT: Final = Path("var/models")
USES: Final = ("credit", "fraud")
FRAUD_KIND: Final = "fraud"
MANIFEST: Final = "manifest.json"
CHAMPIONS: Final = "champions.json"

_LOADERS: Final[Mapping[str, Callable[[str, Mapping[str, bytes]], Scorer]]] = {
    SCORECARD_KIND: lambda v, files: ScorecardScorer(v, scorecard_from_files(files)),
    GBM_KIND: lambda v, files: GbmScorer(v, GbmModel.from_files(files)),
    FRAUD_KIND: lambda v, files: GbmScorer(
        v, GbmModel.from_files(files), reason_floor=FRAUD_REASON_FLOOR
    ),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    version: str
    kind: str
    dataset: str
    data_sha256: str
    params: Mapping[str, Any]
    metrics: Mapping[str, Any]
    created_at: str  # ISO 8601, UTC
    commit: str | None  # the bankstack commit that trained it; "-dirty" if uncommitted edits
    files: Mapping[str, str]  # file name -> SHA-256

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


class ModelRegistry:
    def __init__(self, root: Path = DEFAULT_ROOT) -> None:
        self.root = root

    def save(
        self,
        *,
        kind: str,
        files: Mapping[str, bytes],
        dataset: str,
        data_sha256: str,
        params: Mapping[str, Any],
        metrics: Mapping[str, Any],
    ) -> Manifest:
        """Store an artifact; saving the same bytes again returns the existing version."""
        if kind not in _LOADERS:
            raise ValueError(f"unknown model kind {kind!r}; known: {', '.join(_LOADERS)}")
        digests = {name: hashlib.sha256(content).hexdigest() for name, content in files.items()}
        version = f"{kind}-{_artifact_hash(digests)[:12]}"
        if (self.root / version / MANIFEST).exists():
            return self.manifest(version)
        manifest = Manifest(
            version=version,
            kind=kind,
            dataset=dataset,
            data_sha256=data_sha256,
            params=dict(params),
            metrics=dict(metrics),
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            commit=source_commit(),
            files=digests,
        )
        self._write_version(manifest, files)
        return manifest

    def manifest(self, version: str) -> Manifest:
        path = self.root / version / MANIFEST
        try:
            return Manifest.from_json(json.loads(path.read_bytes()))
        except FileNotFoundError:
            raise ModelNotFound(f"no model {version!r} in {self.root}", version=version) from None
        except (ValueError, KeyError, TypeError) as error:
            raise ModelNotFound(
                f"model {version!r}: unreadable manifest ({error})", version=version
            ) from None

    def versions(self) -> list[Manifest]:
        """Every stored version, oldest first."""
        if not self.root.is_dir():
            return []
        found = [self.manifest(p.name) for p in self.root.iterdir() if (p / MANIFEST).is_file()]
        return sorted(found, key=lambda m: (m.created_at, m.version))

    def load(self, version: str) -> Scorer:
        """The scorer of a version, after checking every file against the manifest."""
        manifest = self.manifest(version)
        files: dict[str, bytes] = {}
        for name, digest in manifest.files.items():
            try:
                content = (self.root / version / name).read_bytes()
            except OSError:
                raise ModelNotFound(
                    f"model {version!r}: {name} is missing", version=version
                ) from None
            if hashlib.sha256(content).hexdigest() != digest:
                raise ModelNotFound(
                    f"model {version!r}: {name} does not match its manifest (corrupt)",
                    version=version,
                )
            files[name] = content
        try:
            return _LOADERS[manifest.kind](version, files)
        except Exception as error:  # noqa: BLE001 - verified bytes that do not load: unusable
            raise ModelNotFound(
                f"model {version!r} ({manifest.kind}) does not load: {error}", version=version
            ) from None

    def champion(self, use: str) -> str:
        _check_use(use)
        version = self._champions().get(use)
        if version is None:
            raise ModelNotFound(f"no {use} champion in {self.root}", use=use)
        return version

    def load_champion(self, use: str) -> Scorer:
        return self.load(self.champion(use))

    def promote(self, use: str, version: str) -> None:
        """Make a version the champion of a use; it must load first."""
        _check_use(use)
        self.load(version)
        champions = {**self._champions(), use: version}
        _write_atomically(self.root / CHAMPIONS, json.dumps(champions, indent=1).encode())

    def _champions(self) -> dict[str, str]:
        path = self.root / CHAMPIONS
        if not path.exists():
            return {}
        try:
            data = json.loads(path.read_bytes())
        except ValueError:
            raise ModelNotFound(f"{path} is not valid JSON") from None
        return {str(k): str(v) for k, v in data.items()}

    def _write_version(self, manifest: Manifest, files: Mapping[str, bytes]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{manifest.version}-", dir=self.root))
        try:
            for name, content in files.items():
                (staging / name).write_bytes(content)
            (staging / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1) + "\n")
            staging.rename(self.root / manifest.version)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not (self.root / manifest.version / MANIFEST).exists():
                raise  # not a lost race with another writer of the same version


def _artifact_hash(digests: Mapping[str, str]) -> str:
    listing = "".join(f"{name}\0{digests[name]}\n" for name in sorted(digests))
    return hashlib.sha256(listing.encode()).hexdigest()


def _check_use(use: str) -> None:
    if use not in USES:
        raise ValueError(f"unknown model use {use!r}; known: {', '.join(USES)}")


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_bytes(content)
    temporary.replace(path)


def source_commit() -> str | None:
    """The bankstack commit this code runs from (with "-dirty" for uncommitted edits), or
    None outside bankstack's own checkout (an installed wheel, another repository)."""
    git = shutil.which("git")
    if git is None:
        return None
    here = Path(__file__).resolve().parent
    try:
        top, head = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [git, "rev-parse", "--show-toplevel", "HEAD"],
            cwd=here,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        clean = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [git, "diff", "--quiet", "HEAD"], cwd=here, capture_output=True, check=False
        )
    except (OSError, ValueError, subprocess.CalledProcessError):
        return None
    if Path(top).resolve() / "src" / "bankstack" != here.parents[1]:
        return None  # a git repository around an installed copy: not our commit
    return head if clean.returncode == 0 else f"{head}-dirty"
