"""The table types that flow between the stages: versions in, an aligned table out.

``Version`` is one language version of a document with its sentence vectors; ``Alignment`` is
the N-way table of one document (rows in document order, a column per language); ``Corpus``
stacks the tables of a collection. This module imports no stage: the stages build these
objects, and the writers, reports and views read them. The few convenience methods that reach
a stage (``to_tsv``, the Jupyter view, plots, quality) import it when called.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from aligner.languages import joiner

if TYPE_CHECKING:
    import pandas as pd

    from aligner.collection import Grouping
    from aligner.provenance import Provenance
    from aligner.settings import Settings
    from aligner.similarity import Baseline

Row = tuple[tuple[int, ...], ...]
"""One aligned unit: for each language, in column order, the ids of its sentences (maybe none)."""

Bead = tuple[tuple[int, ...], tuple[int, ...]]
"""Two languages' part of a unit: the sentence ids of each (an insertion or deletion has none on
one side)."""


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

    def span(self, ids: tuple[int, ...]) -> np.ndarray:
        """The sum of the vectors of sentences ``ids`` (not normalised)."""
        return self.vectors[list(ids)].sum(axis=0)


def row_beads(ids_a: tuple[int, ...], ids_b: tuple[int, ...]) -> list[Bead]:
    """Two languages' sentences of one row: a bead, or a null bead per sentence."""
    if ids_a and ids_b:
        return [(ids_a, ids_b)]
    return [((i,), ()) for i in ids_a] + [((), (j,)) for j in ids_b]


class PairBeads(list):
    """Two languages' beads (a list of ``(ids_a, ids_b)``), with their texts at hand."""

    def __init__(self, beads: list[Bead], a: Version, b: Version) -> None:
        super().__init__(beads)
        self.a, self.b = a, b

    def to_pandas(self) -> pd.DataFrame:
        """One row per bead: ``L_ids`` and ``L`` (the text) for each language."""
        import pandas as pd

        return pd.DataFrame(
            {
                f"{self.a.lang}_ids": [",".join(map(str, x)) for x, _ in self],
                self.a.lang: [joiner(self.a.lang).join(self.a.sentences[i] for i in x) for x, _ in self],
                f"{self.b.lang}_ids": [",".join(map(str, y)) for _, y in self],
                self.b.lang: [joiner(self.b.lang).join(self.b.sentences[j] for j in y) for _, y in self],
            }
        )


