"""Multiway stage: N embedded versions of a document in, one table of aligned rows out.

Versions are merged progressively, most parallel first (as in progressive multiple sequence
alignment): two groups of already aligned versions are aligned row against row, each row
represented by the mean of its languages' vectors. Every row is therefore consistent across
all language pairs, and languages that translate each other closely meet before the ones
that share little. Groups that are not translations of each other at all are not forced
together: their rows follow one another, each marked as having no counterpart.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from aligner.align import (
    AlignParams,
    Bead,
    PairAlignment,
    Units,
    align_units,
    typical_similarity,
    unit_rows,
    unrelated_similarity,
)
from aligner.align.dp import WEAK_SIMILARITY
from aligner.progress import step_bar
from aligner.segment import is_cjk

if TYPE_CHECKING:
    from tqdm import tqdm

MIN_PARALLELISM = 0.4
"""Share of sentences with a clear counterpart below which two of three or more versions are
taken for different texts."""

NEIGHBOUR_ROWS = 5
"""How far (in rows) to look for a counterpart when judging an unaligned unit."""

MAX_UNALIGNED_SHARE = 0.5
"""Share of a version's sentences left unaligned above which none of them is taken for moved."""

COMPARE_BLOCK = 512
"""Unaligned sentences compared with the rows at a time."""

MOVED_BLOCK_GAP = 2
"""Rows within which two joined sentences count as one moved passage."""

MOVED_MIN_SIMILARITY = WEAK_SIMILARITY
"""Similarity, in typical matches of the language pair, above which an unaligned sentence and a
row without its language that are each other's best match may be joined though out of order:
half a typical match, the line between a weak and a real match throughout the aligner. On
Text+Berg dev with a passage moved and on the Tatoeba tuning documents (whose inserted
sentences have no counterpart) F1 is the same from 0.2 to 0.6; without ``MOVED_BLOCK_GAP``'s
rule, below 0.6 inserted sentences paired up."""


@dataclass(frozen=True)
class Version:
    """One language version of a document: its sentences and their embeddings."""

    lang: str
    sentences: list[str]
    vectors: np.ndarray

    @property
    def relative_lengths(self) -> np.ndarray:
        """Sentence lengths in characters over this version's mean, comparable across scripts."""
        chars = np.array([len(s) for s in self.sentences], dtype=np.float64)
        return chars / chars.mean() if chars.size else chars


Row = tuple[tuple[int, ...], ...]
"""One aligned unit: for each language, in column order, the ids of its sentences (maybe none)."""


