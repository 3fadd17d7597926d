"""Collection stage: embedded documents in, groups of versions of one text out, then one corpus.

Document alignment from sentence embeddings. Two documents are versions of one text when a
sentence alignment of the two finds clear counterparts for most of their sentences: their
parallelism (``aligner.multiway.parallelism``). The mean of a document's sentence vectors
cannot tell: on the seeds it is 0.79 to 0.87 for every pair, and highest for two different
Chinese articles. Documents are grouped by average linkage, most parallel pair first, while
the average parallelism between two groups reaches ``MIN_PARALLELISM``, and never into a
group that already has a document of the same language; a document that joins no group is
left alone (unmatched) and keeps its sentences in the corpus as a table of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations, count

import numpy as np
import pandas as pd

from aligner.align import AlignParams, PairAlignment, Units, align_units, unrelated_similarity
from aligner.multiway import (
    CLEAR_MATCH,
    MIN_PARALLELISM,
    Alignment,
    Row,
    Version,
    align_versions,
    parallelism,
)
from aligner.progress import step_bar

CANDIDATE_SHARE = MIN_PARALLELISM / 2
"""Pairs whose quick estimate of parallelism (the share of sentences in clear mutual best
matches) stays below this are not aligned sentence by sentence: on the seeds the estimate is
0.54 for the condensed zh-ja translation and at most 0.15 for different texts in two
languages, so half the grouping threshold skips most unrelated pairs and no translation."""


@dataclass(frozen=True)
class Document:
    """One input document: a name (unique in the collection) and its embedded sentences."""

    name: str
    version: Version

    @property
    def lang(self) -> str:
        return self.version.lang


@dataclass(frozen=True)
class Link:
    """The evidence that documents ``a`` and ``b`` (names) are versions of one text."""

    a: str
    b: str
    parallelism: float
    """The share of both documents' sentences in clear matches of their sentence alignment;
    for a pair below ``CANDIDATE_SHARE``, the quick estimate instead."""
    pair: PairAlignment | None = field(default=None, repr=False, compare=False)
    """That sentence alignment, ``a`` as source, kept so that a group is not aligned twice;
    None for a pair below ``CANDIDATE_SHARE``."""


@dataclass(frozen=True)
class Group:
    """Documents found to be versions of one text, at most one per language, in input order."""

    name: str
    """The members' names joined by ``+``: the ``doc`` of the group's rows in the corpus. Where
    a document or an earlier group has that name already, ``#2`` (or the next free number) is
    appended, so that every group and unmatched document has a name of its own."""
    members: list[Document]
    links: list[Link]
    """Between every two members."""

    @property
    def parallelism(self) -> float:
        """The average over member pairs."""
        return float(np.mean([link.parallelism for link in self.links]))


@dataclass(frozen=True)
class Grouping:
    groups: list[Group]
    """Two or more documents each."""
    unmatched: list[Document]
    """Documents that are versions of nothing else in the collection."""
    links: list[Link]
    """Between every two documents of the collection."""

    def closest(self, name: str) -> Link | None:
        """The strongest link of document ``name``, to show why it stayed unmatched."""
        own = [link for link in self.links if name in (link.a, link.b)]
        return max(own, key=lambda link: link.parallelism, default=None)


def mutual_match_share(a: Version, b: Version, block: int = 1024) -> float:
    """Share of both versions' sentences that are each other's best match, and clearly so
    (normalised similarity above ``CLEAR_MATCH``): matrix products, no alignment, and in blocks
    of rows, so that two books never hold their whole similarity matrix."""
    floor = unrelated_similarity(a.vectors, b.vectors)
    best_in_b = np.empty(len(a.sentences), dtype=np.int64)
    best_of_a = np.empty(len(a.sentences))
    best_in_a = np.zeros(len(b.sentences), dtype=np.int64)
    best_of_b = np.full(len(b.sentences), -np.inf)
    for start in range(0, len(a.sentences), block):
        similarity = a.vectors[start : start + block] @ b.vectors.T
        best_in_b[start : start + block] = similarity.argmax(axis=1)
        best_of_a[start : start + block] = similarity.max(axis=1)
        better = similarity.max(axis=0) > best_of_b
        best_in_a[better] = similarity.argmax(axis=0)[better] + start
        best_of_b[better] = similarity.max(axis=0)[better]
    mutual = best_in_a[best_in_b] == np.arange(len(a.sentences))
    clear = (best_of_a - floor) / (1.0 - floor) > CLEAR_MATCH
    return 2.0 * int((mutual & clear).sum()) / (len(a.sentences) + len(b.sentences))


def link_documents(
    documents: Sequence[Document], params: AlignParams | None = None, progress: bool = False
) -> list[Link]:
    """The parallelism of every two documents; only likely pairs are aligned sentence by sentence.

    Each link's ``a`` is the document that ``assemble`` puts first in a table (the one whose
    language comes first in the collection, else the earlier one), so that its alignment is
    the one ``align_versions`` would make. ``progress`` draws a bar on stderr over the pairs.
    """
    langs = _column_order(documents)
    pairs = list(combinations(documents, 2))
    links = []
    with step_bar(len(pairs), "grouping", progress) as bar:
        for x, y in pairs:
            a, b = (y, x) if langs.index(y.lang) < langs.index(x.lang) else (x, y)
            bar.set_postfix_str(f"{a.name} {b.name}")
            share = mutual_match_share(a.version, b.version)
            pair = None
            if share >= CANDIDATE_SHARE:
                pair = align_units(_units(a.version), _units(b.version), params)
                share = parallelism(a.version, b.version, pair)
            links.append(Link(a.name, b.name, share, pair))
            bar.update()
    return links


def _column_order(documents: Sequence[Document]) -> list[str]:
    """The collection's languages in order of first appearance: the corpus's columns."""
    return list(dict.fromkeys(d.lang for d in documents))


def _units(version: Version) -> Units:
    return Units(version.vectors, version.relative_lengths)


def group_documents(
    documents: Sequence[Document], links: Sequence[Link], min_parallelism: float = MIN_PARALLELISM
) -> Grouping:
    """Average-linkage grouping with a threshold, and one document per language in a group.

    The language constraint is why this is not ``scipy.cluster.hierarchy``, which has none. It
    decides between two documents of one language that both match a group: the closer pair
    meets first, and the other document can no longer join. So a second article that shares
    sentences with one member is never forced in beside it.
    """
    names = [d.name for d in documents]
    if len(set(names)) != len(names):
        raise ValueError("document names must be unique")
    index = {name: k for k, name in enumerate(names)}
    size = len(documents)
    closeness = np.zeros((size, size))
    for link in links:
        i, j = index[link.a], index[link.b]
        closeness[i, j] = closeness[j, i] = link.parallelism
    langs = sorted({d.lang for d in documents})
    has_lang = np.array([[d.lang == lang for lang in langs] for d in documents], dtype=np.int64)
    members = [[k] for k in range(size)]
    active = np.ones(size, dtype=bool)
    while True:
        allowed = (has_lang @ has_lang.T == 0) & active[:, None] & active[None, :]
        candidates = np.where(allowed, closeness, -np.inf)
        # argmax takes the first maximum in row order: ties go to the earlier documents.
        i, j = np.unravel_index(int(np.argmax(candidates)), candidates.shape)
        if candidates[i, j] < min_parallelism:
            break
        # UPGMA update: the merged group's closeness is the size-weighted mean of its parts'.
        weights = np.array([len(members[i]), len(members[j])], dtype=np.float64)
        closeness[i] = closeness[j] = (weights @ closeness[[i, j]]) / weights.sum()
        closeness[:, i] = closeness[i]
        has_lang[i] |= has_lang[j]
        members[i] = sorted(members[i] + members[j])
        active[j] = False
    pairs = {frozenset((link.a, link.b)): link for link in links}
    groups, unmatched = [], []
    taken = set(names)
    for k in np.flatnonzero(active):
        group = [documents[m] for m in members[k]]
        if len(group) == 1:
            unmatched.append(group[0])
            continue
        group_links = [pairs[frozenset((x.name, y.name))] for x, y in combinations(group, 2)]
        name = _free_name("+".join(d.name for d in group), taken)
        taken.add(name)
        groups.append(Group(name, group, group_links))
    return Grouping(groups, unmatched, list(links))


def _free_name(name: str, taken: set[str]) -> str:
    """``name``, or if it is taken, ``name#2`` or the next number that is free."""
    if name not in taken:
        return name
    return next(f"{name}#{k}" for k in count(2) if f"{name}#{k}" not in taken)


