"""Collections: grouping documents into versions of one text, the corpus, and the CLI on folders."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import re
import shutil
from contextlib import redirect_stderr
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, ROOT
from lxml import etree

import aligner
import aligner.merge
from aligner.clean import read_text
from aligner.cli import main
from aligner.collection import (
    Document,
    assemble,
    group_documents,
    link_documents,
    mutual_match_share,
)
from aligner.export import to_jsonl, to_tmx
from aligner.merge import align_versions
from aligner.pairwise import align_units
from aligner.progress import callback
from aligner.segment import check_sentences, split_sentences
from aligner.settings import resolve
from aligner.similarity import pair_baseline
from aligner.table import Corpus, Version

DEFAULTS = resolve(None)[0]
MIN_PARALLELISM = DEFAULTS.merging.min_parallelism
CANDIDATE_SHARE = DEFAULTS.collection.candidate_share


def share(a: Version, b: Version, **options: int) -> float:
    baseline = pair_baseline(a, b, DEFAULTS.alignment)
    return mutual_match_share(a, b, baseline, DEFAULTS.merging.clear_match, **options)

SEEDS = ROOT / "seeds"
GROUP_A = ("000_af736beb5cc60a9b", "001_8a577d695bc7522b")  # id, fr
GROUP_B = ("003_35f4e80f8e795006", "004_1498df30161089c1")  # zh, ja
LONE = "002_b23cc098f190fb18"  # zh: another article, sharing sentences with 003
SEED_LANGS = {GROUP_A[0]: "id", GROUP_A[1]: "fr", LONE: "zh", GROUP_B[0]: "zh", GROUP_B[1]: "ja"}
ID = DATA / "seed000.id"
FR = DATA / "seed001.fr"


# --- grouping, on constructed vectors ------------------------------------------------------------


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def document(name: str, lang: str, content: np.ndarray, seed: int, noise: float = 0.02) -> Document:
    """A version of ``content`` (one row per sentence): each sentence's vector, slightly moved."""
    rng = np.random.default_rng(1000 + seed)  # apart from the seeds of the contents
    vectors = unit(content + noise * rng.normal(size=content.shape)).astype(np.float32)
    return Document(name, Version(lang, [f"{name}-{i}" for i in range(len(content))], vectors))


@pytest.fixture
def texts() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {
        name: unit(rng.normal(size=(size, 384))) for name, size in [("a", 20), ("b", 16), ("c", 12), ("d", 6)]
    }


def test_versions_group_and_a_second_document_of_a_language_stays_out(texts):
    a, b = texts["a"], texts["b"]
    # Another Chinese article that repeats 10 of b's 16 sentences: as parallel to b's Chinese
    # and Japanese as a loose translation, so only the one-per-language rule keeps it out.
    borrowing = np.concatenate([b[:10], texts["d"]])
    documents = [
        document("a-id", "id", a, 1),
        document("b-zh", "zh", b, 2),
        document("a-fr", "fr", a, 3),
        document("borrowing-zh", "zh", borrowing, 4),
        document("b-ja", "ja", b, 5),
        document("a-de", "de", a, 6),
        document("c-fr", "fr", texts["c"], 7),
    ]
    links = link_documents(documents)
    grouping = group_documents(documents, links)
    assert [group.name for group in grouping.groups] == ["a-id+a-fr+a-de", "b-zh+b-ja"]
    assert [[d.lang for d in group.members] for group in grouping.groups] == [
        ["id", "fr", "de"],
        ["zh", "ja"],
    ]
    assert [d.name for d in grouping.unmatched] == ["borrowing-zh", "c-fr"]
    closest = grouping.closest("borrowing-zh")
    assert {closest.a, closest.b} & {"b-zh", "b-ja"} and closest.parallelism >= MIN_PARALLELISM
    assert grouping.closest("c-fr").parallelism < CANDIDATE_SHARE
    assert len(grouping.links) == len(list(combinations(documents, 2)))
    for group in grouping.groups:
        assert group.parallelism >= MIN_PARALLELISM
        assert len(group.links) == len(list(combinations(group.members, 2)))


