"""The dynamic-programming core: the best monotone chain of beads between two sequences.

A bead's gain is the log-odds that it is right, from a logistic model over a few features of
the bead (``aligner.fitted.BeadModel``); an insertion or deletion gains a constant. The search
runs compiled (numba): a cell is a handful of dot products and comparisons, which Python or
per-row numpy calls would spend most of their time dispatching. A bead's gain does not depend
on the chain before it, so the gains of a block of rows are computed on every usable core at
once, and only the recurrence over them runs in order. Each source row may be restricted to a
window of target columns, which keeps banded search linear.

What the bead model sees of a bead of ``a`` source and ``b`` target units, in the order of
``aligner.fitted.FEATURES``:

* ``similarity``: cosine of the two merged units, rescaled so that 0 is the mean similarity of
  unrelated spans of these sizes and 1 that of a typical match of this document (how alike
  translations look depends on the encoder, the languages and the text);
* ``margin``: cosine minus the mean cosine of each merged unit with the units just outside
  the other side of the bead (Bertalign's local margin; at a document's edge, those that
  exist), on the same scale: a true pair stands out from its neighbours;
* ``length_agreement``: log2(1 + shorter / longer) of the two sides' lengths, both scaled
  halfway to each other by the document's length ratio (Bertalign's length penalty);
* ``length_mismatch``: the squared log of the scaled lengths' ratio, capped at 9;
* ``merge`` (1 beyond a 1-1 bead) and ``size`` ((a + b) / 2);
* ``end_unit_gain``: the similarity minus the best similarity of the beads left when one end
  unit is removed, each on its own baseline (0 for 1-1): a unit merged in should add to the
  match;
* ``weakness``: how far the similarity falls short of half a typical match (0 above it): a
  linear term alone would let unrelated units of matching lengths pair up rather than stay
  unaligned;
* ``weakest_end``: the same shortfall for the end unit of a merge least like the other side's
  span on its own (0 for 1-1): a sentence with no counterpart should not hide in a merge;
* ``lexical``: the cosine of the two merged units' lexical vectors (``aligner.lexical``: how
  many of their words translate each other), on the same scale as ``similarity`` but with the
  lexical vectors' own baselines; 0 where the units have none (a pass before any lexicon).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache, partial
from itertools import pairwise

import numpy as np
from numba import njit

from aligner.fitted import FEATURES
from aligner.threads import usable_cores

DELETION = -2
INSERTION = -3
START = -1

WEAK_SIMILARITY = 0.5
"""Similarity (in typical matches) below which ``weakness`` grows."""

_LENGTH_SMOOTHING = 0.05
"""Added to relative lengths (mean 1) before taking logs: a twentieth of a mean unit."""

_MAX_LENGTH_MISMATCH = 9.0
"""Cap on ``length_mismatch``: past it, lengths are simply too far apart to say more."""


@dataclass(frozen=True)
class BeadGains:
    """Everything the DP needs to value a bead of ``a`` source and ``b`` target units.

    ``src_spans[a - 1, i]`` is the unit-length vector of source units ``i-a .. i-1`` (likewise
    ``tgt_spans``); ``src_len``/``tgt_len`` are prefix sums of unit lengths (relative: mean 1).
    """

    src_spans: np.ndarray
    tgt_spans: np.ndarray
    src_len: np.ndarray
    tgt_len: np.ndarray
    bead_types: np.ndarray
    """``(k, 2)``: the (source, target) sizes of every match bead allowed."""
    similarity_floor: np.ndarray
    """``floor[a, b]``: the mean cosine between unrelated spans of those sizes."""
    length_log_ratio: float
    """log(target length / source length) of a typical match in this document."""
    typical_similarity: float
    """Normalised similarity of a typical match in this document (see ``typical_similarity``)."""
    src_lexical_spans: np.ndarray
    """Like ``src_spans``, of the units' lexical vectors; of 0 dimensions where there are none."""
    tgt_lexical_spans: np.ndarray
    lexical_floor: np.ndarray
    """Like ``similarity_floor``, of the lexical vectors."""
    typical_lexical: float
    """Like ``typical_similarity``, of the lexical vectors."""
    weights: np.ndarray
    """Coefficients of ``FEATURES``, then the intercept: a bead gains the weighted sum."""
    null_gain: float
    """Gain of an insertion or deletion."""
    null_share: float = 0.0
    """The share of null beads in the first pass that set ``length_log_ratio`` and ``null_gain``
    (``aligner.pairwise.gains.refined_path``); 0 before such a pass."""


