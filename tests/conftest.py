import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"

# One cache for the whole run (and reruns): the default model is exported and sentences are
# embedded once. Tests that exercise the cache itself use their own directories.
os.environ.setdefault("ALIGNER_CACHE_DIR", str(ROOT / ".cache" / "tests"))


@pytest.fixture(scope="session")
def encoder():
    from aligner.encode import load_encoder

    return load_encoder()