def test_of_two_versions_in_one_language_the_closer_joins(texts):
    a = texts["a"]
    documents = [
        document("a-id", "id", a, 1),
        document("loose-fr", "fr", a[4:], 2, noise=0.04),  # freer, and without the first sentences
        document("close-fr", "fr", a, 3),
    ]
    grouping = group_documents(documents, link_documents(documents))
    assert [group.name for group in grouping.groups] == ["a-id+close-fr"]
    assert [d.name for d in grouping.unmatched] == ["loose-fr"]
    assert grouping.closest("loose-fr").parallelism >= MIN_PARALLELISM


def test_the_threshold_decides(texts):
    documents = [document("a-id", "id", texts["a"], 1), document("b-fr", "fr", texts["b"], 2)]
    links = link_documents(documents)
    assert group_documents(documents, links).groups == []
    assert len(group_documents(documents, links, min_parallelism=0.0).groups) == 1


def test_mutual_match_share(texts):
    a = document("a-id", "id", texts["a"], 1).version
    assert share(a, document("a-fr", "fr", texts["a"], 2).version) == 1.0
    assert share(a, document("b-fr", "fr", texts["b"], 2).version) < CANDIDATE_SHARE
    part = document("a-de", "de", texts["a"][5:], 3).version  # 15 of a's 20 sentences
    assert share(a, part) == share(a, part, block=3) == 30 / 35


def test_corpus_stacks_groups_and_unmatched_documents_losing_nothing(texts):
    documents = [
        document("a-id", "id", texts["a"], 1),
        document("c-zh", "zh", texts["c"], 2),
        document(
            "a-fr", "fr", texts["a"][[0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19]], 3
        ),
    ]
    corpus = assemble(documents, group_documents(documents, link_documents(documents)))
    frame = corpus.to_pandas()
    pairs = ["score_id_zh", "score_id_fr", "score_zh_fr"]
    assert list(frame.columns) == ["doc", "id", "id_ids", "zh", "zh_ids", "fr", "fr_ids", "score", *pairs]
    assert list(dict.fromkeys(frame["doc"])) == ["a-id+a-fr", "c-zh"]  # by first member's position
    for d in documents:
        rows = frame[frame["doc"].str.split("+").map(lambda names, name=d.name: name in names)]
        ids = [int(i) for cell in rows[f"{d.lang}_ids"] if cell for i in cell.split(",")]
        assert ids == list(range(len(d.version.sentences)))
    lone = frame[frame["doc"] == "c-zh"]
    assert (lone[["id", "fr"]] == "").all().all() and lone["score"].isna().all()
    grouped = frame[frame["doc"] == "a-id+a-fr"]
    assert grouped["score"].between(0, 1).all() and (grouped["zh"] == "").all()
    # in Jupyter: the corpus as a line per part, and the unmatched document's own table
    html = corpus._repr_html_()
    assert html.count("<tr><td") == 2 and "<code>c-zh</code>" in html and "not scored" in html
    assert "1 group, 1 unmatched" in html
    lone_html = corpus.table("c-zh")._repr_html_()
    assert lone_html.count(">not scored<br>") == len(lone)
    assert grouped["score_id_fr"].notna().sum() == 18 and frame["score_id_zh"].isna().all()
    assert corpus.docs == list(frame["doc"]) and len(corpus.rows) == len(frame)

    first, *records = [json.loads(line) for line in to_jsonl(corpus).splitlines()]
    assert set(first) == {"provenance"} and first["provenance"]["fitted"] == "e5-small"
    assert [r["doc"] for r in records] == corpus.docs
    assert records[-1]["score"] is None and records[-1]["zh_ids"] == [len(texts["c"]) - 1]
    units = etree.fromstring(to_tmx(corpus).split("\n", 2)[2].encode()).findall("body/tu")
    assert [u.findtext("prop[@type='x-doc']") for u in units] == corpus.docs
    assert [u.find("prop[@type='x-score']") is None for u in units] == [math.isnan(s) for s in corpus.scores]