def _kernel(function: Callable[..., None]) -> Callable[..., None]:
    """A loop over cells or beads, compiled without numba's runtime (it allocates nothing): with
    the runtime, every call of an inlined helper counts each array it is given up and down,
    atomically, which took most of the search's time, and threads fought over those counts."""
    return njit(cache=True, nogil=True, _nrt=False)(function)


@njit(cache=True, nogil=True, fastmath=True)
def _dot(x, y):
    # fastmath lets the compiler reorder the sum into SIMD lanes: most of the DP's time
    total = np.float32(0.0)
    for d in range(x.shape[0]):
        total += x[d] * y[d]
    return np.float64(total)


@njit(cache=True, nogil=True)
def _similarity(cos, floor, typical):
    """A cosine rescaled: 0 at ``floor`` (unrelated spans of the sizes compared), 1 at a typical match."""
    return (cos - floor) / ((1.0 - floor) * typical)


@_kernel
def _cosine_rows(src_spans, tgt_spans, pairs, lo, hi, start, first, last, table):
    """Fill ``table[start[i] + j - lo[i], p]`` for rows ``first .. last - 1``: the cosine of the
    source span of ``pairs[p, 0]`` units ending at unit ``i`` with the target span of
    ``pairs[p, 1]`` units ending at ``j``, for every cell of the windows ``lo..hi`` (0 where a
    span would start before the first unit).

    Every candidate bead reads up to thirteen of these (its own, its neighbours', its sub-beads')
    and most of them are read again by other beads: computed once per cell, they cost a few
    dot products a cell instead of a hundred.
    """
    for i in range(first, last):
        for j in range(lo[i], hi[i] + 1):
            for p in range(pairs.shape[0]):
                a, b = pairs[p, 0], pairs[p, 1]
                if a <= i and b <= j:
                    table[start[i] + j - lo[i], p] = _dot(src_spans[a - 1, i], tgt_spans[b - 1, j])


@njit(cache=True, nogil=True, inline="always")
def _cosine(cosines, a, i, b, j):
    table, pair_index, lo, start = cosines
    return np.float64(table[start[i] + j - lo[i], pair_index[a, b]])


