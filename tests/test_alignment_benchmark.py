"""The bead model's training code in bench/alignment.py: the logistic fit and the candidates."""

from __future__ import annotations

import sys

import numpy as np
from conftest import ROOT

from aligner.fitted import FEATURES
from aligner.settings import resolve
from aligner.table import Version

sys.path.insert(0, str(ROOT / "bench"))
import alignment


def test_logistic_fit_recovers_known_coefficients():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20_000, 2)) * [1.0, 3.0] + [0.0, 5.0]
    truth = np.array([-1.0, 2.0, -0.5])
    y = (rng.random(len(x)) < 1 / (1 + np.exp(-(truth[0] + x @ truth[1:])))).astype(float)
    assert np.allclose(alignment.fit_logistic(x, y), truth, atol=0.1)


def test_row_weights_count_like_repeated_rows():
    rng = np.random.default_rng(1)
    x = rng.normal(size=300)
    y = (rng.random(300) < 1 / (1 + np.exp(-x))).astype(float)
    weights = np.where(np.arange(300) < 100, 2.0, 1.0)
    repeated = alignment.fit_logistic(np.r_[x, x[:100]], np.r_[y, y[:100]])
    assert np.allclose(alignment.fit_logistic(x, y, weights=weights), repeated, atol=1e-6)


def test_candidates_hold_every_gold_match_as_the_only_positives():
    rng = np.random.default_rng(2)
    meanings = rng.normal(size=(12, 16))
    source = meanings + 0.1 * rng.normal(size=meanings.shape)
    target = np.vstack([meanings[:5], meanings[5:7].sum(axis=0), meanings[7:]])  # a 2-1 bead
    versions = [
        Version("de", [f"Satz {k}." for k in range(12)], source.astype(np.float32)),
        Version("fr", [f"Phrase {k}." for k in range(11)], target.astype(np.float32)),
    ]
    gold = [((k,), (k,)) for k in range(5)] + [((5, 6), (5,))] + [((k,), (k - 1,)) for k in range(7, 12)]
    settings = resolve(None)[0]
    features, labels = alignment.candidate_beads(versions, gold, settings)
    assert features.shape == (len(labels), len(FEATURES))
    assert labels.sum() == len(gold)
    assert not features[:, FEATURES.index("lexical")].any()  # no lexicon, no lexical evidence
    lexicons = alignment.run_lexicons([(versions, gold)] * 10, settings)
    with_words, same_labels = alignment.candidate_beads(versions, gold, settings, lexicons)
    assert np.array_equal(labels, same_labels)
    assert with_words[:, FEATURES.index("lexical")].any()