def test_a_group_is_aligned_once_and_as_if_afresh(texts, monkeypatch):
    # a-fr comes before a-id, but Indonesian is the collection's first column: the grouping
    # aligns the pair in the table's orientation, so that the table can reuse it.
    documents = [
        document("c-id", "id", texts["c"], 1),
        document("a-fr", "fr", texts["a"][2:], 2),
        document("b-zh", "zh", texts["b"], 3),
        document("a-id", "id", texts["a"], 4),
        document("b-ja", "ja", texts["b"][:-3], 5),
        document("a-de", "de", texts["a"][:-2], 6),
    ]
    links = link_documents(documents)
    assert {(link.a, link.b) for link in links if link.pair} == {
        ("a-id", "a-fr"),
        ("a-id", "a-de"),
        ("a-fr", "a-de"),
        ("b-zh", "b-ja"),
    }
    calls = []

    def counting_align_units(*args, **kwargs):
        calls.append(args)
        return align_units(*args, **kwargs)

    monkeypatch.setattr(aligner.merge, "align_units", counting_align_units)
    corpus = assemble(documents, group_documents(documents, links))
    reused = len(calls)
    unlinked = [dataclasses.replace(link, pair=None) for link in links]
    afresh = assemble(documents, group_documents(documents, unlinked))
    assert reused == len(calls) - reused - 4  # only the merge of a-id,a-fr with a-de is aligned again
    assert corpus.docs == afresh.docs and corpus.rows == afresh.rows
    assert np.array_equal(corpus.scores, afresh.scores, equal_nan=True)
    pd.testing.assert_frame_equal(corpus.to_pandas(), afresh.to_pandas())
    by_hand = align_versions([documents[k].version for k in (3, 1, 5)])
    assert corpus.table("a-fr+a-id+a-de").rows == by_hand.rows


def test_alignments_made_with_other_settings_are_not_reused(texts, monkeypatch):
    documents = [document("a-id", "id", texts["a"], 1), document("a-fr", "fr", texts["a"], 2)]
    links = link_documents(documents)
    calls = []

    def counting_align_units(*args, **kwargs):
        calls.append(args)
        return align_units(*args, **kwargs)

    monkeypatch.setattr(aligner.merge, "align_units", counting_align_units)
    grouping = group_documents(documents, links)
    assemble(documents, grouping)
    assert calls == []  # the grouping's alignment of the pair is the table's
    other = dataclasses.replace(DEFAULTS, alignment=dataclasses.replace(DEFAULTS.alignment, max_bead=3))
    corpus = assemble(documents, grouping, other)
    assert len(calls) == 1 and corpus.settings.alignment.max_bead == 3


def test_grouping_draws_a_bar_over_the_pairs_when_asked(texts, capsys):
    documents = [
        document(f"{name}-{lang}", lang, texts[name], k)
        for k, (name, lang) in enumerate([("a", "id"), ("a", "fr"), ("b", "zh"), ("c", "ja")])
    ]
    link_documents(documents)
    assert capsys.readouterr().err == ""
    with callback(True) as report:
        link_documents(documents, progress=report)
    err = capsys.readouterr().err
    assert "grouping" in err and re.findall(r"(\d+)/(\d+) \[", err)[-1] == ("6", "6")
    aligner.align_collection(
        {"one": ("id", ["Satu.", "Dua."]), "two": ("fr", ["Un.", "Deux."])},
        model=CountingEncoder(),
        use_cache=False,
        progress=True,
    )
    assert "grouping" in capsys.readouterr().err


def test_doc_names_never_collide(texts):
    # a group of a and b would be named a+b, like the unrelated document a+b, and a+b#2 is taken too
    documents = [
        document("a", "id", texts["a"], 1),
        document("b", "fr", texts["a"], 2),
        document("a+b", "fr", texts["c"], 3),
        document("a+b#2", "de", texts["d"], 4),
    ]
    grouping = group_documents(documents, link_documents(documents))
    assert [group.name for group in grouping.groups] == ["a+b#3"]
    assert [d.name for d in grouping.unmatched] == ["a+b", "a+b#2"]
    corpus = assemble(documents, grouping)
    frame = corpus.to_pandas()
    assert list(dict.fromkeys(frame["doc"])) == ["a+b#3", "a+b", "a+b#2"]
    assert (frame["doc"] == "a+b").sum() == len(texts["c"])
    assert corpus.table("a+b").langs == ["fr"] and corpus.table("a+b#3").langs == ["id", "fr"]
    missing = "'a': no such group or document in this corpus (it has 'a+b#3', 'a+b', 'a+b#2')"
    with pytest.raises(KeyError, match=re.escape(missing)):
        corpus.table("a")
    with pytest.raises(ValueError, match="unique"):
        Corpus(corpus.langs, [corpus.parts[0], corpus.parts[0]], grouping)


