"""Row scores: the merge gain of rows with one language, and calibrations of any length."""

import numpy as np
import pytest

from aligner.scoring import MAX_MERGE_GAIN, calibrated, merge_gains, pair_scores
from aligner.similarity import Baseline, unrelated_similarity
from aligner.table import Version


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def test_the_tail_of_a_longer_translation_gains_its_row_and_an_omission_costs_it():
    rng = np.random.default_rng(0)
    meanings = rng.normal(size=(6, 32))
    # source sentence 1 says meanings 1 and 2; the target says them as two sentences, of which
    # the second is left alone; target sentence 4 says something the source lacks
    source = unit(np.stack([meanings[0], meanings[1] + meanings[2], meanings[3]]))
    target = unit(np.stack([meanings[0], meanings[1], meanings[2], meanings[3], meanings[5]]))
    versions = [
        Version("en", ["a", "b", "c"], source),
        Version("zh", ["a", "b", "c", "d", "e"], target),
    ]
    rows = [((0,), (0,)), ((1,), (1,)), ((), (2,)), ((2,), (3,)), ((), (4,))]
    kinds = ["one-to-one", "one-to-one", "unaligned", "one-to-one", "unaligned"]
    gains = merge_gains(versions, rows, kinds, {("en", "zh"): Baseline(0.0, 0.5)})
    assert gains[0] == gains[1] == gains[3] == 0.0
    assert gains[2] > 0.0 > gains[4] >= -MAX_MERGE_GAIN


def test_a_unit_no_row_continues_has_the_lowest_gain():
    vectors = unit(np.eye(4)[:3])
    versions = [Version("en", ["a", "b"], vectors[:2]), Version("fr", ["x"], vectors[2:])]
    rows = [((0,), ()), ((1,), (0,))]
    # row 0's unit continues row 1, whose French sentence is unrelated to both
    gains = merge_gains(versions, rows, ["unaligned", "one-to-one"], {("en", "fr"): Baseline(0.0, 0.5)})
    assert gains[0] == pytest.approx(0.0, abs=1e-6)
    rows = [((0,), ()), ((), (0,)), ((1,), ())]
    gains = merge_gains(versions, rows, ["unaligned"] * 3, {("en", "fr"): Baseline(0.0, 0.5)})
    assert list(gains) == [-MAX_MERGE_GAIN] * 3


def test_calibrations_take_a_third_coefficient_for_rows_with_one_language():
    calibration = {"one-to-one": (0.0, 1.0), "merge": (0.0, 1.0), "unaligned": (0.0, 1.0, -10.0)}
    kinds = ["one-to-one", "unaligned", "unaligned"]
    chances = calibrated(kinds, np.array([1.0, 1.0, 1.0]), np.array([0.0, 0.0, 0.2]), calibration)
    assert chances[0] == pytest.approx(chances[1])
    assert chances[2] < 0.5 < chances[1]


def test_a_merge_of_unrelated_sentences_scores_as_unrelated_as_one_unrelated_pair():
    # sentence vectors share a direction, as an encoder's do: a sum of several lies nearer it,
    # so it is more alike to anything than one sentence is
    rng = np.random.default_rng(1)
    shared = rng.normal(size=64)
    source = unit(shared + 0.8 * np.linalg.norm(shared) * unit(rng.normal(size=(40, 64))))
    target = unit(shared + 0.8 * np.linalg.norm(shared) * unit(rng.normal(size=(40, 64))))
    versions = [Version("en", ["s"] * 40, source), Version("fr", ["t"] * 40, target)]
    baselines = {("en", "fr"): Baseline(unrelated_similarity(source, target))}
    rows = [((0,), (1,)), ((1,), (2, 3, 4, 5))]
    one, merge = pair_scores(versions, rows, baselines)["en", "fr"]
    vectors = unit(np.stack([source[1], target[2:6].sum(axis=0)]))
    assert baselines["en", "fr"].above_unrelated(float(vectors[0] @ vectors[1])) > 0.15
    assert one < 0.1 and merge < 0.1
