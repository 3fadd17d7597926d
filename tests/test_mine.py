"""``aligner mine``: the margin on constructed vectors, the CLI, and the shared facts of the seeds."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, ROOT, expect_one_line_error
from conftest import run_cli as run

from aligner.api import mine_texts
from aligner.errors import AlignerError
from aligner.fitted import load
from aligner.mine import _candidates, margin_scores, mine
from aligner.settings import MiningSettings
from aligner.table import Version

DEFAULT_K = MiningSettings.neighbours
DEFAULT_THRESHOLD = load().mining_threshold

ID = DATA / "seed000.id"
FR = DATA / "seed001.fr"
SEEDS = ROOT / "seeds"
GOLD = ROOT / "bench" / "gold" / "mining"
DIM = 128


def unit(rows) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float64)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def version(lang: str, vectors: np.ndarray) -> Version:
    return Version(lang, [f"{lang} sentence {i}" for i in range(len(vectors))], vectors.astype(np.float32))


# --- the margin ---------------------------------------------------------------------------


def all_margins(a: np.ndarray, b: np.ndarray, k: int, block: int = 1024) -> np.ndarray:
    return np.vstack([margins for _, margins in margin_scores(a, b, k, block)])


def test_margin_is_cosine_over_mean_neighbourhood_similarity():
    rng = np.random.default_rng(0)
    a, b = unit(rng.random(size=(5, 8))), unit(rng.random(size=(7, 8)))  # positive cosines, as e5 gives
    k = 3
    cos = a @ b.T
    expected = np.empty_like(cos)
    for i in range(len(a)):
        for j in range(len(b)):
            a_nn = np.sort(cos[i])[-k:].mean()
            b_nn = np.sort(cos[:, j])[-k:].mean()
            expected[i, j] = cos[i, j] / ((a_nn + b_nn) / 2)
    np.testing.assert_allclose(all_margins(a, b, k), expected, rtol=1e-6)


def test_k_beyond_the_document_uses_all_of_it():
    rng = np.random.default_rng(1)
    a, b = unit(rng.normal(size=(3, 4)) + 1.0), unit(rng.normal(size=(2, 4)) + 1.0)
    np.testing.assert_allclose(all_margins(a, b, k=50), all_margins(a, b, k=3))
    assert np.isfinite(all_margins(a, b, k=50)).all()


def test_a_hub_scores_below_a_specific_match_of_the_same_cosine():
    # x0 and x1 are each as close to y0 as 0.9; x1 is also close to everything else (a hub), so
    # its match stands out less.
    y = unit([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])
    specific = [0.9, 0.1, 0.1, np.sqrt(1 - 0.81 - 0.02)]
    hub = [0.9, 0.3, 0.3, np.sqrt(1 - 0.81 - 0.18)]
    margins = all_margins(unit([specific, hub]), y, k=2)
    assert np.isclose((unit([specific, hub]) @ y.T)[:, 0], 0.9).all()
    assert margins[0, 0] > margins[1, 0]


def test_margins_and_candidates_in_blocks_are_those_of_the_whole_matrix():
    rng = np.random.default_rng(8)
    a = unit(rng.random(size=(11, 6)))
    b = unit(rng.random(size=(9, 6)))
    # a tie for the best in column 0, across blocks of 3: argmax takes the first row
    a[1] = a[7] = b[0]
    whole = all_margins(a, b, k=3, block=len(a))
    assert len(list(margin_scores(a, b, k=3, block=3))) == 4
    assert whole[1, 0] == whole[7, 0] == whole[:, 0].max()
    np.testing.assert_allclose(all_margins(a, b, k=3, block=3), whole, rtol=1e-12)
    best = {(i, int(j)) for i, j in enumerate(whole.argmax(axis=1))}
    best |= {(int(i), j) for j, i in enumerate(whole.argmax(axis=0))}
    expected = sorted(sorted(best), key=lambda ij: -whole[ij])
    for block in (1, 3, len(a)):
        candidates = _candidates(a, b, k=3, block=block)
        assert [(c.a_id, c.b_id) for c in candidates] == expected
        np.testing.assert_allclose([c.score for c in candidates], [whole[ij] for ij in expected], rtol=1e-12)


# --- mining ----------------------------------------------------------------------------------


def shuffled_translation(seed: int, shared: int = 12, extra: int = 8):
    """B holds noisy copies of ``shared`` sentences of A, shuffled, among unrelated sentences.

    Like e5's, the vectors share a common direction, so unrelated sentences have cosines
    around 0.7 and a neighbourhood is a positive baseline."""
    rng = np.random.default_rng(seed)
    common = 1.5 * rng.normal(size=DIM)
    a = unit(common + rng.normal(size=(shared + extra, DIM)))
    order = rng.permutation(shared)
    copies = unit(a[order] + rng.normal(scale=0.05, size=(shared, DIM)))
    b = np.concatenate([copies, unit(common + rng.normal(size=(extra, DIM)))])
    permutation = rng.permutation(len(b))
    b = b[permutation]
    # B row r is a copy of A row order[p] when p = permutation[r] < shared
    truth = {int(order[p]): r for r, p in enumerate(permutation) if p < shared}
    return version("en", a), version("fr", b), truth


def test_finds_the_shuffled_translations_and_no_unrelated_pair():
    a, b, truth = shuffled_translation(seed=2)
    # unrelated random pairs reach margins of 1.04 here, the copies 1.12 and more
    mined = mine(a, b, threshold=1.08)
    found = {p.a_id: p.b_id for p in mined.pairs}
    assert found == truth
    assert [p.a_id for p in mined.pairs] == sorted(p.a_id for p in mined.pairs)


def test_each_sentence_is_used_once():
    # two A sentences whose best match is the same B sentence
    a = version("en", unit([[1, 0.05, 0], [1, 0.1, 0], [0, 0, 1]]))
    b = version("fr", unit([[1, 0, 0], [0, 1, 1]]))
    with pytest.warns(UserWarning, match="need more than"):
        mined = mine(a, b, threshold=-np.inf)
    b_ids = [p.b_id for p in mined.pairs]
    assert len(b_ids) == len(set(b_ids)) == 2
    assert (mined.pairs[0].a_id, mined.pairs[0].b_id) == (0, 0)  # the closer one wins


def test_a_higher_threshold_keeps_a_subset():
    a, b, _ = shuffled_translation(seed=3)
    everything = mine(a, b, threshold=-np.inf)
    scores = sorted(p.score for p in everything.pairs)
    middle = scores[len(scores) // 2]
    kept = mine(a, b, threshold=middle)
    assert {(p.a_id, p.b_id) for p in kept.pairs} == {
        (p.a_id, p.b_id) for p in everything.pairs if p.score >= middle
    }
    assert mine(a, b, threshold=scores[-1] + 1e-3).pairs == []


def test_an_empty_side_mines_nothing():
    a, _, _ = shuffled_translation(seed=4)
    assert mine(a, version("fr", np.zeros((0, DIM)))).pairs == []


def test_one_sentence_against_one_scores_exactly_1_and_is_not_mined():
    a, b, _ = shuffled_translation(seed=9)
    one_a, one_b = (
        Version("en", a.sentences[:1], a.vectors[:1]),
        Version("fr", b.sentences[:1], b.vectors[:1]),
    )
    with pytest.warns(UserWarning, match="the first document \\('en'\\) has 1 and the second document"):
        assert mine(one_a, one_b).pairs == []
    with pytest.warns(UserWarning):
        (everything,) = mine(one_a, one_b, threshold=-np.inf).pairs
    assert everything.score == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("size_a", "size_b", "short"),
    [
        (20, 4, "the second document ('fr') has 4"),
        (4, 20, "the first document ('en') has 4"),
        (5, 5, None),  # one sentence beyond the 4 neighbours is enough
    ],
)
def test_documents_of_k_sentences_or_fewer_are_warned_about(size_a, size_b, short):
    a, b, _ = shuffled_translation(seed=10)
    a = Version("en", a.sentences[:size_a], a.vectors[:size_a])
    b = Version("fr", b.sentences[:size_b], b.vectors[:size_b])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mine(a, b, k=DEFAULT_K)
    expected = (
        f"margin scores need more than 4 sentences (the nearest neighbours) in each document, but {short}"
    )
    assert [str(w.message) for w in caught] == (
        [f"{expected}: pairs may be missed or wrong"] if short else []
    )


def test_bad_parameters_are_errors():
    a, b, _ = shuffled_translation(seed=5)
    with pytest.raises(AlignerError, match="at least 1"):
        mine(a, b, k=0)
    with pytest.raises(AlignerError, match="not a number"):
        mine(a, b, threshold=float("nan"))


def test_columns_are_named_after_the_languages():
    a, b, _ = shuffled_translation(seed=6)
    assert list(mine(a, b).to_pandas().columns) == ["en", "en_ids", "fr", "fr_ids", "score"]
    same = mine(a, Version("en", b.sentences, b.vectors)).to_pandas()
    assert list(same.columns) == ["en_1", "en_1_ids", "en_2", "en_2_ids", "score"]


# --- the command line --------------------------------------------------------------------------


def comparable_presplit(tmp_path):
    """French: 8 of the 21 seed sentences, shuffled; Indonesian: 6 of those 8 and 10 others.

    Seeds 000 and 001 translate each other line by line, so the right pairs are known. The
    seed's two near-paraphrases (lines 0 and 4, 3 and 20) are never split across the files."""
    indonesian = ID.read_text(encoding="utf-8").splitlines()
    french = FR.read_text(encoding="utf-8").splitlines()
    shared = [2, 5, 11, 12, 15, 17]
    rng = np.random.default_rng(7)
    fr_lines = [int(i) for i in rng.permutation([*shared, 8, 10])]
    id_lines = [int(i) for i in rng.permutation([*shared, 0, 1, 6, 9, 13, 14, 16, 18, 19, 20])]
    fr, id_ = tmp_path / "a.fr", tmp_path / "b.id"
    fr.write_text("".join(french[i] + "\n" for i in fr_lines), encoding="utf-8")
    id_.write_text("".join(indonesian[i] + "\n" for i in id_lines), encoding="utf-8")
    return fr, id_, {(fr_lines.index(i), id_lines.index(i)) for i in shared}