@njit(cache=True, nogil=True, inline="always")
def _features(  # a compiled kernel takes plain arrays, not objects
    cosines, src_len, tgt_len, floor, length_log_ratio, typical,
    src_lexical, tgt_lexical, lexical_floor, typical_lexical, a, b, i, j, out,
):  # fmt: skip
    """Write the ``FEATURES`` of the bead of source units ``i-a .. i-1`` and target units
    ``j-b .. j-1`` into ``out``, its span cosines read from ``cosines`` (see ``_cosine_rows``)."""
    n, m = src_len.shape[0] - 1, tgt_len.shape[0] - 1
    cos = _cosine(cosines, a, i, b, j)
    scale = 1.0 / ((1.0 - floor[a, b]) * typical)
    out[0] = (cos - floor[a, b]) * scale
    # unit k's own vector is the size-1 span ending at k + 1; at a document's edge a neighbour
    # is missing and the mean is over those that exist
    neighbours, count = 0.0, 0
    if j - b >= 1:
        neighbours += _cosine(cosines, a, i, 1, j - b)
        count += 1
    if j < m:
        neighbours += _cosine(cosines, a, i, 1, j + 1)
        count += 1
    if i - a >= 1:
        neighbours += _cosine(cosines, 1, i - a, b, j)
        count += 1
    if i < n:
        neighbours += _cosine(cosines, 1, i + 1, b, j)
        count += 1
    out[1] = (cos - neighbours / count) * scale if count else out[0]
    # both sides meet halfway on the document's length ratio, so that swapping them changes nothing
    src_scale, tgt_scale = np.exp(length_log_ratio / 2.0), np.exp(-length_log_ratio / 2.0)
    src_length = (src_len[i] - src_len[i - a]) * src_scale + _LENGTH_SMOOTHING
    tgt_length = (tgt_len[j] - tgt_len[j - b]) * tgt_scale + _LENGTH_SMOOTHING
    out[2] = np.log2(1.0 + min(src_length, tgt_length) / max(src_length, tgt_length))
    out[3] = min(np.log(tgt_length / src_length) ** 2, _MAX_LENGTH_MISMATCH)
    out[4] = 1.0 if a + b > 2 else 0.0
    out[5] = (a + b) / 2.0
    # what the bead keeps over its best sub-bead with one end unit fewer (each on its own
    # baseline), and the end unit least like the other side's span on its own
    best_rest = weakest = np.inf
    if a > 1:
        rest_floor, unit_floor = floor[a - 1, b], floor[1, b]
        best_rest = max(
            _similarity(_cosine(cosines, a - 1, i, b, j), rest_floor, typical),
            _similarity(_cosine(cosines, a - 1, i - 1, b, j), rest_floor, typical),
        )
        weakest = min(
            _similarity(_cosine(cosines, 1, i - a + 1, b, j), unit_floor, typical),
            _similarity(_cosine(cosines, 1, i, b, j), unit_floor, typical),
        )
    if b > 1:
        rest_floor, unit_floor = floor[a, b - 1], floor[a, 1]
        best_rest = max(
            best_rest if a > 1 else -np.inf,
            _similarity(_cosine(cosines, a, i, b - 1, j), rest_floor, typical),
            _similarity(_cosine(cosines, a, i, b - 1, j - 1), rest_floor, typical),
        )
        weakest = min(
            weakest,
            _similarity(_cosine(cosines, a, i, 1, j - b + 1), unit_floor, typical),
            _similarity(_cosine(cosines, a, i, 1, j), unit_floor, typical),
        )
    merged = a + b > 2
    out[6] = out[0] - best_rest if merged else 0.0
    out[7] = max(0.0, WEAK_SIMILARITY - out[0])
    out[8] = max(0.0, WEAK_SIMILARITY - weakest) if merged else 0.0
    if src_lexical.shape[2]:
        words = _dot(src_lexical[a - 1, i], tgt_lexical[b - 1, j])
        out[9] = _similarity(words, lexical_floor[a, b], typical_lexical)
    else:
        out[9] = 0.0


@njit(cache=True, nogil=True, inline="always")
def _ends_here(a, b, i, j, lo, hi):
    """Whether a bead of ``a`` source and ``b`` target units may end at cell ``(i, j)``: it
    starts inside both documents, in the window of the row it starts from."""
    if a > i or b > j:
        return False
    pi, pj = i - a, j - b
    return pj >= lo[pi] and pj <= hi[pi]


