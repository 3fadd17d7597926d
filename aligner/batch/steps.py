"""What a batch does to one document set, stage by stage, as ``aligner align`` does it: read
and split, embed (many sets at once), align, and lay out the rows as the dataset's columns.

Each step returns a ``Failed`` instead of raising for a set whose input is bad, so that one bad
set is recorded and never stops the run. These are plain functions; ``aligner.batch.run``
schedules them on Ray.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from aligner.batch.sets import DocumentSet, fingerprint
from aligner.batch.store import Done
from aligner.errors import AlignerError

if TYPE_CHECKING:
    import pandas as pd

    from aligner.encode import Encoder
    from aligner.encode.cache import VectorCache
    from aligner.provenance import Provenance
    from aligner.settings import Settings
    from aligner.table import Alignment, Version


@dataclass(frozen=True)
class Reading:
    """How the files are read, as ``align``'s options say: ``--presplit``, ``--encoding``,
    ``--drop-urls``."""

    presplit: bool = False
    encoding: str | None = None
    keep_urls: bool = True


@dataclass(frozen=True)
class Failed:
    doc: str
    index: int
    error: str
    """One line, as ``aligner align`` would print it for this set."""


@dataclass(frozen=True)
class Prepared:
    doc: str
    index: int
    documents: list[tuple[str, list[str]]]
    """Each language's sentences, in the set list's column order."""
    inputs: str
    """The files' ``fingerprint`` before they were read."""
    warnings: tuple[str, ...] = ()
    """What ``aligner align`` would warn of for the set, so far."""

    @property
    def sentences(self) -> int:
        return sum(len(sentences) for _, sentences in self.documents)


@dataclass(frozen=True)
class Embedded:
    doc: str
    index: int
    versions: list[Version]
    settings: Settings
    provenance: Provenance
    inputs: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Aligned:
    done: Done
    frame: pd.DataFrame
    warnings: tuple[str, ...] = ()


def one_line(err: BaseException) -> str:
    """An error as one line: an ``AlignerError``'s message, else its type and message."""
    text = str(err) if isinstance(err, AlignerError) else f"{type(err).__name__}: {err}"
    return " ".join(text.split())


def prepare(document_set: DocumentSet, reading: Reading) -> Prepared | Failed:
    """Read and split each file of the set, keeping what it warns of (an empty file)."""
    from aligner.clean import read_version
    from aligner.prepare import check_langs, checked_versions

    # taken before reading: a file changed while it is read has a later fingerprint than this
    inputs = fingerprint(document_set)
    try:
        if len(document_set.files) < 2:
            count = len(document_set.files)
            listed = "no language file" if count == 0 else "only 1 language listed"
            raise AlignerError(f"{listed}; a set needs two or more")
        texts = {
            lang: read_version(path, reading.presplit, reading.encoding, lang)
            for lang, path in document_set.files
        }
        labels = {lang: str(path) for lang, path in document_set.files}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_langs(list(labels.values()), list(texts.values()), list(texts), "its set list column")
            documents = checked_versions(texts, reading.keep_urls, labels)
    except Exception as err:  # any input that breaks a set is that set's error, never the run's
        return Failed(document_set.doc, document_set.index, one_line(err))
    # no fingerprint only where a file appeared between the stat and the read: such a set is
    # never taken for changed
    return Prepared(document_set.doc, document_set.index, documents, inputs or "", _messages(caught))


def _messages(caught: list[warnings.WarningMessage]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(" ".join(str(w.message).split()) for w in caught))


def embed(
    prepared: Sequence[Prepared | Failed],
    encoder: Encoder,
    cache: VectorCache | None,
    settings: Settings | None,
) -> list[Embedded | Failed]:
    """Embed the sets in one pass per encoder (``aligner.prepare.embed_runs``), each with the
    settings and provenance its encoder gives it; a failed set passes through."""
    from aligner.prepare import embed_runs
    from aligner.provenance import settled

    ready = [p for p in prepared if isinstance(p, Prepared)]
    try:
        runs = embed_runs([p.documents for p in ready], encoder, cache)
    except Exception as err:  # the model failed on these sets: each is recorded, the run goes on
        return [p if isinstance(p, Failed) else Failed(p.doc, p.index, one_line(err)) for p in prepared]
    embedded = {}
    for p, (versions, run_encoder) in zip(ready, runs, strict=True):
        set_settings, provenance = settled(settings, run_encoder)
        embedded[p.doc] = Embedded(
            p.doc, p.index, versions, set_settings, provenance, p.inputs, p.warnings
        )
    return [p if isinstance(p, Failed) else embedded[p.doc] for p in prepared]


def align(
    embedded: Embedded | Failed,
    langs: list[str],
    dictionaries: Mapping[tuple[str, str], Sequence[tuple[str, str]]] | None = None,
) -> Aligned | Failed:
    """Align one set N-way and lay its rows out as the dataset's columns for ``langs``."""
    from aligner.merge import align_versions

    if isinstance(embedded, Failed):
        return embedded
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            alignment = align_versions(
                embedded.versions,
                embedded.settings,
                dictionaries=dictionaries,
                provenance=embedded.provenance,
            )
    except Exception as err:  # as in prepare
        return Failed(embedded.doc, embedded.index, one_line(err))
    sentences = sum(len(version.sentences) for version in embedded.versions)
    signature = str(embedded.provenance)
    done = Done(embedded.doc, embedded.index, len(alignment.rows), sentences, signature, embedded.inputs)
    return Aligned(done, rows_of(embedded.doc, alignment, langs), embedded.warnings + _messages(caught))


def rows_of(doc: str, alignment: Alignment, langs: list[str]) -> pd.DataFrame:
    """The dataset's columns (``aligner.batch.store.schema``) for one set's table: a language the
    set lacks is empty text with no ids; a pair score is None where a row lacks either side."""
    import pandas as pd

    count = len(alignment.rows)
    data: dict[str, list] = {"doc": [doc] * count}
    for lang in langs:
        if lang in alignment.langs:
            column = alignment.langs.index(lang)
            data[lang] = [alignment.text(r, column) for r in range(count)]
            data[f"{lang}_ids"] = [list(row[column]) for row in alignment.rows]
        else:
            data[lang], data[f"{lang}_ids"] = [""] * count, [[] for _ in range(count)]
    data["score"] = [float(s) for s in alignment.scores]
    for a, b in combinations(langs, 2):
        values = alignment.pair_scores.get((a, b))
        data[f"score_{a}_{b}"] = (
            [None] * count if values is None else [None if np.isnan(s) else float(s) for s in values]
        )
    return pd.DataFrame(data)
