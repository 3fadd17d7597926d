"""Prepare stage: texts in, embedded versions out.

Raw text is cleaned and split into sentences, a sequence of sentences is kept verbatim; either
way the sentences are checked, and every document's are embedded in one pass (each distinct
sentence once, through the cache). The API, the CLI and mining all prepare their inputs here.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from aligner.encode import DEFAULT_MODEL, Encoder, encode, load_encoder, open_cache
from aligner.encode.combined import CombinedEncoder
from aligner.errors import AlignerError
from aligner.languages import is_cjk, standard_code
from aligner.progress import Progress
from aligner.segment import check_sentences, identified_otherwise, split_sentences, warn_wordless
from aligner.table import Version

if TYPE_CHECKING:
    from aligner.encode.cache import VectorCache

Text = str | Sequence[str]
"""A document: raw text, or its sentences."""


def sentences_of(label: str, lang: str, text: Text, keep_urls: bool = True) -> list[str]:
    """The checked sentences of ``text`` in ``lang`` (a language tag); ``label`` names the
    document in errors."""
    if not isinstance(lang, str):
        raise AlignerError(f"the language of {label!r} is {type(lang).__name__}: give a code such as fr")
    # checked, not standardised: the caller's key names the column; und stays the caller's choice
    standard_code(lang, f"for {label!r}" if label != lang else "as a version's language", force=True)
    if isinstance(text, str):
        warn_wordless(label, text)
        sentences = split_sentences(text, lang, keep_urls=keep_urls)
    elif isinstance(text, bytes | bytearray) or not isinstance(text, Iterable):
        # bytes would iterate as numbers, None not at all: say what a version is
        raise AlignerError(
            f"{label!r} is {type(text).__name__}: give a version as text (str) or a list of sentences"
        )
    else:
        sentences = list(text)
    check_sentences(label, sentences)
    return sentences


def checked_versions(
    versions: Mapping[str, Text], keep_urls: bool = True, labels: Mapping[str, str] | None = None
) -> list[tuple[str, list[str]]]:
    """The sentences of each version, keyed by language, as ``align`` takes them: at least two
    versions with sentences; an empty one is kept, with a warning, as an empty column.
    ``labels`` name the versions in errors (default: their languages)."""
    if len(versions) < 2:
        raise AlignerError(f"need at least two versions to align, got {len(versions)}")
    check_columns(list(versions))
    labels = labels or {}
    sentences = {
        lang: sentences_of(labels.get(lang, lang), lang, value, keep_urls) for lang, value in versions.items()
    }
    empty = [lang for lang, lang_sentences in sentences.items() if not lang_sentences]
    named = {lang: repr(lang) if lang not in labels else f"{labels[lang]} ({lang})" for lang in empty}
    if len(sentences) - len(empty) < 2:
        raise AlignerError(f"nothing to align: no sentences in {' and '.join(named.values())}")
    for lang in empty:
        warnings.warn(f"no sentences in {named[lang]}: its column stays empty", stacklevel=3)
    for lang in _split_coarsely(sentences):
        count, label = len(sentences[lang]), labels.get(lang, lang)
        warnings.warn(
            f"{label}: {count} {'sentence' if count == 1 else 'sentences'} where the other versions have "
            f"{COARSENESS}x as many or more for as much text: its sentence ends may have been missed (text "
            "without punctuation, a script whose ends the splitter does not know); give it one sentence a "
            "line (--presplit)",
            stacklevel=3,
        )
    return list(sentences.items())


COARSENESS = 4
"""A version split into this many times fewer sentences than the median of the others, for as
much text, is worth a warning: its sentence ends were likely missed, and in one table of several
versions its long units would make every row as coarse."""

MIN_SENTENCES_TO_COMPARE = 8
"""Fewer sentences in the other versions (their median) tell nothing of how finely one is split."""

_SAME_TEXT = 0.4
"""A version counts as having as much text as the others where its length is at least this share
of their median (CJK characters counted three times, as a word of most other scripts is)."""


def _split_coarsely(sentences: Mapping[str, list[str]]) -> list[str]:
    """The versions that ``COARSENESS`` says were split too coarsely (an excerpt has fewer
    sentences, but also less text)."""

    def length(lang: str) -> int:
        return sum(map(len, sentences[lang])) * (3 if is_cjk(lang) else 1)

    coarse = []
    for lang, own in sentences.items():
        others = [other for other in sentences if other != lang and sentences[other]]
        if not own or not others:
            continue
        count = float(np.median([len(sentences[other]) for other in others]))
        text = float(np.median([length(other) for other in others]))
        fewer = count >= MIN_SENTENCES_TO_COMPARE and COARSENESS * len(own) <= count
        if fewer and length(lang) >= _SAME_TEXT * text:
            coarse.append(lang)
    return coarse


def check_one_version_per_language(langs: Sequence[str]) -> None:
    """A one-line error where two keys name one language (``fr`` and ``FR``, ``en`` and ``eng``),
    as ``--langs`` has it: a table's rows do not depend on the order of its versions only where
    their languages differ. A key that is no language tag is compared as it is."""
    import langcodes

    seen: dict[object, str] = {}
    for lang in langs:
        # a key that is no string is checked_versions' to refuse
        valid = isinstance(lang, str) and langcodes.tag_is_valid(lang)
        code = langcodes.standardize_tag(lang) if valid else lang
        if code in seen:
            raise AlignerError(
                f"versions {seen[code]!r} and {lang!r} are both {code!r}: key each version by its "
                "own language"
            )
        seen[code] = lang


def check_columns(langs: Sequence[object], reserved: Sequence[str] = ()) -> None:
    """A one-line error where two languages would name one column of the table (``fr`` and
    ``fr_ids``: the text of one and the sentence ids of the other), or one would name a column
    the table keeps for scores or for ``reserved`` (a corpus's ``doc``)."""
    named: dict[str, object] = {}
    for lang in dict.fromkeys(langs):  # a collection's language may recur: one column
        for column in (str(lang), f"{lang}_ids"):
            if column in ("score", *reserved) or column.startswith("score_"):
                clash = f"version {lang!r} would name the table's own column {column!r}"
            elif column in named:
                clash = f"versions {named[column]!r} and {lang!r} would both name the column {column!r}"
            else:
                named[column] = lang
                continue
            raise AlignerError(f"{clash}: key the versions by language codes (e.g. fr, fr-CA)")


def check_langs(
    labels: Sequence[str | Path],
    texts: Sequence[str | list[str]],
    langs: Sequence[str],
    where: str = "--langs",
    stacklevel: int = 2,
) -> None:
    """Warn where a given language code disagrees with what the text is clearly in; ``where``
    says where the code was given, ``stacklevel`` which caller the warning names (2: the one
    calling this)."""
    for label, text, lang in zip(labels, texts, langs, strict=True):
        joined = text if isinstance(text, str) else "\n".join(text)
        found = identified_otherwise(lang, joined) if joined.strip() else None
        if found:
            message = f"{label} is given as {lang!r} but reads as {found!r}: is {where} right?"
            warnings.warn(message, stacklevel=stacklevel)


def embed_versions(
    documents: Sequence[tuple[str, list[str]]],
    model: str | Encoder = DEFAULT_MODEL,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    device: str = "auto",
) -> tuple[list[Version], Encoder]:
    """Each ``(lang, sentences)`` as a ``Version``, all encoded in one pass, and the encoder.

    ``model`` is a name for ``load_encoder`` or an encoder object; the cache lives under
    ``cache_dir`` (default ``default_cache_dir()``) unless ``use_cache`` is off; ``device`` as in
    ``load_encoder``. Of a combined model, the members that do not cover every language of the
    documents drop out (``CombinedEncoder.covering``), and the encoder returned is what is left.
    """
    encoder = load_encoder(model, cache_dir, device) if isinstance(model, str) else model
    return embed_runs([documents], encoder, open_cache(cache_dir, use_cache), progress)[0]


def embed_runs(
    runs: Sequence[Sequence[tuple[str, list[str]]]],
    encoder: Encoder,
    cache: VectorCache | None = None,
    progress: Progress | None = None,
) -> list[tuple[list[Version], Encoder]]:
    """``embed_versions`` for several runs at once (the document sets of a batch): the sentences
    of all runs that use the same encoder are encoded in one pass, so that the backend sees large
    batches. Each run's vectors are exactly those it would get alone."""
    encoders = [
        encoder.covering({lang for lang, _ in documents}) if isinstance(encoder, CombinedEncoder) else encoder
        for documents in runs
    ]
    vectors: list[np.ndarray | None] = [None] * len(runs)
    for name in dict.fromkeys(run_encoder.name for run_encoder in encoders):
        members = [k for k, run_encoder in enumerate(encoders) if run_encoder.name == name]
        texts = [s for k in members for _, sentences in runs[k] for s in sentences]
        encoded = encode(texts, encoders[members[0]], cache, progress)
        ends = np.cumsum([sum(len(sentences) for _, sentences in runs[k]) for k in members])
        for k, run_vectors in zip(members, np.split(encoded, ends[:-1]), strict=True):
            vectors[k] = run_vectors
    out = []
    for documents, run_encoder, run_vectors in zip(runs, encoders, vectors, strict=True):
        ends = np.cumsum([len(sentences) for _, sentences in documents])
        versions = [
            Version(lang, sentences, document_vectors)
            for (lang, sentences), document_vectors in zip(
                documents, np.split(run_vectors, ends[:-1]), strict=True
            )
        ]
        out.append((versions, run_encoder))
    return out
