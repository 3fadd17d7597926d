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


def run_cli(args: list, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``aligner ARGS`` in this process: exit status, stdout, stderr."""
    from aligner.cli import main

    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def expect_one_line_error(
    args: list, message: str, directory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``aligner ARGS`` fails with one line that holds ``message`` and writes nothing into ``directory``."""
    code, _, err = run_cli(args, capsys)
    assert code == 1
    assert err.startswith("aligner: error: ") and message in err
    assert err.count("\n") == 1
    assert list(directory.iterdir()) == []
