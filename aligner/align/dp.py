"""The dynamic-programming core: the best monotone chain of beads between two sequences.

The recurrence runs compiled (numba): a cell is a handful of dot products and comparisons,
which Python or per-row numpy calls would spend most of their time dispatching. Each source
row may be restricted to a window of target columns, which keeps banded search linear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

DELETION = -2
INSERTION = -3
START = -1


@dataclass(frozen=True)
class BeadGains:
    """Everything the DP needs to value a bead of ``a`` source and ``b`` target units.

    ``src_spans[a - 1, i]`` is the unit-length vector of source units ``i-a .. i-1`` (likewise
    ``tgt_spans``); ``src_len``/``tgt_len`` are prefix sums of unit lengths.
    """

    src_spans: np.ndarray
    tgt_spans: np.ndarray
    src_len: np.ndarray
    tgt_len: np.ndarray
    bead_types: np.ndarray
    """``(k, 2)``: the (source, target) sizes of every match bead allowed."""
    similarity_floor: np.ndarray
    """``floor[a, b]``: the mean cosine between unrelated spans of those sizes."""
    threshold: float
    merge_penalty: float
    length_weight: float
    length_log_ratio: float
    size_exponent: float


def normalised_similarity(g: BeadGains, a: int, b: int, i: int, j: int) -> float:
    """Cosine of source span ``(i-a, i]`` with target span ``(j-b, j]``, rescaled so that 0 is
    the mean similarity of unrelated spans of these sizes and 1 identity.

    Longer spans average out and look alike, so each bead type has its own 0; without it the
    DP merges neighbouring 1-1 beads. (A margin against each unit's nearest neighbours, as in
    bitext mining, measured worse here: near-paraphrases inside a document drown true pairs.)
    """
    floor = g.similarity_floor[a, b]
    cos = float(g.tgt_spans[b - 1, j].astype(np.float64) @ g.src_spans[a - 1, i].astype(np.float64))
    return (cos - floor) / (1.0 - floor)


@njit(cache=True, nogil=True)
def _fill(  # a compiled kernel takes plain arrays, not objects
    src_spans, tgt_spans, src_len, tgt_len, bead_types, floor, threshold, merge_penalty,
    length_weight, length_log_ratio, size_exponent, lo, hi, value, choice, best_src, best_tgt,
):  # fmt: skip
    n = lo.shape[0] - 1
    dim = src_spans.shape[2]
    for i in range(n + 1):
        for j in range(lo[i], hi[i] + 1):
            best = -np.inf
            arg = START
            if i == 0 and j == 0:
                best = 0.0
            if i > 0 and lo[i - 1] <= j <= hi[i - 1]:
                candidate = value[i - 1, j - lo[i - 1]]
                if candidate > best:
                    best, arg = candidate, DELETION
            for k in range(bead_types.shape[0]):
                a, b = bead_types[k, 0], bead_types[k, 1]
                if a > i or b > j:
                    continue
                pi, pj = i - a, j - b
                if pj < lo[pi] or pj > hi[pi]:
                    continue
                previous = value[pi, pj - lo[pi]]
                if previous == -np.inf:
                    continue
                cos = 0.0
                for d in range(dim):
                    cos += src_spans[a - 1, i, d] * tgt_spans[b - 1, j, d]
                sim = (cos - floor[a, b]) / (1.0 - floor[a, b])
                if a == 1 and b == 1:
                    best_src[i - 1] = max(best_src[i - 1], sim)
                    best_tgt[j - 1] = max(best_tgt[j - 1], sim)
                gain = ((a + b) / 2.0) ** size_exponent * (sim - threshold) - merge_penalty * (a + b - 2)
                if length_weight != 0.0:
                    src_length = src_len[i] - src_len[pi]
                    tgt_length = tgt_len[j] - tgt_len[pj]
                    log_ratio = np.log((tgt_length + 0.5) / (src_length + 0.5)) - length_log_ratio
                    gain -= length_weight * log_ratio * log_ratio
                if previous + gain > best:
                    best, arg = previous + gain, k
            # strictly greater: on a tie the bead that ends here wins over an insertion
            if j > lo[i] and value[i, j - 1 - lo[i]] > best:
                best, arg = value[i, j - 1 - lo[i]], INSERTION
            value[i, j - lo[i]] = best
            choice[i, j - lo[i]] = arg


@dataclass(frozen=True)
class Path:
    beads: list[tuple[int, int, int, int]]
    """Each bead as ``(src_start, src_end, tgt_start, tgt_end)``, half-open, in order."""
    similarity: np.ndarray
    """Normalised similarity of each bead (NaN for insertions and deletions)."""
    best_src: np.ndarray
    """Best 1-1 normalised similarity seen for each source unit (for confidence of deletions)."""
    best_tgt: np.ndarray


def best_path(g: BeadGains, windows: np.ndarray | None = None) -> Path:
    """Maximise the summed gain over monotone bead chains from (0, 0) to (n, m).

    ``windows[i] = (lo, hi)`` restricts row ``i`` to columns ``lo..hi`` inclusive; both bounds
    must be non-decreasing, and the windows must contain (0, 0) and (n, m). Null beads gain 0.
    """
    n = len(g.src_len) - 1
    m = len(g.tgt_len) - 1
    if windows is None:
        windows = np.array([(0, m)] * (n + 1), dtype=np.int64)
    lo = np.ascontiguousarray(windows[:, 0], dtype=np.int64)
    hi = np.ascontiguousarray(windows[:, 1], dtype=np.int64)
    width = int((hi - lo).max()) + 1
    value = np.full((n + 1, width), -np.inf)
    choice = np.full((n + 1, width), START, dtype=np.int8)
    best_src = np.full(n, -np.inf)
    best_tgt = np.full(m, -np.inf)
    _fill(
        g.src_spans, g.tgt_spans, g.src_len, g.tgt_len, g.bead_types, g.similarity_floor,
        g.threshold, g.merge_penalty, g.length_weight, g.length_log_ratio, g.size_exponent,
        lo, hi, value, choice, best_src, best_tgt,
    )  # fmt: skip
    if hi[n] < m or not np.isfinite(value[n, m - lo[n]]):
        raise ValueError("the search window does not reach the end of both sequences")
    beads: list[tuple[int, int, int, int]] = []
    i, j = n, m
    while i > 0 or j > 0:
        k = int(choice[i, j - lo[i]])
        if k == INSERTION:
            a, b = 0, 1
        elif k == DELETION:
            a, b = 1, 0
        else:
            a, b = (int(x) for x in g.bead_types[k])
        beads.append((i - a, i, j - b, j))
        i, j = i - a, j - b
    beads.reverse()
    similarity = np.array(
        [
            normalised_similarity(g, s1 - s0, t1 - t0, s1, t1) if s1 > s0 and t1 > t0 else np.nan
            for s0, s1, t0, t1 in beads
        ]
    )
    return Path(beads, similarity, best_src, best_tgt)