@dataclass(repr=False)
class Corpus:
    """A collection aligned: the table of each group and of each unmatched document, stacked.

    It offers what the exporters read from an ``Alignment`` (``langs``, ``rows``, ``scores``,
    ``text``, ``to_pandas``), with every language of the collection as a column, plus ``docs``,
    the group (or document) name of each row.
    """

    langs: list[str]
    parts: list[tuple[str, Alignment]]
    """(doc name, its alignment) in output order, each name once; an unmatched document's rows
    have no score."""
    grouping: Grouping
    rows: list[Row] = field(init=False)
    scores: np.ndarray = field(init=False)
    docs: list[str] = field(init=False)
    _origin: list[tuple[Alignment, int]] = field(init=False)

    def __post_init__(self) -> None:
        names = [name for name, _ in self.parts]
        if len(set(names)) != len(names):
            raise ValueError(f"doc names must be unique, got {names}")
        self.rows, self.docs, self._origin = [], [], []
        for name, alignment in self.parts:
            columns = [self.langs.index(lang) for lang in alignment.langs]
            for r, row in enumerate(alignment.rows):
                wide: list[tuple[int, ...]] = [()] * len(self.langs)
                for column, ids in zip(columns, row, strict=True):
                    wide[column] = ids
                self.rows.append(tuple(wide))
                self.docs.append(name)
                self._origin.append((alignment, r))
        self.scores = np.concatenate([alignment.scores for _, alignment in self.parts])

    def __repr__(self) -> str:
        return (
            f"Corpus({len(self.rows)} rows; {len(self.grouping.groups)} groups, "
            f"{len(self.grouping.unmatched)} unmatched; languages {', '.join(self.langs)})"
        )

    def table(self, name: str) -> Alignment:
        """The alignment of the group or unmatched document ``name``."""
        return next(alignment for doc, alignment in self.parts if doc == name)

    def text(self, row: int, column: int) -> str:
        alignment, r = self._origin[row]
        lang = self.langs[column]
        return alignment.text(r, alignment.langs.index(lang)) if lang in alignment.langs else ""

    def to_pandas(self) -> pd.DataFrame:
        """``doc``, then the columns of ``Alignment.to_pandas`` for every language and pair;
        empty where a document lacks the language."""
        text_columns = [name for lang in self.langs for name in (lang, f"{lang}_ids")]
        pair_columns = [f"score_{a}_{b}" for a, b in combinations(self.langs, 2)]
        frames = [alignment.to_pandas().assign(doc=name) for name, alignment in self.parts]
        frame = pd.concat(frames, ignore_index=True).reindex(
            columns=["doc", *text_columns, "score", *pair_columns]
        )
        frame[text_columns] = frame[text_columns].fillna("")
        return frame.astype({column: "float64" for column in ["score", *pair_columns]})


