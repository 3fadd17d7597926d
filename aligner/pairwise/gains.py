"""What the DP values a bead with: merged spans of unit vectors, the document's baselines, the
length ratio of its matches and the bead model, gathered into ``BeadGains``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from aligner.fitted import BeadModel
from aligner.pairwise.dp import BeadGains, BeadPath, search_space
from aligner.settings import AlignmentSettings
from aligner.similarity import (
    best_match,
    mean_direction,
    similarity_of_means,
    typical_similarity,
    unit_rows,
    unrelated_similarity,
)


@dataclass(frozen=True)
class Units:
    """Embedded units of one side: ``vectors`` (n, d), ``lengths`` (n,) relative to their mean
    (the bead model's length features and smoothing assume a mean of about 1), and optionally
    ``lexical`` (n, k) vectors, comparable with those of the other side (``aligner.lexical``)."""

    vectors: np.ndarray
    lengths: np.ndarray
    lexical: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.lengths)


MIN_RATIO_MATCHES = 1
"""Fewest mutual best matches whose length ratio ``excerpt_length_log_ratio`` trusts."""

SPLIT_REACH = 2
"""How far on either side of a matched unit ``excerpt_length_log_ratio`` looks for more pieces
of a unit that the other side splits."""

SPAN_BLOCK_ROWS = 4096
"""Rows of span vectors computed at once."""


def span_vectors(
    vectors: np.ndarray, size: int, weights: np.ndarray | None = None, out: np.ndarray | None = None
) -> np.ndarray:
    """Row ``i`` (for ``i >= size``) is the unit-length weighted sum of ``vectors[i-size:i]``,
    written into ``out`` (``(n + 1, dim)`` float32) when given.

    Rows before ``size`` are 0. Weighting by the square root of length approximates the
    embedding of the concatenated text (mean pooling counts every token) without letting
    one long sentence drown its neighbours; it measured better than plain and linear weighting.
    """
    n, dim = vectors.shape
    spans = np.zeros((n + 1, dim), dtype=np.float32) if out is None else out
    spans[:size] = 0.0
    # in blocks of rows, so that the float64 sums of a long document never exist all at once
    for first in range(0, n - size + 1, SPAN_BLOCK_ROWS):
        last = min(first + SPAN_BLOCK_ROWS, n - size + 1)  # spans ending at rows first+size .. last+size-1
        block = vectors[first : last + size - 1].astype(np.float64)
        if weights is not None:
            block *= weights[first : last + size - 1, None]
        total = sum(block[k : k + last - first] for k in range(size))
        spans[first + size : last + size] = unit_rows(total)
    return spans


def bead_gains(
    src: Units,
    tgt: Units,
    settings: AlignmentSettings,
    model: BeadModel,
    excerpt_ratio: float | None = None,
) -> BeadGains:
    """What the DP needs to value every bead between ``src`` and ``tgt``, taking the length
    ratio of a typical match to be that of the two sides' totals (``refined_path`` measures
    it on the matches instead) or, where one side lacks much of the other's text, the
    ``excerpt_ratio`` of their mutual best matches (``excerpt_length_log_ratio``); a typical
    match is then measured on the side with fewer units alone."""
    excerpt = excerpt_ratio is not None
    largest = settings.max_bead
    bead_types = tuple((a, b) for a in range(1, largest) for b in range(1, largest) if a + b <= largest)
    sizes = range(1, largest)
    src_spans, tgt_spans, floor = _spans_and_floor(src.vectors, tgt.vectors, src, tgt, sizes, bead_types)
    if src.lexical is not None and tgt.lexical is not None:
        src_lexical, tgt_lexical, lexical_floor = _spans_and_floor(
            src.lexical, tgt.lexical, src, tgt, sizes, bead_types
        )
        typical_lexical = typical_similarity(
            src_lexical[0, 1:], tgt_lexical[0, 1:], lexical_floor[1, 1], settings, fewer_only=excerpt
        )
    else:
        src_lexical = np.zeros((len(sizes), len(src) + 1, 0), dtype=np.float32)
        tgt_lexical = np.zeros((len(sizes), len(tgt) + 1, 0), dtype=np.float32)
        lexical_floor, typical_lexical = np.zeros((largest, largest)), 1.0
    src_len = np.r_[0.0, np.cumsum(src.lengths, dtype=np.float64)]
    tgt_len = np.r_[0.0, np.cumsum(tgt.lengths, dtype=np.float64)]
    return BeadGains(
        src_spans=src_spans,
        tgt_spans=tgt_spans,
        src_len=src_len,
        tgt_len=tgt_len,
        bead_types=np.array(bead_types, dtype=np.int64).reshape(-1, 2),
        similarity_floor=floor,
        length_log_ratio=excerpt_ratio if excerpt else _log_ratio(src_len[-1], tgt_len[-1]),
        typical_similarity=typical_similarity(
            src_spans[0, 1:], tgt_spans[0, 1:], floor[1, 1], settings, fewer_only=excerpt
        ),
        src_lexical_spans=src_lexical,
        tgt_lexical_spans=tgt_lexical,
        lexical_floor=lexical_floor,
        typical_lexical=typical_lexical,
        weights=model.coefficients(),
        null_gain=model.null_gain,
    )


def _spans_and_floor(
    src_vectors: np.ndarray,
    tgt_vectors: np.ndarray,
    src: Units,
    tgt: Units,
    sizes: range,
    bead_types: tuple[tuple[int, int], ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The span vectors of both sides for every size, and the unrelated similarity of spans of
    each bead type."""
    src_rows, tgt_rows = unit_rows(src_vectors), unit_rows(tgt_vectors)
    # filled in place: a list of sizes stacked afterwards would hold every span twice at its peak
    src_spans = np.empty((len(sizes), len(src) + 1, src_rows.shape[1]), dtype=np.float32)
    tgt_spans = np.empty((len(sizes), len(tgt) + 1, tgt_rows.shape[1]), dtype=np.float32)
    for size in sizes:
        span_vectors(src_rows, size, np.sqrt(src.lengths), src_spans[size - 1])
        span_vectors(tgt_rows, size, np.sqrt(tgt.lengths), tgt_spans[size - 1])
    floor = np.zeros((len(sizes) + 1, len(sizes) + 1))
    src_means = {a: mean_direction(src_spans[a - 1, a:]) for a in sizes if len(src) >= a}
    tgt_means = {b: mean_direction(tgt_spans[b - 1, b:]) for b in sizes if len(tgt) >= b}
    for a, b in bead_types:
        if a in src_means and b in tgt_means:  # else no span of that size: unrelated_similarity's 0
            floor[a, b] = similarity_of_means(src_means[a], tgt_means[b])
    return src_spans, tgt_spans, floor


