"""Collection stage: embedded documents in, groups of versions of one text out, then one corpus.

Document alignment from sentence embeddings. Two documents are versions of one text when a
sentence alignment of the two finds clear counterparts for most of their sentences: their
parallelism (``aligner.merge.parallelism``). The mean of a document's sentence vectors
cannot tell: it is alike for every pair of the seeds, and highest for two different Chinese
articles. Documents are grouped by average linkage (``aligner.linkage``), most parallel pair
first, while the average parallelism between two groups reaches
``MergeSettings.min_parallelism``, and never into a group that already has a document of the
same language; a document that joins no group is left alone (unmatched) and keeps its
sentences in the corpus as a table of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations, count

import numpy as np

from aligner.fitted import DEFAULT_FITTED, load
from aligner.linkage import average_linkage
from aligner.merge import align_versions, lexical_pass, parallelism, pooled_lexicons, version_units
from aligner.pairwise import PairAlignment, align_units
from aligner.progress import Progress, report
from aligner.provenance import Provenance
from aligner.settings import Settings, resolve
from aligner.similarity import (
    BLOCK_ROWS,
    Baseline,
    best_matches,
    cosine_blocks,
    pair_baseline,
    unrelated_similarity,
)
from aligner.table import Alignment, Corpus, Version


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
    for a pair below ``CollectionSettings.candidate_share``, the quick estimate instead."""
    pair: PairAlignment | None = field(default=None, repr=False, compare=False)
    """That sentence alignment, ``a`` as source, kept so that a group is not aligned twice;
    None for a pair below the candidate share."""
    baseline: Baseline | None = field(default=None, repr=False, compare=False)
    """The two documents' similarity baselines, kept so that a group does not measure them
    again; None for a pair below the candidate share."""
    settings: Settings | None = field(default=None, repr=False, compare=False)
    """The settings ``pair`` and ``baseline`` were made with: a group reuses them only if its own
    are the same."""


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


def mutual_match_share(
    a: Version, b: Version, baseline: Baseline, clear_match: float, block: int = BLOCK_ROWS
) -> float:
    """Share of both versions' sentences that are each other's best match, and clearly so
    (similarity above unrelated over ``clear_match``): matrix products, no alignment, and in
    blocks of ``block`` rows, so that two books never hold their whole similarity matrix."""
    blocks = cosine_blocks(a.vectors, b.vectors, block)
    matches = best_matches(blocks, len(a.sentences), len(b.sentences))
    clear = baseline.above_unrelated(matches.row_score) > clear_match
    return 2.0 * int((matches.mutual() & clear).sum()) / (len(a.sentences) + len(b.sentences))


def link_documents(
    documents: Sequence[Document], settings: Settings | None = None, progress: Progress | None = None
) -> list[Link]:
    """The parallelism of every two documents; only likely pairs are aligned sentence by sentence.

    Each link's ``a`` is the document that ``assemble`` puts first in a table (the one whose
    language comes first in the collection, else the earlier one), so that its alignment is
    the one ``align_versions`` would make. ``progress`` hears of each pair.
    """
    settings = resolve(settings)[0]
    langs = _column_order(documents)
    pairs = list(combinations(documents, 2))
    links = []
    for done, (x, y) in enumerate(pairs):
        a, b = (y, x) if langs.index(y.lang) < langs.index(x.lang) else (x, y)
        report(progress, "grouping", done, len(pairs), f"{a.name} {b.name}")
        unrelated = Baseline(unrelated_similarity(a.version.vectors, b.version.vectors))
        share = mutual_match_share(a.version, b.version, unrelated, settings.merging.clear_match)
        pair = baseline = None
        if share >= settings.collection.candidate_share:
            pair = align_units(version_units(a.version), version_units(b.version), settings.alignment)
            share = parallelism(a.version, b.version, pair, settings.merging.clear_match)
            baseline = pair_baseline(a.version, b.version, settings.alignment)
        links.append(Link(a.name, b.name, share, pair, baseline, settings))
    report(progress, "grouping", len(pairs), len(pairs))
    return links


def _column_order(documents: Sequence[Document]) -> list[str]:
    """The collection's languages in order of first appearance: the corpus's columns."""
    return list(dict.fromkeys(d.lang for d in documents))


