"""The search: the best chain of beads between two sequences of units, in linear time.

Short documents are searched in full. Long ones are aligned at half resolution first
(recursively, as in Vecalign) and the fine search keeps to a band around the projected coarse
path; stretches where the coarse path runs through weak matches are searched whole, since they
may hide a passage one side lacks, and so is the way along the mutual best matches where the
coarse path strays from them. Where both versions hold text of their own around what they
share, the runs of weak matches that pair that text by chance are undone afterwards.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from dataclasses import dataclass

import numpy as np

from aligner.fitted import FEATURES, BeadModel
from aligner.pairwise.dp import WEAK_SIMILARITY, BeadGains, BeadPath, many_bead_features
from aligner.pairwise.gains import Units, excerpt_length_log_ratio, mutual_best_matches, refined_path
from aligner.pairwise.long_merges import reach_long_merges
from aligner.settings import AlignmentSettings
from aligner.similarity import unit_rows
from aligner.table import Bead

CHANCE_CHAIN_FACTOR = 3.0
"""Times the square root of the number of mutual best matches that their longest forward chain
must pass to overrule a path (see ``align_units``): among matches in random order it is
about twice that long, so the versions of unrelated texts do not reach it."""


@dataclass(frozen=True)
class PairAlignment:
    beads: list[Bead]
    scores: np.ndarray
    """Per bead, in [0, 1]: for a match, its similarity above unrelated (0 as alike as unrelated
    sentences of these documents, 1 identical); for an insertion or deletion, 1 minus the best
    such similarity the unit had with any unit of the other side."""


def align_units(
    src: Units,
    tgt: Units,
    settings: AlignmentSettings,
    guide: PairAlignment | None = None,
    *,
    unlink_chance_runs: bool = True,
) -> PairAlignment:
    """Align two sequences of units into a monotone chain of beads covering both, with the bead
    model of ``settings`` (which must be set: see ``Settings.with_fitted``); where the units
    carry lexical vectors, with its lexical bead model.

    ``guide``, an alignment of the same units found before (the first pass of the lexical one),
    takes the place of the coarse passes: a long document is searched in a band around it.
    Where one side lacks much of the other's text, every pass starts from the length ratio of
    the mutual best matches (``excerpt_length_log_ratio``), and a typical match is measured on the
    side with fewer units. The longest chain of those matches that runs forward on both sides
    checks the path: a long document's band is widened to reach it where it strays
    (``_search_windows``), and where the chain is longer than chance would make
    (``CHANCE_CHAIN_FACTOR``), a path that holds fewer of the mutual best matches than
    ``settings.min_chain_held`` times its length is searched again between its matches alone.

    With ``unlink_chance_runs``, runs of weak matches between text that each version has alone
    are undone (``BeadModel.chance_run``, fitted on two versions' sentences: rows of groups and
    moved blocks pass False).
    """
    lexical = src.lexical is not None and tgt.lexical is not None
    model = settings.lexical_bead_model if lexical else settings.bead_model
    if model is None:
        raise ValueError("align_units needs a bead model: take the fitted one with Settings.with_fitted")
    matches = mutual_best_matches(src, tgt, settings)
    ratio = excerpt_length_log_ratio(src, tgt, settings, matches)
    chain = _longest_chain(*matches)
    n, m = len(src), len(tgt)
    if guide is not None:
        if n * m <= settings.full_search_cells or min(n, m) < 2:
            windows = None
        else:
            # the guide's matches are sure; a run of its nulls may hide matches it missed
            cells = _cells(guide.beads)
            windows = _band(cells, [s0 < s1 and t0 < t1 for s0, s1, t0, t1 in cells], 1, n, m, settings)
        path, gains = refined_path(src, tgt, settings, model, windows, ratio)
    else:
        coarse = dataclasses.replace(model, null_gain=model.null_gain + settings.coarse_null_shift)
        path, gains = _align_path(src, tgt, settings, model, coarse, ratio, chain)
    chance = CHANCE_CHAIN_FACTOR * np.sqrt(len(matches[0]))
    if len(chain[0]) > chance and _held(path, *matches) < settings.min_chain_held * len(chain[0]):
        # the path took chance matches over the versions' clearest ones (a passage shared
        # at an offset between alike sentences): search between the latter alone. Counted
        # over all the mutual matches, a path that follows another chain as long (two
        # passages that trade places) holds as many and stays.
        windows = _chain_band(*chain, n, m, settings)
        if _cell_count(windows) <= settings.max_widened_cells:
            path, gains = refined_path(src, tgt, settings, model, windows, ratio)
    path = reach_long_merges(path, gains, settings)
    if unlink_chance_runs and ratio is None and gains.null_share >= model.reference_null_share:
        # as long as each other, yet with many beads the first pass left null: text of their own
        path = _chance_runs_unlinked(path, gains, model, settings.max_bead)
    return _to_pair_alignment(path)


def _chance_runs_unlinked(path: BeadPath, gains: BeadGains, model: BeadModel, max_bead: int) -> BeadPath:
    """``path`` with each run of ``model.chance_run`` or more weak matches (with nulls between
    them, and no other match) undone into deletions and insertions (see
    ``BeadModel.chance_run``). A match is weak where its similarity is under
    ``WEAK_SIMILARITY`` typical matches, and so is its lexical similarity where the units have
    lexical vectors; a bead larger than ``max_bead`` units (``reach_long_merges``) is no weak
    match."""
    if model.chance_run < 1:
        return path
    matches = [k for k, (s0, s1, t0, t1) in enumerate(path.beads) if s1 > s0 and t1 > t0]
    valued = [k for k in matches if _bead_size(path.beads[k]) <= max_bead]
    if not valued:
        return path
    sizes = [(s1 - s0, t1 - t0, s1, t1) for s0, s1, t0, t1 in (path.beads[k] for k in valued)]
    features = many_bead_features(gains, sizes)
    weak = features[:, FEATURES.index("similarity")] < WEAK_SIMILARITY
    if gains.src_lexical_spans.shape[2]:
        weak &= features[:, FEATURES.index("lexical")] < WEAK_SIMILARITY
    weak_matches = {k for k, is_weak in zip(valued, weak.tolist(), strict=True) if is_weak}
    unlinked: set[int] = set()
    run: list[int] = []
    for k in [*matches, -1]:
        if k in weak_matches:
            run.append(k)
            continue
        if len(run) >= model.chance_run:
            unlinked.update(run)
        run = []
    if not unlinked:
        return path
    beads: list[tuple[int, int, int, int]] = []
    similarity: list[float] = []
    for k, (s0, s1, t0, t1) in enumerate(path.beads):
        if k in unlinked:
            beads += [(i, i + 1, t0, t0) for i in range(s0, s1)] + [(s1, s1, j, j + 1) for j in range(t0, t1)]
            similarity += [np.nan] * ((s1 - s0) + (t1 - t0))
        else:
            beads.append((s0, s1, t0, t1))
            similarity.append(float(path.similarity[k]))
    return dataclasses.replace(path, beads=beads, similarity=np.array(similarity))


def _bead_size(bead: tuple[int, int, int, int]) -> int:
    s0, s1, t0, t1 = bead
    return (s1 - s0) + (t1 - t0)


def _align_path(
    src: Units,
    tgt: Units,
    settings: AlignmentSettings,
    model: BeadModel,
    coarse: BeadModel,
    excerpt_ratio: float | None,
    chain: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[BeadPath, BeadGains]:
    """The best path and the gains it was valued with (``excerpt_ratio`` as in ``bead_gains``:
    halving both sides keeps a match's ratio; ``chain`` as in ``_search_windows``)."""
    windows = _search_windows(src, tgt, settings, coarse, excerpt_ratio, chain)
    return refined_path(src, tgt, settings, model, windows, excerpt_ratio)


def _halve(units: Units) -> Units:
    """Merge consecutive pairs of units: half as many, same content, lengths still of mean 1."""
    n = len(units)
    lengths = units.lengths[: n - n % 2].reshape(n // 2, 2).sum(axis=1)
    if n % 2:
        lengths = np.r_[lengths, units.lengths[-1]]
    lexical = None if units.lexical is None else _halve_vectors(units.lexical)
    return Units(_halve_vectors(units.vectors), lengths / 2.0, lexical)


def _halve_vectors(vectors: np.ndarray) -> np.ndarray:
    n = len(vectors)
    pairs = vectors[: n - n % 2].reshape(n // 2, 2, -1).sum(axis=1)
    if n % 2:
        pairs = np.vstack([pairs, vectors[-1:]])
    return unit_rows(pairs)


def _search_windows(
    src: Units,
    tgt: Units,
    settings: AlignmentSettings,
    coarse: BeadModel,
    excerpt_ratio: float | None,
    chain: tuple[np.ndarray, np.ndarray] | None,
) -> np.ndarray | None:
    """Per source row, the target columns worth searching; None for a full search.

    Every coarse level is valued with the ``coarse`` model, whose skips cost more: the coarse
    passes prefer weak matches to skips, so where one side has a passage the other lacks, the
    coarse path may cut a diagonal the true path leaves by more than the band. A stretch of
    weak coarse beads is therefore searched whole (the rectangle from its first cell to its
    last), up to ``settings.max_unsure_stretch`` units a side; a longer one is searched as
    consecutive rectangles of that size along the coarse path. Rows of the DP are as long as
    their windows, so a rectangle costs memory only where it is.

    Where two versions share a passage at an offset, each with material of its own around it,
    chance matches between alike sentences can make a sure-looking diagonal that misses the
    passage. The ``chain`` of the units' clearest matches (``_longest_chain``) then leaves the
    band, and the search also covers the rectangle between each match of the chain outside it
    and its neighbours on the chain, and what lies between those and the band. Past
    ``settings.max_widened_cells`` cells, those rectangles take the place of the band in their
    rows, if that stays within as many cells; else the band is kept.
    """
    n, m = len(src), len(tgt)
    if n * m <= settings.full_search_cells or min(n, m) < 2:
        return None
    path, gains = _align_path(_halve(src), _halve(tgt), settings, coarse, coarse, excerpt_ratio)
    sure = np.nan_to_num(path.similarity, nan=0.0) >= WEAK_SIMILARITY * gains.typical_similarity
    windows = _band(path.beads, list(sure), 2, n, m, settings)
    if chain is None or len(chain[0]) == 0:
        return windows
    ours, theirs = chain
    lo, hi = windows.T
    # a 1-1 bead from (i, j) to (i + 1, j + 1) needs both corners in the windows
    inside = _within(lo, hi, ours, theirs) & _within(lo, hi, ours + 1, theirs + 1)
    if inside.all():
        return windows
    # the rectangle before each match of the chain, and the one after it, where it lies outside
    ends_inside = itertools.pairwise([True, *inside, True])
    astray = [box for box, ends in zip(_chain_boxes(*chain, n, m), ends_inside, strict=True) if not all(ends)]
    detours = _band(astray, [True] * len(astray), 1, n, m, settings)
    widened = np.stack([np.minimum(lo, detours[:, 0]), np.maximum(hi, detours[:, 1])], axis=1)
    if _cell_count(widened) <= settings.max_widened_cells:
        return widened
    # too far apart to search both: the rectangles take the place of the band in their rows
    rows = np.zeros(n + 1, dtype=bool)
    for i0, i1, _, _ in astray:
        rows[i0 : i1 + 1] = True
    lo, hi = np.where(rows[:, None], detours, windows).T
    lo, hi = np.minimum.accumulate(lo[::-1])[::-1], np.maximum.accumulate(hi)
    lo[1:] = np.minimum(lo[1:], hi[:-1])  # where they meet, each row reaches the next
    spliced = np.stack([lo, hi], axis=1)
    return spliced if _cell_count(spliced) <= settings.max_widened_cells else windows


def _within(lo: np.ndarray, hi: np.ndarray, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    return (lo[rows] <= columns) & (columns <= hi[rows])


def _longest_chain(ours: np.ndarray, theirs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The longest chain of the matches of units ``ours`` (strictly ascending) with ``theirs`` that runs
    forward on both sides: the versions' clearest matches, without the chance ones that cross
    it."""
    ends: list[int] = []  # ends[k]: the match ending the chain of k + 1 that ends lowest so far
    lowest: list[int] = []  # and where it ends in the target
    before = np.full(len(theirs), -1)
    for k, j in enumerate(theirs.tolist()):
        length = bisect.bisect_left(lowest, j)
        before[k] = ends[length - 1] if length else -1
        ends[length : length + 1], lowest[length : length + 1] = [k], [j]
    chain, k = [], ends[-1] if ends else -1
    while k >= 0:
        chain.append(k)
        k = before[k]
    picked = np.array(chain[::-1], dtype=np.int64)
    return ours[picked], theirs[picked]


def _chain_boxes(ours: np.ndarray, theirs: np.ndarray, n: int, m: int) -> list[tuple[int, int, int, int]]:
    """The rectangles from each match of a chain to the next, and from the corners of the
    document to the first and the last."""
    corners = [(0, 0), *zip(ours.tolist(), theirs.tolist(), strict=True), (n, m)]
    return [(i0, max(i1, i0 + 1), j0, max(j1, j0 + 1)) for (i0, j0), (i1, j1) in itertools.pairwise(corners)]


def _chain_band(
    ours: np.ndarray, theirs: np.ndarray, n: int, m: int, settings: AlignmentSettings
) -> np.ndarray:
    """The windows of a search through the rectangles between the matches of a chain."""
    boxes = _chain_boxes(ours, theirs, n, m)
    return _band(boxes, [True] * len(boxes), 1, n, m, settings)


def _cell_count(windows: np.ndarray) -> int:
    return int((windows[:, 1] - windows[:, 0] + 1).sum())


def _held(path: BeadPath, ours: np.ndarray, theirs: np.ndarray) -> int:
    """How many of the matches of units ``ours`` with ``theirs`` a bead of ``path`` holds."""
    src_bead = np.full(int(ours.max()) + 1, -1)
    tgt_bead = np.full(int(theirs.max()) + 1, -2)
    for k, (s0, s1, t0, t1) in enumerate(path.beads):
        src_bead[s0 : min(s1, len(src_bead))] = k
        tgt_bead[t0 : min(t1, len(tgt_bead))] = k
    return int((src_bead[ours] == tgt_bead[theirs]).sum())


def _cells(beads: list[Bead]) -> list[tuple[int, int, int, int]]:
    """Beads as ``(src_start, src_end, tgt_start, tgt_end)``, half-open."""
    cells, i, j = [], 0, 0
    for src, tgt in beads:
        cells.append((i, i + len(src), j, j + len(tgt)))
        i, j = i + len(src), j + len(tgt)
    return cells


def _band(
    path: list[tuple[int, int, int, int]],
    sure: list[bool],
    scale: int,
    n: int,
    m: int,
    settings: AlignmentSettings,
) -> np.ndarray:
    """The windows of a search around ``path`` (beads as ``(src_start, src_end, tgt_start,
    tgt_end)`` of units ``scale`` times as coarse as those searched), stretches of beads that
    are not ``sure`` searched whole (see ``_search_windows``)."""
    boxes: list[tuple[int, int, int, int]] = []
    for k, bead in enumerate(path):
        if k and not sure[k] and not sure[k - 1]:
            first_src, _, first_tgt, _ = boxes[-1]
            if max(bead[1] - first_src, bead[3] - first_tgt) * scale <= settings.max_unsure_stretch:
                boxes[-1] = (first_src, bead[1], first_tgt, bead[3])
                continue
        boxes.append(bead)
    lo = np.full(n + 1, m, dtype=np.int64)
    hi = np.zeros(n + 1, dtype=np.int64)
    for s0, s1, t0, t1 in boxes:
        rows = slice(scale * s0, min(scale * s1, n) + 1)
        lo[rows] = np.minimum(lo[rows], scale * t0)
        hi[rows] = np.maximum(hi[rows], min(scale * t1, m))
    margin = settings.band_margin
    lo = np.minimum.accumulate(np.clip(lo - margin, 0, m)[::-1])[::-1]
    hi = np.maximum.accumulate(np.clip(hi + margin, 0, m))
    lo[0], hi[n] = 0, m
    return np.stack([lo, hi], axis=1)


def _to_pair_alignment(path: BeadPath) -> PairAlignment:
    beads: list[Bead] = []
    scores = np.empty(len(path.beads))
    for k, (s0, s1, t0, t1) in enumerate(path.beads):
        beads.append((tuple(range(s0, s1)), tuple(range(t0, t1))))
        if s1 > s0 and t1 > t0:
            scores[k] = path.similarity[k]
        elif s1 > s0:
            scores[k] = 1.0 - path.best_src[s0]
        else:
            scores[k] = 1.0 - path.best_tgt[t0]
    scores = np.clip(np.nan_to_num(scores, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
    return PairAlignment(beads, scores)
