"""Rows out of the DP's order: unaligned units interleaved, and passages a version moved joined.

The DP is monotone, so a passage that one version moves elsewhere comes out as deletions in one
place and insertions in another. ``join_moved`` joins such sentences to the rows where the
other versions have them; ``order_gaps`` orders each run of unaligned units so that the table
does not depend on the order of its inputs.
"""

from __future__ import annotations

import numpy as np

from aligner.pairwise.gains import Units
from aligner.pairwise.search import align_units
from aligner.settings import AlignmentSettings, MergeSettings
from aligner.similarity import Baseline, SpanFloors, best_matches, unit_rows
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
    alignment: AlignmentSettings,
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

    Of two versions, the joins found so are the seeds of moved blocks: each block's lone
    sentences are aligned again with the other version's lone sentences there, with the bead
    model of ``alignment``, and each match of that alignment joins that passes what a seed
    passes (its similarity, and no row near its sentences as close), or else its most similar
    pair does (``_realigned_blocks``). Alike sentences (a genealogy, a list) are seldom each
    other's best over the whole document, but a moved passage keeps its own order, and its
    merges are found as the DP finds them.
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
        seeds, local = _moved_joins(versions, members, c, rows, lone, others, baselines, settings)
        holes = [r for r in others if not rows[r][c]]
        if len(members) == 2:
            joins = _realigned_blocks(
                versions, members, c, rows, lone, holes, seeds, local, baselines, settings, alignment
            )
        else:
            joins = [((hole,), (lone[u],)) for u, hole in seeds]
        rows = _joined(rows, c, joins)
    return rows