@dataclass(repr=False)
class Alignment:
    """An N-way sentence alignment: rows in document order, a column per language."""

    versions: list[Version]
    rows: list[Row]
    scores: np.ndarray
    """Row score in [0, 1]; see ``score_rows``."""
    pair_scores: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    """Per language pair, per row: normalised similarity where both are present, else NaN."""
    groups: list[list[str]] = field(default_factory=list)
    """Languages aligned with each other; versions in different groups were too far apart."""
    pair_beads: dict[tuple[str, str], list[Bead]] = field(default_factory=dict)
    """Per language pair (in column order), its alignment at its own resolution; see ``pair``."""

    def __repr__(self) -> str:
        # the default repr would print every sentence (Jupyter stores it beside the HTML table)
        counts = ", ".join(f"{v.lang} {len(v.sentences)}" for v in self.versions)
        groups = " | ".join(",".join(g) for g in self.groups)
        return f"Alignment({len(self.rows)} rows; {counts} sentences; groups {groups})"

    @property
    def langs(self) -> list[str]:
        return [v.lang for v in self.versions]

    def text(self, row: int, column: int) -> str:
        version = self.versions[column]
        joiner = "" if is_cjk(version.lang) else " "
        return joiner.join(version.sentences[i] for i in self.rows[row][column])

    def pair(self, lang_a: str, lang_b: str) -> list[Bead]:
        """The alignment of two languages at their own resolution, in the rows' order.

        A row holds what all its languages share, so where a third language joins two sentences
        into one, the row holds both sentences of the other languages too. Here such a row is
        split again by the pair's own alignment, where that lies inside the row, covers it and
        links something in it; so no pair ever joins sentences of different rows, and pairs can
        disagree only inside a row. A sentence with no counterpart in the other language is a
        null bead of its own. Rows that join a moved passage are out of document order in one
        language, and so are their beads here.
        """
        a, b = self.langs.index(lang_a), self.langs.index(lang_b)
        if (lang_a, lang_b) in self.pair_beads:
            return self.pair_beads[lang_a, lang_b]
        if (lang_b, lang_a) in self.pair_beads:
            return [(tgt, src) for src, tgt in self.pair_beads[lang_b, lang_a]]
        return [bead for row in self.rows for bead in _pair_bead(row[a], row[b])]

    def to_pandas(self) -> pd.DataFrame:
        """One row per aligned unit: ``L`` and ``L_ids`` per language, ``score``, ``score_L1_L2``."""
        data: dict[str, list] = {}
        for column, lang in enumerate(self.langs):
            data[lang] = [self.text(r, column) for r in range(len(self.rows))]
            data[f"{lang}_ids"] = [",".join(map(str, row[column])) for row in self.rows]
        data["score"] = [round(float(s), 4) for s in self.scores]
        for (a, b), values in self.pair_scores.items():
            data[f"score_{a}_{b}"] = [None if np.isnan(s) else round(float(s), 4) for s in values]
        return pd.DataFrame(data)

    def to_tsv(self, path: str) -> None:
        from aligner.export import write

        write(self, path, "tsv")

    def _repr_html_(self) -> str:
        """Jupyter's view: the first page of ``aligner.inspect.to_html``."""
        from aligner.inspect import to_html

        return to_html(self)

    def plot_path(self, lang_a: str, lang_b: str, ax=None):
        """Similarity heatmap of two languages with the alignment path, on matplotlib Axes ``ax``
        (a new figure if None), which it returns; see ``aligner.inspect.plot_path``."""
        from aligner.inspect import plot_path

        return plot_path(self, lang_a, lang_b, ax)

    def plot_scores(self, ax=None):
        """Similarity histogram per aligned language pair; see ``aligner.inspect.plot_scores``."""
        from aligner.inspect import plot_scores

        return plot_scores(self, ax)

    def plot_coverage(self, ax=None):
        """Aligned and unaligned sentences per language; see ``aligner.inspect.plot_coverage``."""
        from aligner.inspect import plot_coverage

        return plot_coverage(self, ax)

    def quality(self, **thresholds: float) -> pd.DataFrame:
        """Quality signals per unit and language pair; see ``aligner.report.quality``."""
        from aligner.report import quality

        return quality(self, **thresholds)

    def summary(self, **thresholds: float) -> dict:
        """Coverage, scores and flags per language and pair; see ``aligner.report.summary``."""
        from aligner.report import summary

        return summary(self, **thresholds)


def _span(version: Version, ids: tuple[int, ...]) -> np.ndarray:
    return version.vectors[list(ids)].sum(axis=0)


def _group_units(versions: list[Version], members: list[int], rows: list[Row]) -> Units:
    dim = versions[0].vectors.shape[1]
    vectors = np.zeros((len(rows), dim), dtype=np.float32)
    lengths = np.zeros(len(rows))
    lengths_by_member = [versions[k].relative_lengths for k in members]
    for r, row in enumerate(rows):
        present = [(k, ids) for k, ids in zip(members, row, strict=True) if ids]
        vectors[r] = sum(unit_rows(_span(versions[k], ids)[None])[0] for k, ids in present) / len(present)
        lengths[r] = np.mean([lengths_by_member[members.index(k)][list(ids)].sum() for k, ids in present])
    return Units(vectors, lengths)


CLEAR_MATCH = 0.3
"""Normalised similarity above which a match counts as a clear counterpart."""


def parallelism(a: Version, b: Version, pair: PairAlignment) -> float:
    """How much two versions translate each other: the share of their sentences that have a
    clear counterpart in the pairwise alignment.

    Translations reach 0.5 (the Bible in English and Chinese) to 1.0 (the Indonesian and French
    seeds); different articles on one topic stay below 0.2, and the two Chinese seed articles
    that share some sentences reach 0.27.
    """
    total = len(a.sentences) + len(b.sentences)
    clear = sum(
        len(x) + len(y)
        for (x, y), score in zip(pair.beads, pair.scores, strict=True)
        if x and y and score > CLEAR_MATCH
    )
    return clear / total if total else 0.0


