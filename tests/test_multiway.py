import dataclasses
import itertools
import re

import numpy as np
import pytest
from conftest import SHARED

from aligner import merge
from aligner.encode import encode
from aligner.evaluate import read_alignment
from aligner.lexical import lexical_vectors_by_language
from aligner.merge import align_versions
from aligner.pairwise import Units, align_units
from aligner.progress import callback
from aligner.settings import resolve
from aligner.table import Version


def unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def versions_of(content: np.ndarray, drops: dict[str, set[int]], seed: int = 0) -> list[Version]:
    """Noisy copies of ``content`` (one row per sentence), each dropping some sentences."""
    rng = np.random.default_rng(seed)
    out = []
    for lang, dropped in drops.items():
        keep = [i for i in range(len(content)) if i not in dropped]
        vectors = unit(content[keep] + 0.3 * rng.normal(size=(len(keep), content.shape[1])) / 8)
        out.append(Version(lang, [f"{lang}-{i}" for i in keep], vectors))
    return out


def test_rows_are_consistent_across_all_languages():
    content = unit(np.random.default_rng(1).normal(size=(20, 64)))
    versions = versions_of(content, {"id": set(), "fr": {4}, "zh": {10, 11}, "ja": {4, 15}})
    alignment = align_versions(versions)
    assert alignment.groups == [["id", "fr", "zh", "ja"]]
    for row in alignment.rows:
        originals = {int(versions[c].sentences[i].split("-")[1]) for c, ids in enumerate(row) for i in ids}
        assert len(originals) == 1  # every sentence in a row renders the same source sentence
    for c, version in enumerate(versions):
        assert [i for row in alignment.rows for i in row[c]] == list(range(len(version.sentences)))
    frame = alignment.to_pandas()
    assert list(frame.columns[:8]) == ["id", "id_ids", "fr", "fr_ids", "zh", "zh_ids", "ja", "ja_ids"]
    assert {"score", "score_id_fr", "score_zh_ja", "score_id_ja"} <= set(frame.columns)
    assert frame["score"].between(0, 1).all()


def test_unrelated_versions_are_not_forced_together():
    rng = np.random.default_rng(2)
    first = versions_of(unit(rng.normal(size=(15, 64))), {"id": set(), "fr": {3}}, seed=3)
    second = versions_of(unit(rng.normal(size=(12, 64))), {"zh": set(), "ja": {0}}, seed=4)
    alignment = align_versions([first[0], second[0], first[1], second[1]])
    assert alignment.groups == [["id", "fr"], ["zh", "ja"]]
    for row in alignment.rows:
        present = {alignment.langs[c] for c, ids in enumerate(row) if ids}
        assert present <= {"id", "fr"} or present <= {"zh", "ja"}
    assert len(alignment.rows) == 15 + 12


def test_cjk_sentences_join_without_space():
    content = unit(np.random.default_rng(5).normal(size=(6, 32)))
    versions = versions_of(content, {"zh": set(), "fr": set()})
    alignment = align_versions(versions)
    alignment.rows[0] = ((0, 1), (0, 1))
    assert alignment.text(0, 0) == "zh-0zh-1"
    assert alignment.text(0, 1) == "fr-0 fr-1"


def test_a_pair_keeps_apart_what_a_third_language_joins():
    content = unit(np.random.default_rng(6).normal(size=(12, 64)))
    fr, ja = versions_of(content, {"fr": set(), "ja": {9}}, seed=7)
    # English renders meanings 4 and 5 as one sentence
    en_content = np.vstack([content[:4], unit(content[4] + content[5]), content[6:]])
    en = Version("en", [f"en-{i}" for i in range(11)], en_content)
    alignment = align_versions([en, fr, ja])
    joined = next(row for row in alignment.rows if row[0] == (4,))
    assert joined[1:] == ((4, 5), (4, 5))  # the row holds what all three share
    fr_ja = alignment.pair("fr", "ja")
    assert ((4,), (4,)) in fr_ja and ((5,), (5,)) in fr_ja  # the pair keeps its own sentences
    assert ((9,), ()) in fr_ja  # Japanese leaves out meaning 9: a null bead of one sentence
    assert alignment.pair("ja", "fr") == [(b, a) for a, b in fr_ja]
    assert ((4,), (4, 5)) in alignment.pair("en", "fr")
    for a, b in [("en", "fr"), ("en", "ja"), ("fr", "ja")]:
        ids_a = sorted(i for bead in alignment.pair(a, b) for i in bead[0])
        assert ids_a == list(range(len(alignment.versions[alignment.langs.index(a)].sentences)))


