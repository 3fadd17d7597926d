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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from aligner.align import nearest_neighbour_similarity, unit_rows
from aligner.encode import DEFAULT_MODEL, Encoder, embed_documents
from aligner.errors import AlignerError
from aligner.multiway import Version
from aligner.segment import check_sentences, split_sentences

DEFAULT_K = 4
"""Nearest neighbours in the margin's denominator, as in the literature (LASER mines with 4)."""

DEFAULT_THRESHOLD = 1.025
"""Lowest margin of a mined pair, for the default model: the best mean F1 over the tuning
material of ``bench/mining.py tune`` (Tatoeba's tuning half with 20%, 50% and 80% of the
sentences shared, Text+Berg dev with 20% and 50%). Other models need their own."""

MARGIN_BLOCK = 1024
"""Rows of document A scored at a time, so that two long documents never hold their whole
margin matrix (two 50,000-sentence documents would need 20 GB)."""


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


def mine_texts(
    a: tuple[str, str | Sequence[str]],
    b: tuple[str, str | Sequence[str]],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    k: int = DEFAULT_K,
    model: str | Encoder = DEFAULT_MODEL,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    progress: bool = False,
) -> Mined:
    """Mine two documents given as ``(language, text or sentences)``; the languages may be the same.

    Text is cleaned and split into sentences, a sequence of sentences is kept verbatim (as in
    ``aligner.align``); every sentence is embedded once.
    """
    _check_parameters(threshold, k)
    sides = []
    for lang, value in (a, b):
        sentences = split_sentences(value, lang) if isinstance(value, str) else list(value)
        check_sentences(lang, sentences)
        sides.append((lang, sentences))
    for position, (lang, sentences) in zip(("first", "second"), sides, strict=True):
        if not sentences:
            raise AlignerError(f"nothing to mine: the {position} document ({lang!r}) has no sentences")
    vectors = embed_documents([sentences for _, sentences in sides], model, cache_dir, use_cache, progress)
    a_version, b_version = (
        Version(lang, sentences, side_vectors)
        for (lang, sentences), side_vectors in zip(sides, vectors, strict=True)
    )
    return mine(a_version, b_version, threshold=threshold, k=k)


def mine(a: Version, b: Version, *, threshold: float = DEFAULT_THRESHOLD, k: int = DEFAULT_K) -> Mined:
    """The sentence pairs of ``a`` and ``b`` that translate each other, each sentence used at most once.

    Candidates are each sentence's best partner by margin, in either direction; they are taken
    best first while neither sentence is taken yet, down to ``threshold``. A document of ``k``
    sentences or fewer gets a warning: each of its sentences is in every neighbourhood, so a
    margin has little to stand out from (one sentence against one always scores 1).
    """
    _check_parameters(threshold, k)
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
    return Mined(a, b, pairs)


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


def _check_parameters(threshold: float, k: int) -> None:
    if math.isnan(threshold):
        raise AlignerError("the threshold is not a number")
    if k < 1:
        raise AlignerError(f"the number of nearest neighbours must be at least 1, got {k}")


def margin_scores(
    a: np.ndarray, b: np.ndarray, k: int = DEFAULT_K, block: int = MARGIN_BLOCK
) -> Iterator[tuple[slice, np.ndarray]]:
    """Ratio margin of every pair of rows of ``a`` and ``b`` (unit vectors), ``block`` rows of
    ``a`` at a time: ``(rows, margins)`` with margins of shape (rows of ``a``, len(b)).

    With fewer than ``k`` sentences on the other side, all of them are the neighbours.
    """
    a_nn = nearest_neighbour_similarity(a, b, k)
    b_nn = nearest_neighbour_similarity(b, a, k)
    for start in range(0, len(a), block):
        rows = slice(start, start + block)
        # A neighbourhood with no positive similarity is no baseline to divide by; the floor
        # keeps such a margin finite and of the sign of its cosine.
        baseline = np.maximum((a_nn[rows, None] + b_nn[None, :]) / 2, 1e-3)
        yield rows, (a[rows] @ b.T) / baseline


def _candidates(a: np.ndarray, b: np.ndarray, k: int, block: int = MARGIN_BLOCK) -> list[MinedPair]:
    """Each sentence's best partner in either direction, best margin first (ties in a fixed
    order): the first best on a row or in a column, as ``argmax`` takes it, block or not."""
    best_in_b = np.empty(len(a), dtype=np.int64)
    best_of_a = np.empty(len(a))
    best_in_a = np.zeros(len(b), dtype=np.int64)
    best_of_b = np.full(len(b), -np.inf)
    for rows, margins in margin_scores(a, b, k, block):
        best_in_b[rows] = margins.argmax(axis=1)
        best_of_a[rows] = margins.max(axis=1)
        column_best = margins.max(axis=0)
        better = column_best > best_of_b  # strictly: an earlier block keeps a tie
        best_in_a[better] = margins.argmax(axis=0)[better] + rows.start
        best_of_b[better] = column_best[better]
    scores = {
        (i, int(j)): float(score) for i, (j, score) in enumerate(zip(best_in_b, best_of_a, strict=True))
    }
    scores |= {
        (int(i), j): float(score) for j, (i, score) in enumerate(zip(best_in_a, best_of_b, strict=True))
    }
    return [MinedPair(i, j, scores[i, j]) for i, j in sorted(sorted(scores), key=lambda ij: -scores[ij])]