def _units(version: Version) -> Units:
    return Units(version.vectors, version.relative_lengths)


def align_versions(
    versions: list[Version],
    params: AlignParams | None = None,
    progress: bool = False,
    pairs: Mapping[tuple[int, int], PairAlignment] | None = None,
) -> Alignment:
    """Align N versions into one table whose rows agree for every pair of languages.

    ``pairs`` may hold pairwise alignments made already with the same ``params``, keyed by
    ``(a, b)`` with ``a < b``: ``align_units`` of version ``a`` (source) with version ``b``
    (target); the others are made here. ``progress`` draws a bar on stderr over the steps:
    each pairwise alignment still to make, each merge of two groups (the first ones reuse a
    pairwise alignment), and the scoring of the rows.
    """
    n = len(versions)
    given = dict(pairs or {})
    if not set(given) <= set(combinations(range(n), 2)):
        raise ValueError(f"pairs are keyed by (a, b) with a < b < {n}, got {sorted(given)}")
    with step_bar(n * (n - 1) // 2 - len(given) + n, "aligning", progress) as bar:
        alignment = _align_versions(versions, params or AlignParams(), given, bar)
        bar.update()  # scoring is the last step the bar counts
        return alignment


def _align_versions(
    versions: list[Version], params: AlignParams, given: dict[tuple[int, int], PairAlignment], bar: tqdm
) -> Alignment:
    groups: list[tuple[list[int], list[Row]]] = [
        ([k], [((i,),) for i in range(len(v.sentences))]) for k, v in enumerate(versions)
    ]
    pairs: dict[tuple[int, int], PairAlignment] = {}
    for a, b in combinations(range(len(versions)), 2):
        if (a, b) in given:
            pairs[a, b] = given[a, b]
            continue
        bar.set_postfix_str(f"{versions[a].lang}-{versions[b].lang}")
        pairs[a, b] = align_units(_units(versions[a]), _units(versions[b]), params)
        bar.update()
    closeness = {(a, b): parallelism(versions[a], versions[b], pair) for (a, b), pair in pairs.items()}

    def group_closeness(x: int, y: int) -> float:
        # UPGMA: the average over member pairs
        return float(np.mean([closeness[min(a, b), max(a, b)] for a in groups[x][0] for b in groups[y][0]]))

    while len(groups) > 1:
        x, y = max(combinations(range(len(groups)), 2), key=lambda p: group_closeness(*p))
        # Two inputs are versions of one text by the user's word; among more, some may not be.
        if len(versions) > 2 and group_closeness(x, y) < MIN_PARALLELISM:
            break
        (members_x, rows_x), (members_y, rows_y) = groups[x], groups[y]
        bar.set_postfix_str(" + ".join(",".join(versions[k].lang for k in m) for m in (members_x, members_y)))
        if len(members_x) == len(members_y) == 1 and members_x[0] < members_y[0]:
            pair = pairs[members_x[0], members_y[0]]  # two single versions: aligned already
        else:
            pair = align_units(
                _group_units(versions, members_x, rows_x), _group_units(versions, members_y, rows_y), params
            )
        bar.update()
        merged_rows = [
            _concat_rows([rows_x[i] for i in src], len(members_x))
            + _concat_rows([rows_y[j] for j in tgt], len(members_y))
            for src, tgt in pair.beads
        ]
        groups = [g for k, g in enumerate(groups) if k not in (x, y)]
        groups.append((members_x + members_y, merged_rows))
    bar.total -= len(groups) - 1  # merges not made: groups left apart
    bar.set_postfix_str("scoring")
    # Orders that do not depend on the order of the inputs, so that A with B mirrors B with A.
    langs = [v.lang for v in versions]
    groups = [(members, _join_moved(versions, members, rows)) for members, rows in groups]
    groups.sort(key=lambda group: min(langs[k] for k in group[0]))
    rows = [
        row
        for members, group_rows in groups
        for row in _order_gaps([_widen(r, members, len(versions)) for r in group_rows], langs)
    ]
    pair_scores = _pair_scores(versions, rows)
    pair_beads = {
        (versions[a].lang, versions[b].lang): _split_rows(rows, a, b, pair.beads)
        for (a, b), pair in pairs.items()
    }
    return Alignment(
        versions,
        rows,
        score_rows(versions, rows, pair_scores),
        pair_scores,
        [[versions[k].lang for k in sorted(members)] for members, _ in groups],
        pair_beads,
    )


def _join_moved(versions: list[Version], members: list[int], rows: list[Row]) -> list[Row]:
    """Sentences the monotone alignment left unaligned because they were moved: an unaligned
    sentence joins a row that lacks its language, more than ``NEIGHBOUR_ROWS`` rows away, when
    each is the other's best match above ``MOVED_MIN_SIMILARITY``, no row near the sentence
    comes as close (its similarity with a row: the mean over the row's other languages), and a
    neighbouring sentence joins a neighbouring row too (``MOVED_BLOCK_GAP``).

    A passage one version moves elsewhere comes out of the DP as deletions on one side and
    insertions on the other; joined, its rows stand where the other versions have it (of two,
    the one later in code order), out of order in the rest. A sentence whose content a
    neighbouring row already holds (the end of a sentence the other version splits
    differently) stays, even when a summary elsewhere repeats it; so does a lone sentence out
    of place, as often a heading. Where most of a version is unaligned the versions are not
    translations with a passage moved, and nothing is joined. The rows are first put in an
    order that does not depend on the order of the inputs, and languages are taken in code
    order, so that A with B mirrors B with A.
    """
    rows = _order_gaps(list(rows), [versions[k].lang for k in members])
    baselines: dict[frozenset[int], tuple[float, float]] = {}
    for c in sorted(range(len(members)), key=lambda c: versions[members[c]].lang):
        lone = [r for r, row in enumerate(rows) if row[c] and sum(map(bool, row)) == 1]
        if not lone or len(lone) > MAX_UNALIGNED_SHARE * len(versions[members[c]].sentences):
            continue
        near_lone = np.zeros(len(rows), dtype=bool)
        for r in lone:
            near_lone[max(0, r - NEIGHBOUR_ROWS) : r + NEIGHBOUR_ROWS + 1] = True
        # the rows a lone sentence may join, and those near it that may hold its content already
        others = [
            r
            for r, row in enumerate(rows)
            if (not row[c] or near_lone[r]) and any(ids for k, ids in enumerate(row) if k != c)
        ]
        joined = _moved_joins(versions, members, c, rows, lone, others, baselines)
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
    baselines: dict[frozenset[int], tuple[float, float]],
) -> dict[int, int]:
    """Which lone rows of column ``c`` join which rows of ``others`` that lack ``c`` (see
    ``_join_moved``), as ``{hole: lone row}``; the lone sentences are compared a block at a
    time, so memory stays linear in the rows."""
    if not others:
        return {}
    spans = _row_spans(versions, members, c, [rows[r] for r in others], baselines)
    position = np.array(others)
    holes = np.array([not rows[r][c] for r in others])
    best_hole = np.zeros(len(lone), dtype=np.int64)
    best = np.full(len(lone), -np.inf)
    local = np.full(len(lone), -np.inf)
    column_best = np.full(len(others), -np.inf)
    column_lone = np.full(len(others), -1)
    version = versions[members[c]]
    for start in range(0, len(lone), COMPARE_BLOCK):
        block = np.array(lone[start : start + COMPARE_BLOCK])
        own = unit_rows(np.stack([_span(version, rows[r][c]) for r in block]))
        similarity = _mean_similarity(own, spans, len(others))
        nearby = np.abs(position[None, :] - block[:, None]) <= NEIGHBOUR_ROWS
        local[start : start + len(block)] = np.where(nearby, similarity, -np.inf).max(axis=1)
        similarity[:, ~holes] = -np.inf
        best_hole[start : start + len(block)] = similarity.argmax(axis=1)
        best[start : start + len(block)] = similarity.max(axis=1)
        block_best = similarity.max(axis=0)
        better = block_best > column_best
        column_lone[better] = start + similarity.argmax(axis=0)[better]
        column_best = np.maximum(column_best, block_best)
    # strictly above the nearby best: a hole near the sentence is the DP's business
    pairs = [
        (lone[u], others[h])
        for u, h in enumerate(best_hole)
        if column_lone[h] == u and best[u] >= MOVED_MIN_SIMILARITY and best[u] > local[u]
    ]
    # a passage moves as a whole: a lone pair is a heading or a paraphrase as often
    return {
        hole: moved
        for moved, hole in pairs
        if any(
            0 < abs(moved - other_moved) <= MOVED_BLOCK_GAP and abs(hole - other_hole) <= MOVED_BLOCK_GAP
            for other_moved, other_hole in pairs
        )
    }


