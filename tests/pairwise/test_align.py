import dataclasses

import numpy as np
import pytest

from aligner.fitted import FEATURES, BeadModel
from aligner.pairwise import Units, align_units, search
from aligner.pairwise.dp import WEAK_SIMILARITY, bead_features
from aligner.pairwise.gains import (
    bead_gains,
    excerpt_length_log_ratio,
    mutual_best_matches,
    refined_path,
    span_vectors,
)
from aligner.pairwise.search import _longest_chain
from aligner.settings import resolve
from aligner.similarity import typical_similarity, unrelated_similarity

DEFAULTS = resolve(None)[0].alignment
"""The default alignment settings with the default encoder's bead model."""
BEAD_MODEL = DEFAULTS.bead_model
FULL_SEARCH_CELLS = DEFAULTS.full_search_cells


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def make_pair(script: list[tuple[int, int]], seed: int = 0, noise: float = 0.35):
    """Source and target units following ``script``: a list of (source count, target count) beads.

    Target units of a matched bead share the content of its source units: a 1-2 bead's two
    targets are noisy halves of the source vector, a 2-1 bead's target the sum of both sources.
    A unit is as long as the pieces of content it holds, as in text. Unmatched units are
    unrelated random vectors.
    """
    rng = np.random.default_rng(seed)
    dim = 64
    src, tgt, gold = [], [], []
    src_len, tgt_len = [], []
    for a, b in script:
        content = unit(rng.normal(size=(max(a, b), dim)))
        s_ids = tuple(range(len(src), len(src) + a))
        t_ids = tuple(range(len(tgt), len(tgt) + b))
        if a and b:
            for k in range(a):
                src.append(content[k * max(a, b) // a : (k + 1) * max(a, b) // a].sum(axis=0))
                src_len.append(max(a, b) / a)
            for k in range(b):
                tgt.append(content[k * max(a, b) // b : (k + 1) * max(a, b) // b].sum(axis=0))
                tgt_len.append(max(a, b) / b)
        else:
            src.extend(content[:a])
            tgt.extend(content[:b])
            src_len.extend([1.0] * a)
            tgt_len.extend([1.0] * b)
        gold.append((s_ids, t_ids))
    src = unit(np.array(src) + noise * rng.normal(size=(len(src), dim)) / np.sqrt(dim))
    tgt = unit(np.array(tgt) + noise * rng.normal(size=(len(tgt), dim)) / np.sqrt(dim))
    return Units(src, np.array(src_len)), Units(tgt, np.array(tgt_len)), gold


def test_one_to_one_is_recovered_exactly():
    src, tgt, gold = make_pair([(1, 1)] * 30)
    assert align_units(src, tgt, DEFAULTS).beads == gold


def test_merges_insertions_and_deletions_are_recovered():
    script = (
        [(1, 1)] * 5 + [(1, 2)] + [(1, 1)] * 4 + [(2, 1)] + [(1, 0)] + [(1, 1)] * 5 + [(0, 1)] + [(1, 1)] * 3
    )
    src, tgt, gold = make_pair(script, seed=3)
    assert align_units(src, tgt, DEFAULTS).beads == gold


def test_a_long_passage_one_side_lacks_is_found_in_a_banded_search():
    # 600 x 680 units are searched in a band around a coarse path, which cuts a diagonal
    # through the 80 inserted units; the band must still let the fine path skip them
    src, tgt, gold = make_pair([(1, 1)] * 300 + [(0, 1)] * 80 + [(1, 1)] * 300)
    assert len(src) * len(tgt) > FULL_SEARCH_CELLS
    assert align_units(src, tgt, DEFAULTS).beads == gold


def offset_pair(extra: int, shared: int, chance: float, seed: int = 0, dim: int = 64, noise: float = 0.35):
    """Two versions that share ``shared`` units at an offset: the source has ``extra`` units of
    its own before them, the target ``extra`` after them. Each unit of its own is a faint
    echo of a shared one (noise ``chance``), as alike sentences of one genre are."""
    rng = np.random.default_rng(seed)
    content = unit(rng.normal(size=(shared, dim)))

    def noisy(vectors: np.ndarray, amount: float) -> np.ndarray:
        return unit(vectors + amount * rng.normal(size=vectors.shape) / np.sqrt(dim))

    src = np.vstack([noisy(content[:extra], chance), noisy(content, noise)])
    tgt = np.vstack([noisy(content, noise), noisy(content[shared - extra :], chance)])
    return Units(src, np.ones(len(src))), Units(tgt, np.ones(len(tgt)))


@pytest.mark.parametrize("max_widened_cells", [DEFAULTS.max_widened_cells, 100_000])
def test_a_passage_both_versions_share_at_an_offset_is_found_in_a_banded_search(max_widened_cells):
    # the coarse path takes the diagonal of chance matches between the versions' own units;
    # the band must reach the shared passage off it, between the two paths where that is
    # small enough to search, else along the chain of mutual best matches alone
    src, tgt = offset_pair(300, 400, chance=3.0)
    assert len(src) * len(tgt) > FULL_SEARCH_CELLS
    settings = dataclasses.replace(DEFAULTS, max_widened_cells=max_widened_cells)
    beads = align_units(src, tgt, settings).beads
    shared = [(s, t) for s, t in beads if s and t and s[0] >= 300 and s == tuple(j + 300 for j in t)]
    assert len(shared) >= 0.95 * 400


@pytest.mark.parametrize("chance", [1.5, 3.0])
def test_a_path_that_misses_the_clearest_matches_is_searched_again_between_them(chance):
    # 200 x 200 units are searched in full, where the diagonal of chance matches between the
    # versions' own units outweighs the shared passage and the 200 skips around it
    src, tgt = offset_pair(100, 100, chance=chance)
    assert len(src) * len(tgt) <= FULL_SEARCH_CELLS
    beads = align_units(src, tgt, DEFAULTS).beads
    assert [(s, t) for s, t in beads if s and t] == [((i + 100,), (i,)) for i in range(100)]


def test_the_longest_chain_runs_forward_on_both_sides_and_is_longest():
    rng = np.random.default_rng(0)
    for _ in range(200):
        k = int(rng.integers(0, 30))
        ours = np.sort(rng.choice(100, size=k, replace=False))
        theirs = rng.choice(100, size=k, replace=False)
        chain_ours, chain_theirs = _longest_chain(ours, theirs)
        assert np.all(np.diff(chain_ours) > 0) and np.all(np.diff(chain_theirs) > 0)
        pairs = set(zip(ours.tolist(), theirs.tolist(), strict=True))
        assert set(zip(chain_ours.tolist(), chain_theirs.tolist(), strict=True)) <= pairs
        longest = [1] * k  # longest[b]: the longest chain ending at match b, by brute force
        for b in range(k):
            longest[b] += max([longest[a] for a in range(b) if theirs[a] < theirs[b]], default=0)
        assert len(chain_ours) == max(longest, default=0)


@pytest.mark.parametrize("seed", range(3))
def test_passages_that_trade_places_keep_the_path_the_search_chose(monkeypatch, seed):
    # two chains of equal length: the path follows one of them and holds as many mutual best
    # matches as the other would give, so it is not searched again
    src, tgt, _ = make_pair([(1, 1)] * 60, seed=seed)
    order = list(range(30, 60)) + list(range(30))
    tgt = Units(tgt.vectors[order], tgt.lengths[order])
    found = align_units(src, tgt, DEFAULTS).beads, align_units(tgt, src, DEFAULTS).beads
    monkeypatch.setattr(search, "CHANCE_CHAIN_FACTOR", np.inf)
    assert (align_units(src, tgt, DEFAULTS).beads, align_units(tgt, src, DEFAULTS).beads) == found


@pytest.mark.parametrize("seed", range(5))
def test_every_unit_is_covered_once_and_in_order(seed):
    rng = np.random.default_rng(seed)
    script = [tuple(rng.choice([(1, 1), (1, 2), (2, 1), (1, 0), (0, 1), (2, 2)])) for _ in range(25)]
    src, tgt, _ = make_pair([tuple(map(int, s)) for s in script], seed=seed)
    result = align_units(src, tgt, DEFAULTS)
    assert [i for s, _ in result.beads for i in s] == list(range(len(src)))
    assert [j for _, t in result.beads for j in t] == list(range(len(tgt)))
    assert all(s or t for s, t in result.beads)
    assert np.all((result.scores >= 0) & (result.scores <= 1))


def test_matched_beads_score_higher_than_unrelated_ones():
    src, tgt, _ = make_pair([(1, 1)] * 10 + [(1, 0)] + [(1, 1)] * 10, seed=4)
    result = align_units(src, tgt, DEFAULTS)
    matched = [s for (a, b), s in zip(result.beads, result.scores, strict=True) if a and b]
    assert min(matched) > 0.5
    deletion = [s for (a, b), s in zip(result.beads, result.scores, strict=True) if not b]
    assert deletion and deletion[0] > 0.5  # confident that it has no counterpart


def test_empty_sides():
    src, tgt, _ = make_pair([(1, 1)] * 3)
    empty = Units(np.zeros((0, src.vectors.shape[1])), np.zeros(0))
    assert align_units(src, empty, DEFAULTS).beads == [((0,), ()), ((1,), ()), ((2,), ())]
    assert align_units(empty, tgt, DEFAULTS).beads == [((), (0,)), ((), (1,)), ((), (2,))]


def test_mirror_alignment_is_symmetric():
    src, tgt, _ = make_pair([(1, 1)] * 6 + [(1, 2)] + [(1, 1)] * 6 + [(1, 0)] + [(1, 1)] * 3, seed=5)
    forward = align_units(src, tgt, DEFAULTS).beads
    backward = align_units(tgt, src, DEFAULTS).beads
    assert [(t, s) for s, t in backward] == forward


def test_max_bead_and_max_long_bead_limit_bead_size():
    src, tgt, _ = make_pair([(1, 3)] * 4, seed=6)
    beads = align_units(src, tgt, dataclasses.replace(DEFAULTS, max_bead=3, max_long_bead=3)).beads
    assert max(len(s) + len(t) for s, t in beads) <= 3
    beads = align_units(src, tgt, dataclasses.replace(DEFAULTS, max_bead=3, max_long_bead=4)).beads
    assert max(len(s) + len(t) for s, t in beads) == 4


def test_span_vectors_and_floor():
    vectors = unit(np.eye(4)[[0, 1, 2, 3]].astype(float))
    spans = span_vectors(vectors, 2)
    assert np.allclose(spans[2], unit(np.array([1.0, 1, 0, 0])))
    assert np.allclose(spans[:2], 0)
    # unit vectors: the mean pairwise cosine is the dot of the means
    a, b = (
        unit(np.random.default_rng(0).normal(size=(7, 5))),
        unit(np.random.default_rng(1).normal(size=(9, 5))),
    )
    assert unrelated_similarity(a, b) == pytest.approx(float((a @ b.T).mean()), abs=1e-9)


def test_typical_similarity_is_one_for_identical_sides_and_lower_for_noisy_translations():
    src, tgt, _ = make_pair([(1, 1)] * 40, seed=7)
    vectors = src.vectors
    floor = unrelated_similarity(vectors, vectors)
    assert typical_similarity(vectors, vectors, floor, DEFAULTS) == pytest.approx(1.0)
    floor = unrelated_similarity(src.vectors, tgt.vectors)
    noisy = typical_similarity(src.vectors, tgt.vectors, floor, DEFAULTS)
    assert 0.3 < noisy < 1.0


def test_bead_features_are_the_same_seen_from_either_side():
    src, tgt, _ = make_pair([(1, 1)] * 4 + [(2, 1)] + [(1, 1)] * 4 + [(1, 3)] + [(1, 1)] * 3, seed=8)
    forward = bead_gains(src, tgt, DEFAULTS, BEAD_MODEL)
    backward = bead_gains(tgt, src, DEFAULTS, BEAD_MODEL)
    for a, b, i, j in [(1, 1, 3, 3), (2, 1, 6, 5), (1, 3, 11, 12), (2, 2, 8, 8)]:
        assert np.allclose(bead_features(forward, a, b, i, j), bead_features(backward, b, a, j, i))


def test_bead_features_of_a_true_one_to_one_and_an_unrelated_pair():
    src, tgt, _ = make_pair([(1, 1)] * 20, seed=9)
    gains = bead_gains(src, tgt, DEFAULTS, BEAD_MODEL)
    names = dict(zip(FEATURES, range(len(FEATURES)), strict=True))
    true_pair, unrelated = bead_features(gains, 1, 1, 5, 5), bead_features(gains, 1, 1, 5, 15)
    assert true_pair[names["similarity"]] > 0.5 > unrelated[names["similarity"]]
    assert true_pair[names["weakness"]] == 0.0 < unrelated[names["weakness"]]
    assert true_pair[names["end_unit_gain"]] == true_pair[names["weakest_end"]] == 0.0  # 1-1: no end unit
    assert true_pair[names["merge"]] == 0.0 and bead_features(gains, 2, 1, 6, 5)[names["merge"]] == 1.0


def test_a_bead_model_needs_one_weight_per_feature():
    with pytest.raises(ValueError, match="weights"):
        BeadModel(weights=(1.0, 2.0), intercept=0.0, null_gain=-4.0)


def test_the_null_gain_falls_only_in_documents_with_few_null_beads():
    model = BeadModel(
        weights=(0.0,) * len(FEATURES),
        intercept=0.0,
        null_gain=-4.0,
        reference_null_share=0.15,
        null_slope=1.0,
    )
    assert model.document_null_gain(0.15) == model.document_null_gain(0.6) == -4.0
    close = model.document_null_gain(0.05)
    assert close == pytest.approx(-4.0 + np.log(0.05 / 0.95) - np.log(0.15 / 0.85))
    assert model.document_null_gain(0.0) == model.document_null_gain(0.005) < close < -4.0
    assert dataclasses.replace(model, null_slope=0.0).document_null_gain(0.01) == -4.0


def test_the_null_gain_rises_with_many_null_beads_only_where_one_side_lacks_much_text():
    model = BeadModel(
        weights=(0.0,) * len(FEATURES), intercept=0.0, null_gain=-4.0, null_slope=1.0, excerpt_null_slope=0.5
    )
    assert model.excerpt_null_gain(0.15) == model.document_null_gain(0.6) == -4.0
    rise = np.log(0.6 / 0.4) - np.log(0.15 / 0.85)
    assert model.excerpt_null_gain(0.6) == pytest.approx(-4.0 + 0.5 * rise)
    assert model.excerpt_null_gain(0.05) == model.document_null_gain(0.05)


def test_the_final_pass_takes_its_null_gain_from_the_first_pass():
    close_src, close_tgt, _ = make_pair([(1, 1)] * 40)
    assert refined_path(close_src, close_tgt, DEFAULTS, BEAD_MODEL)[1].null_gain < BEAD_MODEL.null_gain
    loose_src, loose_tgt, _ = make_pair([(1, 1), (1, 0), (0, 1)] * 14)
    assert refined_path(loose_src, loose_tgt, DEFAULTS, BEAD_MODEL)[1].null_gain == BEAD_MODEL.null_gain


@pytest.mark.parametrize("script", [[(1, 6)], [(6, 1)], [(1, 7)]])
def test_a_long_unit_that_covers_more_than_the_largest_bead_is_one_bead(script):
    src, tgt, gold = make_pair([(1, 1)] * 10 + script + [(1, 1)] * 10, seed=3, noise=0.2)
    assert align_units(src, tgt, DEFAULTS).beads == gold
    capped = align_units(src, tgt, dataclasses.replace(DEFAULTS, max_long_bead=DEFAULTS.max_bead))
    assert capped.beads != gold


def test_every_full_bead_of_a_long_run_is_searched_again():
    from aligner.pairwise.long_merges import MAX_STRETCH, _stretches

    # a 1-1 bead, then twenty times: a full 1-4 bead, two unaligned units, a 1-1 bead
    beads, i, j = [(0, 1, 0, 1)], 1, 1
    for _ in range(20):
        beads += [(i, i + 1, j, j + 4), (i + 1, i + 1, j + 4, j + 5), (i + 1, i + 1, j + 5, j + 6)]
        beads.append((i + 1, i + 2, j + 6, j + 7))
        i, j = i + 2, j + 7
    full = [k for k, (s0, s1, t0, t1) in enumerate(beads) if s1 - s0 + t1 - t0 == 5]
    stretches = _stretches(beads, full)
    assert all(any(first <= k <= last for first, last in stretches) for k in full)
    assert all(b[0] < a[0] for a, b in zip(stretches[1:], stretches, strict=False))  # side by side
    assert all(b[1] < a[0] for a, b in zip(stretches[1:], stretches, strict=False))
    for first, last in stretches:
        assert beads[last][1] - beads[first][0] + beads[last][3] - beads[first][2] <= MAX_STRETCH


def test_identical_sentences_of_different_lengths_align_without_error():
    vectors = unit(np.ones((10, 8)))
    src = Units(vectors[:6], np.array([1.0, 1.0, 3.0, 1.0, 1.0, 1.0]))
    tgt = Units(vectors, np.array([1.0] * 8 + [2.0, 1.0]))
    beads = align_units(src, tgt, DEFAULTS).beads
    assert [i for s, _ in beads for i in s] == list(range(6))
    assert [j for _, t in beads for j in t] == list(range(10))


@pytest.mark.parametrize("cores", [1, 2, 3])
def test_the_search_finds_the_same_path_on_any_number_of_threads_and_blocks(monkeypatch, cores):
    from aligner.pairwise import dp

    script = [(1, 1)] * 40 + [(2, 1), (0, 1), (1, 3), (1, 0)] + [(1, 1)] * 40
    src, tgt, _ = make_pair(script, seed=7)
    gains = bead_gains(src, tgt, DEFAULTS, BEAD_MODEL)
    n, m = len(src), len(tgt)
    diagonal = np.arange(n + 1) * m // n
    band = np.stack([np.clip(diagonal - 12, 0, m), np.clip(diagonal + 12, 0, m)], axis=1)
    for windows in (None, band):
        monkeypatch.setattr(dp, "usable_cores", lambda: 1)
        monkeypatch.setattr(dp, "PARALLEL_CELLS", 1 << 12)
        alone = dp.best_path(gains, windows)
        monkeypatch.setattr(dp, "usable_cores", lambda: cores)
        monkeypatch.setattr(dp, "BLOCK_CELLS", 1000)  # several blocks of rows
        monkeypatch.setattr(dp, "PARALLEL_CELLS", 100)  # every block split among the threads
        found = dp.best_path(gains, windows)
        assert found.beads == alone.beads
        for name in ("similarity", "best_src", "best_tgt"):
            assert np.array_equal(getattr(found, name), getattr(alone, name), equal_nan=True), name


def test_one_search_space_serves_gains_of_its_span_vectors_alone():
    import dataclasses

    from aligner.pairwise import dp

    src, tgt, _ = make_pair([(1, 1)] * 30 + [(2, 1)] + [(1, 1)] * 30, seed=3)
    gains = bead_gains(src, tgt, DEFAULTS, BEAD_MODEL)
    space = dp.search_space(gains)
    cheaper = dataclasses.replace(gains, null_gain=gains.null_gain + 1.0)
    assert space.best_path(cheaper).beads == dp.best_path(cheaper).beads
    other = bead_gains(src, tgt, DEFAULTS, BEAD_MODEL)  # the same values, other span vectors
    with pytest.raises(ValueError, match="span vectors"):
        space.best_path(other)


def test_a_process_forked_after_a_search_can_search(monkeypatch):
    import multiprocessing

    from aligner.pairwise import dp

    monkeypatch.setattr(dp, "usable_cores", lambda: 2)  # so that the helper threads are started
    src, tgt, _ = make_pair([(1, 1)] * 120, seed=1)
    gains = bead_gains(src, tgt, DEFAULTS, BEAD_MODEL)
    beads = dp.best_path(gains).beads
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=lambda: results.put(dp.best_path(gains).beads == beads))
    child.start()
    try:
        assert results.get(timeout=60)  # a child left with the parent's dead threads would hang
    finally:
        child.kill()
        child.join()


def excerpt_ratio(src: Units, tgt: Units) -> float | None:
    return excerpt_length_log_ratio(src, tgt, DEFAULTS, mutual_best_matches(src, tgt, DEFAULTS))


def test_a_version_that_translates_part_of_the_other_is_not_taken_for_merges():
    # the target translates a third of the source: its totals would make each match a 3-1 merge
    src, tgt, gold = make_pair([(1, 1), (1, 0), (1, 0)] * 20, seed=5)
    assert excerpt_ratio(src, tgt) == pytest.approx(0.0, abs=0.1)
    matches = [bead for bead in gold if bead[0] and bead[1]]
    found = set(align_units(src, tgt, DEFAULTS).beads)
    totals = dataclasses.replace(DEFAULTS, max_length_ratio_disagreement=np.inf)
    by_totals = set(align_units(src, tgt, totals).beads)
    assert len(found & set(matches)) >= 0.9 * len(matches) > len(by_totals & set(matches))


def relative(units: Units) -> Units:
    """Lengths relative to their mean, as the aligner gives them."""
    return Units(units.vectors, units.lengths / units.lengths.mean())


def test_a_translation_that_splits_most_sentences_keeps_the_ratio_of_its_totals():
    # each mutual best match pairs a source sentence with one half of its translation, whose
    # ratio strays from the totals' by about log 2: the halves next to the matches tell
    src, tgt, _ = make_pair([(1, 2)] * 24 + [(1, 1)] * 6, seed=6)
    src, tgt = relative(src), relative(tgt)
    ours, theirs = mutual_best_matches(src, tgt, DEFAULTS)
    matched = np.median(np.log(tgt.lengths[theirs] / src.lengths[ours]))
    totals = np.log(tgt.lengths.sum() / src.lengths.sum())
    assert abs(matched - totals) > DEFAULTS.max_length_ratio_disagreement
    assert excerpt_ratio(src, tgt) is None


def test_the_excerpt_ratio_does_not_depend_on_which_side_is_the_source():
    long_src, excerpt, _ = make_pair([(1, 0)] * 1500 + [(1, 1), (1, 0), (1, 0), (1, 0)] * 25, seed=7)
    long_src, excerpt = relative(long_src), relative(excerpt)
    forward = excerpt_ratio(long_src, excerpt)
    assert forward is not None
    assert excerpt_ratio(excerpt, long_src) == pytest.approx(-forward)


def with_chance_run(run: int):
    return dataclasses.replace(DEFAULTS, bead_model=dataclasses.replace(BEAD_MODEL, chance_run=run))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_text_each_version_has_alone_is_not_paired_by_chance(seed):
    # twelve lines of its own on each side, before and after a shared passage
    own = [(12, 0), (0, 12)]
    src, tgt, gold = make_pair(own + [(1, 1)] * 20 + own, seed=seed)
    shared = {bead for bead in gold if bead[0] and bead[1]}
    links = {bead for bead in align_units(src, tgt, with_chance_run(4)).beads if bead[0] and bead[1]}
    assert links == shared
    paired = {bead for bead in align_units(src, tgt, with_chance_run(0)).beads if bead[0] and bead[1]}
    assert paired > shared  # the bead model alone pairs the own lines
    longer = {bead for bead in align_units(src, tgt, with_chance_run(13)).beads if bead[0] and bead[1]}
    assert longer == paired  # runs of twelve at most


@pytest.mark.parametrize("seed", [0, 3, 4])
def test_text_each_version_has_alone_stays_unlinked_beside_a_long_merge(seed):
    # the search around a long merge takes in the nulls beside it, own lines among them
    own = [(12, 0), (0, 12)]
    src, tgt, _ = make_pair(own + [(1, 6)] + [(1, 1)] * 20 + own, seed=seed)
    own_source = set(range(12)) | set(range(33, 45))
    for run, linked in ((4, False), (0, True)):
        beads = align_units(src, tgt, with_chance_run(run)).beads
        assert any(set(s) & own_source for s, t in beads if s and t) == linked


def test_weak_matches_in_a_row_stay_linked_in_a_close_translation():
    # ten of forty sentence pairs translated loosely: weak matches, in a run, where the first
    # pass leaves no unit alone (unlike versions with text of their own)
    rng = np.random.default_rng(8)
    content = unit(rng.normal(size=(40, 64)))
    loose = np.zeros((40, 1))
    loose[15:25] = 1.0
    noise = (0.3 + 2.5 * loose) * rng.normal(size=(40, 64)) / 8
    src = Units(unit(content + 0.3 * rng.normal(size=(40, 64)) / 8), np.ones(40))
    tgt = Units(unit(content + noise), np.ones(40))
    gold = [((k,), (k,)) for k in range(40)]
    gains = bead_gains(src, tgt, DEFAULTS, BEAD_MODEL)
    loose_pairs = [bead_features(gains, 1, 1, k + 1, k + 1) for k in range(15, 25)]
    assert sum(f[FEATURES.index("similarity")] < WEAK_SIMILARITY for f in loose_pairs) >= 4
    for null_slope in (BEAD_MODEL.null_slope, 0.0):  # the null gain need not fall with the share
        model = dataclasses.replace(BEAD_MODEL, chance_run=2, null_slope=null_slope)
        assert align_units(src, tgt, dataclasses.replace(DEFAULTS, bead_model=model)).beads == gold
