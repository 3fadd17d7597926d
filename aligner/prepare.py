"""Prepare stage: texts in, embedded versions out.

Raw text is cleaned and split into sentences, a sequence of sentences is kept verbatim; either
way the sentences are checked, and every document's are embedded in one pass (each distinct
sentence once, through the cache). The API, the CLI and mining all prepare their inputs here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from aligner.encode import DEFAULT_MODEL, Encoder, encode, load_encoder, open_cache
from aligner.encode.combined import CombinedEncoder
from aligner.progress import Progress
from aligner.segment import check_sentences, split_sentences, warn_wordless
from aligner.table import Version

Text = str | Sequence[str]
"""A document: raw text, or its sentences."""


def sentences_of(label: str, lang: str, text: Text, keep_urls: bool = True) -> list[str]:
    """The checked sentences of ``text`` in ``lang``; ``label`` names the document in errors."""
    if isinstance(text, str):
        warn_wordless(label, text)
        sentences = split_sentences(text, lang, keep_urls=keep_urls)
    else:
        sentences = list(text)
    check_sentences(label, sentences)
    return sentences


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
    if isinstance(encoder, CombinedEncoder):
        encoder = encoder.covering({lang for lang, _ in documents})
    cache = open_cache(cache_dir, use_cache)
    vectors = encode([s for _, sentences in documents for s in sentences], encoder, cache, progress)
    ends = np.cumsum([len(sentences) for _, sentences in documents])
    return [
        Version(lang, sentences, document_vectors)
        for (lang, sentences), document_vectors in zip(documents, np.split(vectors, ends[:-1]), strict=True)
    ], encoder