@_kernel
def _gain_rows(
    cosines, src_len, tgt_len, bead_types, floor, length_log_ratio, typical,
    src_lexical, tgt_lexical, lexical_floor, typical_lexical, weights,
    lo, hi, start, first, last, offset, gains, one_to_one, features,
):  # fmt: skip
    """The gain of every bead that may end in rows ``first .. last - 1``, at
    ``gains[start[i] + j - lo[i] - offset, k]`` for bead type ``k`` (and the 1-1 bead's
    similarity at ``one_to_one``), with ``features`` as scratch space. A bead's gain does not
    depend on the path before it, so rows are valued apart from the recurrence, several at once."""
    for i in range(first, last):
        for j in range(lo[i], hi[i] + 1):
            cell = start[i] + j - lo[i] - offset
            for k in range(bead_types.shape[0]):
                a, b = bead_types[k, 0], bead_types[k, 1]
                if not _ends_here(a, b, i, j, lo, hi):
                    continue
                _features(
                    cosines, src_len, tgt_len, floor, length_log_ratio, typical,
                    src_lexical, tgt_lexical, lexical_floor, typical_lexical, a, b, i, j, features,
                )  # fmt: skip
                if a == 1 and b == 1:
                    one_to_one[cell] = features[0] * typical
                gain = weights[-1]
                for f in range(features.shape[0]):
                    gain += weights[f] * features[f]
                gains[cell, k] = gain


@_kernel
def _recur_rows(
    bead_types, null_gain, lo, hi, start, first, last, offset, gains, one_to_one,
    value, choice, best_src, best_tgt,
):  # fmt: skip
    """The best chain's value and last step at every cell of rows ``first .. last - 1``, from
    the beads' ``gains`` (see ``_gain_rows``) and the rows before."""
    # cell (i, j) is stored at start[i] + j - lo[i]: rows as long as their windows
    for i in range(first, last):
        for j in range(lo[i], hi[i] + 1):
            best = -np.inf
            arg = START
            if i == 0 and j == 0:
                best = 0.0
            if i > 0 and lo[i - 1] <= j <= hi[i - 1]:
                candidate = value[start[i - 1] + j - lo[i - 1]] + null_gain
                if candidate > best:
                    best, arg = candidate, DELETION
            here = start[i] + j - lo[i]
            for k in range(bead_types.shape[0]):
                a, b = bead_types[k, 0], bead_types[k, 1]
                if not _ends_here(a, b, i, j, lo, hi):
                    continue
                previous = value[start[i - a] + j - b - lo[i - a]]
                if previous == -np.inf:
                    continue
                if a == 1 and b == 1:
                    similarity = one_to_one[here - offset]
                    best_src[i - 1] = max(best_src[i - 1], similarity)
                    best_tgt[j - 1] = max(best_tgt[j - 1], similarity)
                gain = gains[here - offset, k]
                if previous + gain > best:
                    best, arg = previous + gain, k
            # strictly greater: on a tie the bead that ends here wins over an insertion
            if j > lo[i] and value[here - 1] + null_gain > best:
                best, arg = value[here - 1] + null_gain, INSERTION
            value[here] = best
            choice[here] = arg


BLOCK_CELLS = 1 << 16
"""Cells whose gains are held at once: the rows of a block are valued side by side, then the
recurrence runs over them, so memory stays bounded however long the document."""

PARALLEL_CELLS = 1 << 12
"""Cells a thread takes at least: handing fewer to a thread of its own costs more than it saves."""


