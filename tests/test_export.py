import json

import numpy as np
import pandas as pd
import pytest
from lxml import etree

from aligner.errors import AlignerError
from aligner.evaluate import parse_alignment
from aligner.export import format_for, render, write
from aligner.multiway import Alignment, Version


@pytest.fixture
def alignment() -> Alignment:
    vectors = np.eye(4, dtype=np.float32)
    versions = [
        Version("fr", ['Il a dit "oui".', "Puis\tnon.", "Fin."], vectors[:3]),
        Version("ja", ["はい。", "いいえ。"], vectors[:2]),
    ]
    rows = [((0,), (0,)), ((1, 2), (1,))]
    return Alignment(versions, rows, np.array([0.9, 0.5]), {("fr", "ja"): np.array([0.9, 0.5])})


def test_tsv_round_trips_through_pandas(alignment, tmp_path):
    path = tmp_path / "out.tsv"
    alignment.to_tsv(path)
    frame = pd.read_csv(path, sep="\t", keep_default_na=False, dtype=str)
    assert list(frame.columns) == ["fr", "fr_ids", "ja", "ja_ids", "score", "score_fr_ja"]
    assert frame["fr"].tolist() == ['Il a dit "oui".', "Puis\tnon. Fin."]
    assert frame["fr_ids"].tolist() == ["0", "1,2"]
    assert frame["ja"].tolist() == ["はい。", "いいえ。"]


def test_jsonl(alignment):
    records = [json.loads(line) for line in render(alignment, "jsonl").splitlines()]
    assert records[1]["fr_ids"] == [1, 2] and records[1]["ja"] == "いいえ。"
    assert records[0]["score"] == 0.9


def test_tmx(alignment):
    root = etree.fromstring(render(alignment, "tmx").encode())
    assert root.get("version") == "1.4"
    units = root.findall("body/tu")
    assert len(units) == 2
    langs = [tuv.get("{http://www.w3.org/XML/1998/namespace}lang") for tuv in units[1].findall("tuv")]
    assert langs == ["fr", "ja"]
    assert units[1].find("tuv/seg").text == "Puis\tnon. Fin."


def test_vecalign_format(alignment):
    text = render(alignment, "align")
    assert text.splitlines()[1] == "[1, 2]:[1]:0.5000"
    assert parse_alignment(text) == [((0,), (0,)), ((1, 2), (1,))]


def test_suffixes_and_errors(alignment, tmp_path):
    assert format_for("a/b.JSONL") == "jsonl"
    with pytest.raises(AlignerError, match="unknown output suffix"):
        format_for("out.csv")
    with pytest.raises(AlignerError, match="does not exist"):
        write(alignment, tmp_path / "missing" / "out.tsv")
    assert not (tmp_path / "missing").exists()


def test_failed_write_leaves_old_file_and_no_temporary(alignment, tmp_path):
    path = tmp_path / "out.tsv"
    path.write_text("old")
    three_way = Alignment(alignment.versions * 2, [], np.array([]), {})
    with pytest.raises(AlignerError):
        write(three_way, tmp_path / "out.align")
    write(alignment, path)
    assert path.read_text().startswith("fr\tfr_ids")
    assert [p.name for p in tmp_path.iterdir()] == ["out.tsv"]