def _row_spans(
    versions: list[Version],
    members: list[int],
    c: int,
    rows: list[Row],
    baselines: dict[frozenset[int], tuple[float, float]],
) -> list[tuple[np.ndarray, np.ndarray, float, float]]:
    """For each other language of the rows: which rows have it, their unit span vectors, and
    the pair's unrelated and typical similarity (``baselines`` keeps them between calls)."""
    version = versions[members[c]]
    out = []
    for k, member in enumerate(members):
        with_k = np.array([r for r, row in enumerate(rows) if row[k]], dtype=np.int64)
        if k == c or not len(with_k):
            continue
        other = versions[member]
        pair = frozenset((members[c], member))
        if pair not in baselines:
            floor = unrelated_similarity(version.vectors, other.vectors)
            baselines[pair] = (
                floor,
                typical_similarity(unit_rows(version.vectors), unit_rows(other.vectors), floor),
            )
        spans = unit_rows(np.stack([_span(other, rows[r][k]) for r in with_k]))
        out.append((with_k, spans, *baselines[pair]))
    return out


def _mean_similarity(
    own: np.ndarray, spans: list[tuple[np.ndarray, np.ndarray, float, float]], n_rows: int
) -> np.ndarray:
    """Normalised similarity (in typical matches of each language pair) of each ``own`` vector
    with each row, averaged over the languages the row has."""
    total = np.zeros((len(own), n_rows))
    present = np.zeros(n_rows)
    for with_k, vectors, floor, typical in spans:
        total[:, with_k] += ((own @ vectors.T) - floor) / ((1.0 - floor) * typical)
        present[with_k] += 1
    return total / np.maximum(present, 1)


