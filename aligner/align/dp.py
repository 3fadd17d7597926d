"""The dynamic-programming core: the best monotone chain of beads between two sequences.

Rows of the DP are source positions; each row is computed for all its target columns at once
with numpy, so Python loops run once per source unit and bead type, not once per cell.
Each row may be restricted to a window of columns, which keeps banded search linear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NEG = -np.inf


@dataclass(frozen=True)
class BeadGains:
    """Everything the DP needs to value a bead of ``a`` source and ``b`` target units.

    ``src_spans[a][i]`` is the unit-length vector of source units ``i-a .. i-1`` (likewise
    ``tgt_spans``); ``src_len``/``tgt_len`` are prefix sums of unit lengths.
    """

    src_spans: dict[int, np.ndarray]
    tgt_spans: dict[int, np.ndarray]
    src_len: np.ndarray
    tgt_len: np.ndarray
    bead_types: tuple[tuple[int, int], ...]
    similarity_floor: dict[tuple[int, int], float]
    """Per bead type, the mean cosine between unrelated spans of those sizes."""
    threshold: float
    merge_penalty: float
    length_weight: float
    length_log_ratio: float
    size_exponent: float = 1.0


def normalised_similarity(g: BeadGains, a: int, b: int, i: int, cols: np.ndarray | int) -> np.ndarray:
    """Cosine of source span ``(i-a, i]`` with target spans ending at ``cols``, rescaled so that
    0 is the mean similarity of unrelated spans of these sizes and 1 identity.

    Longer spans average out and look alike, so each bead type has its own 0; without it the
    DP merges neighbouring 1-1 beads. (A margin against each unit's nearest neighbours, as in
    bitext mining, measured worse here: near-paraphrases inside a document drown true pairs.)
    """
    floor = g.similarity_floor[a, b]
    return (g.tgt_spans[b][cols] @ g.src_spans[a][i] - floor) / (1.0 - floor)


def _match_gain(g: BeadGains, i: int, a: int, b: int, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gain and normalised similarity of beads ending at source ``i`` and each target column."""
    sim = normalised_similarity(g, a, b, i, cols)
    weight = ((a + b) / 2.0) ** g.size_exponent
    gain = weight * (sim - g.threshold) - g.merge_penalty * (a + b - 2)
    if g.length_weight:
        src_len = g.src_len[i] - g.src_len[i - a]
        tgt_len = g.tgt_len[cols] - g.tgt_len[cols - b]
        log_ratio = np.log((tgt_len + 0.5) / (src_len + 0.5)) - g.length_log_ratio
        gain = gain - g.length_weight * log_ratio**2
    return gain, sim


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

    ``windows[i] = (lo, hi)`` restricts row ``i`` to columns ``lo..hi`` inclusive; it must be
    non-decreasing and contain (0, 0) and (n, m). Null beads gain 0.
    """
    n = len(g.src_len) - 1
    m = len(g.tgt_len) - 1
    if windows is None:
        windows = np.array([(0, m)] * (n + 1), dtype=np.int64)
    rows: list[np.ndarray] = []
    choices: list[np.ndarray] = []
    best_src = np.full(n, NEG)
    best_tgt = np.full(m, NEG)
    # bead index len(bead_types) is a deletion (1-0), len+1 an insertion (0-1)
    deletion, insertion = len(g.bead_types), len(g.bead_types) + 1

    def previous(row: int, cols: np.ndarray) -> np.ndarray:
        lo, hi = windows[row]
        inside = (cols >= lo) & (cols <= hi)
        return np.where(inside, rows[row][np.clip(cols - lo, 0, hi - lo)], NEG)

    for i in range(n + 1):
        lo, hi = windows[i]
        cols = np.arange(lo, hi + 1)
        value = np.full(cols.size, NEG)
        choice = np.full(cols.size, -1, dtype=np.int8)
        if i == 0:
            value[cols == 0] = 0.0
        else:
            candidate = previous(i - 1, cols)
            better = candidate > value
            value[better], choice[better] = candidate[better], deletion
            for k, (a, b) in enumerate(g.bead_types):
                if a > i:
                    continue
                ok = cols >= b
                if not ok.any():
                    continue
                c = cols[ok]
                gain, sim = _match_gain(g, i, a, b, c)
                if a == 1 and b == 1:
                    best_src[i - 1] = max(best_src[i - 1], sim.max())
                    np.maximum.at(best_tgt, c - 1, sim)
                candidate = previous(i - a, c - b) + gain
                sub_value, sub_choice = value[ok], choice[ok]
                better = candidate > sub_value
                sub_value[better], sub_choice[better] = candidate[better], k
                value[ok], choice[ok] = sub_value, sub_choice
        # insertions chain along the row: value[j] = max(value[j], value[j-1]); keep the first
        # maximum so that ties prefer the bead that ends here
        running = np.maximum.accumulate(value)
        from_left = np.r_[False, running[1:] > value[1:]]
        choice[from_left] = insertion
        rows.append(running)
        choices.append(choice)

    beads: list[tuple[int, int, int, int]] = []
    i, j = n, m
    if windows[n][1] < m or not np.isfinite(rows[n][m - windows[n][0]]):
        raise ValueError("the search window does not reach the end of both sequences")
    while i > 0 or j > 0:
        k = int(choices[i][j - windows[i][0]])
        if k == insertion:
            a, b = 0, 1
        elif k == deletion:
            a, b = 1, 0
        else:
            a, b = g.bead_types[k]
        beads.append((i - a, i, j - b, j))
        i, j = i - a, j - b
    beads.reverse()
    similarity = np.array(
        [
            float(normalised_similarity(g, s1 - s0, t1 - t0, s1, t1)) if s1 > s0 and t1 > t0 else np.nan
            for s0, s1, t0, t1 in beads
        ]
    )
    return Path(beads, similarity, best_src, best_tgt)
