"""Rows out of the DP's order: unaligned units interleaved, and passages a version moved joined.

The DP is monotone, so a passage that one version moves elsewhere comes out as deletions in one
place and insertions in another. ``join_moved`` joins such sentences to the rows where the
other versions have them; ``order_gaps`` orders each run of unaligned units so that the table
does not depend on the order of its inputs.
"""

from __future__ import annotations

import numpy as np

from aligner.settings import MergeSettings
from aligner.similarity import Baseline, best_matches, unit_rows
from aligner.table import Row, Version

COMPARE_BLOCK = 512
"""Unaligned sentences compared with the rows at a time: each block holds float64 similarities
with every candidate row, and a copy of them, so it stays below the DP's own peak."""


def order_gaps(rows: list[Row], langs: list[str]) -> list[Row]:
    """Each run of unaligned units between two links, interleaved by relative position.

    A unit a third of the way through its language's part of the gap comes before one halfway
    through the other's; ties go by language code.
    """
    out: list[Row] = []
    gap: list[Row] = []
    for row in [*rows, None]:
        if row is not None and sum(map(bool, row)) == 1:
            gap.append(row)
            continue
        column = [next(c for c, ids in enumerate(r) if ids) for r in gap]
        count = {c: column.count(c) for c in set(column)}
        seen = dict.fromkeys(count, 0)
        keys = []
        for c in column:
            keys.append(((seen[c] + 0.5) / count[c], langs[c]))
            seen[c] += 1
        out += [r for _, r in sorted(zip(keys, gap, strict=True), key=lambda pair: pair[0])]
        gap = []
        if row is not None:
            out.append(row)
    return out


def join_moved(
    versions: list[Version],
    members: list[int],
    rows: list[Row],
    baselines: dict[tuple[int, int], Baseline],
    settings: MergeSettings,
) -> list[Row]:
    """Sentences the monotone alignment left unaligned because they were moved: an unaligned
    sentence joins a row of the group ``members`` that lacks its language, more than
    ``settings.neighbour_rows`` rows away, when each is the other's best match from
    ``settings.moved_min_similarity``, no row near the sentence comes as close (its similarity
    with a row: the mean over the row's other languages, each in typical matches of the pair
    of versions, ``baselines``), and a neighbouring sentence joins a neighbouring row too
    (``settings.moved_block_gap``).

    Joined, a moved passage's rows stand where the other versions have it (of two, the one
    later in code order), out of order in the rest. A sentence whose content a neighbouring row
    already holds (the end of a sentence the other version splits differently) stays, even when
    a summary elsewhere repeats it; so does a lone sentence out of place, as often a heading.
    Where most of a version is unaligned the versions are not translations with a passage
    moved, and nothing is joined. The rows are first put in an order that does not depend on
    the order of the inputs, and languages are taken in code order, so that A with B mirrors B
    with A.
    """
    rows = order_gaps(list(rows), [versions[k].lang for k in members])
    reach = settings.neighbour_rows
    for c in sorted(range(len(members)), key=lambda c: versions[members[c]].lang):
        lone = [r for r, row in enumerate(rows) if row[c] and sum(map(bool, row)) == 1]
        if not lone or len(lone) > settings.max_unaligned_share * len(versions[members[c]].sentences):
            continue
        near_lone = np.zeros(len(rows), dtype=bool)
        for r in lone:
            near_lone[max(0, r - reach) : r + reach + 1] = True
        # the rows a lone sentence may join, and those near it that may hold its content already
        others = [
            r
            for r, row in enumerate(rows)
            if (not row[c] or near_lone[r]) and any(ids for k, ids in enumerate(row) if k != c)
        ]
        joined = _moved_joins(versions, members, c, rows, lone, others, baselines, settings)
        for hole, moved in joined.items():
            rows[hole] = tuple(rows[moved][c] if k == c else ids for k, ids in enumerate(rows[hole]))
        gone = set(joined.values())
        rows = [row for r, row in enumerate(rows) if r not in gone]
    return rows


def _moved_joins(
    versions: list[Version],
    members: list[int],
    c: int,
    rows: list[Row],
    lone: list[int],
    others: list[int],
    baselines: dict[tuple[int, int], Baseline],
    settings: MergeSettings,
) -> dict[int, int]:
    """Which lone rows of column ``c`` join which rows of ``others`` that lack ``c`` (see
    ``join_moved``), as ``{hole: lone row}``."""
    if not others:
        return {}
    spans = _row_spans(versions, members, c, [rows[r] for r in others], baselines)
    position = np.array(others)
    holes = np.array([not rows[r][c] for r in others])
    local = np.full(len(lone), -np.inf)
    version = versions[members[c]]

    def hole_similarities():
        for start in range(0, len(lone), COMPARE_BLOCK):
            block = np.array(lone[start : start + COMPARE_BLOCK])
            own = unit_rows(np.stack([version.span(rows[r][c]) for r in block]))
            similarity = _mean_similarity(own, spans, len(others))
            nearby = np.abs(position[None, :] - block[:, None]) <= settings.neighbour_rows
            local[start : start + len(block)] = np.where(nearby, similarity, -np.inf).max(axis=1)
            similarity[:, ~holes] = -np.inf
            yield slice(start, start + len(block)), similarity

    matches = best_matches(hole_similarities(), len(lone), len(others))
    # strictly above the nearby best: a hole near the sentence is the DP's business
    pairs = [
        (lone[u], others[h])
        for u, (h, best) in enumerate(zip(matches.row_best, matches.row_score, strict=True))
        if matches.column_best[h] == u and best >= settings.moved_min_similarity and best > local[u]
    ]
    gap = settings.moved_block_gap
    # a passage moves as a whole: a lone pair is a heading or a paraphrase as often
    return {
        hole: moved
        for moved, hole in pairs
        if any(
            0 < abs(moved - other_moved) <= gap and abs(hole - other_hole) <= gap
            for other_moved, other_hole in pairs
        )
    }


def _row_spans(
    versions: list[Version],
    members: list[int],
    c: int,
    rows: list[Row],
    baselines: dict[tuple[int, int], Baseline],
) -> list[tuple[np.ndarray, np.ndarray, Baseline]]:
    """For each other language of the rows: which rows have it, their unit span vectors, and
    the baseline of its pair with column ``c``'s version."""
    out = []
    for k, member in enumerate(members):
        with_k = np.array([r for r, row in enumerate(rows) if row[k]], dtype=np.int64)
        if k == c or not len(with_k):
            continue
        other = versions[member]
        spans = unit_rows(np.stack([other.span(rows[r][k]) for r in with_k]))
        pair = (min(members[c], member), max(members[c], member))
        out.append((with_k, spans, baselines[pair]))
    return out


def _mean_similarity(
    own: np.ndarray, spans: list[tuple[np.ndarray, np.ndarray, Baseline]], n_rows: int
) -> np.ndarray:
    """Similarity (in typical matches of each language pair) of each ``own`` vector with each
    row, averaged over the languages the row has."""
    total = np.zeros((len(own), n_rows))
    present = np.zeros(n_rows)
    for with_k, vectors, baseline in spans:
        total[:, with_k] += baseline.in_typical(own @ vectors.T)
        present[with_k] += 1
    return total / np.maximum(present, 1)