def refined_path(
    src: Units,
    tgt: Units,
    settings: AlignmentSettings,
    model: BeadModel,
    windows: np.ndarray | None = None,
    excerpt_ratio: float | None = None,
) -> tuple[BeadPath, BeadGains]:
    """The best path within ``windows`` and the gains of the final pass it was valued with: a
    first pass (with ``excerpt_ratio`` as ``bead_gains`` takes it) finds the clear matches, whose
    length ratio then replaces the assumed one, and its share of null beads sets the null gain
    (``BeadModel.document_null_gain``, or with an ``excerpt_ratio`` ``excerpt_null_gain``). Both
    passes search one space (``SearchSpace``).

    The length ratio of a language pair varies with the pair and the text, and documents may
    differ by what one of them leaves out, so it is measured on the matches.
    """
    gains = bead_gains(src, tgt, settings, model, excerpt_ratio)
    space = search_space(gains, windows)
    path = space.best_path(gains)
    ratio = _matched_length_log_ratio(path, gains, settings.ratio_min_similarity)
    nulls = sum(s0 == s1 or t0 == t1 for s0, s1, t0, t1 in path.beads)
    null_share = nulls / len(path.beads) if path.beads else 1.0
    null_gain = model.document_null_gain if excerpt_ratio is None else model.excerpt_null_gain
    refined = dataclasses.replace(
        gains,
        length_log_ratio=gains.length_log_ratio if ratio is None else ratio,
        null_gain=null_gain(null_share),
        null_share=null_share,
    )
    return space.best_path(refined), refined


def _total_length_log_ratio(src: Units, tgt: Units) -> float:
    # the last of a running sum, as the DP's length table has it
    src_total = float(np.cumsum(src.lengths, dtype=np.float64)[-1]) if len(src) else 0.0
    tgt_total = float(np.cumsum(tgt.lengths, dtype=np.float64)[-1]) if len(tgt) else 0.0
    return _log_ratio(src_total, tgt_total)


def _log_ratio(src_total: float, tgt_total: float) -> float:
    return float(np.log(tgt_total / src_total)) if src_total > 0 < tgt_total else 0.0