@dataclass(repr=False)
class Alignment:
    """An N-way sentence alignment: rows in document order, a column per language."""

    versions: list[Version]
    rows: list[Row]
    scores: np.ndarray
    """Row score in [0, 1]: the calibrated chance that the row is right (``aligner.scoring``)."""
    pair_scores: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    """Per language pair, per row: similarity above unrelated where both are present, else NaN."""
    groups: list[list[str]] = field(default_factory=list)
    """Languages aligned with each other; versions in different groups were too far apart."""
    pair_beads: dict[tuple[str, str], list[Bead]] = field(default_factory=dict)
    """Per language pair (in column order), its alignment at its own resolution; see ``pair``."""
    baselines: dict[tuple[str, str], Baseline] = field(default_factory=dict)
    """Per language pair (in column order), the similarity baselines the scores are read against."""
    parallelism: dict[tuple[str, str], float] = field(default_factory=dict)
    """Per language pair (in column order), the share of both versions' sentences with a clear
    counterpart in their own alignment: near 1 for close translations, low for unrelated texts."""
    settings: Settings | None = None
    """The settings it was made with, fitted values included."""
    provenance: Provenance | None = None
    """How it was made: version, encoder, fitted values, settings, date."""

    def __repr__(self) -> str:
        # the default repr would print every sentence (Jupyter stores it beside the HTML table)
        counts = ", ".join(f"{v.lang} {len(v.sentences)}" for v in self.versions)
        groups = " | ".join(",".join(g) for g in self.groups)
        return f"Alignment({len(self.rows)} rows; {counts} sentences; groups {groups})"

    @property
    def langs(self) -> list[str]:
        return [v.lang for v in self.versions]

    @property
    def docs(self) -> None:
        """One document's rows carry no document name (a ``Corpus``'s do)."""
        return None

    def text(self, row: int, column: int) -> str:
        version = self.versions[column]
        return joiner(version.lang).join(version.sentences[i] for i in self.rows[row][column])

    def pair(self, lang_a: str, lang_b: str) -> PairBeads:
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
            beads = self.pair_beads[lang_a, lang_b]
        elif (lang_b, lang_a) in self.pair_beads:
            beads = [(tgt, src) for src, tgt in self.pair_beads[lang_b, lang_a]]
        else:
            beads = [bead for row in self.rows for bead in row_beads(row[a], row[b])]
        return PairBeads(beads, self.versions[a], self.versions[b])

    def subset(self, keep: list[int]) -> Alignment:
        """The table with only rows ``keep`` (for an export that leaves some out); the pairs'
        own alignments go, since they cover every sentence."""
        return replace(
            self,
            rows=[self.rows[r] for r in keep],
            scores=self.scores[keep],
            pair_scores={pair: values[keep] for pair, values in self.pair_scores.items()},
            pair_beads={},
        )

    def to_pandas(self) -> pd.DataFrame:
        """One row per aligned unit: ``L`` and ``L_ids`` per language, ``score``, ``score_L1_L2``."""
        import pandas as pd

        from aligner.export import SCORE_DECIMALS as places

        data: dict[str, list] = {}
        for column, lang in enumerate(self.langs):
            data[lang] = [self.text(r, column) for r in range(len(self.rows))]
            data[f"{lang}_ids"] = [",".join(map(str, row[column])) for row in self.rows]
        data["score"] = [round(float(s), places) for s in self.scores]
        for (a, b), values in self.pair_scores.items():
            data[f"score_{a}_{b}"] = [None if np.isnan(s) else round(float(s), places) for s in values]
        return pd.DataFrame(data)

    def to_tsv(self, path: str) -> None:
        """Write the table as TSV with its provenance beside it; see ``aligner.export.write``."""
        from aligner.export import write

        write(self, path, "tsv")

    def _repr_html_(self) -> str:
        """Jupyter's view: the first page of ``aligner.view.to_html``."""
        from aligner.view import to_html

        return to_html(self)

    def plot_path(self, lang_a: str, lang_b: str, ax=None):
        """Similarity heatmap of two languages with the alignment path, on matplotlib Axes ``ax``
        (a new figure if None), which it returns; see ``aligner.view.plot_path``."""
        from aligner.view import plot_path

        return plot_path(self, lang_a, lang_b, ax)

    def plot_scores(self, ax=None):
        """Similarity histogram per aligned language pair; see ``aligner.view.plot_scores``."""
        from aligner.view import plot_scores

        return plot_scores(self, ax)

    def plot_coverage(self, ax=None):
        """Aligned and unaligned sentences per language; see ``aligner.view.plot_coverage``."""
        from aligner.view import plot_coverage

        return plot_coverage(self, ax)

    def quality(self, **thresholds: float) -> pd.DataFrame:
        """Quality signals per unit and language pair; see ``aligner.report.quality``."""
        from aligner.report import quality

        return quality(self, **thresholds)

    def summary(self, **thresholds: float) -> dict:
        """Coverage, scores and flags per language and pair; see ``aligner.report.summary``."""
        from aligner.report import summary

        return summary(self, **thresholds)