def _in_threads(task: Callable[..., None], start: np.ndarray, first: int, last: int, *rest: object) -> None:
    """``task(rows_from, rows_to, *rest)`` over rows ``first .. last - 1``, split into parts of
    about equal cells (``start`` holds each row's first), one part per usable core: the
    compiled kernels release the GIL."""
    cells = int(start[last] - start[first])
    threads = min(usable_cores(), max(cells // PARALLEL_CELLS, 1))
    if threads == 1:
        task(first, last, *rest)
        return
    targets = start[first] + cells * np.arange(1, threads) / threads
    cuts = [first, *(np.searchsorted(start[first : last + 1], targets) + first).tolist(), last]
    parts = list(pairwise(cuts))
    others = [_helpers().submit(task, a, b, *rest) for a, b in parts[1:]]
    task(*parts[0], *rest)
    for other in others:
        other.result()


@cache
def _helpers() -> ThreadPoolExecutor:
    """The threads that take a search's rows beside the calling one, started once per process."""
    return ThreadPoolExecutor(max(usable_cores() - 1, 1), thread_name_prefix="aligner-dp")


# a child made by fork has none of its parent's threads: it starts its own
os.register_at_fork(after_in_child=_helpers.cache_clear)


def _valued_rows(
    g: BeadGains,
    cosines: tuple[np.ndarray, ...],
    lo: np.ndarray,
    hi: np.ndarray,
    start: np.ndarray,
    first: int,
    last: int,
    offset: int,
    gains: np.ndarray,
    one_to_one: np.ndarray,
) -> None:
    """``_gain_rows`` over rows ``first .. last - 1``, with scratch space of its own (one a thread)."""
    _gain_rows(
        cosines, g.src_len, g.tgt_len, g.bead_types, g.similarity_floor, g.length_log_ratio,
        g.typical_similarity, g.src_lexical_spans, g.tgt_lexical_spans, g.lexical_floor,
        g.typical_lexical, g.weights, lo, hi, start, first, last, offset, gains, one_to_one,
        np.empty(len(g.weights) - 1),
    )  # fmt: skip


def _fill(
    g: BeadGains,
    cosines: tuple[np.ndarray, ...],
    lo: np.ndarray,
    hi: np.ndarray,
    start: np.ndarray,
    value: np.ndarray,
    choice: np.ndarray,
    best_src: np.ndarray,
    best_tgt: np.ndarray,
) -> None:
    """The recurrence over every cell, a block of rows at a time: the block's beads valued on
    every usable core, then its cells filled in order."""
    n = len(lo) - 1
    first = 0
    while first <= n:
        last = int(np.searchsorted(start, start[first] + BLOCK_CELLS, side="right")) - 1
        last = min(max(last, first + 1), n + 1)  # one row at least
        offset = start[first]
        gains = np.empty((start[last] - offset, len(g.bead_types)))
        one_to_one = np.empty(start[last] - offset)
        _in_threads(
            partial(_valued_rows, g, cosines, lo, hi, start), start, first, last, offset, gains, one_to_one
        )
        _recur_rows(
            g.bead_types, g.null_gain, lo, hi, start, first, last, offset, gains, one_to_one,
            value, choice, best_src, best_tgt,
        )  # fmt: skip
        first = last


def _cosines(g: BeadGains, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, ...]:
    """The span cosines that the features of the beads ending in the windows ``lo..hi`` read
    (filled by ``_cosine_rows``, and the indices to look them up), as one argument for ``_features``.

    A bead ending at (i, j) reads cosines of spans ending at rows i - a .. i + 1 and columns
    j - b .. j + 1, so each row's window is widened by the rows that read it. ``lo``/``hi``
    must not decrease.
    """
    n, m = len(lo) - 1, len(g.tgt_len) - 1
    pairs = _pairs_read([(int(a), int(b)) for a, b in g.bead_types])
    max_a, max_b = int(pairs[:, 0].max()), int(pairs[:, 1].max())
    rows = np.arange(n + 1)
    table_lo = np.maximum(lo[np.maximum(rows - 1, 0)] - max_b, 0)
    table_hi = np.minimum(hi[np.minimum(rows + max_a, n)] + 1, m)
    return _looked_up(g, pairs, table_lo, table_hi)


def _pairs_read(bead_types: list[tuple[int, int]]) -> np.ndarray:
    """The (source, target) span sizes whose cosines the features of beads of ``bead_types``
    read: their own, their neighbours' (a unit beside one side) and their sub-beads'."""
    needed = set()
    for a, b in bead_types:
        needed |= {(a, b), (a, 1), (1, b), (max(a - 1, 1), b), (a, max(b - 1, 1))}
    return np.array(sorted(needed), dtype=np.int64).reshape(-1, 2)


def _looked_up(g: BeadGains, pairs: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, ...]:
    """The cosines of ``pairs`` of span sizes in the cells of the windows ``lo..hi`` (an empty
    window where ``hi < lo``), with the indices ``_cosine`` looks them up by."""
    pair_index = np.full((int(pairs[:, 0].max()) + 1, int(pairs[:, 1].max()) + 1), -1, dtype=np.int64)
    pair_index[pairs[:, 0], pairs[:, 1]] = np.arange(len(pairs))
    start = np.r_[0, np.cumsum(np.maximum(hi - lo + 1, 0))]
    table = np.zeros((start[-1], pairs.shape[0]), dtype=np.float32)
    rows = partial(_cosine_rows, g.src_spans, g.tgt_spans, pairs, lo, hi, start)
    _in_threads(rows, start, 0, len(lo), table)
    return table, pair_index, lo, start


@_kernel
def _features_of_beads(
    cosines, src_len, tgt_len, floor, length_log_ratio, typical,
    src_lexical, tgt_lexical, lexical_floor, typical_lexical, beads, out,
):  # fmt: skip
    for k in range(beads.shape[0]):
        a, b, i, j = beads[k, 0], beads[k, 1], beads[k, 2], beads[k, 3]
        _features(
            cosines, src_len, tgt_len, floor, length_log_ratio, typical,
            src_lexical, tgt_lexical, lexical_floor, typical_lexical, a, b, i, j, out[k],
        )  # fmt: skip


def _features_of(g: BeadGains, cosines: tuple[np.ndarray, ...], beads: np.ndarray) -> np.ndarray:
    """The ``FEATURES`` of each ``(a, b, i, j)`` row of ``beads``, a row each."""
    out = np.empty((len(beads), len(FEATURES)))
    _features_of_beads(
        cosines, g.src_len, g.tgt_len, g.similarity_floor, g.length_log_ratio,
        g.typical_similarity, g.src_lexical_spans, g.tgt_lexical_spans, g.lexical_floor,
        g.typical_lexical, np.ascontiguousarray(beads, dtype=np.int64).reshape(-1, 4), out,
    )  # fmt: skip
    return out


def bead_features(g: BeadGains, a: int, b: int, i: int, j: int) -> np.ndarray:
    """The ``FEATURES`` of the bead of source units ``i-a .. i-1`` and target units ``j-b .. j-1``."""
    return many_bead_features(g, [(a, b, i, j)])[0]


def many_bead_features(g: BeadGains, beads: Sequence[tuple[int, int, int, int]]) -> np.ndarray:
    """``bead_features`` of each ``(a, b, i, j)`` of ``beads``, a row each, from one table of the
    cosines they read."""
    n, m = len(g.src_len) - 1, len(g.tgt_len) - 1
    sizes = np.array(beads, dtype=np.int64).reshape(-1, 4)
    lo, hi = np.full(n + 1, m + 1, dtype=np.int64), np.full(n + 1, -1, dtype=np.int64)
    for below in range(int(sizes[:, 0].max(initial=0)) + 2):  # the rows i - a .. i + 1 each reads
        rows = sizes[:, 2] + 1 - below
        reads = (rows >= sizes[:, 2] - sizes[:, 0]) & (rows >= 0) & (rows <= n)
        np.minimum.at(lo, rows[reads], np.maximum(sizes[reads, 3] - sizes[reads, 1], 0))
        np.maximum.at(hi, rows[reads], np.minimum(sizes[reads, 3] + 1, m))
    pairs = _pairs_read(sorted({(int(a), int(b)) for a, b in sizes[:, :2]}))
    cosines = _looked_up(g, pairs, np.minimum(lo, hi + 1), hi)
    return _features_of(g, cosines, sizes)


@dataclass(frozen=True)
class BeadPath:
    beads: list[tuple[int, int, int, int]]
    """Each bead as ``(src_start, src_end, tgt_start, tgt_end)``, half-open, in order."""
    similarity: np.ndarray
    """Normalised similarity of each bead (NaN for insertions and deletions)."""
    best_src: np.ndarray
    """Best 1-1 normalised similarity seen for each source unit (for confidence of deletions)."""
    best_tgt: np.ndarray


@dataclass(frozen=True)
class SearchSpace:
    """The cells a search covers and the span cosines their beads read: they depend on the span
    vectors and the windows alone, not on how beads are valued, so the passes that value beads
    differently (``aligner.pairwise.gains.refined_path``) search one space."""

    lo: np.ndarray
    hi: np.ndarray
    start: np.ndarray
    """``start[i]``: where row ``i``'s cells begin; ``start[-1]`` cells in all."""
    cosines: tuple[np.ndarray, ...]
    src_spans: np.ndarray
    tgt_spans: np.ndarray

    def best_path(self, g: BeadGains) -> BeadPath:
        """Maximise the summed gain over monotone bead chains from (0, 0) to (n, m) in this
        space, with ``g``, whose span vectors must be those the space was made of."""
        if g.src_spans is not self.src_spans or g.tgt_spans is not self.tgt_spans:
            raise ValueError("these gains were not made of the span vectors of this search space")
        lo, hi, start = self.lo, self.hi, self.start
        n = len(g.src_len) - 1
        m = len(g.tgt_len) - 1
        value = np.full(start[-1], -np.inf)
        choice = np.full(start[-1], START, dtype=np.int8)
        best_src = np.full(n, -np.inf)
        best_tgt = np.full(m, -np.inf)
        _fill(g, self.cosines, lo, hi, start, value, choice, best_src, best_tgt)
        if hi[n] < m or not np.isfinite(value[start[n] + m - lo[n]]):
            raise ValueError("the search window does not reach the end of both sequences")
        beads: list[tuple[int, int, int, int]] = []
        i, j = n, m
        while i > 0 or j > 0:
            k = int(choice[start[i] + j - lo[i]])
            if k == INSERTION:
                a, b = 0, 1
            elif k == DELETION:
                a, b = 1, 0
            else:
                a, b = (int(x) for x in g.bead_types[k])
            beads.append((i - a, i, j - b, j))
            i, j = i - a, j - b
        beads.reverse()
        matches = [k for k, (s0, s1, t0, t1) in enumerate(beads) if s1 > s0 and t1 > t0]
        sizes = [(s1 - s0, t1 - t0, s1, t1) for s0, s1, t0, t1 in (beads[k] for k in matches)]
        similarity = np.full(len(beads), np.nan)
        similarity[matches] = _features_of(g, self.cosines, np.array(sizes))[:, 0] * g.typical_similarity
        return BeadPath(beads, similarity, best_src, best_tgt)


def search_space(g: BeadGains, windows: np.ndarray | None = None) -> SearchSpace:
    """The space searched for ``g``: ``windows[i] = (lo, hi)`` restricts row ``i`` to columns
    ``lo..hi`` inclusive; both bounds must be non-decreasing, and the windows must contain
    (0, 0) and (n, m). None: every cell."""
    n = len(g.src_len) - 1
    m = len(g.tgt_len) - 1
    if windows is None:
        windows = np.array([(0, m)] * (n + 1), dtype=np.int64)
    lo = np.ascontiguousarray(windows[:, 0], dtype=np.int64)
    hi = np.ascontiguousarray(windows[:, 1], dtype=np.int64)
    start = np.r_[0, np.cumsum(np.maximum(hi - lo + 1, 0))]
    return SearchSpace(lo, hi, start, _cosines(g, lo, hi), g.src_spans, g.tgt_spans)


def best_path(g: BeadGains, windows: np.ndarray | None = None) -> BeadPath:
    """Maximise the summed gain over monotone bead chains from (0, 0) to (n, m), within
    ``windows`` as ``search_space`` takes them."""
    return search_space(g, windows).best_path(g)
