"""Align stage: two sequences of embedded units in, a scored chain of beads out.

A unit is a sentence, or a row of an already aligned group of languages (see
``aligner.multiway``); either way it is a vector and a length. Beads are 1-0, 0-1 and every
m-n with m, n >= 1 and m + n <= ``max_bead``; merged units are scored from the normalised sum
of their sentence vectors, so no sentence is ever embedded twice.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from aligner.align.dp import WEAK_SIMILARITY, BeadGains, Path, best_path
from aligner.align.model import BEAD_MODEL, BeadModel

FULL_SEARCH_CELLS = 250_000
"""Documents up to this many sentence pairs are searched in full; longer ones in a band."""

COARSE_NULL_SHIFT = -4.0
"""The coarse passes only have to find the way: they take weak matches rather than skip
stretches (their insertions and deletions cost this much more), which on the Bible (006)
kept the band on the true path."""

RATIO_MIN_SIMILARITY = 0.1
"""Normalised similarity above which a first-pass match measures the document's length ratio."""

BAND_MARGIN = 12
"""Units on either side of the coarse path that the fine search may move."""

MAX_UNSURE_STRETCH = 400
"""Longest side, in units, of a stretch of weak coarse beads that the fine search covers whole."""

Bead = tuple[tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True)
class Units:
    """Embedded units of one side: ``vectors`` (n, d), ``lengths`` (n,) relative to their mean
    (the bead model's length features and smoothing assume a mean of about 1)."""

    vectors: np.ndarray
    lengths: np.ndarray

    def __len__(self) -> int:
        return len(self.lengths)


@dataclass(frozen=True)
class AlignParams:
    max_bead: int = 5
    """Largest m + n of a bead: 5 allows 1-4, 2-3, 3-2 and 4-1."""
    model: BeadModel = BEAD_MODEL
    """How beads are valued; see ``aligner.align.model``."""


@dataclass(frozen=True)
class PairAlignment:
    beads: list[Bead]
    scores: np.ndarray
    """Per bead, in [0, 1]: for a match, its normalised similarity (0 as alike as unrelated
    sentences of these documents, 1 identical); for an insertion or deletion, 1 minus the best
    normalised similarity the unit had with any unit of the other side."""