@dataclass(repr=False)
class Corpus:
    """A collection aligned: the table of each group and of each unmatched document, stacked.

    It offers what the writers read from an ``Alignment`` (``langs``, ``rows``, ``scores``,
    ``text``, ``to_pandas``), with every language of the collection as a column, plus ``docs``,
    the group (or document) name of each row.
    """

    langs: list[str]
    parts: list[tuple[str, Alignment]]
    """(doc name, its alignment) in output order, each name once; an unmatched document's rows
    have no score."""
    grouping: Grouping
    settings: Settings | None = None
    provenance: Provenance | None = None
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

    def _repr_html_(self) -> str:
        """Jupyter's view: ``aligner.view.corpus_html``."""
        from aligner.view import corpus_html

        return corpus_html(self)

    def subset(self, keep: list[int]) -> Corpus:
        """The corpus with only rows ``keep`` (for an export that leaves some out)."""
        by_part: dict[str, list[int]] = {name: [] for name, _ in self.parts}
        for r in keep:
            _, row = self._origin[r]
            by_part[self.docs[r]].append(row)
        parts = [(name, alignment.subset(by_part[name])) for name, alignment in self.parts if by_part[name]]
        return Corpus(self.langs, parts, self.grouping, self.settings, self.provenance)

    def table(self, name: str) -> Alignment:
        """The alignment of the group or unmatched document ``name``."""
        for doc, alignment in self.parts:
            if doc == name:
                return alignment
        names = ", ".join(repr(doc) for doc, _ in self.parts)
        raise KeyError(f"{name!r}: no such group or document in this corpus (it has {names})")

    def text(self, row: int, column: int) -> str:
        alignment, r = self._origin[row]
        lang = self.langs[column]
        return alignment.text(r, alignment.langs.index(lang)) if lang in alignment.langs else ""

    def to_pandas(self) -> pd.DataFrame:
        """``doc``, then the columns of ``Alignment.to_pandas`` for every language and pair;
        empty where a document lacks the language."""
        import pandas as pd

        text_columns = [name for lang in self.langs for name in (lang, f"{lang}_ids")]
        pair_columns = [f"score_{a}_{b}" for a, b in combinations(self.langs, 2)]
        frames = [alignment.to_pandas().assign(doc=name) for name, alignment in self.parts]
        frame = pd.concat(frames, ignore_index=True).reindex(
            columns=["doc", *text_columns, "score", *pair_columns]
        )
        frame[text_columns] = frame[text_columns].fillna("")
        return frame.astype({column: "float64" for column in ["score", *pair_columns]})


@dataclass(repr=False)
class StoredCorpus:
    """A batch's dataset read back (``aligner.batch.stored_corpus``): the rows of every document
    set, with ``doc``, and what the writers read from a ``Corpus``. ``frame`` has the dataset's
    columns: ``doc``, then per language its text and ids (a list), ``score``, ``score_L1_L2``."""

    langs: list[str]
    frame: pd.DataFrame
    provenance: Provenance | None = None
    rows: list[Row] = field(init=False)
    scores: np.ndarray = field(init=False)
    docs: list[str] = field(init=False)
    texts: list[list[str]] = field(init=False)
    """Per language, the text of every row (the writers read it a cell at a time)."""

    def __post_init__(self) -> None:
        self.texts = [self.frame[lang].tolist() for lang in self.langs]
        id_columns = [self.frame[f"{lang}_ids"].tolist() for lang in self.langs]
        self.rows = [
            tuple(tuple(int(i) for i in ids) for ids in row) for row in zip(*id_columns, strict=True)
        ]
        self.scores = self.frame["score"].to_numpy(dtype=np.float64)
        self.docs = self.frame["doc"].tolist()

    def __repr__(self) -> str:
        sets = len(set(self.docs))
        return f"StoredCorpus({len(self.rows)} rows; {sets} sets; languages {', '.join(self.langs)})"

    def text(self, row: int, column: int) -> str:
        return self.texts[column][row]

    def subset(self, keep: list[int]) -> StoredCorpus:
        """The dataset with only rows ``keep`` (for an export that leaves some out)."""
        return StoredCorpus(self.langs, self.frame.iloc[keep].reset_index(drop=True), self.provenance)

    def to_pandas(self) -> pd.DataFrame:
        """The columns of ``Corpus.to_pandas``, as the TSV holds them: ids joined by commas,
        scores to four places."""
        from aligner.export import SCORE_DECIMALS

        frame = self.frame.copy()
        for lang in self.langs:
            frame[f"{lang}_ids"] = [",".join(map(str, ids)) for ids in frame[f"{lang}_ids"]]
        scores = [column for column in frame.columns if column == "score" or column.startswith("score_")]
        frame[scores] = frame[scores].astype("float64").round(SCORE_DECIMALS)
        return frame


Table = Alignment | Corpus | StoredCorpus
"""What the writers take: one alignment, or a collection's or a batch's (which add a ``doc`` per
row)."""
