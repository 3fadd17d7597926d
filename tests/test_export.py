import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, ROOT
from lxml import etree

from aligner.cli import main
from aligner.errors import AlignerError
from aligner.evaluate import parse_alignment
from aligner.export import UNKNOWN, format_for, render, to_moses, write, write_moses
from aligner.table import Alignment, Version

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TMX_DTD = DATA / "tmx14.dtd"  # the official TMX 1.4b DTD; provenance in tmx14.dtd.NOTICE.md


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
    provenance, *records = [json.loads(line) for line in render(alignment, "jsonl").splitlines()]
    assert provenance == {"provenance": UNKNOWN.to_json()}
    assert records[1]["fr_ids"] == [1, 2] and records[1]["ja"] == "いいえ。"
    assert records[0]["score"] == 0.9


def test_tmx(alignment):
    root = etree.fromstring(render(alignment, "tmx").encode())
    assert root.get("version") == "1.4"
    units = root.findall("body/tu")
    assert len(units) == 2
    langs = [tuv.get(XML_LANG) for tuv in units[1].findall("tuv")]
    assert langs == ["fr", "ja"]
    assert units[1].find("tuv/seg").text == "Puis\tnon. Fin."


def assert_valid_tmx(text: str, directory) -> etree._Element:
    """Valid against the TMX 1.4 DTD, both as given to lxml and as the file's own DOCTYPE names it
    (the DTD beside the file, as a CAT tool that validates would find it)."""
    root = etree.fromstring(text.encode("utf-8"))
    dtd = etree.DTD(str(TMX_DTD))
    assert dtd.validate(root), dtd.error_log.filter_from_errors()
    shutil.copy(TMX_DTD, directory / "tmx14.dtd")
    path = directory / "out.tmx"
    path.write_text(text, encoding="utf-8")
    # resolve_entities=True: lxml's default ("internal") also leaves the DTD's own parameter
    # entity (%segtypes;) undefined when the DTD is loaded as an external subset.
    parser = etree.XMLParser(dtd_validation=True, resolve_entities=True, no_network=True)
    tree = etree.parse(str(path), parser)  # raises XMLSyntaxError when invalid
    assert tree.docinfo.doctype == '<!DOCTYPE tmx SYSTEM "tmx14.dtd">'
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return root


def units_by_lang(root: etree._Element) -> list[dict[str, str]]:
    return [{tuv.get(XML_LANG): tuv.findtext("seg") for tuv in tu.findall("tuv")} for tu in root.iter("tu")]


def test_tmx_is_valid_with_escapes_and_gaps_on_both_sides(tmp_path):
    vectors = np.eye(6, dtype=np.float32)
    tricky = "A & B < C > D \"quoted\" 'single' ]]> <b>not a tag</b> \x01 \U0001f600"
    versions = [
        Version("fr", [tricky, "Seule.", "Fin."], vectors[:3]),
        Version("ja", ["「はい」。", "日本語だけ。", "終わり。"], vectors[:3]),
    ]
    rows = [((0,), (0,)), ((1,), ()), ((), (1,)), ((2,), (2,))]
    gapped = Alignment(versions, rows, np.array([0.9, 0.2, 0.3, 0.8]), {})
    with pytest.warns(UserWarning, match=r"1 sentence holds control characters .* \(the first: row 1, fr\)"):
        root = assert_valid_tmx(render(gapped, "tmx"), tmp_path)
    assert units_by_lang(root) == [
        {"fr": tricky.replace("\x01", "\ufffd"), "ja": "「はい」。"},
        {"fr": "Seule."},
        {"ja": "日本語だけ。"},
        {"fr": "Fin.", "ja": "終わり。"},
    ]
    header = root.find("header")
    assert header.get("srclang") == "fr" and header.get("segtype") == "sentence"
    # the unit without the header's source language names its own
    assert [tu.get("srclang") for tu in root.iter("tu")] == [None, None, "ja", None]
    assert [tu.get("tuid") for tu in root.iter("tu")] == ["1", "2", "3", "4"]
    assert [tu.findtext("prop[@type='x-score']") for tu in root.iter("tu")][1] == "0.2000"


