"""aligner: sentence-align versions of a document in many languages into one scored table.

>>> import aligner
>>> table = aligner.align({"id": indonesian_text, "fr": french_text})
>>> table.to_pandas()

The pipeline's stages are modules of their own: ``clean``, ``segment``, ``encode``,
``prepare``, ``pairwise``, ``merge`` (with ``moved`` and ``scoring``), ``collection``,
``mine``, then ``export``, ``report`` and ``view``; ``table`` holds the types that flow between
them and ``settings`` every tunable value. The names below load their stage when first used,
so that ``import aligner`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from aligner.version import __version__

if TYPE_CHECKING:
    from aligner.api import align, align_collection, mine_texts
    from aligner.encode import DEFAULT_MODEL
    from aligner.errors import AlignerError
    from aligner.export import read_tsv
    from aligner.segment import MAX_SENTENCE_CHARS, MAX_SENTENCES
    from aligner.settings import Settings
    from aligner.table import Alignment, Corpus, Version

_LAZY = {
    "align": "aligner.api",
    "align_collection": "aligner.api",
    "mine_texts": "aligner.api",
    "read_tsv": "aligner.export",
    "DEFAULT_MODEL": "aligner.encode",
    "AlignerError": "aligner.errors",
    "MAX_SENTENCES": "aligner.segment",
    "MAX_SENTENCE_CHARS": "aligner.segment",
    "Settings": "aligner.settings",
    "Alignment": "aligner.table",
    "Corpus": "aligner.table",
    "Version": "aligner.table",
}

__all__ = [
    "DEFAULT_MODEL",
    "MAX_SENTENCES",
    "MAX_SENTENCE_CHARS",
    "AlignerError",
    "Alignment",
    "Corpus",
    "Settings",
    "Version",
    "__version__",
    "align",
    "align_collection",
    "mine_texts",
    "read_tsv",
]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'aligner' has no attribute {name!r}")