def _split_rows(rows: list[Row], a: int, b: int, own: list[Bead]) -> list[Bead]:
    """Languages ``a`` and ``b`` read off the rows, each row split by the pair's own beads where
    those lie inside it, cover it and link something in it (a row that joins two sentences
    moved apart holds only null beads of the pair's own alignment)."""
    bead_of = {(0, i): k for k, (src, _) in enumerate(own) for i in src}
    bead_of |= {(1, j): k for k, (_, tgt) in enumerate(own) for j in tgt}
    out: list[Bead] = []
    for row in rows:
        ids_a, ids_b = row[a], row[b]
        inside = sorted({bead_of[0, i] for i in ids_a} | {bead_of[1, j] for j in ids_b})
        covered = all(set(own[k][0]) <= set(ids_a) and set(own[k][1]) <= set(ids_b) for k in inside)
        links = any(own[k][0] and own[k][1] for k in inside)
        if ids_a and ids_b and covered and links:
            out += [bead for k in inside for bead in _pair_bead(*own[k])]
        else:
            out += _pair_bead(ids_a, ids_b)
    return out


def _pair_bead(ids_a: tuple[int, ...], ids_b: tuple[int, ...]) -> list[Bead]:
    """Two languages' sentences of one row: a bead, or a null bead per sentence."""
    if ids_a and ids_b:
        return [(ids_a, ids_b)]
    return [((i,), ()) for i in ids_a] + [((), (j,)) for j in ids_b]


def _order_gaps(rows: list[Row], langs: list[str]) -> list[Row]:
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


def _widen(row: Row, members: list[int], width: int) -> Row:
    """A group's row in the column order of all versions, empty for non-members."""
    ids: list[tuple[int, ...]] = [()] * width
    for k, member_ids in zip(members, row, strict=True):
        ids[k] = member_ids
    return tuple(ids)


def _concat_rows(rows: list[Row], width: int) -> Row:
    return tuple(tuple(i for row in rows for i in row[c]) for c in range(width))