def test_cli_mines_presplit_files_with_line_numbers_as_ids(tmp_path, capsys):
    fr, id_, shared = comparable_presplit(tmp_path)
    out = tmp_path / "mined.tsv"
    code, _, err = run(["mine", fr, id_, "--presplit", "--langs", "fr,id", "-o", out], capsys)
    assert code == 0, err
    assert "pairs with score >=" in err
    frame = pd.read_csv(out, sep="\t", keep_default_na=False, dtype=str)
    assert list(frame.columns) == ["fr", "fr_ids", "id", "id_ids", "score"]
    mined = {(int(a), int(b)) for a, b in zip(frame["fr_ids"], frame["id_ids"], strict=True)}
    assert mined == shared
    fr_lines = fr.read_text(encoding="utf-8").splitlines()
    assert all(fr_lines[int(i)] == text for i, text in zip(frame["fr_ids"], frame["fr"], strict=True))
    assert (frame["score"].astype(float) >= DEFAULT_THRESHOLD).all()


def test_cli_threshold_and_stdout(tmp_path, capsys):
    fr, id_, _ = comparable_presplit(tmp_path)
    default = tmp_path / "default.tsv"
    args = ["mine", fr, id_, "--presplit", "--langs", "fr,id", "-q"]
    code, _, _ = run([*args, "-o", default], capsys)
    assert code == 0
    code, out, err = run([*args, "--threshold", "-1"], capsys)
    assert code == 0 and err == ""
    everything = out.splitlines()
    assert everything[0] == "fr\tfr_ids\tid\tid_ids\tscore"
    # more pairs: the unrelated lines' best guesses too
    assert set(default.read_text(encoding="utf-8").splitlines()) < set(everything)