def test_a_documents_language_that_disagrees_with_its_text_is_warned_about_by_its_name():
    indonesian, french = ID.read_text(encoding="utf-8"), FR.read_text(encoding="utf-8")
    swapped = {"story": ("fr", indonesian), "other": ("id", french)}
    with pytest.warns(UserWarning) as caught:
        aligner.align_collection(swapped, model=CountingEncoder(), use_cache=False)
    said = {str(warning.message) for warning in caught}
    assert "'story' is given as 'fr' but reads as 'id': is its language right?" in said
    assert "'other' is given as 'id' but reads as 'fr': is its language right?" in said
    import warnings

    with warnings.catch_warnings(record=True) as unchecked:
        warnings.simplefilter("always")
        aligner.align_collection(swapped, model=CountingEncoder(), use_cache=False, check_languages=False)
    assert not any("is its language right" in str(warning.message) for warning in unchecked)


def test_a_documents_bad_sentence_is_named_by_the_document():
    documents = {"story": ("fr", ["Un.", " "]), "other": ("id", ["Satu."])}
    with pytest.raises(aligner.AlignerError, match=r"^sentence id 1 of 'story' is empty$"):
        aligner.align_collection(documents, model=CountingEncoder(), use_cache=False)
    with pytest.raises(aligner.AlignerError, match=r"^sentence id 0 of 'story' is empty$"):
        check_sentences(label="story", sentences=[""])


class CountingEncoder:
    """Deterministic vectors, and a count of every sentence it is asked for."""

    name, dim = "counting", 16
    fitted = "e5-small"  # stands in for the default model

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, sentences):
        self.seen += sentences
        rows = [np.random.default_rng(sum(map(ord, s))).normal(size=self.dim) for s in sentences]
        return unit(np.array(rows)).astype(np.float32)


def test_every_sentence_is_embedded_once_for_grouping_and_aligning():
    encoder = CountingEncoder()
    documents = {
        "one": ("id", ["Satu.", "Dua.", "Tiga."]),
        "two": ("fr", ["Un.", "Deux.", "Trois.", "Quatre."]),
        "three": ("fr", ["Un.", "Cinq."]),
    }
    corpus = aligner.align_collection(documents, model=encoder, use_cache=False)
    assert sorted(encoder.seen) == sorted({s for _, sentences in documents.values() for s in sentences})
    assert sum(len(ids) for row in corpus.rows for ids in row) == 9


# --- the CLI on the seeds --------------------------------------------------------------------------


def expected_sentences(path: Path, lang: str) -> list[str]:
    return split_sentences(read_text(path), lang)


def run_quietly_captured(args: list) -> tuple[int, str]:
    err = io.StringIO()
    with redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, err.getvalue()


@pytest.fixture(scope="module")
def seeds_folder(tmp_path_factory) -> tuple[int, pd.DataFrame, str]:
    out = tmp_path_factory.mktemp("seeds") / "seeds.tsv"
    code, err = run_quietly_captured(["align", SEEDS, "-o", out])
    frame = pd.read_csv(out, sep="\t", keep_default_na=False, dtype=str) if code == 0 else pd.DataFrame()
    return code, frame, err


