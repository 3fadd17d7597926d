"""The bead model: how likely a candidate bead is to be right, from the features the DP sees.

A logistic regression over ``aligner.align.dp.FEATURES``, fitted with
``bench/alignment.py textberg-dev --fit-bead-model`` on the candidate beads (every bead type
ending within a few cells of a gold bead; the gold beads are the positives) of Text+Berg dev
and of Tatoeba pseudo-documents with omissions, joins and insertions (the tuning half of each
set), each set weighing the same; the offset added to every bead and the gain of an insertion
or deletion are then chosen by the mean strict F1 of the two sets (of near-ties, the one that
leaves fewest units unaligned). The DP maximises the summed
log-odds of the beads it takes. The features are normalised within each document (similarity
against the document's unrelated pairs and typical match, lengths against the document's mean
and length ratio), so the same weights serve other language pairs.
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
    weights=(0.406, 4.416, 8.568, -0.049, 1.471, -6.863, 2.349, -17.284, -2.921),
    intercept=-2.569,
    null_gain=-4.0,
)
