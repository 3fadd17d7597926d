"""Scores of a table: each language pair's similarity per row, and each row's calibrated chance
of being right."""

from __future__ import annotations

import warnings
from itertools import combinations

import numpy as np

from aligner.settings import MergeSettings
from aligner.similarity import Baseline, SpanFloors, unit_rows
from aligner.table import Row, Version

MIN_TYPICAL_EVIDENCE = 0.05
"""Floor on a table's typical row evidence, which the evidence of every row is divided by."""


Baselines = dict[tuple[str, str], Baseline]
"""Per language pair, in column order (``Alignment.baselines``)."""


def _baseline(versions: list[Version], baselines: Baselines, a: int, b: int) -> Baseline:
    a, b = min(a, b), max(a, b)
    return baselines[versions[a].lang, versions[b].lang]


def pair_scores(
    versions: list[Version], rows: list[Row], baselines: Baselines
) -> dict[tuple[str, str], np.ndarray]:
    """Per language pair (in column order), per row: the similarity above unrelated of the
    pair's sentences in the row (against spans of their sizes: ``SpanFloors``), clipped to
    [0, 1]; NaN where the row lacks either language."""
    scores: dict[tuple[str, str], np.ndarray] = {}
    floors = SpanFloors(versions)
    for a, b in combinations(range(len(versions)), 2):
        baseline = _baseline(versions, baselines, a, b)
        values = np.full(len(rows), np.nan)
        for r, row in enumerate(rows):
            if row[a] and row[b]:
                va, vb = unit_rows(np.stack([versions[a].span(row[a]), versions[b].span(row[b])]))
                above = floors.above_unrelated(float(va @ vb), baseline, (a, len(row[a])), (b, len(row[b])))
                values[r] = np.clip(above, 0.0, 1.0)
        scores[versions[a].lang, versions[b].lang] = values
    return scores


def row_evidence(
    versions: list[Version],
    rows: list[Row],
    scores: dict[tuple[str, str], np.ndarray],
    baselines: Baselines,
    settings: MergeSettings,
) -> tuple[list[str], np.ndarray]:
    """Each row's kind and the similarity evidence for it.

    A row with two or more languages is a ``one-to-one`` or ``merge`` row; its evidence is the
    mean of its language pairs' ``scores``. A row with one language claims that the unit has no
    counterpart (``unaligned``); its evidence is 1 minus the best similarity above unrelated
    that the unit has with any sentence of another language within ``settings.neighbour_rows``
    rows, so a near-translation left unaligned has weak evidence.
    """
    stacked = np.stack(list(scores.values())) if scores else np.full((1, len(rows)), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows with one language: all NaN
        evidence = np.nanmean(stacked, axis=0)
    reach = settings.neighbour_rows
    kinds = []
    for r, row in enumerate(rows):
        present = [k for k, ids in enumerate(row) if ids]
        if len(present) > 1:
            kinds.append("merge" if any(len(ids) > 1 for ids in row) else "one-to-one")
            continue
        kinds.append("unaligned")
        k = present[0]
        unit = unit_rows(versions[k].span(row[k])[None])[0]
        best = 0.0
        window = rows[max(0, r - reach) : r + reach + 1]
        for other, version in enumerate(versions):
            near = sorted({i for nb in window for i in nb[other]}) if other != k else []
            if near:
                baseline = _baseline(versions, baselines, k, other)
                best = max(best, baseline.above_unrelated(float((version.vectors[near] @ unit).max())))
        evidence[r] = 1.0 - min(max(best, 0.0), 1.0)
    evidence = np.nan_to_num(evidence, nan=0.0)
    # How alike translations look depends on the encoder, the language pair and the text, so
    # the evidence is measured against this table's typical aligned row.
    matched = [e for kind, e in zip(kinds, evidence, strict=True) if kind != "unaligned"]
    typical = max(float(np.median(matched)), MIN_TYPICAL_EVIDENCE) if matched else 1.0
    for r, kind in enumerate(kinds):
        if kind == "unaligned":
            evidence[r] = 1.0 - min((1.0 - evidence[r]) / typical, 1.0)
        else:
            evidence[r] = evidence[r] / typical
    return kinds, evidence


MAX_MERGE_GAIN = 0.25
"""Bound on ``merge_gains``: past it, a unit plainly belongs to its neighbour's row, or not."""


def merge_gains(
    versions: list[Version], rows: list[Row], kinds: list[str], baselines: Baselines
) -> np.ndarray:
    """For each row with one language, how much the neighbouring row it would continue gains by
    taking its unit in: the similarity (above unrelated, against spans of its sizes) of that
    row's other languages with its own sentences plus the unit, minus that without it, the best
    over the rows just before and after that hold the unit's neighbour sentences and another
    language. A unit that is the tail of a longer sentence's translation gains that row a little
    or costs it nothing; one that the other versions lack costs it. ``-MAX_MERGE_GAIN`` where
    no row continues the unit; 0 for rows with two or more languages."""
    gains = np.zeros(len(rows))
    floors = SpanFloors(versions)
    for r, kind in enumerate(kinds):
        if kind != "unaligned":
            continue
        k = next(c for c, ids in enumerate(rows[r]) if ids)
        unit = rows[r][k]
        best = -MAX_MERGE_GAIN
        for neighbour in (r - 1, r + 1):
            if not 0 <= neighbour < len(rows) or not (own := rows[neighbour][k]):
                continue
            if own[-1] + 1 != unit[0] and unit[-1] + 1 != own[0]:
                continue
            without = unit_rows(versions[k].span(own)[None])[0]
            with_unit = unit_rows(versions[k].span(tuple(sorted(own + unit)))[None])[0]
            for other, ids in enumerate(rows[neighbour]):
                if other == k or not ids:
                    continue
                baseline = _baseline(versions, baselines, k, other)
                vector = unit_rows(versions[other].span(ids)[None])[0]
                span = (other, len(ids))
                gain = floors.above_unrelated(
                    float(with_unit @ vector), baseline, (k, len(own) + len(unit)), span
                ) - floors.above_unrelated(float(without @ vector), baseline, (k, len(own)), span)
                best = max(best, min(gain, MAX_MERGE_GAIN))
        gains[r] = best
    return gains


def chance_pairings(rows: list[Row], translated: np.ndarray, translation_parallelism: float) -> np.ndarray:
    """Per row, how far its languages translate each other at all: 1 where every pair of them has
    a translated share (``translated``, by version: see ``MergeSettings.translation_parallelism``)
    of ``translation_parallelism`` or more, and that share over ``translation_parallelism``
    where one pair has less. A row's calibrated chance is times this: the calibration was fitted
    on translations, and the rows of two texts that do not translate each other are right only
    by chance, however alike their sentences."""
    factor = np.ones(len(rows))
    for r, row in enumerate(rows):
        present = [k for k, ids in enumerate(row) if ids]
        for a, b in combinations(present, 2):
            factor[r] = min(factor[r], translated[a, b] / translation_parallelism)
    return factor


def calibrated(
    kinds: list[str], evidence: np.ndarray, gains: np.ndarray, calibration: dict[str, tuple[float, ...]]
) -> np.ndarray:
    """The chance that each row is right: the logistic ``calibration`` of its kind, whose
    coefficients are an intercept, the slope of the row's ``evidence`` and, for rows with one
    language, the slope of its ``merge_gains``."""
    coefficients = np.array([(*calibration[kind], 0.0)[:3] for kind in kinds]).reshape(-1, 3)
    logit = coefficients[:, 0] + coefficients[:, 1] * evidence + coefficients[:, 2] * gains
    return 1.0 / (1.0 + np.exp(-logit))
