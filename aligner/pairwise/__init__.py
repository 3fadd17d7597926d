"""Pairwise alignment: two sequences of embedded units in, a scored chain of beads out.

A unit is a sentence, or a row of an already aligned group of languages (``aligner.merge``);
either way it is a vector and a length. Beads are 1-0, 0-1 and every m-n with m, n >= 1 and
m + n <= ``AlignmentSettings.max_bead``; merged units are scored from the weighted sum of their
sentence vectors, so no sentence is ever embedded twice. ``dp`` holds the compiled recurrence,
``gains`` what it values a bead with, ``search`` the banded search over long documents.
"""

from aligner.pairwise.gains import Units
from aligner.pairwise.search import PairAlignment, align_units

__all__ = ["PairAlignment", "Units", "align_units"]