def excerpt_length_log_ratio(
    src: Units, tgt: Units, settings: AlignmentSettings, matches: tuple[np.ndarray, np.ndarray]
) -> float | None:
    """The length ratio of a typical match where that of the two sides' totals would mislead
    the first pass, else None.

    Lengths are relative to each side's mean, so the totals' ratio is that of the sides'
    numbers of units. Where one side lacks much of the other's text (an excerpt, a summary, a
    partial translation), the totals take every match for a merge of several units of the
    longer side, and the first pass finds merges that teach the next pass the same ratio. The
    median ratio of the mutual best ``matches`` (``mutual_best_matches``) tells it without
    counting what either side lacks; it is taken where it strays from the totals' by more than
    ``settings.max_length_ratio_disagreement``, and still does so with the pieces next to each
    match counted in (``_with_pieces``): a translation that splits most sentences is matched
    by one piece of each, and would stray without them.
    """
    if min(len(src), len(tgt)) == 0:
        return None
    total = _total_length_log_ratio(src, tgt)
    ours, theirs = matches
    measurable = (src.lengths[ours] > 0) & (tgt.lengths[theirs] > 0)
    if measurable.sum() < MIN_RATIO_MATCHES:
        return None
    ours, theirs = ours[measurable], theirs[measurable]
    ratio = float(np.median(np.log(tgt.lengths[theirs] / src.lengths[ours])))
    if abs(ratio - total) <= settings.max_length_ratio_disagreement:
        return None
    a, b = unit_rows(src.vectors), unit_rows(tgt.vectors)
    floor = unrelated_similarity(a, b)
    halfway = floor + (np.einsum("ij,ij->i", a[ours], b[theirs]) - floor) / 2
    src_pieces = _with_pieces(ours, theirs, a, b, halfway, src.lengths)
    tgt_pieces = _with_pieces(theirs, ours, b, a, halfway, tgt.lengths)
    with_pieces = float(np.median(np.log(tgt_pieces / src_pieces)))
    if abs(with_pieces - total) <= settings.max_length_ratio_disagreement:
        return None
    return ratio


def mutual_best_matches(src: Units, tgt: Units, settings: AlignmentSettings) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of units that are each other's best match, found from up to half of
    ``settings.typical_sample`` evenly spaced units of each side (so that either order finds
    the same pairs), as indices into ``src`` and ``tgt`` in source order."""
    if min(len(src), len(tgt)) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    a, b = unit_rows(src.vectors), unit_rows(tgt.vectors)
    sample_size = settings.typical_sample // 2
    pairs = set()
    for queries, pool, backwards in ((a, b, False), (b, a, True)):
        sample = np.unique(np.linspace(0, len(queries) - 1, min(len(queries), sample_size)).astype(int))
        there = best_match(queries[sample], pool)
        mutual = best_match(pool[there], queries) == sample
        found = zip(sample[mutual].tolist(), there[mutual].tolist(), strict=True)
        pairs |= {(j, i) if backwards else (i, j) for i, j in found}
    ordered = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    return ordered[:, 0], ordered[:, 1]


def _with_pieces(
    units: np.ndarray,
    partners: np.ndarray,
    vectors: np.ndarray,
    other: np.ndarray,
    least: np.ndarray,
    lengths: np.ndarray,
) -> np.ndarray:
    """The lengths of ``units`` (indices into ``vectors``), each with the run of up to
    ``SPLIT_REACH`` neighbours on either side that are pieces of what its partner (in
    ``other``) says: their best match is the partner, and their cosine with it is at least
    ``least`` (per unit: half way from unrelated to the unit's own match, the line between a
    weak and a real match throughout the aligner). Against a side of a few units every
    neighbour's best match is one of them, so the best match alone does not make a piece."""
    total = lengths[units].astype(np.float64)
    for step in (-1, 1):
        alive = np.ones(len(units), dtype=bool)
        for distance in range(1, SPLIT_REACH + 1):
            neighbours = units + step * distance
            alive &= (neighbours >= 0) & (neighbours < len(vectors))
            if not alive.any():
                break
            best = np.full(len(units), -1)
            best[alive] = best_match(vectors[neighbours[alive]], other)
            cosine = np.einsum("ij,ij->i", vectors[np.clip(neighbours, 0, len(vectors) - 1)], other[partners])
            alive &= (best == partners) & (cosine >= least)
            total[alive] += lengths[neighbours[alive]]
    return total


def _matched_length_log_ratio(path: BeadPath, gains: BeadGains, min_similarity: float) -> float | None:
    src_total = tgt_total = 0.0
    for (s0, s1, t0, t1), sim in zip(path.beads, path.similarity, strict=True):
        if np.isfinite(sim) and sim > min_similarity:
            src_total += gains.src_len[s1] - gains.src_len[s0]
            tgt_total += gains.tgt_len[t1] - gains.tgt_len[t0]
    if src_total <= 0 or tgt_total <= 0:
        return None
    return float(np.log(tgt_total / src_total))
