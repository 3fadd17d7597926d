"""The Python API: texts in, a table out, every stage run in order (``mine_texts``, the
same for mining, lives with its stage in ``aligner.mine``).

Each function prepares its inputs (``aligner.prepare``), takes the settings fitted for the
encoder that embedded them, runs its stage and records the result's provenance. The CLI is a
thin layer over these functions.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

from aligner.collection import Document, assemble, group_documents, link_documents
from aligner.encode import DEFAULT_MODEL, Encoder
from aligner.errors import AlignerError
from aligner.merge import align_versions
from aligner.mine import mine_texts
from aligner.prepare import (
    Text,
    check_columns,
    check_langs,
    check_one_version_per_language,
    checked_versions,
    embed_versions,
    sentences_of,
)
from aligner.progress import Progress, callback
from aligner.provenance import settled
from aligner.settings import Settings
from aligner.table import Alignment, Corpus

__all__ = ["align", "align_collection", "mine_texts"]


def align(
    versions: Mapping[str, Text],
    *,
    model: str | Encoder = DEFAULT_MODEL,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    settings: Settings | None = None,
    keep_urls: bool = True,
    device: str = "auto",
    progress: bool | Progress = False,
    dictionaries: Mapping[tuple[str, str], Sequence[tuple[str, str]]] | None = None,
    check_languages: bool = True,
) -> Alignment:
    """Align versions of one document, keyed by language code, in column order.

    A value is either raw text, which is cleaned and split into sentences (lines that are only
    a URL dropped unless ``keep_urls``), or a sequence of sentences, kept verbatim. ``model``
    is a name for ``load_encoder`` or an encoder object. ``progress`` is True for bars on
    stderr, or a callback that hears each ``aligner.progress.Step``. ``dictionaries`` maps a
    language pair to (source, target) entries of a bilingual dictionary
    (``aligner.lexical.read_dictionary``), which the lexical pass learns from too. With
    ``check_languages``, a key that disagrees with the language its text is clearly in is
    warned about (two keys swapped would otherwise name each other's columns).
    """
    check_one_version_per_language(list(versions))
    documents = checked_versions(versions, keep_urls)
    if check_languages:
        keys = [lang for lang, _ in documents]
        texts = [sentences for _, sentences in documents]
        check_langs(["a version"] * len(keys), texts, keys, "its key", stacklevel=3)
    with callback(progress) as report:
        embedded, encoder = embed_versions(documents, model, cache_dir, use_cache, report, device)
        settings, provenance = settled(settings, encoder)
        return align_versions(
            embedded, settings, progress=report, dictionaries=dictionaries, provenance=provenance
        )


def align_collection(
    documents: Mapping[str, tuple[str, Text]],
    *,
    model: str | Encoder = DEFAULT_MODEL,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    settings: Settings | None = None,
    keep_urls: bool = True,
    device: str = "auto",
    progress: bool | Progress = False,
    dictionaries: Mapping[tuple[str, str], Sequence[tuple[str, str]]] | None = None,
    check_languages: bool = True,
) -> Corpus:
    """Find which documents are versions of one text, align each such group N-way, and stack
    the tables into one corpus (see ``aligner.collection``).

    ``documents`` maps a unique name to ``(language, text or sentences)``; a language may
    recur. Every sentence is embedded once, for grouping and aligning alike. ``dictionaries``
    and ``check_languages`` (a language that disagrees with the one its document is clearly in
    is warned about, by the document's name) as in ``align``.
    """
    check_columns([lang for lang, _ in documents.values()], reserved=("doc",))
    sentences = {
        name: (lang, sentences_of(name, lang, value, keep_urls)) for name, (lang, value) in documents.items()
    }
    if check_languages:
        named = [(name, lang, doc) for name, (lang, doc) in sentences.items() if doc]
        check_langs(
            [repr(name) for name, _, _ in named],
            [doc for _, _, doc in named],
            [lang for _, lang, _ in named],
            "its language",
            stacklevel=3,
        )
    for name in [name for name, (_, doc_sentences) in sentences.items() if not doc_sentences]:
        warnings.warn(f"no sentences in {name!r}: left out of the corpus", stacklevel=2)
        del sentences[name]
    if len(sentences) < 2:
        raise AlignerError(f"a collection needs at least two documents with sentences, got {len(sentences)}")
    if len(langs := {lang for lang, _ in sentences.values()}) == 1:
        raise AlignerError(
            f"the documents are all in {langs.pop()!r}: versions of one text come in two or more languages"
        )
    with callback(progress) as report:
        documents = list(sentences.values())
        versions, encoder = embed_versions(documents, model, cache_dir, use_cache, report, device)
        settings, provenance = settled(settings, encoder)
        embedded = [Document(name, version) for name, version in zip(sentences, versions, strict=True)]
        links = link_documents(embedded, settings, progress=report)
        grouping = group_documents(embedded, links, settings.merging.min_parallelism)
        return assemble(
            embedded, grouping, settings, progress=report, provenance=provenance, dictionaries=dictionaries
        )