def _joined(rows: list[Row], c: int, joins: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> list[Row]:
    """``rows`` with each join of ``(hole rows, lone rows)`` made one row, where the first hole
    row stands: column ``c`` from the lone rows, the others from the hole rows."""
    rows = list(rows)
    gone = set()
    for holes, lone in joins:
        rows[holes[0]] = tuple(
            tuple(sorted(i for r in (lone if k == c else holes) for i in rows[r][k]))
            for k in range(len(rows[holes[0]]))
        )
        gone.update(holes[1:], lone)
    return [row for r, row in enumerate(rows) if r not in gone]


def _realigned_blocks(
    versions: list[Version],
    members: list[int],
    c: int,
    rows: list[Row],
    lone: list[int],
    holes: list[int],
    seeds: list[tuple[int, int]],
    local: np.ndarray,
    baselines: dict[tuple[int, int], Baseline],
    settings: MergeSettings,
    alignment: AlignmentSettings,
) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """The joins of two versions' moved blocks (see ``join_moved``), as ``(hole rows, lone
    rows)``. Two or more ``seeds`` (a lone sentence's index in ``lone``, and its hole's row) in
    one stretch of nearby sentences on both sides (``_stretches``) make a block; its stretches,
    with up to ``settings.neighbour_rows`` more sentences on either side, are aligned by the DP,
    and each match joins whose similarity, read against unrelated spans of its sizes, passes a
    seed's tests. A match of sentences that are not consecutive, or with an end unit that adds
    nothing to it, gives way to its most similar pair alone; a seed that no join took joins as
    it is, as it passed those tests on its own."""
    d = 1 - c
    own, other = versions[members[c]], versions[members[d]]
    baseline = baselines[min(members), max(members)]
    floors = SpanFloors(versions)
    lone_runs = _stretches([rows[r][c] for r in lone], settings.moved_block_gap)
    hole_runs = _stretches([rows[r][d] for r in holes], settings.moved_block_gap)
    hole_index = {row: k for k, row in enumerate(holes)}
    local_of = dict(zip(lone, local, strict=True))
    blocks: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for u, hole in seeds:
        h = hole_index[hole]
        blocks.setdefault((lone_runs[u], hole_runs[h]), []).append((u, h))

    def similarity(moved: tuple[int, ...], found: tuple[int, ...]) -> float:
        """In typical matches, against unrelated spans of the join's sizes."""
        own_ids = tuple(i for r in moved for i in rows[r][c])
        other_ids = tuple(i for r in found for i in rows[r][d])
        vectors = unit_rows(np.stack([own.span(own_ids), other.span(other_ids)]))
        sizes = (members[c], len(own_ids)), (members[d], len(other_ids))
        return floors.above_unrelated(float(vectors[0] @ vectors[1]), baseline, *sizes) / baseline.typical

    def passes(moved: tuple[int, ...], value: float) -> bool:
        return value >= settings.moved_min_similarity and value > max(local_of[r] for r in moved)

    used: set[int] = set()
    joins = []
    reach = settings.neighbour_rows
    for (lone_run, hole_run), block in sorted(blocks.items()):
        if len(block) < 2:  # nothing to align around: it joins as a seed, below
            continue
        first_u, last_u = min(u for u, _ in block), max(u for u, _ in block)
        first_h, last_h = min(h for _, h in block), max(h for _, h in block)
        lone_part = [
            lone[u]
            for u in range(max(first_u - reach, 0), min(last_u + reach + 1, len(lone)))
            if lone_runs[u] == lone_run
        ]
        hole_part = [
            holes[h]
            for h in range(max(first_h - reach, 0), min(last_h + reach + 1, len(holes)))
            if hole_runs[h] == hole_run
        ]
        pair = align_units(
            _row_units(own, [rows[r][c] for r in lone_part]),
            _row_units(other, [rows[r][d] for r in hole_part]),
            alignment,
            unlink_chance_runs=False,
        )

        for ours, theirs in pair.beads:
            moved = tuple(lone_part[i] for i in ours)
            found = tuple(hole_part[j] for j in theirs)
            if not moved or not found or used.intersection(moved + found):
                continue
            value = similarity(moved, found)
            fewer = [(m, f) for m, f in _without_an_end(moved, found) if m and f]
            whole = _consecutive([rows[r][c] for r in moved]) and _consecutive([rows[r][d] for r in found])
            if not whole or any(similarity(m, f) >= value for m, f in fewer) or not passes(moved, value):
                # the stretches may skip a sentence aligned elsewhere, and the block's own DP, on
                # a few units, merges more readily than the document's
                moved, found = max(
                    (((m,), (f,)) for m in moved for f in found), key=lambda pair: similarity(*pair)
                )
                value = similarity(moved, found)
            if passes(moved, value):
                used.update(moved + found)
                joins.append((found, moved))
    for u, hole in seeds:
        if lone[u] not in used and hole not in used:
            used.update((lone[u], hole))
            joins.append(((hole,), (lone[u],)))
    return joins


def _consecutive(ids: list[tuple[int, ...]]) -> bool:
    """Whether rows holding sentences ``ids`` of one version hold a run of consecutive sentences."""
    held = sorted(i for row in ids for i in row)
    return held == list(range(held[0], held[-1] + 1))


def _without_an_end(
    moved: tuple[int, ...], found: tuple[int, ...]
) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """The joins left when one end unit of either side of a join is taken out."""
    return [(moved[1:], found), (moved[:-1], found), (moved, found[1:]), (moved, found[:-1])]


def _stretches(ids: list[tuple[int, ...]], gap: int) -> list[int]:
    """For each row (holding sentences ``ids`` of one version, in table order), the number of
    the stretch of nearby sentences it belongs to: one that skips more than ``gap`` sentences,
    or goes back, starts a new one."""
    stretch, out = 0, []
    for k, row_ids in enumerate(ids):
        if k and not 0 < row_ids[0] - ids[k - 1][-1] <= gap + 1:
            stretch += 1
        out.append(stretch)
    return out


def _row_units(version: Version, ids: list[tuple[int, ...]]) -> Units:
    """Rows of one version as units for the DP: each row's summed vectors and total length."""
    lengths = version.relative_lengths
    return Units(
        np.stack([version.span(row) for row in ids]).astype(np.float32),
        np.array([lengths[list(row)].sum() for row in ids]),
    )


def _moved_joins(
    versions: list[Version],
    members: list[int],
    c: int,
    rows: list[Row],
    lone: list[int],
    others: list[int],
    baselines: dict[tuple[int, int], Baseline],
    settings: MergeSettings,
) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Which lone rows of column ``c`` join which rows of ``others`` that lack ``c`` (see
    ``join_moved``), as ``(index in lone, hole row)``, and each lone row's best similarity with
    a row near it."""
    local = np.full(len(lone), -np.inf)
    if not others:
        return [], local
    spans = _row_spans(versions, members, c, [rows[r] for r in others], baselines)
    position = np.array(others)
    holes = np.array([not rows[r][c] for r in others])
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
        (u, others[h])
        for u, (h, best) in enumerate(zip(matches.row_best, matches.row_score, strict=True))
        if matches.column_best[h] == u and best >= settings.moved_min_similarity and best > local[u]
    ]
    gap = settings.moved_block_gap
    # a passage moves as a whole: a lone pair is a heading or a paraphrase as often
    seeds = [
        (u, hole)
        for u, hole in pairs
        if any(
            0 < abs(lone[u] - lone[other_u]) <= gap and abs(hole - other_hole) <= gap
            for other_u, other_hole in pairs
        )
    ]
    return seeds, local


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
