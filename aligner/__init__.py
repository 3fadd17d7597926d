"""aligner: sentence-align versions of a document in many languages into one scored table.

>>> import aligner
>>> table = aligner.align({"id": indonesian_text, "fr": french_text})
>>> table.to_pandas()
"""

from __future__ import annotations

__version__ = "0.1.0"

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

from aligner.align import AlignParams
from aligner.collection import Corpus, Document, assemble, group_documents, link_documents
from aligner.encode import DEFAULT_MODEL, Encoder, embed_documents
from aligner.errors import AlignerError
from aligner.multiway import Alignment, Version, align_versions
from aligner.segment import MAX_SENTENCE_CHARS, MAX_SENTENCES, check_sentences, split_sentences

__all__ = [
    "DEFAULT_MODEL",
    "MAX_SENTENCES",
    "MAX_SENTENCE_CHARS",
    "AlignParams",
    "AlignerError",
    "Alignment",
    "Corpus",
    "Version",
    "__version__",
    "align",
    "align_collection",
]


def align(
    versions: Mapping[str, str | Sequence[str]],
    *,
    model: str | Encoder = DEFAULT_MODEL,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    params: AlignParams | None = None,
    progress: bool = False,
) -> Alignment:
    """Align versions of one document, keyed by language code, in column order.

    A value is either raw text, which is cleaned and split into sentences, or a sequence of
    sentences, kept verbatim. ``model`` is a name for ``load_encoder`` or an encoder object.
    """
    if len(versions) < 2:
        raise AlignerError(f"need at least two versions to align, got {len(versions)}")
    sentences = {
        lang: split_sentences(value, lang) if isinstance(value, str) else list(value)
        for lang, value in versions.items()
    }
    for lang, lang_sentences in sentences.items():
        check_sentences(lang, lang_sentences)
    empty = [lang for lang, lang_sentences in sentences.items() if not lang_sentences]
    if len(sentences) - len(empty) < 2:
        raise AlignerError(f"nothing to align: no sentences in {' and '.join(map(repr, empty))}")
    for lang in empty:
        warnings.warn(f"no sentences in {lang!r}: its column stays empty", stacklevel=2)
    vectors = embed_documents(list(sentences.values()), model, cache_dir, use_cache, progress)
    embedded = [
        Version(lang, lang_sentences, lang_vectors)
        for (lang, lang_sentences), lang_vectors in zip(sentences.items(), vectors, strict=True)
    ]
    return align_versions(embedded, params, progress=progress)


def align_collection(
    documents: Mapping[str, tuple[str, str | Sequence[str]]],
    *,
    model: str | Encoder = DEFAULT_MODEL,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    params: AlignParams | None = None,
    progress: bool = False,
) -> Corpus:
    """Find which documents are versions of one text, align each such group N-way, and stack
    the tables into one corpus (see ``aligner.collection``).

    ``documents`` maps a unique name to ``(language, text or sentences)``; a language may
    recur. Every sentence is embedded once, for grouping and aligning alike.
    """
    sentences = {
        name: (lang, split_sentences(value, lang) if isinstance(value, str) else list(value))
        for name, (lang, value) in documents.items()
    }
    for name, (_, doc_sentences) in sentences.items():
        check_sentences(name, doc_sentences)
    for name in [name for name, (_, doc_sentences) in sentences.items() if not doc_sentences]:
        warnings.warn(f"no sentences in {name!r}: left out of the corpus", stacklevel=2)
        del sentences[name]
    if len(sentences) < 2:
        raise AlignerError(f"a collection needs at least two documents with sentences, got {len(sentences)}")
    if len(langs := {lang for lang, _ in sentences.values()}) == 1:
        raise AlignerError(
            f"the documents are all in {langs.pop()!r}: versions of one text come in two or more languages"
        )
    vectors = embed_documents(
        [doc_sentences for _, doc_sentences in sentences.values()], model, cache_dir, use_cache, progress
    )
    embedded = [
        Document(name, Version(lang, doc_sentences, doc_vectors))
        for (name, (lang, doc_sentences)), doc_vectors in zip(sentences.items(), vectors, strict=True)
    ]
    links = link_documents(embedded, params, progress=progress)
    return assemble(embedded, group_documents(embedded, links), params, progress=progress)
