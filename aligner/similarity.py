"""Similarity of sentence vectors, read against what the two documents make of it.

How alike translations look depends on the encoder, the languages and the text, so raw cosines
mean little. Every stage reads them against a pair's ``Baseline``: the mean cosine of unrelated
sentences of the two documents, and the similarity of a typical match. ``best_matches`` finds
each row's and each column's best partner block by block, for mutual best matches between two
long documents without their whole similarity matrix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from aligner.settings import AlignmentSettings
    from aligner.table import Version

MAX_UNRELATED = 0.95
"""Cap on the unrelated similarity, so that rescaling by ``1 - unrelated`` stays finite."""

MIN_TYPICAL_SIMILARITY = 0.1
"""Floor on a typical match (above unrelated), so that dividing by it stays finite."""

BLOCK_ROWS = 1024
"""Rows compared at a time where a whole similarity matrix could exhaust memory."""

NORM_FLOOR = 1e-12
"""Vectors shorter than this are left as they are rather than divided by their length."""


@dataclass(frozen=True)
class Baseline:
    """How alike two versions' sentences are when unrelated, and in a typical translation: the
    two points against which their similarities are read (``pair_baseline``).

    Two scales follow: ``above_unrelated`` (0 as alike as unrelated sentences, 1 identical),
    the scale of the table's pair scores, and ``in_typical`` (0 unrelated, 1 a typical match of
    these documents), the scale on which weak and real matches are told apart.
    """

    unrelated: float
    """Mean cosine over all sentence pairs of the two versions."""
    typical: float | None = None
    """A typical match's similarity above unrelated; None where only ``above_unrelated`` is
    needed (it costs a nearest-neighbour search; ``pair_baseline`` measures it)."""

    def above_unrelated(self, cosine):
        return (cosine - self.unrelated) / (1.0 - self.unrelated)

    def in_typical(self, cosine):
        return (cosine - self.unrelated) / ((1.0 - self.unrelated) * self.typical)


class SpanFloors:
    """The unrelated similarity of spans of sentences, by their sizes: the mean cosine between
    the sums of every ``m`` consecutive sentence vectors of one version and of every ``n`` of
    another. A sum of several sentences lies nearer the direction the whole document shares
    than one sentence does, so it is more alike to anything; a merge is read against spans of
    its own sizes, as the DP reads its merges (``aligner.pairwise.gains``, where the sums are
    weighted by length), or a chance merge of many sentences would look as clear as a
    translation."""

    def __init__(self, versions: list[Version]) -> None:
        self._versions = versions
        self._means: dict[tuple[int, int], np.ndarray] = {}

    def above_unrelated(
        self, cosine: float, baseline: Baseline, span_a: tuple[int, int], span_b: tuple[int, int]
    ) -> float:
        """``cosine`` of two spans, each given as ``(version, number of sentences)``, on the
        scale of ``Baseline.above_unrelated``, against spans of those sizes (for one sentence
        each, ``baseline`` itself)."""
        (a, m), (b, n) = span_a, span_b
        if m == n == 1:
            return baseline.above_unrelated(cosine)
        return Baseline(similarity_of_means(self._mean(a, m), self._mean(b, n))).above_unrelated(cosine)

    def _mean(self, version: int, size: int) -> np.ndarray:
        vectors = self._versions[version].vectors
        size = max(1, min(size, len(vectors)))
        if (version, size) not in self._means:
            spans = len(vectors) - size + 1
            total = np.zeros(vectors.shape[1])
            for start in range(0, spans, BLOCK_ROWS):
                count = min(BLOCK_ROWS, spans - start)
                block = sum(vectors[start + k : start + k + count].astype(np.float64) for k in range(size))
                total += unit_rows(block).sum(axis=0)
            self._means[version, size] = total / max(spans, 1)
        return self._means[version, size]


def row_norms(vectors: np.ndarray) -> np.ndarray:
    """Each row's Euclidean length, as a column, of a float array: ``np.linalg.norm(vectors,
    axis=1, keepdims=True)`` computed the same way, without its checks (which cost more than the
    sum on a few rows) and without its cast of integers to floats."""
    return np.sqrt(np.add.reduce(vectors * vectors, axis=1, keepdims=True))


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(row_norms(vectors), NORM_FLOOR)


def mean_direction(vectors: np.ndarray) -> np.ndarray:
    """The mean of the rows made unit length: the dot of two sides' is their mean cosine."""
    return unit_rows(vectors).mean(axis=0)


def unrelated_similarity(src: np.ndarray, tgt: np.ndarray) -> float:
    """Mean cosine over all source-target pairs: for unit vectors, the dot of the two means.

    Nearly all pairs of a document pair are unrelated, so this is the baseline a true
    translation must rise above; computing it exactly keeps the result deterministic.
    """
    if len(src) == 0 or len(tgt) == 0:
        return 0.0
    return similarity_of_means(mean_direction(src), mean_direction(tgt))