def check_seed_corpus(frame: pd.DataFrame, names: dict[str, str]) -> None:
    """Groups A and B and the lone article as docs; every seed sentence exactly once, in order."""
    doc_a, doc_b = "+".join(names[n] for n in GROUP_A), "+".join(names[n] for n in GROUP_B)
    assert list(dict.fromkeys(frame["doc"])) == [doc_a, names[LONE], doc_b]
    for stem, lang in SEED_LANGS.items():
        rows = frame[frame["doc"].str.split("+").map(lambda members, name=names[stem]: name in members)]
        ids = [int(i) for cell in rows[f"{lang}_ids"] if cell for i in cell.split(",")]
        assert ids == list(range(len(expected_sentences(SEEDS / f"{stem}.txt", lang))))
    for doc, present in [(doc_a, {"id", "fr"}), (names[LONE], {"zh"}), (doc_b, {"zh", "ja"})]:
        rows = frame[frame["doc"] == doc]
        assert {lang for lang in ("id", "fr", "zh", "ja") if (rows[lang] != "").any()} == present
    scores = frame["score"]
    assert scores[frame["doc"] != names[LONE]].astype(float).between(0, 1).all()
    assert (scores[frame["doc"] == names[LONE]] == "").all()
    assert (frame.loc[frame["doc"] == doc_a, "score_id_fr"] != "").sum() == 21  # one to one
    both = (frame["zh"] != "") & (frame["ja"] != "")
    assert ((frame["score_zh_ja"] != "") == both).all()
    # The Japanese condenses the Chinese: nearly all of it has a Chinese counterpart.
    japanese = [int(i) for cell in frame.loc[both, "ja_ids"] for i in cell.split(",")]
    assert len(japanese) >= 0.9 * len(expected_sentences(SEEDS / f"{GROUP_B[1]}.txt", "ja"))


def test_seeds_folder_comes_out_as_two_groups_and_the_other_article(seeds_folder):
    code, frame, err = seeds_folder
    assert code == 0, err
    pairs = [f"score_{a}_{b}" for a, b in combinations(["id", "fr", "zh", "ja"], 2)]
    texts = ["id", "id_ids", "fr", "fr_ids", "zh", "zh_ids", "ja", "ja_ids"]
    assert list(frame.columns) == ["doc", *texts, "score", *pairs]
    check_seed_corpus(frame, {stem: stem for stem in SEED_LANGS})


def test_seeds_folder_summary_reports_the_unmatched_article(seeds_folder):
    _, frame, err = seeds_folder
    lines = err.splitlines()
    assert lines[0].startswith(f"{len(frame)} rows; 2 groups; 1 unmatched;")
    assert lines[1].startswith(f"group {'+'.join(GROUP_A)} (parallelism 1.00): 21 rows; id 21/21 aligned")
    assert lines[2].startswith(f"group {'+'.join(GROUP_B)} (parallelism 0.")
    assert lines[3].startswith(f"unmatched {LONE} (zh, ") and f"closest {GROUP_B[0]} at 0." in lines[3]
    assert "one document per language" not in lines[3]  # the shared sentences do not make it a version


def test_several_files_per_language_make_a_collection(tmp_path):
    # Files named alike in two folders are told apart by their paths.
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    first = shutil.copy(SEEDS / f"{GROUP_A[0]}.txt", tmp_path / "x" / "story.txt")
    second = shutil.copy(SEEDS / f"{GROUP_A[1]}.txt", tmp_path / "y" / "story.txt")
    others = [SEEDS / f"{stem}.txt" for stem in (LONE, *GROUP_B)]
    out = tmp_path / "seeds.jsonl"
    code, err = run_quietly_captured(["align", first, second, *others, "-o", out, "-q"])
    assert code == 0, err
    assert err == ""
    provenance, rows = out.read_text().split("\n", 1)
    assert json.loads(provenance)["provenance"]["encoder"].startswith("e5-small@ct2-int8-")
    frame = pd.read_json(io.StringIO(rows), lines=True, dtype=False)
    for column in frame.columns:
        if column.endswith("_ids"):
            frame[column] = frame[column].map(lambda ids: ",".join(map(str, ids)))
    frame = frame.astype(object).where(frame.notna(), "").astype(str)
    names = {stem: stem for stem in SEED_LANGS} | {GROUP_A[0]: str(first), GROUP_A[1]: str(second)}
    check_seed_corpus(frame, names)


