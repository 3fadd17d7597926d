"""Mine stage: two embedded documents that are not translations of each other in, the sentence
pairs that are (found in any order) out.

Scoring is the ratio margin of bitext mining (Artetxe & Schwenk, 2019): the cosine of a pair
over the mean cosine of each side with its ``k`` nearest neighbours on the other side,

    margin(x, y) = cos(x, y) / ((mean cos(x, NN_k(x)) + mean cos(y, NN_k(y))) / 2),

so a pair counts for how much it stands out from what each sentence resembles anyway, which
removes most of a model's and a language pair's baseline similarity. Candidates are each
sentence's best match in either direction; they are taken best first ("max-score"), each
sentence at most once, down to a threshold.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from aligner.encode import DEFAULT_MINING_MODEL, Encoder
from aligner.errors import AlignerError
from aligner.prepare import Text, embed_versions, sentences_of
from aligner.progress import Progress, callback
from aligner.provenance import Provenance, settled
from aligner.settings import MiningSettings, Settings, resolve
from aligner.similarity import BLOCK_ROWS, best_matches, nearest_neighbour_similarity, unit_rows
from aligner.table import Version

MIN_NEIGHBOUR_SIMILARITY = 1e-3
"""Floor on the margin's denominator: a neighbourhood with no positive similarity is no baseline
to divide by, and the floor keeps such a margin finite and of the sign of its cosine."""


@dataclass(frozen=True)
class MinedPair:
    a_id: int
    """0-based sentence id in document A."""
    b_id: int
    score: float
    """The pair's ratio margin: 1 is as similar as the sentences' nearest neighbours are on
    average; translations stand out above it."""


@dataclass(frozen=True)
class Mined:
    """Sentence pairs mined from two documents, in the order of document A."""

    a: Version
    b: Version
    pairs: list[MinedPair]
    threshold: float
    """The lowest margin a pair was taken at."""
    provenance: Provenance | None = None
    """How the pairs were mined (``threshold`` and ``neighbours`` among the settings)."""

    @property
    def columns(self) -> tuple[str, str]:
        """Column names of the two sides: the languages, or ``L_1`` and ``L_2`` when they are one."""
        if self.a.lang == self.b.lang:
            return f"{self.a.lang}_1", f"{self.b.lang}_2"
        return self.a.lang, self.b.lang

    def to_pandas(self) -> pd.DataFrame:
        """One row per pair: ``A``, ``A_ids``, ``B``, ``B_ids`` (named by ``columns``), ``score``."""
        name_a, name_b = self.columns
        return pd.DataFrame(
            {
                name_a: [self.a.sentences[p.a_id] for p in self.pairs],
                f"{name_a}_ids": [str(p.a_id) for p in self.pairs],
                name_b: [self.b.sentences[p.b_id] for p in self.pairs],
                f"{name_b}_ids": [str(p.b_id) for p in self.pairs],
                "score": [round(p.score, 4) for p in self.pairs],
            },
            columns=[name_a, f"{name_a}_ids", name_b, f"{name_b}_ids", "score"],
        )


def check_parameters(threshold: float | None, k: int) -> None:
    """One-line errors for a threshold that is not a number and fewer than one neighbour (no
    threshold yet: the encoder's fitted one will do)."""
    if threshold is not None and math.isnan(threshold):
        raise AlignerError("the threshold is not a number")
    if k < 1:
        raise AlignerError(f"the number of nearest neighbours must be at least 1, got {k}")


def mine(
    a: Version,
    b: Version,
    *,
    threshold: float | None = None,
    k: int = MiningSettings.neighbours,
    provenance: Provenance | None = None,
) -> Mined:
    """The sentence pairs of ``a`` and ``b`` that translate each other, each sentence used at most once.

    Candidates are each sentence's best partner by margin over its ``k`` nearest neighbours, in
    either direction; they are taken best first while neither sentence is taken yet, down to
    ``threshold`` (default: fitted for the default encoder). A document of ``k`` sentences or
    fewer gets a warning: each of its sentences is in every neighbourhood, so a margin has
    little to stand out from (one sentence against one always scores 1).
    """
    if threshold is None:
        threshold = resolve(None)[0].mining_threshold
    check_parameters(threshold, k)
    pairs = []
    if len(a.sentences) and len(b.sentences):
        _warn_if_short(a, b, k)
        used_a: set[int] = set()
        used_b: set[int] = set()
        for candidate in _candidates(unit_rows(a.vectors), unit_rows(b.vectors), k):
            if candidate.score < threshold:
                break
            if candidate.a_id not in used_a and candidate.b_id not in used_b:
                used_a.add(candidate.a_id)
                used_b.add(candidate.b_id)
                pairs.append(candidate)
    pairs.sort(key=lambda p: p.a_id)
    return Mined(a, b, pairs, threshold, provenance)


def _warn_if_short(a: Version, b: Version, k: int) -> None:
    short = [
        f"the {position} document ({version.lang!r}) has {len(version.sentences)}"
        for position, version in (("first", a), ("second", b))
        if len(version.sentences) <= k
    ]
    if short:
        warnings.warn(
            f"margin scores need more than {k} sentences (the nearest neighbours) in each document, "
            f"but {' and '.join(short)}: pairs may be missed or wrong",
            stacklevel=3,
        )


def margin_scores(
    a: np.ndarray, b: np.ndarray, k: int, block: int = BLOCK_ROWS
) -> Iterator[tuple[slice, np.ndarray]]:
    """Ratio margin of every pair of rows of ``a`` and ``b`` (unit vectors), ``block`` rows of
    ``a`` at a time: ``(rows, margins)`` with margins of shape (rows of ``a``, len(b)).

    With fewer than ``k`` sentences on the other side, all of them are the neighbours.
    """
    a_nn = nearest_neighbour_similarity(a, b, k)
    b_nn = nearest_neighbour_similarity(b, a, k)
    for start in range(0, len(a), block):
        rows = slice(start, start + block)
        baseline = np.maximum((a_nn[rows, None] + b_nn[None, :]) / 2, MIN_NEIGHBOUR_SIMILARITY)
        yield slice(start, min(start + block, len(a))), (a[rows] @ b.T) / baseline


def _candidates(a: np.ndarray, b: np.ndarray, k: int, block: int = BLOCK_ROWS) -> list[MinedPair]:
    """Each sentence's best partner in either direction, best margin first (ties in a fixed
    order): the first best on a row or in a column, as ``argmax`` takes it, block or not."""
    best = best_matches(margin_scores(a, b, k, block), len(a), len(b))
    rows = zip(best.row_best, best.row_score, strict=True)
    scores = {(i, int(j)): float(score) for i, (j, score) in enumerate(rows)}
    scores |= {
        (int(i), j): float(score)
        for j, (i, score) in enumerate(zip(best.column_best, best.column_score, strict=True))
    }
    return [MinedPair(i, j, scores[i, j]) for i, j in sorted(sorted(scores), key=lambda ij: -scores[ij])]


def mine_texts(
    a: tuple[str, Text],
    b: tuple[str, Text],
    *,
    threshold: float | None = None,
    k: int | None = None,
    model: str | Encoder = DEFAULT_MINING_MODEL,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    settings: Settings | None = None,
    keep_urls: bool = True,
    device: str = "auto",
    progress: bool | Progress = False,
) -> Mined:
    """Mine two documents given as ``(language, text or sentences)``; the languages may be the
    same. ``threshold`` (default: fitted for the encoder) and ``k`` (the nearest neighbours, at
    most the sentences of either document) override ``settings.mining``.
    """
    settings = settings or Settings()
    mining = replace(
        settings.mining,
        threshold=settings.mining.threshold if threshold is None else threshold,
        neighbours=settings.mining.neighbours if k is None else k,
    )
    check_parameters(mining.threshold, mining.neighbours)
    sides = []
    for position, (lang, value) in zip(("first", "second"), (a, b), strict=True):
        sentences = sentences_of(lang, lang, value, keep_urls)
        if not sentences:
            raise AlignerError(f"nothing to mine: the {position} document ({lang!r}) has no sentences")
        if k is not None and k > len(sentences):
            raise AlignerError(
                f"{k} nearest neighbours asked for, but the {position} document ({lang!r}) has "
                f"{len(sentences)} sentences: ask for at most that many"
            )
        sides.append((lang, sentences))
    with callback(progress) as report:
        (a_version, b_version), encoder = embed_versions(sides, model, cache_dir, use_cache, report, device)
    settings, provenance = settled(replace(settings, mining=mining), encoder)
    return mine(
        a_version,
        b_version,
        threshold=settings.mining_threshold,
        k=settings.mining.neighbours,
        provenance=provenance,
    )