def test_pairwise_alignments_made_already_are_used_as_they_are(monkeypatch, capsys):
    content = unit(np.random.default_rng(8).normal(size=(16, 64)))
    versions = versions_of(content, {"id": set(), "fr": {4}, "zh": {10, 11}}, seed=9)
    afresh = align_versions(versions)
    made = {
        (0, 2): align_units(
            Units(versions[0].vectors, versions[0].relative_lengths),
            Units(versions[2].vectors, versions[2].relative_lengths),
            resolve(None)[0].alignment,
        )
    }
    calls = []

    def counting_align_units(*args, **kwargs):
        calls.append(args)
        return align_units(*args, **kwargs)

    monkeypatch.setattr(merge, "align_units", counting_align_units)
    with callback(True) as report:
        reused = align_versions(versions, pairs=made, progress=report)
    assert reused.rows == afresh.rows and reused.groups == afresh.groups
    assert np.array_equal(reused.scores, afresh.scores)
    assert reused.pair_beads == afresh.pair_beads
    for key, values in afresh.pair_scores.items():
        assert np.array_equal(reused.pair_scores[key], values, equal_nan=True)
    # the pairs id-fr and fr-zh, then the merge of a pair with the third version
    assert len(calls) == 3
    # 2 pairs still to align, the lexical passes of all 3, 2 merges, scoring
    done, total = re.findall(r"(\d+)/(\d+) \[", capsys.readouterr().err)[-1]
    assert (int(done), int(total)) == (8, 8)
    with pytest.raises(ValueError, match="a < b"):
        align_versions(versions, pairs={(2, 0): made[0, 2]})


def moved_pair(moved: list[int], seed: int = 8) -> list[Version]:
    """French renders 30 meanings in order; Indonesian the same with ``moved`` put at the end."""
    rng = np.random.default_rng(seed)
    content = unit(rng.normal(size=(30, 64)))
    order = [i for i in range(30) if i not in moved] + moved
    noisy = unit(content + 0.3 * rng.normal(size=content.shape) / 8)
    return [
        Version("id", [f"id-{i}" for i in order], noisy[order]),
        versions_of(content, {"fr": set()}, seed=seed + 1)[0],
    ]


def meanings(alignment, row) -> set[int]:
    texts = [alignment.text(alignment.rows.index(row), c) for c, ids in enumerate(row) if ids]
    return {int(sentence.split("-")[1]) for text in texts for sentence in text.split()}


def test_a_moved_passage_is_joined_out_of_order():
    versions = moved_pair([10, 11, 12, 13])
    alignment = align_versions(versions)
    assert all(len(meanings(alignment, row)) == 1 for row in alignment.rows)
    assert all(ids for row in alignment.rows for ids in row)  # every sentence found its counterpart
    for c, version in enumerate(versions):
        assert sorted(i for row in alignment.rows for i in row[c]) == list(range(len(version.sentences)))
    assert ((26,), (10,)) in alignment.pair("id", "fr")  # the pair keeps the crossing link
    mirrored = align_versions(versions[::-1])
    assert mirrored.rows == [row[::-1] for row in alignment.rows]