def group_documents(
    documents: Sequence[Document], links: Sequence[Link], min_parallelism: float | None = None
) -> Grouping:
    """Average-linkage grouping with a threshold (default: ``MergeSettings.min_parallelism``),
    and one document per language in a group.

    The language constraint decides between two documents of one language that both match a
    group: the closer pair meets first, and the other document can no longer join. So a second
    article that shares sentences with one member is never forced in beside it.
    """
    names = [d.name for d in documents]
    if len(set(names)) != len(names):
        raise ValueError("document names must be unique")
    if min_parallelism is None:
        min_parallelism = Settings().merging.min_parallelism
    index = {name: k for k, name in enumerate(names)}
    closeness = np.zeros((len(documents), len(documents)))
    for link in links:
        i, j = index[link.a], index[link.b]
        closeness[i, j] = closeness[j, i] = link.parallelism
    _, clusters = average_linkage(closeness, min_parallelism, [d.lang for d in documents], joined_last=False)
    pairs = {frozenset((link.a, link.b)): link for link in links}
    groups, unmatched = [], []
    taken = set(names)
    for members in (sorted(members) for members in clusters):
        group = [documents[m] for m in members]
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


def assemble(
    documents: Sequence[Document],
    grouping: Grouping,
    settings: Settings | None = None,
    progress: Progress | None = None,
    provenance: Provenance | None = None,
    dictionaries: Mapping[tuple[str, str], Sequence[tuple[str, str]]] | None = None,
) -> Corpus:
    """Align each group N-way and stack the tables with the unmatched documents' sentences,
    each group where its first member came in the input.

    The pairwise alignments and baselines that ``link_documents`` made for the grouping are
    reused where it was given the same settings; links made with others are set aside. Where
    the settings have a lexical pass, its lexicons are learned from those alignments, pooled
    over the whole collection (``aligner.merge.pooled_lexicons``), with ``dictionaries`` as in
    ``aligner.merge.align_versions``."""
    langs = _column_order(documents)
    position = {d.name: k for k, d in enumerate(documents)}
    tables = [(g.name, g.members, g.links) for g in grouping.groups]
    tables += [(d.name, [d], []) for d in grouping.unmatched]
    tables.sort(key=lambda table: position[table[1][0].name])
    settings = resolve(settings)[0]
    provenance = provenance or Provenance.of(settings, load(DEFAULT_FITTED))
    by_name = {d.name: d for d in documents}
    lexicons = None
    if lexical_pass(settings):
        first_passes = [
            ([by_name[link.a].version, by_name[link.b].version], {(0, 1): link.pair})
            for group in grouping.groups
            for link in group.links
            if link.pair is not None and link.settings == settings
        ]
        lexicons = pooled_lexicons(first_passes, settings, dictionaries)
    parts = []
    for name, members, links in tables:
        # Column order follows the collection's, so that pair score keys match its columns.
        ordered = sorted(members, key=lambda d: langs.index(d.lang))
        versions = [d.version for d in ordered]
        column = {d.name: k for k, d in enumerate(ordered)}
        if len(versions) > 1:
            kept = [link for link in links if column[link.a] < column[link.b] and link.settings == settings]
            table = align_versions(
                versions,
                settings,
                progress=progress,
                pairs={(column[k.a], column[k.b]): k.pair for k in kept if k.pair is not None},
                baselines={(column[k.a], column[k.b]): k.baseline for k in kept if k.baseline is not None},
                lexicons=lexicons,
                dictionaries=dictionaries,
                provenance=provenance,
            )
        else:
            table = _alone(versions[0], settings, provenance)
        parts.append((name, table))
    return Corpus(langs, parts, grouping, settings, provenance)


def _alone(version: Version, settings: Settings, provenance: Provenance) -> Alignment:
    """A document with no counterpart: a row per sentence, unscored (nothing is claimed)."""
    count = len(version.sentences)
    rows = [((i,),) for i in range(count)]
    scores = np.full(count, np.nan)
    return Alignment([version], rows, scores, {}, [[version.lang]], settings=settings, provenance=provenance)