def test_four_language_tmx_is_valid_and_uses_standard_codes(tmp_path):
    vectors = np.eye(4, dtype=np.float32)
    versions = [
        Version("id", ["Satu.", "Dua."], vectors[:2]),
        Version("fra", ["Un.", "Deux."], vectors[:2]),
        Version("zh_Hans", ["一。", "二。"], vectors[:2]),
        Version("ja", ["一つ。"], vectors[:1]),
    ]
    rows = [((0,), (0,), (0,), (0,)), ((1,), (1,), (), ()), ((), (), (1,), ())]
    four = Alignment(versions, rows, np.array([0.9, 0.8, 0.1]), {})
    root = assert_valid_tmx(render(four, "tmx"), tmp_path)
    assert units_by_lang(root) == [
        {"id": "Satu.", "fr": "Un.", "zh-Hans": "一。", "ja": "一つ。"},
        {"id": "Dua.", "fr": "Deux."},
        {"zh-Hans": "二。"},
    ]
    assert [tu.get("srclang") for tu in root.iter("tu")] == [None, None, "zh-Hans"]


def test_tmx_needs_distinct_language_codes():
    vectors = np.eye(2, dtype=np.float32)
    for labels, message in (
        (["fr", "french"], "'french' is not one"),
        (["fr", "fra"], "'fr' is given twice"),
    ):
        versions = [Version(lang, ["Un."], vectors[:1]) for lang in labels]
        with pytest.raises(AlignerError, match=message):
            render(Alignment(versions, [((0,), (0,))], np.array([0.9]), {}), "tmx")


def test_tmx_dtd_rejects_a_header_without_required_attributes(alignment):
    """The vendored DTD does check: without o-tmf our output would be invalid."""
    root = etree.fromstring(render(alignment, "tmx").encode("utf-8"))
    del root.find("header").attrib["o-tmf"]
    assert not etree.DTD(str(TMX_DTD)).validate(root)


def test_seed_translations_to_tmx_are_valid(tmp_path, capsys):
    """The four seeds (Indonesian, French, Chinese, Japanese) through the CLI: a valid TMX with
    every sentence in it, two groups whose units never mix."""
    seeds = ROOT / "seeds"
    names = ["000_af736beb5cc60a9b", "001_8a577d695bc7522b", "003_35f4e80f8e795006", "004_1498df30161089c1"]
    out = tmp_path / "seeds.tmx"
    code = main(
        ["align", *(str(seeds / f"{n}.txt") for n in names), "--langs", "id,fr,zh,ja", "-q", "-o", str(out)]
    )
    assert code == 0, capsys.readouterr().err
    root = assert_valid_tmx(out.read_text(encoding="utf-8"), tmp_path)
    units = units_by_lang(root)
    assert all(not ({"id", "fr"} & unit.keys() and {"zh", "ja"} & unit.keys()) for unit in units)
    assert sum(unit.keys() == {"zh", "ja"} for unit in units) >= 30
    assert any("怜星夜思" in unit.get("zh", "") and "ja" not in unit for unit in units)


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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv", "out.tsv.meta.json"]


def test_moses_files_are_written_all_or_none(alignment, tmp_path):
    (tmp_path / "out.ja").mkdir()  # the second file cannot be written
    with pytest.raises(AlignerError, match=r"out\.ja"):
        write_moses(alignment, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ja"]
    (tmp_path / "out.ja").rmdir()
    write_moses(alignment, tmp_path / "out")
    lines = {lang: (tmp_path / f"out.{lang}").read_text().splitlines() for lang in ("fr", "ja")}
    assert lines == {"fr": ['Il a dit "oui".', "Puis non. Fin."], "ja": ["はい。", "いいえ。"]}


def test_a_failed_rename_leaves_no_temporary_file(alignment, tmp_path, monkeypatch):
    import aligner.export

    renames = []

    def failing_replace(source, target):
        if renames:
            raise PermissionError(13, "Permission denied")
        renames.append(target)
        os.rename(source, target)

    monkeypatch.setattr(aligner.export.os, "replace", failing_replace)
    with pytest.raises(AlignerError, match="cannot write"):
        write_moses(alignment, tmp_path / "out")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_moses_lines_keep_no_break_spaces_and_lose_every_line_break():
    vectors = np.eye(2, dtype=np.float32)
    versions = [
        Version("fr", ["Quoi\u202f?\u00a0Oui.", "Un\u2028deux\r trois\x85quatre \t fin."], vectors),
        Version("en", ["What? Yes.", "One two three four end."], vectors),
    ]
    scores = np.array([0.9, 0.8])
    table = Alignment(versions, [((0,), (0,)), ((1,), (1,))], scores, {("fr", "en"): scores})
    lines = to_moses(table)["fr"]
    assert lines == "Quoi\u202f?\u00a0Oui.\nUn deux trois quatre fin.\n"
    assert len(lines.splitlines()) == 2
