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


def test_a_cut_document_holds_every_kept_sentence_once_and_its_gold_follows_it():
    gold = [((0,), (0,)), ((1, 2), (1,)), ((3,), ()), ((), (2,)), ((4,), (3, 4)), ((5,), (5,))]
    versions = [
        Version(lang, [f"{lang}{k}" for k in range(6)], np.eye(6, dtype=np.float32)) for lang in ("en", "fr")
    ]
    # own text around a shared passage: the source keeps beads 0, 2-4, 1; the target 5, 2-4
    (src, tgt), beads = alignment.cut_example((versions, gold), [0, 2, 3, 4, 1], [5, 2, 3, 4])
    assert src.sentences == ["en0", "en3", "en4", "en1", "en2"]
    assert tgt.sentences == ["fr5", "fr2", "fr3", "fr4"]
    assert np.array_equal(src.vectors, np.eye(6, dtype=np.float32)[[0, 3, 4, 1, 2]])
    assert sorted(beads) == sorted([
        ((0,), ()), ((1,), ()), ((), (0,)), ((), (1,)), ((2,), (2, 3)), ((3,), ()), ((4,), ()),
    ])
    for side, version in enumerate((src, tgt)):
        held = sorted(i for bead in beads for i in bead[side])
        assert held == list(range(len(version.sentences)))