def span_vectors(vectors: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Row ``i`` (for ``i >= size``) is the unit-length weighted sum of ``vectors[i-size:i]``.

    Rows before ``size`` are 0. Weighting by the square root of length approximates the
    embedding of the concatenated text (mean pooling counts every token) without letting
    one long sentence drown its neighbours; it measured better than both plain and linear
    weighting on Text+Berg dev.
    """
    n, dim = vectors.shape
    spans = np.zeros((n + 1, dim), dtype=np.float32)
    if n >= size:
        weighted = vectors.astype(np.float64) * (weights[:, None] if weights is not None else 1.0)
        total = sum(weighted[k : n - size + 1 + k] for k in range(size))
        norms = np.linalg.norm(total, axis=1, keepdims=True)
        spans[size:] = total / np.maximum(norms, 1e-12)
    return spans


def unrelated_similarity(src: np.ndarray, tgt: np.ndarray) -> float:
    """Mean cosine over all source-target pairs: for unit vectors, the dot of the two means.

    Nearly all pairs of a document pair are unrelated, so this is the baseline a true
    translation must rise above; computing it exactly keeps the result deterministic.
    """
    if len(src) == 0 or len(tgt) == 0:
        return 0.0
    floor = float(unit_rows(src).mean(axis=0) @ unit_rows(tgt).mean(axis=0))
    return min(floor, 0.95)


def nearest_neighbour_similarity(queries: np.ndarray, pool: np.ndarray, k: int = 4) -> np.ndarray:
    """Mean cosine of each query with its ``k`` most similar vectors in ``pool`` (unit rows):
    the denominator of the margin used in bitext mining."""
    if len(queries) == 0 or len(pool) == 0:
        return np.zeros(len(queries))
    k = min(k, len(pool))
    out = np.empty(len(queries))
    for start in range(0, len(queries), 1024):
        block = queries[start : start + 1024] @ pool.T
        out[start : start + len(block)] = np.partition(block, -k, axis=1)[:, -k:].mean(axis=1)
    return out


TYPICAL_SAMPLE = 1000
"""Units of each side whose best match measures a document's typical similarity."""

TYPICAL_QUANTILE = 0.75
"""A quarter of the units may lack a counterpart without lowering the typical match."""

MIN_TYPICAL_SIMILARITY = 0.1


def typical_similarity(src: np.ndarray, tgt: np.ndarray, floor: float) -> float:
    """Normalised similarity of a typical match between two sides (unit rows): the upper
    quartile of each unit's best similarity with any unit of the other side, over up to
    ``TYPICAL_SAMPLE`` evenly spaced units of each side (so it costs linear time).

    With e5-small: 0.5-0.63 for the German-French Text+Berg documents and the Indonesian-French
    seeds, 0.4 for the English-Chinese Bible.
    """
    if len(src) == 0 or len(tgt) == 0:
        return 1.0
    best = []
    for queries, pool in ((src, tgt), (tgt, src)):
        sample = queries[
            np.unique(np.linspace(0, len(queries) - 1, min(len(queries), TYPICAL_SAMPLE)).astype(int))
        ]
        best.append(nearest_neighbour_similarity(sample, pool, k=1))
    cos = float(np.quantile(np.concatenate(best), TYPICAL_QUANTILE))
    return max((cos - floor) / (1.0 - floor), MIN_TYPICAL_SIMILARITY)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def bead_gains(src: Units, tgt: Units, params: AlignParams) -> BeadGains:
    """What the DP needs to value every bead between ``src`` and ``tgt``, taking the length
    ratio of a typical match to be that of the two sides' totals (``refined_gains`` measures
    it on the matches instead)."""
    bead_types = tuple(
        (a, b)
        for a in range(1, params.max_bead)
        for b in range(1, params.max_bead)
        if a + b <= params.max_bead
    )
    sizes = range(1, params.max_bead)
    src_vectors, tgt_vectors = unit_rows(src.vectors), unit_rows(tgt.vectors)
    src_spans = np.stack([span_vectors(src_vectors, a, np.sqrt(src.lengths)) for a in sizes])
    tgt_spans = np.stack([span_vectors(tgt_vectors, b, np.sqrt(tgt.lengths)) for b in sizes])
    floor = np.zeros((params.max_bead, params.max_bead))
    for a, b in bead_types:
        floor[a, b] = unrelated_similarity(src_spans[a - 1, a:], tgt_spans[b - 1, b:])
    src_len = np.r_[0.0, np.cumsum(src.lengths, dtype=np.float64)]
    tgt_len = np.r_[0.0, np.cumsum(tgt.lengths, dtype=np.float64)]
    length_log_ratio = float(np.log(tgt_len[-1] / src_len[-1])) if src_len[-1] > 0 < tgt_len[-1] else 0.0
    return BeadGains(
        src_spans=src_spans,
        tgt_spans=tgt_spans,
        src_len=src_len,
        tgt_len=tgt_len,
        bead_types=np.array(bead_types, dtype=np.int64).reshape(-1, 2),
        similarity_floor=floor,
        length_log_ratio=length_log_ratio,
        typical_similarity=typical_similarity(src_spans[0, 1:], tgt_spans[0, 1:], floor[1, 1]),
        weights=params.model.coefficients(),
        null_gain=params.model.null_gain,
    )


def align_units(src: Units, tgt: Units, params: AlignParams | None = None) -> PairAlignment:
    """Align two sequences of units into a monotone chain of beads covering both."""
    params = params or AlignParams()
    model = dataclasses.replace(params.model, null_gain=params.model.null_gain + COARSE_NULL_SHIFT)
    return _align(src, tgt, params, dataclasses.replace(params, model=model))


def refined_gains(
    src: Units, tgt: Units, params: AlignParams, windows: np.ndarray | None = None
) -> BeadGains:
    """The gains of the final pass: a first pass (within ``windows``) finds the clear matches,
    whose length ratio then replaces that of the two sides' totals, and its share of null
    beads sets the null gain (``BeadModel.document_null_gain``).

    The length ratio of a language pair varies with the pair and the text, and documents may
    differ by what one of them leaves out, so it is measured on the matches.
    """
    gains = bead_gains(src, tgt, params)
    path = best_path(gains, windows)
    ratio = _matched_length_log_ratio(path, gains)
    nulls = sum(s0 == s1 or t0 == t1 for s0, s1, t0, t1 in path.beads)
    null_share = nulls / len(path.beads) if path.beads else 1.0
    return dataclasses.replace(
        gains,
        length_log_ratio=gains.length_log_ratio if ratio is None else ratio,
        null_gain=params.model.document_null_gain(null_share),
    )


def _align(src: Units, tgt: Units, params: AlignParams, coarse: AlignParams) -> PairAlignment:
    return _to_pair_alignment(_align_path(src, tgt, params, coarse)[0])


def _align_path(src: Units, tgt: Units, params: AlignParams, coarse: AlignParams) -> tuple[Path, float]:
    """The best path and the typical similarity it was valued with."""
    windows = _search_windows(src, tgt, coarse)
    gains = refined_gains(src, tgt, params, windows)
    return best_path(gains, windows), gains.typical_similarity


def _halve(units: Units) -> Units:
    """Merge consecutive pairs of units: half as many, same content, lengths still of mean 1."""
    n = len(units)
    pairs = units.vectors[: n - n % 2].reshape(n // 2, 2, -1).sum(axis=1)
    lengths = units.lengths[: n - n % 2].reshape(n // 2, 2).sum(axis=1)
    if n % 2:
        pairs = np.vstack([pairs, units.vectors[-1:]])
        lengths = np.r_[lengths, units.lengths[-1]]
    return Units(unit_rows(pairs), lengths / 2.0)


def _search_windows(src: Units, tgt: Units, coarse_params: AlignParams) -> np.ndarray | None:
    """Per source row, the target columns worth searching; None for a full search.

    Long documents are aligned at half resolution first (recursively, as in Vecalign, every
    level with ``coarse_params``) and the fine search keeps to a band around the projected
    coarse path, so time and memory grow linearly with length. The coarse passes prefer weak
    matches to skips, so where one side has a passage the other lacks, the coarse path may cut
    a diagonal the true path leaves by more than the band: a stretch of weak coarse beads is
    searched whole (the rectangle from its first cell to its last), up to
    ``MAX_UNSURE_STRETCH`` units a side; a longer one is searched as consecutive rectangles of
    that size along the coarse path, so a passage one side lacks that is longer still may
    still be cut off where two meet. Rows of the DP are as long as their windows, so a
    rectangle costs memory only where it is.
    """
    n, m = len(src), len(tgt)
    if n * m <= FULL_SEARCH_CELLS or min(n, m) < 2:
        return None
    path, typical = _align_path(_halve(src), _halve(tgt), coarse_params, coarse_params)
    sure = np.nan_to_num(path.similarity, nan=0.0) >= WEAK_SIMILARITY * typical
    boxes: list[tuple[int, int, int, int]] = []  # (src_start, src_end, tgt_start, tgt_end), coarse
    for k, bead in enumerate(path.beads):
        if k and not sure[k] and not sure[k - 1]:
            first_src, _, first_tgt, _ = boxes[-1]
            if max(bead[1] - first_src, bead[3] - first_tgt) * 2 <= MAX_UNSURE_STRETCH:
                boxes[-1] = (first_src, bead[1], first_tgt, bead[3])
                continue
        boxes.append(bead)
    lo = np.full(n + 1, m, dtype=np.int64)
    hi = np.zeros(n + 1, dtype=np.int64)
    for s0, s1, t0, t1 in boxes:
        rows = slice(2 * s0, min(2 * s1, n) + 1)
        lo[rows] = np.minimum(lo[rows], 2 * t0)
        hi[rows] = np.maximum(hi[rows], min(2 * t1, m))
    lo = np.minimum.accumulate(np.clip(lo - BAND_MARGIN, 0, m)[::-1])[::-1]
    hi = np.maximum.accumulate(np.clip(hi + BAND_MARGIN, 0, m))
    lo[0], hi[n] = 0, m
    return np.stack([lo, hi], axis=1)


def _matched_length_log_ratio(path: Path, gains: BeadGains) -> float | None:
    src_total = tgt_total = 0.0
    for (s0, s1, t0, t1), sim in zip(path.beads, path.similarity, strict=True):
        if np.isfinite(sim) and sim > RATIO_MIN_SIMILARITY:
            src_total += gains.src_len[s1] - gains.src_len[s0]
            tgt_total += gains.tgt_len[t1] - gains.tgt_len[t0]
    if src_total <= 0 or tgt_total <= 0:
        return None
    return float(np.log(tgt_total / src_total))


def _to_pair_alignment(path: Path) -> PairAlignment:
    beads: list[Bead] = []
    scores = np.empty(len(path.beads))
    for k, (s0, s1, t0, t1) in enumerate(path.beads):
        beads.append((tuple(range(s0, s1)), tuple(range(t0, t1))))
        if s1 > s0 and t1 > t0:
            scores[k] = path.similarity[k]
        elif s1 > s0:
            scores[k] = 1.0 - path.best_src[s0]
        else:
            scores[k] = 1.0 - path.best_tgt[t0]
    scores = np.clip(np.nan_to_num(scores, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
    return PairAlignment(beads, scores)
