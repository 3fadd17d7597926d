"""Settings in one object, fitted values in data files keyed by encoder, and the shared grouping."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from aligner import fitted
from aligner.fitted import FEATURES, BeadModel, Fitted
from aligner.linkage import average_linkage
from aligner.settings import MergeSettings, MiningSettings, Settings, resolve


def test_the_default_encoders_values_come_from_its_file():
    values = fitted.load("e5-small")
    data = json.loads(fitted.path_for("e5-small").read_text())
    assert values.bead_model.weights == tuple(data["bead_model"]["weights"][name] for name in FEATURES)
    assert values.calibration["unaligned"] == tuple(data["calibration"]["unaligned"])
    assert values.mining_threshold == data["mining_threshold"]
    lexical = values.lexical_bead_model
    assert lexical is not None and lexical.weights[FEATURES.index("lexical")] > 0
    assert values.bead_model.weights[FEATURES.index("lexical")] == 0.0
    assert Fitted.from_json(values.to_json()) == values
    assert values.bead_model.excerpt_null_slope == data["bead_model"]["excerpt_null_slope"]
    assert values.bead_model.chance_run == data["bead_model"]["chance_run"] > 0
    fits = {"bead_model", "lexical_bead_model", "excerpt_null_slope", "chance_run", "calibration"}
    assert set(values.commands) == fits | {"mining_threshold"}


def test_the_combined_default_has_its_own_values_and_member_shares():
    values = fitted.load("e5-small+use")
    assert set(values.member_shares) == {"e5-small", "use"}
    assert sum(values.member_shares.values()) == pytest.approx(1.0)
    assert fitted.member_shares(["e5-small", "use"]) == [values.member_shares[n] for n in ("e5-small", "use")]
    assert fitted.member_shares(["e5-small", "other"]) == [1.0, 1.0]


def test_an_encoder_without_fitted_values_gets_the_defaults_and_a_warning():
    expected = "no values fitted for encoder 'my-model': using those fitted for 'e5-small'"
    with pytest.warns(UserWarning, match=expected):
        values = fitted.load("my-model")
    assert values == fitted.load("e5-small")


def test_fitting_writes_the_encoders_file(tmp_path, monkeypatch):
    default = fitted.load()
    monkeypatch.setattr(fitted, "DIRECTORY", tmp_path)
    (tmp_path / "e5-small.json").write_text(json.dumps(default.to_json()))
    path = fitted.update("other", "bench fit", mining_threshold=1.5)
    assert path == tmp_path / "other.json"
    other = fitted.load("other")
    assert other.encoder == "other" and other.mining_threshold == 1.5
    assert other.bead_model == fitted.load("e5-small").bead_model
    assert other.commands == {"mining_threshold": "bench fit"}
    assert fitted.available() == ["e5-small", "other"]


def test_a_bead_model_names_every_feature():
    model = fitted.load().bead_model
    data = model.to_json()
    assert list(data["weights"]) == list(FEATURES)
    assert BeadModel.from_json(data) == model
    del data["weights"]["margin"]
    with pytest.raises(ValueError, match="exactly"):
        BeadModel.from_json(data)


def test_with_fitted_fills_only_what_is_left_to_the_encoder():
    values = fitted.load()
    own = replace(values.bead_model, null_gain=-9.0)
    settings = Settings(
        alignment=replace(Settings().alignment, bead_model=own), mining=MiningSettings(threshold=2.0)
    ).with_fitted(values)
    assert settings.bead_model == own
    assert settings.calibration == values.calibration
    assert settings.mining_threshold == 2.0
    changes = settings.changes(values)
    assert set(changes) == {"alignment.bead_model", "mining.threshold"}
    assert changes["alignment.bead_model"]["null_gain"] == -9.0


def test_resolve_takes_the_encoders_values():
    settings, values = resolve(Settings(merging=MergeSettings(min_parallelism=0.5)), "e5-small")
    assert values.encoder == "e5-small" and settings.merging.min_parallelism == 0.5
    assert settings.changes(values) == {"merging.min_parallelism": 0.5}
    with pytest.raises(ValueError, match="with_fitted"):
        _ = Settings().bead_model


def test_average_linkage_joins_the_closest_first_and_stops_at_the_threshold():
    closeness = np.array(
        [
            [0.0, 0.9, 0.1, 0.5],
            [0.9, 0.0, 0.2, 0.7],
            [0.1, 0.2, 0.0, 0.05],
            [0.5, 0.7, 0.05, 0.0],
        ]
    )
    joins, clusters = average_linkage(closeness, 0.4)
    # 0 and 1 first; then 3 joins them at the mean of 0.5 and 0.7; 2 stays apart
    assert joins == [([0], [1]), ([3], [0, 1])]
    assert clusters == [[2], [3, 0, 1]]
    joins, clusters = average_linkage(closeness)
    assert len(joins) == 3 and clusters == [[2, 3, 0, 1]]


def test_average_linkage_never_joins_clusters_that_share_a_label():
    closeness = np.array([[0.0, 0.9, 0.8], [0.9, 0.0, 0.6], [0.8, 0.6, 0.0]])
    joins, clusters = average_linkage(closeness, 0.4, labels=["fr", "de", "fr"])
    assert joins == [([0], [1])] and clusters == [[2], [0, 1]]


def test_average_linkage_breaks_ties_by_cluster_order():
    closeness = np.ones((3, 3))
    joins, _ = average_linkage(closeness, 0.5)
    assert joins == [([0], [1]), ([2], [0, 1])]


def test_no_lexical_model_means_no_lexical_pass_even_resolved_again(tmp_path, monkeypatch):
    from aligner.merge import lexical_pass

    default = fitted.load()
    monkeypatch.setattr(fitted, "DIRECTORY", tmp_path)
    (tmp_path / "e5-small.json").write_text(json.dumps(default.to_json()))
    plain = replace(default, encoder="plain", lexical_bead_model=None)
    fitted.save(plain)
    settings = Settings().with_fitted(fitted.load("plain"))
    assert not lexical_pass(settings)
    assert not lexical_pass(resolve(settings)[0])  # as align_versions resolves it again
    assert lexical_pass(resolve(None)[0])