def test_monotone_leaves_a_moved_passage_in_document_order(tmp_path, capsys):
    versions = moved_pair([10, 11, 12, 13])
    settings = resolve(None)[0]
    monotone = dataclasses.replace(settings, merging=dataclasses.replace(settings.merging, join_moved=False))
    alignment = align_versions(versions, monotone)
    for c in range(2):
        ids = [i for row in alignment.rows for i in row[c]]
        assert ids == sorted(ids) == list(range(len(versions[c].sentences)))
    assert sum(1 for row in alignment.rows if not all(row)) >= 8  # the four moved, each side
    assert alignment.provenance.settings == {"merging.join_moved": False}


def test_a_single_sentence_out_of_place_is_not_joined():
    # one sentence alone is as often a heading or a summary repeating a sentence elsewhere
    alignment = align_versions(moved_pair([10]))
    assert ((29,), ()) in alignment.pair("id", "fr") and ((), (10,)) in alignment.pair("id", "fr")


def alike_passage_moved(seed: int, extra: bool = False) -> tuple[list[Version], list[int]]:
    """40 meanings, of which 15-24 are all much alike (a genealogy, a list); Indonesian moves
    those to its end, after a sentence of its own where ``extra``."""
    rng = np.random.default_rng(seed)
    content = unit(rng.normal(size=(41, 64)))
    content[15:25] = unit(unit(rng.normal(size=64)) + 0.1 * unit(rng.normal(size=(10, 64))))
    moved = list(range(15, 25))
    order = [i for i in range(40) if i not in moved] + [40] * extra + moved
    noisy = [unit(content + 0.14 * unit(rng.normal(size=content.shape))) for _ in range(2)]
    return [
        Version("id", [f"id-{i}" for i in order], noisy[0][order]),
        Version("fr", [f"fr-{i}" for i in range(40)], noisy[1][:40]),
    ], moved


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_moved_passage_of_alike_sentences_is_joined_in_its_own_order(seed):
    # few of them are each other's best match over the whole document; the passage is aligned
    # again as a block, as the DP aligns a document
    versions, moved = alike_passage_moved(seed)
    alignment = align_versions(versions)
    joined = [row for row in alignment.rows if all(row) and meanings(alignment, row) <= set(moved)]
    assert len(joined) == len(moved)
    assert all(len(row[0]) == len(row[1]) == 1 and len(meanings(alignment, row)) == 1 for row in joined)
    assert align_versions(versions[::-1]).rows == [row[::-1] for row in alignment.rows]


def test_a_sentence_beside_a_moved_passage_is_not_merged_into_it():
    versions, moved = alike_passage_moved(0, extra=True)
    alignment = align_versions(versions)
    assert ((versions[0].sentences.index("id-40"),), ()) in alignment.rows
    joined = [row for row in alignment.rows if all(row) and meanings(alignment, row) <= set(moved)]
    assert {meaning for row in joined for meaning in meanings(alignment, row)} == set(moved)
    assert all(len(meanings(alignment, row)) == len(row[0]) == len(row[1]) for row in joined)


@pytest.mark.parametrize("footer", [1, 2])
def test_joining_moved_sentences_keeps_a_with_b_the_mirror_of_b_with_a(footer):
    # French ends with sentences of its own: unaligned rows beside the joined ones, whose
    # order out of the DP depends on the order of the inputs
    rng = np.random.default_rng(0)
    content = unit(rng.normal(size=(30 + footer, 64)))
    noise = 0.3 * rng.normal(size=(2, 30 + footer, 64)) / 8
    indonesian = [i for i in range(30) if i not in (10, 11, 12, 13)] + [10, 11, 12, 13]
    versions = [
        Version("fr", [f"fr-{i}" for i in range(30 + footer)], unit(content + noise[0])),
        Version("id", [f"id-{i}" for i in indonesian], unit(content + noise[1])[indonesian]),
    ]
    alignment, mirrored = align_versions(versions), align_versions(versions[::-1])
    assert any(abs(row[0][0] - row[1][0]) > 10 for row in alignment.rows if all(row))  # joined
    assert mirrored.rows == [row[::-1] for row in alignment.rows]
    assert mirrored.pair("id", "fr") == [(b, a) for a, b in alignment.pair("fr", "id")]


