"""The file registry: content-addressed versions, identical scores after a round trip, and
a clear ModelNotFound for anything missing or corrupt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bankstack.risk.errors import ModelNotFound
from bankstack.risk.models.datasets import Dataset
from bankstack.risk.models.gbm import GbmModel, GbmScorer
from bankstack.risk.models.registry import Manifest, ModelRegistry
from bankstack.risk.models.scorecard import Scorecard, ScorecardScorer, scorecard_files
from tests.unit.risk.models.applicants import applicant


def _save_card(registry: ModelRegistry, card: Scorecard) -> Manifest:
    return registry.save(
        kind="scorecard",
        files=scorecard_files(card),
        dataset="german",
        data_sha256="ab" * 32,
        params={"min_iv": 0.02},
        metrics={"cv_auc": 0.78},
    )


def _save_gbm(registry: ModelRegistry, model: GbmModel) -> Manifest:
    return registry.save(
        kind="gbm",
        files=model.to_files(),
        dataset="german",
        data_sha256="ab" * 32,
        params={"trees": 300},
        metrics={},
    )


def test_a_scorecard_loads_back_scoring_identically(
    tmp_path: Path, card: Scorecard, german: Dataset
):
    registry = ModelRegistry(tmp_path)
    manifest = _save_card(registry, card)
    loaded = registry.load(manifest.version)
    original = ScorecardScorer(manifest.version, card)
    assert loaded.version == manifest.version
    assert loaded.features == original.features
    for row in range(0, 1000, 50):
        features = applicant(german, row)
        assert loaded.score(features) == original.score(features)


def test_a_gbm_loads_back_scoring_identically(
    tmp_path: Path, challenger: GbmModel, german: Dataset
):
    registry = ModelRegistry(tmp_path)
    manifest = _save_gbm(registry, challenger)
    loaded = registry.load(manifest.version)
    original = GbmScorer(manifest.version, challenger)
    for row in range(0, 1000, 50):
        features = applicant(german, row)
        assert loaded.score(features) == original.score(features)


def test_versions_are_content_addressed_and_the_manifest_complete(tmp_path: Path, card: Scorecard):
    registry = ModelRegistry(tmp_path)
    first = _save_card(registry, card)
    again = _save_card(registry, card)
    assert first == again
    assert first.version.startswith("scorecard-")
    assert len(first.version) == len("scorecard-") + 12
    stored = json.loads((tmp_path / first.version / "manifest.json").read_text())
    assert set(stored) == {
        "version", "kind", "dataset", "data_sha256", "params", "metrics",
        "created_at", "commit", "files",
    }  # fmt: skip
    assert stored["files"].keys() == {"scorecard.json"}
    assert registry.versions() == [first]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_champions_are_promoted_per_use(tmp_path: Path, card: Scorecard, challenger: GbmModel):
    registry = ModelRegistry(tmp_path)
    with pytest.raises(ModelNotFound, match="no credit champion"):
        registry.champion("credit")
    card_version = _save_card(registry, card).version
    gbm_version = _save_gbm(registry, challenger).version
    registry.promote("credit", card_version)
    assert registry.champion("credit") == card_version
    registry.promote("credit", gbm_version)
    assert registry.champion("credit") == gbm_version
    assert isinstance(registry.load_champion("credit"), GbmScorer)
    with pytest.raises(ModelNotFound):
        registry.champion("fraud")
    with pytest.raises(ValueError, match="unknown model use"):
        registry.promote("marketing", card_version)
    with pytest.raises(ModelNotFound):
        registry.promote("fraud", "scorecard-000000000000")
    assert registry.champion("credit") == gbm_version  # a failed promotion changes nothing


def test_a_corrupt_artifact_is_not_found(tmp_path: Path, challenger: GbmModel):
    registry = ModelRegistry(tmp_path)
    version = _save_gbm(registry, challenger).version
    path = tmp_path / version / "model.txt"
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])
    with pytest.raises(ModelNotFound, match=r"model.txt does not match its manifest \(corrupt\)"):
        registry.load(version)


def test_a_missing_file_or_version_is_not_found(tmp_path: Path, card: Scorecard):
    registry = ModelRegistry(tmp_path)
    version = _save_card(registry, card).version
    (tmp_path / version / "scorecard.json").unlink()
    with pytest.raises(ModelNotFound, match=r"scorecard\.json is missing"):
        registry.load(version)
    with pytest.raises(ModelNotFound, match="no model 'gbm-123'"):
        registry.load("gbm-123")


def test_an_artifact_that_matches_its_manifest_but_does_not_load_is_not_found(tmp_path: Path):
    registry = ModelRegistry(tmp_path)
    manifest = registry.save(
        kind="gbm",
        files={"model.txt": b"not a model", "encoders.json": b"[]"},
        dataset="german",
        data_sha256="",
        params={},
        metrics={},
    )
    with pytest.raises(ModelNotFound, match="does not load"):
        registry.load(manifest.version)
    with pytest.raises(ValueError, match="unknown model kind"):
        registry.save(kind="neural", files={}, dataset="", data_sha256="", params={}, metrics={})
