"""The bead model: how likely a candidate bead is to be right, from the features the DP sees.

A logistic regression over ``aligner.align.dp.FEATURES``, fitted with
``bench/alignment.py textberg-dev --fit-bead-model`` on the candidate beads (every bead type
ending within a few cells of a gold bead; the gold beads are the positives) of Text+Berg dev
and of Tatoeba pseudo-documents with omissions, joins and insertions (the tuning half of each
set), each set weighing the same; the offset added to every bead, the gain of an insertion
or deletion and how far that gain falls in close translations (``document_null_gain``) are
then chosen by the mean strict F1 of the two sets (of near-ties, the one that leaves fewest
units unaligned). The DP maximises the summed
log-odds of the beads it takes. The features are normalised within each document (similarity
against the document's unrelated pairs and typical match, lengths against the document's mean
and length ratio), so the same weights serve other language pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aligner.align.dp import FEATURES


def _log_odds(share: float) -> float:
    # a share of 0 (no null bead in the first pass) lowers the gain as 0.5% would, no further
    share = min(max(share, 0.005), 0.995)
    return float(np.log(share / (1.0 - share)))


@dataclass(frozen=True)
class BeadModel:
    weights: tuple[float, ...]
    """One coefficient per feature of ``FEATURES``, in that order."""
    intercept: float
    """The regression's intercept plus the offset chosen on dev."""
    null_gain: float
    """Gain of a deletion or insertion, on the scale of the beads' log-odds, in a document whose
    first pass leaves ``reference_null_share`` or more of its beads unaligned."""
    reference_null_share: float = 0.15
    """The share of null beads in a first pass below which a document counts as a close
    translation, whose null gain is lowered."""
    null_slope: float = 0.0
    """How far the null gain falls with a document's own share of null beads below
    ``reference_null_share``: by this times the fall in the share's log-odds (1: one step of
    re-estimating the chance of a null bead from the first pass, as EM would; 0: a constant)."""

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"a bead model needs {len(FEATURES)} weights, got {len(self.weights)}")

    def document_null_gain(self, null_share: float) -> float:
        """The null gain for a document whose first pass left ``null_share`` of its beads null.

        A close translation (Text+Berg, the Bible: 1-12% null beads) gets a lower null gain
        than documents that omit and add text, where a fixed one would split its merges into a
        match and a skip. Only downwards: a high share does not raise the gain, because where
        one version summarises another the first pass's null beads are as likely a paraphrase
        it could not place (cheaper skips then let the summary take the article's matches).
        """
        fall = min(0.0, _log_odds(null_share) - _log_odds(self.reference_null_share))
        return self.null_gain + self.null_slope * fall

    def coefficients(self) -> np.ndarray:
        """The weights followed by the intercept, as the DP kernel takes them."""
        return np.array([*self.weights, self.intercept], dtype=np.float64)


BEAD_MODEL = BeadModel(
    weights=(0.406, 4.416, 8.568, -0.049, 1.471, -6.863, 2.349, -17.284, -2.921),
    intercept=-2.569,
    null_gain=-4.0,
    reference_null_share=0.15,
    null_slope=1.0,
)