BIBLE = SHARED / "bench" / "bible_en_zh"


@pytest.mark.skipif(not BIBLE.is_dir(), reason="needs ../shared/bench/bible_en_zh")
def test_a_with_b_is_the_mirror_of_b_with_a_where_the_lexical_pass_runs(encoder, monkeypatch):
    # 300 verses, 50 of them moved in the Chinese: the lexical vectors hash one space of both
    # vocabularies, laid out by the languages, not by which version is the source
    beads = read_alignment(BIBLE / "001.align")[:300]
    moved = [j for _, t in beads[200:250] for j in t]
    kept = [j for _, t in beads[50:] for j in t if j not in moved]
    english = (BIBLE / "001.en").read_text(encoding="utf-8").splitlines()
    chinese = (BIBLE / "001.zh").read_text(encoding="utf-8").splitlines()
    sides = {
        "en": [english[i] for s, _ in beads for i in s],
        "zh": [chinese[j] for j in [j for _, t in beads[:50] for j in t] + moved + kept],
    }
    versions = [Version(lang, lines, encode(lines, encoder)) for lang, lines in sides.items()]
    calls = []

    def counted(*args):
        calls.append(args)
        return lexical_vectors_by_language(*args)

    monkeypatch.setattr(merge, "lexical_vectors_by_language", counted)
    alignment, mirrored = align_versions(versions), align_versions(versions[::-1])
    assert len(calls) == 2
    assert mirrored.rows == [row[::-1] for row in alignment.rows]
    assert np.array_equal(mirrored.scores, alignment.scores)


TEXTBERG = SHARED / "bench" / "textberg"


@pytest.mark.skipif(not TEXTBERG.is_dir(), reason="needs ../shared/bench/textberg")
def test_a_merge_that_adds_nothing_is_not_joined_as_moved(encoder):
    # Text+Berg test 1 leaves a caption and the sentence after it unaligned, both sides; aligned
    # again on their own, the caption was merged into the sentence's join, which it adds nothing to
    versions = []
    for lang in ("de", "fr"):
        lines = (TEXTBERG / f"test1.{lang}").read_text(encoding="utf-8").splitlines()
        versions.append(Version(lang, lines, encode(lines, encoder)))
    alignment = align_versions(versions)
    assert ((16,), ()) in alignment.rows and ((17,), (10,)) in alignment.rows


def versions_with_gaps(seed: int, langs: tuple[str, ...] = ("en", "de", "zh")) -> list[Version]:
    """Versions of 16 sentences, each dropping some and adding a few of its own."""
    rng = np.random.default_rng(seed)
    content = unit(rng.normal(size=(16 + 2 * len(langs), 32)))
    out = []
    for v, lang in enumerate(langs):
        order = [i for i in range(16) if rng.random() > 0.12]
        for k in range(int(rng.integers(0, 3))):
            order.insert(int(rng.integers(0, len(order) + 1)), 16 + 2 * v + k)
        vectors = unit(content[order] + rng.uniform(0.05, 0.2) * rng.normal(size=(len(order), 32)))
        out.append(Version(lang, [f"{lang}-{i}" for i in order], vectors.astype(np.float32)))
    return out


# each gave other rows in some input order before the linkage followed the language codes
@pytest.mark.parametrize(
    ("seed", "langs"),
    [(2, ("en", "de", "zh")), (4, ("en", "de", "zh")), (7, ("en", "de", "zh")), (16, ("en", "de", "zh")),
     (18, ("en", "de", "zh")), (15, ("en", "fr", "ja", "zh"))],
)  # fmt: skip
def test_versions_give_the_same_rows_in_any_input_order(seed, langs):
    versions = versions_with_gaps(seed, langs)
    rows = align_versions(versions).rows
    for order in itertools.permutations(range(len(versions))):
        reordered = align_versions([versions[k] for k in order]).rows
        assert [tuple(row[order.index(c)] for c in range(len(order))) for row in reordered] == rows