def similarity_of_means(src_mean: np.ndarray, tgt_mean: np.ndarray) -> float:
    """``unrelated_similarity`` from each side's ``mean_direction``."""
    return min(float(src_mean @ tgt_mean), MAX_UNRELATED)


def nearest_neighbour_similarity(queries: np.ndarray, pool: np.ndarray, k: int = 4) -> np.ndarray:
    """Mean cosine of each query with its ``k`` most similar vectors in ``pool`` (unit rows):
    the denominator of the margin used in bitext mining."""
    if len(queries) == 0 or len(pool) == 0:
        return np.zeros(len(queries))
    k = min(k, len(pool))
    out = np.empty(len(queries))
    for start in range(0, len(queries), BLOCK_ROWS):
        block = queries[start : start + BLOCK_ROWS] @ pool.T
        out[start : start + len(block)] = np.partition(block, -k, axis=1)[:, -k:].mean(axis=1)
    return out


def typical_similarity(
    src: np.ndarray, tgt: np.ndarray, floor: float, settings: AlignmentSettings, fewer_only: bool = False
) -> float:
    """Similarity above ``floor`` of a typical match between two sides (unit rows): the
    ``settings.typical_quantile`` of each unit's best similarity with any unit of the other
    side, over up to ``settings.typical_sample`` evenly spaced units of each side (so it costs
    linear time). With ``fewer_only``, of the side with fewer units alone: where the other
    lacks much of its text, most of the longer side's best matches are chance ones."""
    if len(src) == 0 or len(tgt) == 0:
        return 1.0
    best = []
    sides = ((src, tgt), (tgt, src))
    if fewer_only and len(src) != len(tgt):
        sides = sides[:1] if len(src) < len(tgt) else sides[1:]
    for queries, pool in sides:
        size = min(len(queries), settings.typical_sample)
        sample = queries[np.unique(np.linspace(0, len(queries) - 1, size).astype(int))]
        best.append(nearest_neighbour_similarity(sample, pool, k=1))
    cos = float(np.quantile(np.concatenate(best), settings.typical_quantile))
    return max((cos - floor) / (1.0 - floor), MIN_TYPICAL_SIMILARITY)


def pair_baseline(a: Version, b: Version, settings: AlignmentSettings) -> Baseline:
    """The baselines of two versions' sentences (see ``Baseline``)."""
    unrelated = unrelated_similarity(a.vectors, b.vectors)
    typical = typical_similarity(unit_rows(a.vectors), unit_rows(b.vectors), unrelated, settings)
    return Baseline(unrelated, typical)


def version_baselines(
    versions: list[Version],
    settings: AlignmentSettings,
    given: Mapping[tuple[int, int], Baseline] | None = None,
) -> dict[tuple[int, int], Baseline]:
    """``pair_baseline`` of every two versions, keyed by ``(a, b)`` with ``a < b``; those in
    ``given`` (computed earlier in the run) are kept."""
    given = given or {}
    return {
        (a, b): given[a, b] if (a, b) in given else pair_baseline(versions[a], versions[b], settings)
        for a, b in combinations(range(len(versions)), 2)
    }


@dataclass(frozen=True)
class BestMatches:
    """Each row's best column and each column's best row of a score matrix, with their scores;
    ties go to the first, as ``argmax`` takes them."""

    row_best: np.ndarray
    row_score: np.ndarray
    column_best: np.ndarray
    column_score: np.ndarray

    def mutual(self) -> np.ndarray:
        """Per row, whether its best column has it as best row."""
        return self.column_best[self.row_best] == np.arange(len(self.row_best))


def best_matches(blocks: Iterable[tuple[slice, np.ndarray]], rows: int, columns: int) -> BestMatches:
    """``BestMatches`` of a score matrix given as consecutive blocks of rows ``(rows, scores)``,
    so that it is never held whole. A column whose scores are all -inf keeps row 0 at -inf."""
    row_best = np.zeros(rows, dtype=np.int64)
    row_score = np.full(rows, -np.inf)
    column_best = np.zeros(columns, dtype=np.int64)
    column_score = np.full(columns, -np.inf)
    for span, scores in blocks:
        row_best[span] = scores.argmax(axis=1)
        row_score[span] = scores.max(axis=1)
        block_best = scores.max(axis=0)
        better = block_best > column_score  # strictly: an earlier block keeps a tie
        column_best[better] = scores.argmax(axis=0)[better] + span.start
        column_score[better] = block_best[better]
    return BestMatches(row_best, row_score, column_best, column_score)


def best_match(queries: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Per row of ``queries``, the index of its most similar row of ``pool`` (unit rows both),
    block by block."""
    return best_matches(cosine_blocks(queries, pool), len(queries), len(pool)).row_best


def cosine_blocks(
    a: np.ndarray, b: np.ndarray, block: int = BLOCK_ROWS
) -> Iterable[tuple[slice, np.ndarray]]:
    """The cosine matrix of ``a``'s and ``b``'s rows (unit vectors), ``block`` rows of ``a`` at a time."""
    for start in range(0, len(a), block):
        yield slice(start, min(start + block, len(a))), a[start : start + block] @ b.T
