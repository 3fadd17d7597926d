"""Deprecated: the names that lived here for release 0.1, kept importable for one release.

The table types are now in ``aligner.table`` and the merging of versions in ``aligner.merge``.
"""

import warnings

from aligner.merge import align_versions
from aligner.table import Alignment, Row, Version

warnings.warn(
    "aligner.multiway is deprecated: import Version, Row and Alignment from aligner.table and "
    "align_versions from aligner.merge",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = ["Alignment", "Row", "Version", "align_versions"]
