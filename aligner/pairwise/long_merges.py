"""Beads larger than the DP's: one long sentence that covers five or more short ones.

The DP allows beads of ``AlignmentSettings.max_bead`` units at most, which keeps every cell
cheap. A translation that renders one long sentence as many short ones (the King James Bible in
Chinese) then leaves the rest of them unaligned, or takes them from the next bead. Where the
best path holds a bead of the largest size, that is where a larger one may be wanted: the
stretch around it (the beads next to it, and the unaligned units beyond) is searched again
with beads up to ``AlignmentSettings.max_long_bead``, valued on the document's own baselines.
The search is local, so ordinary text, which rarely fills the largest bead, costs nothing.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from aligner.pairwise.dp import BeadGains, BeadPath, best_path
from aligner.pairwise.gains import span_vectors
from aligner.settings import AlignmentSettings
from aligner.similarity import mean_direction, similarity_of_means

FLOOR_SAMPLE = 2000
"""Spans whose mean estimates the unrelated similarity of a bead size the DP does not use."""

MAX_NULLS = 8
"""Unaligned beads on either side of a full bead that its stretch takes in: the pieces of a long
sentence that did not fit, not a passage one side lacks."""

MAX_STRETCH = 80
"""Units (both sides together) of the stretches around a run of full beads that are searched
again as one; a longer run is searched as stretches side by side (the local search costs the
square of a stretch's length)."""


def reach_long_merges(path: BeadPath, gains: BeadGains, settings: AlignmentSettings) -> BeadPath:
    """``path`` with every stretch around a bead of the DP's largest size aligned again with
    beads up to ``settings.max_long_bead`` units (see the module's description)."""
    largest = settings.max_long_bead
    if largest <= settings.max_bead:
        return path
    beads = path.beads
    at_cap = [k for k, (s0, s1, t0, t1) in enumerate(beads) if (s1 - s0) + (t1 - t0) == settings.max_bead]
    if not at_cap:
        return path
    floors = (_Floors(gains, lexical=False), _Floors(gains, lexical=True))
    stretches = _stretches(beads, at_cap)
    out: list[tuple[int, int, int, int]] = []
    similarity: list[float] = []
    done = 0
    for first, last in stretches:
        out += beads[done:first]
        similarity += list(path.similarity[done:first])
        s0, t0, s1, t1 = beads[first][0], beads[first][2], beads[last][1], beads[last][3]
        found = best_path(_local_gains(gains, s0, s1, t0, t1, largest, floors))
        # the stretch changes only for a larger bead: its edges lack the neighbours that the
        # margins of the whole path saw, so beads of the DP's sizes are better valued there
        if any((a1 - a0) + (b1 - b0) > settings.max_bead for a0, a1, b0, b1 in found.beads):
            out += [(a0 + s0, a1 + s0, b0 + t0, b1 + t0) for a0, a1, b0, b1 in found.beads]
            similarity += list(found.similarity)
        else:
            out += beads[first : last + 1]
            similarity += list(path.similarity[first : last + 1])
        done = last + 1
    out += beads[done:]
    similarity += list(path.similarity[done:])
    return dataclasses.replace(path, beads=out, similarity=np.array(similarity))


def _stretches(beads: list[tuple[int, int, int, int]], at_cap: list[int]) -> list[tuple[int, int]]:
    """Per bead at the cap, the first and last bead of the stretch searched again: the beads on
    either side of it and up to ``MAX_NULLS`` unaligned ones beyond those. Overlapping stretches
    are joined while they hold at most ``MAX_STRETCH`` units; past that, a run of full beads is
    cut into stretches side by side."""

    def is_null(k: int) -> bool:
        s0, s1, t0, t1 = beads[k]
        return s0 == s1 or t0 == t1

    spans: list[tuple[int, int]] = []
    for k in at_cap:
        first, last = max(k - 1, 0), min(k + 1, len(beads) - 1)
        while first > 0 and is_null(first - 1) and k - first <= MAX_NULLS:
            first -= 1
        while last < len(beads) - 1 and is_null(last + 1) and last - k <= MAX_NULLS:
            last += 1
        if spans and first <= spans[-1][1]:
            if _units(beads, spans[-1][0], last) <= MAX_STRETCH:
                spans[-1] = (spans[-1][0], last)
                continue
            first = spans[-1][1] + 1
        spans.append((first, last))
    return spans


def _units(beads: list[tuple[int, int, int, int]], first: int, last: int) -> int:
    """Units of both sides in beads ``first .. last``."""
    return (beads[last][1] - beads[first][0]) + (beads[last][3] - beads[first][2])


class _Floors:
    """The unrelated similarity of spans of ``a`` and ``b`` units, of the sentence or of the
    lexical vectors: the DP's own for its sizes, else estimated from ``FLOOR_SAMPLE`` spans of
    each size, evenly spaced (computed once per size)."""

    def __init__(self, gains: BeadGains, lexical: bool) -> None:
        self._known = gains.lexical_floor if lexical else gains.similarity_floor
        spans = (
            (gains.src_lexical_spans, gains.tgt_lexical_spans)
            if lexical
            else (gains.src_spans, gains.tgt_spans)
        )
        self._units = [side[0, 1:] for side in spans]
        self._weights = [np.sqrt(np.diff(gains.src_len)), np.sqrt(np.diff(gains.tgt_len))]
        self._means: dict[tuple[int, int], np.ndarray] = {}

    def _mean_span(self, side: int, size: int) -> np.ndarray:
        if (side, size) not in self._means:
            units, weights = self._units[side], self._weights[side]
            if not units.shape[1]:
                return np.zeros(0)
            ends = (
                np.unique(np.linspace(size, len(units), FLOOR_SAMPLE).astype(int))
                if len(units) >= size
                else []
            )
            sums = np.array([weights[e - size : e] @ units[e - size : e] for e in ends])
            sums = sums.reshape(-1, units.shape[1])
            self._means[side, size] = mean_direction(sums) if len(sums) else np.zeros(units.shape[1])
        return self._means[side, size]

    def __call__(self, a: int, b: int) -> float:
        if a + b <= self._known.shape[0]:  # a bead size the DP has
            return float(self._known[a, b])
        return similarity_of_means(self._mean_span(0, a), self._mean_span(1, b))


def _local_gains(
    gains: BeadGains, s0: int, s1: int, t0: int, t1: int, largest: int, floors: tuple[_Floors, _Floors]
) -> BeadGains:
    """``gains`` for source units ``s0 .. s1-1`` and target units ``t0 .. t1-1`` alone, with
    every bead of up to ``largest`` units, on the document's baselines."""
    types = [(a, b) for a in range(1, largest) for b in range(1, largest) if a + b <= largest]
    types = [(a, b) for a, b in types if a <= s1 - s0 and b <= t1 - t0] or [(1, 1)]
    sizes = range(1, largest)

    def spans(all_spans: np.ndarray, lengths: np.ndarray, start: int, end: int) -> np.ndarray:
        units, weights = all_spans[0, start + 1 : end + 1], np.sqrt(np.diff(lengths[start : end + 1]))
        out = np.empty((len(sizes), end - start + 1, all_spans.shape[2]), dtype=np.float32)
        for size in sizes:
            if all_spans.shape[2]:
                span_vectors(units, size, weights, out[size - 1])
        return out

    similarity_floor, lexical_floor = np.zeros((largest, largest)), np.zeros((largest, largest))
    for a, b in types:
        similarity_floor[a, b], lexical_floor[a, b] = floors[0](a, b), floors[1](a, b)
    return dataclasses.replace(
        gains,
        src_spans=spans(gains.src_spans, gains.src_len, s0, s1),
        tgt_spans=spans(gains.tgt_spans, gains.tgt_len, t0, t1),
        src_len=gains.src_len[s0 : s1 + 1] - gains.src_len[s0],
        tgt_len=gains.tgt_len[t0 : t1 + 1] - gains.tgt_len[t0],
        bead_types=np.array(types, dtype=np.int64).reshape(-1, 2),
        similarity_floor=similarity_floor,
        src_lexical_spans=spans(gains.src_lexical_spans, gains.src_len, s0, s1),
        tgt_lexical_spans=spans(gains.tgt_lexical_spans, gains.tgt_len, t0, t1),
        lexical_floor=lexical_floor,
    )