def _pair_scores(versions: list[Version], rows: list[Row]) -> dict[tuple[str, str], np.ndarray]:
    scores: dict[tuple[str, str], np.ndarray] = {}
    for a, b in combinations(range(len(versions)), 2):
        floor = unrelated_similarity(versions[a].vectors, versions[b].vectors)
        values = np.full(len(rows), np.nan)
        for r, row in enumerate(rows):
            if row[a] and row[b]:
                va, vb = unit_rows(np.stack([_span(versions[a], row[a]), _span(versions[b], row[b])]))
                values[r] = np.clip((float(va @ vb) - floor) / (1.0 - floor), 0.0, 1.0)
        scores[versions[a].lang, versions[b].lang] = values
    return scores


ROW_KINDS = ("one-to-one", "merge", "unaligned")

CALIBRATION = {"one-to-one": (1.481, 0.985), "merge": (-0.923, 1.927), "unaligned": (-31.015, 44.467)}
"""Per row kind, logistic ``(intercept, slope)`` turning the row's evidence into the chance
that it is right; fitted on Text+Berg dev by ``bench/alignment.py textberg-dev --fit-calibration``."""


def row_evidence(
    versions: list[Version], rows: list[Row], pair_scores: dict[tuple[str, str], np.ndarray]
) -> tuple[list[str], np.ndarray]:
    """Each row's kind and the similarity evidence for it.

    A row with two or more languages is a ``one-to-one`` or ``merge`` row; its evidence is the
    mean normalised similarity of its language pairs. A row with one language claims that the
    unit has no counterpart (``unaligned``); its evidence is 1 minus the best normalised
    similarity the unit has with any sentence of another language within ``NEIGHBOUR_ROWS``
    rows, so a near-translation left unaligned has weak evidence.
    """
    stacked = np.stack(list(pair_scores.values())) if pair_scores else np.full((1, len(rows)), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows with one language: all NaN
        evidence = np.nanmean(stacked, axis=0)
    floors = {
        (a, b): unrelated_similarity(versions[a].vectors, versions[b].vectors)
        for a in range(len(versions))
        for b in range(len(versions))
        if a != b
    }
    kinds = []
    for r, row in enumerate(rows):
        present = [k for k, ids in enumerate(row) if ids]
        if len(present) > 1:
            kinds.append("merge" if any(len(ids) > 1 for ids in row) else "one-to-one")
            continue
        kinds.append("unaligned")
        k = present[0]
        unit = unit_rows(_span(versions[k], row[k])[None])[0]
        best = 0.0
        window = rows[max(0, r - NEIGHBOUR_ROWS) : r + NEIGHBOUR_ROWS + 1]
        for other, version in enumerate(versions):
            near = sorted({i for nb in window for i in nb[other]}) if other != k else []
            if near:
                floor = floors[k, other]
                best = max(best, (float((version.vectors[near] @ unit).max()) - floor) / (1.0 - floor))
        evidence[r] = 1.0 - min(max(best, 0.0), 1.0)
    evidence = np.nan_to_num(evidence, nan=0.0)
    # How alike translations look depends on the encoder, the language pair and the text
    # (e5-small: about 0.8 for German-French, 0.45 for English-Chinese verses), so the evidence
    # is measured against this table's typical aligned row.
    matched = [e for kind, e in zip(kinds, evidence, strict=True) if kind != "unaligned"]
    typical = max(float(np.median(matched)), 0.05) if matched else 1.0
    for r, kind in enumerate(kinds):
        if kind == "unaligned":
            evidence[r] = 1.0 - min((1.0 - evidence[r]) / typical, 1.0)
        else:
            evidence[r] = evidence[r] / typical
    return kinds, evidence


def score_rows(
    versions: list[Version], rows: list[Row], pair_scores: dict[tuple[str, str], np.ndarray]
) -> np.ndarray:
    """Row score in [0, 1]: the calibrated chance that the row is right (see ``row_evidence``)."""
    kinds, evidence = row_evidence(versions, rows, pair_scores)
    intercept = np.array([CALIBRATION[kind][0] for kind in kinds])
    slope = np.array([CALIBRATION[kind][1] for kind in kinds])
    return 1.0 / (1.0 + np.exp(-(intercept + slope * evidence)))