def test_cli_identifies_the_language_which_may_be_the_same_twice(tmp_path, capsys):
    fr, _, _ = comparable_presplit(tmp_path)
    code, out, err = run(["mine", fr, FR, "--presplit", "-q"], capsys)
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out), sep="\t", keep_default_na=False, dtype=str)
    assert list(frame.columns) == ["fr_1", "fr_1_ids", "fr_2", "fr_2_ids", "score"]
    assert (frame["fr_1"] == frame["fr_2"]).all() and len(frame) == 8  # copies of the same lines


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mine", ID, FR, "--presplit", "--langs", "id"], "--langs names 1 language for 2 input files"),
        (["mine", ID, FR, "--presplit", "--langs", "id,xx"], "unknown language code 'xx'"),
        (["mine", ID, "missing.txt", "--langs", "id,fr"], "missing.txt"),
        (["mine", ID, FR, "--presplit", "--langs", "id,fr", "--neighbours", "0"], "at least 1"),
        *(
            (["mine", ID, FR, "--presplit", "--langs", "id,fr", f"--threshold={value}"], message)
            for value, message in [
                ("nan", "--threshold must be a finite number, got nan"),
                ("inf", "--threshold must be a finite number, got inf"),
                ("-inf", "--threshold must be a finite number, got -inf"),
            ]
        ),
        (["mine", ID, FR, "--presplit", "--langs", "id,fr", "-o", "no/such/dir/o.tsv"], "no/such/dir"),
        # mine writes TSV only, whatever the suffix says
        (
            ["mine", ID, FR, "--presplit", "--langs", "id,fr", "-o", "o.jsonl"],
            "name the output file *.tsv, not o.jsonl",
        ),
        (["mine", ID, FR, "--presplit", "--langs", "id,fr", "-o", "o"], "name the output file *.tsv, not o"),
        # one file twice, however it is spelt, as `align` refuses it
        (["mine", FR, FR, "--presplit"], f"{FR} is given twice: mine compares two different documents"),
        (["mine", FR, FR.parent / ".." / FR.parent.name / FR.name, "--presplit"], "is given twice"),
    ],
)
def test_cli_bad_input_gets_one_line_and_no_output(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expect_one_line_error(args, message, tmp_path, capsys)


def test_cli_writes_a_tsv_file_whatever_the_case_of_its_suffix(tmp_path, capsys):
    fr, id_, _ = comparable_presplit(tmp_path)
    out = tmp_path / "mined.TSV"
    code, _, err = run(["mine", fr, id_, "--presplit", "--langs", "fr,id", "-q", "-o", out], capsys)
    assert code == 0, err
    assert out.read_text(encoding="utf-8").startswith("fr\tfr_ids\tid\tid_ids\tscore\n")


def test_cli_warns_in_one_line_when_a_document_is_too_short_for_the_margin(tmp_path, capsys):
    fr, id_ = tmp_path / "a.fr", tmp_path / "b.id"
    fr.write_text("".join(FR.read_text(encoding="utf-8").splitlines(keepends=True)[:3]), encoding="utf-8")
    id_.write_text(ID.read_text(encoding="utf-8"), encoding="utf-8")
    code, out, err = run(["mine", fr, id_, "--presplit", "--langs", "fr,id", "-q"], capsys)
    assert code == 0
    assert err == (
        "aligner: warning: margin scores need more than 4 sentences (the nearest neighbours) in each "
        "document, but the first document ('fr') has 3: pairs may be missed or wrong\n"
    )
    assert out.startswith("fr\tfr_ids\tid\tid_ids\tscore\n")


def test_cli_empty_file_is_an_error(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    out = tmp_path / "o.tsv"
    code, _, err = run(["mine", ID, empty, "--langs", "id,fr", "-o", out], capsys)
    assert code == 1 and f"nothing to mine: {empty} is empty" in err
    assert not out.exists()


# --- the seeds -------------------------------------------------------------------------------


def seed_text(number: str) -> str:
    return next(SEEDS.glob(f"{number}_*.txt")).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("a", "b", "langs", "facts_to_find"),
    [
        # the three facts the Chinese web page repeats from the Indonesian and French article
        ("002", "000", ("zh", "id"), {"chen", "sutskever", "keeps-working-with-openai"}),
        ("002", "001", ("zh", "fr"), {"chen", "sutskever", "keeps-working-with-openai"}),
        # near-identical sentences of the two Chinese articles
        ("002", "003", ("zh", "zh"), {"gpt3-gpt4", "citations", "the-end", "reprint-notice", "byline"}),
    ],
)
def test_seeds_shared_facts_are_found_with_few_wrong_pairs(a, b, langs, facts_to_find, encoder):
    gold = pd.read_csv(GOLD / f"{a}-{b}.tsv", sep="\t", dtype=str, keep_default_na=False)
    known = {(int(r.a_ids), int(r.b_ids)): r.fact for r in gold.itertuples()}
    mined = mine_texts((langs[0], seed_text(a)), (langs[1], seed_text(b)), model=encoder)
    pairs = [(p.a_id, p.b_id) for p in mined.pairs]
    found = {known[pair] for pair in pairs if pair in known}
    assert facts_to_find <= found
    wrong = [pair for pair in pairs if pair not in known]
    assert len(wrong) <= max(1, len(pairs) // 4), wrong


def test_seeds_of_different_articles_share_little(encoder):
    # 003 (Altman praises Radford) and 000 (Radford leaves) share one fact; at most a few pairs
    mined = mine_texts(("zh", seed_text("003")), ("id", seed_text("000")), model=encoder)
    assert len(mined.pairs) <= 3


def test_more_neighbours_than_sentences_is_an_error(tmp_path, capsys):
    expect_one_line_error(
        ["mine", ID, FR, "--presplit", "--langs", "id,fr", "--neighbours", "1000", "-o", tmp_path / "m.tsv"],
        "1000 nearest neighbours asked for, but the first document ('id') has 21 sentences",
        tmp_path,
        capsys,
    )


def test_report_thresholds_must_be_numbers(tmp_path, capsys):
    expect_one_line_error(
        ["report", ID, FR, "--presplit", "--langs", "id,fr", "--min-score", "nan"],
        "--min-score must be a finite number, got nan",
        tmp_path,
        capsys,
    )