def assemble(
    documents: Sequence[Document],
    grouping: Grouping,
    params: AlignParams | None = None,
    progress: bool = False,
) -> Corpus:
    """Align each group N-way and stack the tables with the unmatched documents' sentences,
    each group where its first member came in the input.

    The pairwise alignments that ``link_documents`` made for the grouping are reused, so it
    must have been given the same ``documents`` and ``params``."""
    langs = _column_order(documents)
    position = {d.name: k for k, d in enumerate(documents)}
    tables = [(g.name, g.members, g.links) for g in grouping.groups]
    tables += [(d.name, [d], []) for d in grouping.unmatched]
    tables.sort(key=lambda table: position[table[1][0].name])
    parts = []
    for name, members, links in tables:
        # Column order follows the collection's, so that pair score keys match its columns.
        ordered = sorted(members, key=lambda d: langs.index(d.lang))
        versions = [d.version for d in ordered]
        column = {d.name: k for k, d in enumerate(ordered)}
        if len(versions) > 1:
            made = {
                (column[link.a], column[link.b]): link.pair
                for link in links
                if link.pair is not None and column[link.a] < column[link.b]
            }
            parts.append((name, align_versions(versions, params, progress=progress, pairs=made)))
        else:
            parts.append((name, _alone(versions[0])))
    return Corpus(langs, parts, grouping)


def _alone(version: Version) -> Alignment:
    """A document with no counterpart: a row per sentence, unscored (nothing is claimed)."""
    count = len(version.sentences)
    return Alignment([version], [((i,),) for i in range(count)], np.full(count, np.nan), {}, [[version.lang]])