def test_a_folders_empty_readme_and_hidden_files_are_left_out(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(ID, folder / "a.txt")
    shutil.copy(FR, folder / "b.txt")
    (folder / "empty.txt").write_text("\n", encoding="utf-8")
    (folder / ".hidden.txt").write_bytes(b"\x89PNG\r\n")
    (folder / "README.md").write_text("# Not a document\n", encoding="utf-8")
    for subfolder in ("drafts", ".git", "outputs"):
        (folder / subfolder).mkdir()
    (folder / "drafts" / "c.txt").write_text(FRENCH, encoding="utf-8")
    (folder / ".git" / "d.txt").write_text(FRENCH, encoding="utf-8")
    out = tmp_path / "o.tsv"
    code, err = run_quietly_captured(["align", folder, "--presplit", "-q", "-o", out])
    assert code == 0, err
    assert err == (
        f"aligner: warning: {folder / 'drafts'}: a subfolder, not searched; name it too to align its files\n"
        f"aligner: warning: {folder / 'empty.txt'} is empty: left out\n"
    )
    frame = pd.read_csv(out, sep="\t", keep_default_na=False, dtype=str)
    assert set(frame["doc"]) == {"a+b"} and len(frame) == 21
    # a subfolder named too is searched, and not warned about
    code, err = run_quietly_captured(["align", folder, folder / "drafts", "--presplit", "-q", "-o", out])
    assert code == 0, err
    assert err == f"aligner: warning: {folder / 'empty.txt'} is empty: left out\n"
    frame = pd.read_csv(out, sep="\t", keep_default_na=False, dtype=str)
    assert set(frame["doc"]) == {"a+b", "c"}


def test_a_folders_links_to_no_file_are_left_out_with_a_warning(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(ID, folder / "a.txt")
    shutil.copy(FR, folder / "b.txt")
    (folder / "gone.txt").symlink_to(folder / "nowhere.txt")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    (folder / ".hidden.txt").symlink_to(folder / "nowhere.txt")
    code, err = run_quietly_captured(["align", folder, "--presplit", "-q", "-o", tmp_path / "o.tsv"])
    assert code == 0, err
    assert err == (
        f"aligner: warning: {folder / 'gone.txt'}: a symbolic link to no file, left out\n"
        f"aligner: warning: {folder / 'loop.txt'}: a symbolic link to no file, left out\n"
    )


def test_a_file_named_like_a_group_keeps_its_own_doc(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SEEDS / f"{GROUP_A[0]}.txt", folder / "a.txt")
    shutil.copy(SEEDS / f"{GROUP_A[1]}.txt", folder / "b.txt")
    shutil.copy(SEEDS / f"{LONE}.txt", folder / "a+b.txt")  # another article
    out = tmp_path / "o.tsv"
    code, err = run_quietly_captured(["align", folder, "-o", out])
    assert code == 0, err
    frame = pd.read_csv(out, sep="\t", keep_default_na=False, dtype=str)
    assert list(dict.fromkeys(frame["doc"])) == ["a+b", "a+b#2"]
    assert (frame.loc[frame["doc"] == "a+b", ["id", "fr"]] == "").all().all()
    assert (frame.loc[frame["doc"] == "a+b#2", "zh"] == "").all()
    lines = err.splitlines()
    assert lines[1].startswith("group a+b#2 (parallelism 1.00): 21 rows; id 21/21 aligned")
    assert lines[2].startswith("unmatched a+b (zh, ")


# --- errors ------------------------------------------------------------------------------------------


FRENCH = "Le chat dort sur le canapé. Il fait beau aujourd'hui.\n"
OTHER_FRENCH = "Bonjour à tous. Nous partons demain matin.\n"

# name -> (the input folder's files; the arguments of `align` given that folder; the message)
ERRORS: dict[str, tuple[dict[str, str | bytes], object, str]] = {
    "an empty folder": ({}, lambda d: [d], "{d}: no .txt files to align"),
    "a folder of one document": (
        {"a.txt": FRENCH, "notes.md": OTHER_FRENCH},
        lambda d: [d],
        "align needs at least two files, 1 in the folder",
    ),
    "a folder with a binary .txt": (
        {"a.txt": FRENCH, "b.txt": b"\x89PNG\r\n\x1a\n\x00"},
        lambda d: [d],
        "{d}/b.txt: looks like a binary file, not text",
    ),
    "--langs with a folder": (
        {"a.txt": FRENCH, "b.txt": OTHER_FRENCH},
        lambda d: [d, "--langs", "fr,id"],
        "--langs cannot be given with a folder: its files' languages are identified one by one (list the "
        "files instead to give --langs)",
    ),
    "a folder's documents in a subfolder": (
        {"sub/a.txt": FRENCH, "sub/b.txt": OTHER_FRENCH},
        lambda d: [d],
        "{d}: no .txt files to align (subfolders are not searched: name {d}/sub too)",
    ),
    "a folder of one document and a subfolder": (
        {"a.txt": FRENCH, "sub/b.txt": OTHER_FRENCH, ".hidden/c.txt": OTHER_FRENCH},
        lambda d: [d],
        "align needs at least two files, 1 in the folder (subfolders are not searched: name {d}/sub too)",
    ),
    "a folder with a file of no words": (
        {"a.txt": FRENCH, "b.txt": "12345 67890.\n"},
        lambda d: [d],
        "{d}/b.txt: cannot detect the language: the text has no words; give the language code by listing "
        "the files with --langs instead of the folder",
    ),
    "a collection in one language": (
        {"a.txt": FRENCH, "b.txt": OTHER_FRENCH},
        lambda d: [d],
        "the documents are all in 'fr': versions of one text come in two or more languages",
    ),
    "a document given twice": (
        {},
        lambda d: [ID, FR, FR, "--presplit", "--langs", "id,fr,fr"],
        f"{FR} is given twice: pass each document once",
    ),
    ".align output for a folder": (
        {"a.txt": FRENCH, "b.txt": OTHER_FRENCH},
        lambda d: [d, "-o", d.parent / "out" / "o.align"],
        ".align output needs exactly two inputs, not a folder",
    ),
}


@pytest.mark.parametrize("case", ERRORS)
def test_collection_errors_are_one_line(case, tmp_path, capsys):
    inputs, outputs = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    outputs.mkdir()
    files, arguments, message = ERRORS[case]
    for name, content in files.items():
        (inputs / name).parent.mkdir(exist_ok=True)
        (inputs / name).write_bytes(content.encode() if isinstance(content, str) else content)
    args = arguments(inputs)
    code = main([str(a) for a in ["align", *args, *([] if "-o" in args else ["-o", outputs / "o.tsv"])]])
    out, err = capsys.readouterr()
    assert code == 1
    assert err == f"aligner: error: {message.format(d=inputs)}\n"
    assert out == "" and list(outputs.iterdir()) == []


def test_a_file_whose_language_cannot_be_identified_can_be_listed_with_langs(tmp_path):
    # What the error for a folder says to do: the files listed, with a language twice, are a collection.
    shutil.copy(ID, tmp_path / "a.txt")
    shutil.copy(FR, tmp_path / "b.txt")
    (tmp_path / "c.txt").write_text("12345 67890.\n", encoding="utf-8")
    out = tmp_path / "o.tsv"
    files = [tmp_path / name for name in ("a.txt", "b.txt", "c.txt")]
    code, err = run_quietly_captured(["align", *files, "--presplit", "--langs", "id,fr,fr", "-q", "-o", out])
    assert code == 0, err
    frame = pd.read_csv(out, sep="\t", keep_default_na=False, dtype=str)
    assert list(dict.fromkeys(frame["doc"])) == ["a+b", "c"]
    assert frame.loc[frame["doc"] == "c", "fr"].tolist() == ["12345 67890."]


def test_a_tie_keeps_the_earlier_documents_together():
    # every pair equally parallel: the first documents group, and the second English stays out
    content = unit(np.random.default_rng(0).normal(size=(20, 32)))
    documents = [
        Document(name, Version(lang, [f"s{i}" for i in range(20)], content.astype(np.float32)))
        for name, lang in [("a_en", "en"), ("b_fr", "fr"), ("c_de", "de"), ("d_en", "en")]
    ]
    grouping = group_documents(documents, link_documents(documents))
    assert [g.name for g in grouping.groups] == ["a_en+b_fr+c_de"]
    assert [d.name for d in grouping.unmatched] == ["d_en"]
