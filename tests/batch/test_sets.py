"""Set lists: a TSV file or a folder tree, checked before any work."""

from pathlib import Path

import pytest

from aligner.batch.sets import fingerprint, read_sets
from aligner.errors import AlignerError


def test_a_tsv_lists_sets_with_paths_from_its_folder_and_gaps_for_missing_languages(tmp_path):
    (tmp_path / "corpus.tsv").write_text(
        "doc\tEN\tfra\tzh\na\ta.en\ta.fr\t\nb\tb.en\t\tb.zh\n\n", encoding="utf-8"
    )
    listing = read_sets(tmp_path / "corpus.tsv")
    assert listing.langs == ["en", "fr", "zh"]
    assert [(s.doc, s.index, s.langs) for s in listing.sets] == [
        ("a", 0, ["en", "fr"]),
        ("b", 1, ["en", "zh"]),
    ]
    assert listing.sets[1].files[1][1] == (tmp_path / "b.zh").absolute()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id\ten\tfr\n", "the header must be 'doc'"),
        ("doc\ten\n", "names only 1 language"),
        ("doc\ten\teng\n", "names a language twice"),
        ("doc\ten\tund\na\tx\ty\n", "'und' in .*corpus.tsv names no language"),
        ("doc\ten\tfr\na\tx\n", ":2: 2 fields, the header has 3"),
        ("doc\ten\tfr\na\tx\ty\na\tz\tw\n", ":3: doc 'a' is listed twice"),
        ("doc\ten\tfr\n", "no document sets listed"),
        ("doc\ten\tfr\t\na\tx\ty\t\n", "a column with no language code"),
        ('doc\ten\tfr\n"a\nb"\tx\ty\n', r":2: doc id 'a\\nb' holds a line break"),
        # a file name quoted over two lines: the next set's error is on line 4, not 3
        ('doc\ten\tfr\na\t"x\ny"\tz\nc\tw\n', r":4: 2 fields, the header has 3"),
        ('doc\ten\tfr\n\na\tx\n', r":3: 2 fields, the header has 3"),
    ],
)
def test_a_bad_set_list_is_one_error_before_any_work(tmp_path, text, message):
    (tmp_path / "corpus.tsv").write_text(text, encoding="utf-8")
    with pytest.raises(AlignerError, match=message):
        read_sets(tmp_path / "corpus.tsv")


def test_a_tree_lists_each_folder_as_a_set(tmp_path):
    for doc, langs in {"one": ["en", "fr"], "two": ["en", "zh"]}.items():
        (tmp_path / doc).mkdir()
        for lang in langs:
            (tmp_path / doc / f"{lang}.txt").write_text("Text.\n", encoding="utf-8")
    listing = read_sets(tmp_path)
    assert listing.langs == ["en", "fr", "zh"]
    assert [(s.doc, s.langs) for s in listing.sets] == [("one", ["en", "fr"]), ("two", ["en", "zh"])]
    (tmp_path / "two" / "notes.md").write_text("Notes.\n", encoding="utf-8")
    (tmp_path / "two" / "more").mkdir()
    (tmp_path / "two" / ".hidden").write_text("", encoding="utf-8")
    with pytest.warns(UserWarning, match=r"2 entries of the document folders are no <lang>.txt file"):
        assert [s.langs for s in read_sets(tmp_path).sets] == [["en", "fr"], ["en", "zh"]]
    (tmp_path / "two" / "eng.txt").write_text("Text.\n", encoding="utf-8")
    with pytest.raises(AlignerError, match="are both 'en'"):
        read_sets(tmp_path)


def test_a_sets_fingerprint_is_the_same_from_any_folder_and_changes_with_its_files(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "elsewhere").mkdir()
    for lang in ("en", "fr"):
        (tmp_path / "data" / f"a.{lang}").write_text("Text.\n", encoding="utf-8")
    (tmp_path / "corpus.tsv").write_text("doc\ten\tfr\na\tdata/a.en\tdata/a.fr\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    here = fingerprint(read_sets(Path("corpus.tsv")).sets[0])
    monkeypatch.chdir(tmp_path / "elsewhere")
    listed = read_sets(Path("../corpus.tsv")).sets[0]
    assert ".." in str(listed.files[0][1]) and fingerprint(listed) == here
    (tmp_path / "data" / "a.fr").write_text("Texte.\n", encoding="utf-8")
    assert fingerprint(listed) != here
    (tmp_path / "data" / "a.fr").unlink()
    assert fingerprint(listed) is None
