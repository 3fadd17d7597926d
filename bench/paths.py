"""Where the benchmarks find their data and put their outputs, however the clone is named.

The data are ``../shared/bench`` beside the repository, or wherever ``$ALIGNER_BENCH_DATA``
points; outputs go to ``outputs/bench`` inside the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(os.environ.get("ALIGNER_BENCH_DATA") or ROOT.parent / "shared" / "bench")
OUTPUTS = ROOT / "outputs" / "bench"
