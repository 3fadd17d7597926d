"""The N-way advantage of bench/nway.py on tiny built documents with constructed vectors.

Three languages render 40 meanings with their own omissions (the pivot's too), merges and
inserted sentences, as the benchmark builds them; a sentence's vector is the normalised sum of
its meanings' vectors plus noise. Pivoting through English loses every French-Japanese link
whose meaning English leaves out; the N-way table must not.
"""

from __future__ import annotations

import sys

import numpy as np
from conftest import ROOT

from aligner.evaluate import score

sys.path.insert(0, str(ROOT / "bench"))
import nway

MEANINGS = 40
LANGS = ("en", "fr", "ja")


def built_document(seed: int) -> tuple[nway.BuiltDocument, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    meanings = rng.normal(size=(MEANINGS, 64))
    texts = [f"meaning {k}" for k in range(MEANINGS)]
    others = [f"unrelated {k}" for k in range(20)]
    edits = nway.Edits(drop=0.15, merge=0.1, insert=0.05)
    renderings = [nway.render(lang, list(range(MEANINGS)), texts, others, edits, rng) for lang in LANGS]
    vectors = []
    for rendering in renderings:
        lines = np.stack(
            [meanings[list(m)].sum(axis=0) if m else rng.normal(size=64) for m in rendering.meanings]
        )
        noisy = lines + 0.5 * rng.normal(size=lines.shape)
        vectors.append(noisy / np.linalg.norm(noisy, axis=1, keepdims=True))
    return nway.BuiltDocument(f"tiny{seed}", renderings), vectors


def test_nway_beats_pivoting_on_the_pairs_without_the_pivot():
    documents = [built_document(seed) for seed in range(3)]
    results = [nway.align_document(document, vectors) for document, vectors in documents]
    fr_ja = (1, 2)
    gold = [r.gold[fr_ja] for r in results]
    pivoted = score(gold, [r.pivoted(0)[fr_ja] for r in results])
    rows = score(gold, [r.rows[fr_ja] for r in results])
    pair = score(gold, [r.pairs[fr_ja] for r in results])
    assert rows.strict_f1 > pivoted.strict_f1 + 0.05
    assert rows.lax_f1 > pivoted.lax_f1 + 0.05
    assert pair.strict_f1 >= rows.strict_f1
    # on a pair with the pivot, reading the table costs little against aligning the pair alone
    en_fr = (0, 1)
    gold = [r.gold[en_fr] for r in results]
    direct = score(gold, [r.direct[en_fr] for r in results])
    assert score(gold, [r.pairs[en_fr] for r in results]).strict_f1 > direct.strict_f1 - 0.05
    for result in results:
        chains, closed = nway.one_to_one_chains(result.rows, len(LANGS))
        assert chains > 0 and closed == chains  # the table's rows are consistent


def test_gold_and_pivot_composition_follow_the_construction():
    document, _ = built_document(0)
    en, fr, ja = document.renderings
    for a, b in [(0, 1), (0, 2), (1, 2)]:
        gold = document.gold(a, b)
        for side, rendering in ((0, document.renderings[a]), (1, document.renderings[b])):
            assert [i for bead in gold for i in bead[side]] == list(range(len(rendering.lines)))
    # composing the gold through English loses exactly the links whose meaning English lacks
    in_english = {m for line in en.meanings for m in line}
    composed = nway.links(nway.compose(document.gold(0, 1), document.gold(0, 2)))
    lost = nway.links(document.gold(1, 2)) - composed
    assert lost
    for x, y in nway.links(document.gold(1, 2)):
        shared = set(fr.meanings[x]) & set(ja.meanings[y])
        assert ((x, y) in lost) == (not shared & in_english)
