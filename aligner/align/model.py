"""The bead model: how likely a candidate bead is to be right, from the features the DP sees.

A logistic regression over ``aligner.align.dp.FEATURES``, fitted on the candidate beads of
Text+Berg dev (every bead type ending within a few cells of a gold bead; the gold beads are
the positives) with ``bench/alignment.py textberg-dev --fit-bead-model``, which also chooses
the offset added to every bead and the gain of an insertion or deletion on dev. The DP then
maximises the summed log-odds of the beads it takes. Its features are normalised within each
document (similarity against the document's unrelated pairs, lengths against the document's
mean and length ratio), so the same weights serve other language pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aligner.align.dp import FEATURES


@dataclass(frozen=True)
class BeadModel:
    weights: tuple[float, ...]
    """One coefficient per feature of ``FEATURES``, in that order."""
    intercept: float
    """The regression's intercept plus the offset chosen on dev."""
    null_gain: float
    """Gain of a deletion or insertion, on the scale of the beads' log-odds."""

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"a bead model needs {len(FEATURES)} weights, got {len(self.weights)}")

    def coefficients(self) -> np.ndarray:
        """The weights followed by the intercept, as the DP kernel takes them."""
        return np.array([*self.weights, self.intercept], dtype=np.float64)


BEAD_MODEL = BeadModel(
    weights=(0.812, 4.216, 8.136, -0.254, 1.161, -6.437, 0.021, 0.732, -16.721, -3.594),
    intercept=-3.726,
    null_gain=-4.0,
)
