import re
import warnings
from pathlib import Path

import pytest

from aligner.errors import AlignerError
from aligner.evaluate import (
    Bead,
    Scores,
    evaluate_paths,
    format_alignment,
    parse_alignment,
    read_alignment,
    score,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
TEXTBERG = SHARED / "bench" / "textberg"
needs_textberg = pytest.mark.skipif(
    not (TEXTBERG / "test0.defr").is_file(), reason=f"Text+Berg gold alignments not found in {TEXTBERG}"
)


def beads(text: str) -> list[Bead]:
    return parse_alignment(text)


def test_hand_computed_case_with_null_beads() -> None:
    gold = beads("[0]:[0]\n[1, 2]:[1]\n[]:[2]\n[3]:[3, 4]\n[4]:[]\n")
    test = beads("[0]:[0]\n[1]:[1]\n[2]:[]\n[]:[2]\n[3]:[3]\n[]:[4]\n[4]:[]\n")
    # Precision, over all 7 test beads: exactly in gold are [0]:[0], []:[2], [4]:[] -> strict 3/7;
    # [1]:[1] shares link (1,1) with [1, 2]:[1] and [3]:[3] shares (3,3) with [3]:[3, 4] -> lax 5/7;
    # the unmatched null beads [2]:[] and []:[4] have no link, so they are wrong even under lax.
    # Recall, over the 3 non-null gold beads: only [0]:[0] is exactly a test bead -> strict 1/3;
    # the other two share a link with a non-null test bead -> lax 3/3.
    # F1 strict = 2 * 3/7 * 1/3 / (3/7 + 1/3) = (2/7) / (16/21) = 3/8; F1 lax = (10/7) / (12/7) = 5/6.
    s = score([gold], [test])
    assert (s.test_beads, s.gold_beads, s.strict_correct, s.lax_correct, s.strict_found, s.lax_found) == (
        7,
        3,
        3,
        5,
        1,
        3,
    )
    assert (s.strict_precision, s.strict_recall, s.strict_f1, s.lax_precision, s.lax_recall, s.lax_f1) == (
        pytest.approx((3 / 7, 1 / 3, 3 / 8, 5 / 7, 1.0, 5 / 6))
    )


def test_counts_are_pooled_over_documents_not_averaged() -> None:
    gold = [beads("[0]:[0]"), beads("[0]:[0]\n[1]:[1]\n[2]:[2]")]
    test = [beads("[0]:[1]"), beads("[0]:[0]\n[1]:[1]\n[2]:[2]")]
    s = score(gold, test)
    # Pooled: 3 of 4 beads right on either side; averaging the per-document ratios would give (0 + 1) / 2.
    assert (s.strict_precision, s.strict_recall, s.strict_f1) == (0.75, 0.75, 0.75)


def test_null_beads_count_for_precision_only() -> None:
    gold = beads("[0]:[0]\n[]:[1]\n[1]:[]")
    s = score([gold], [beads("[0]:[0]\n[]:[1]\n[1]:[2]")])
    assert (s.test_beads, s.gold_beads) == (3, 1)  # gold nulls are not in the recall denominator
    assert (s.strict_correct, s.strict_found) == (2, 1)  # a null bead matching gold is a correct test bead
    assert s.strict_recall == s.lax_recall == 1.0
    # A test deletion where gold has a 1-1 bead is wrong even under lax: it shares no (source, target) link.
    s = score([beads("[0]:[0]\n[1]:[1]")], [beads("[0]:[0]\n[1]:[]\n[]:[1]")])
    assert (s.strict_precision, s.lax_precision, s.strict_recall, s.lax_recall) == (1 / 3, 1 / 3, 0.5, 0.5)


def test_empty_and_duplicate_beads_are_ignored_like_vecalign() -> None:
    s = score([beads("[0]:[0]\n[]:[]")], [beads("[0]:[0]\n[0]:[0]\n[]:[]")])
    assert (s.test_beads, s.gold_beads, s.strict_f1) == (1, 1, 1.0)
    assert score([], []) == Scores.from_counts(0, 0, 0, 0, 0, 0)
    assert score([], []).strict_f1 == 0.0
    with pytest.raises(ValueError, match="2 gold documents but 1 test"):
        score([[], []], [[]])


def test_scores_str_is_a_compact_table() -> None:
    text = str(score([beads("[0]:[0]\n[1]:[1]")], [beads("[0]:[0]\n[1]:[2]")]))
    assert text.splitlines()[1].split() == ["precision", "0.500", "0.500"]
    assert text.splitlines()[-1] == "(2 test beads, 2 non-null gold beads)"


def test_parse_and_format_round_trip() -> None:
    text = "[0]:[0, 1]\n[1, 2]:[2, 3, 4]\n[]:[5]\n[3]:[]\n"
    parsed = parse_alignment(text)
    assert parsed == [((0,), (0, 1)), ((1, 2), (2, 3, 4)), ((), (5,)), ((3,), ())]
    assert format_alignment(parsed) == text
    scored = format_alignment(parsed, [0.87314, 1, 0, -0.5])
    assert scored.splitlines()[:2] == ["[0]:[0, 1]:0.8731", "[1, 2]:[2, 3, 4]:1.0000"]
    assert parse_alignment(scored) == parsed
    # Spacing is free and blank lines are skipped, as in files written by other tools.
    assert parse_alignment("  [1,2] : [1,2,3] : 0.5 \n\n[ ]:[7]\r\n") == [((1, 2), (1, 2, 3)), ((), (7,))]
    assert format_alignment([]) == ""
    with pytest.raises(ValueError):
        format_alignment(parsed, [0.5])


@pytest.mark.parametrize(
    "line",
    [
        "[0]:[0",
        "[0]-[1]",
        "[a]:[1]",
        "[0]:[1]:x",
        "[0]:[1]:0.5:7",
        "[-1]:[0]",
        "[0,]:[1]",
        "0:1",
        "[0]",
        "[0]:[1]:",
    ],
)
def test_malformed_line_raises_aligner_error_naming_file_and_line(tmp_path: Path, line: str) -> None:
    path = tmp_path / "doc.align"
    path.write_text(f"[0]:[0]\n{line}\n", encoding="utf-8")
    with pytest.raises(AlignerError, match="^" + re.escape(f"{path}:2: malformed alignment line")) as err:
        read_alignment(path)
    assert "\n" not in str(err.value)


def test_unreadable_file_raises_aligner_error(tmp_path: Path) -> None:
    with pytest.raises(AlignerError, match=r"cannot read alignment file .*absent.align: no such file$"):
        read_alignment(tmp_path / "absent.align")


def test_directories_are_paired_by_file_name(tmp_path: Path) -> None:
    docs = {
        "a.align": ("[0]:[0]\n[1]:[1]\n", "[0]:[0]\n[1]:[2]\n"),
        "b.align": ("[0, 1]:[0]\n", "[0, 1]:[0]\n"),
    }
    (gold_dir := tmp_path / "gold").mkdir()
    (test_dir := tmp_path / "test").mkdir()
    for name, (gold, test) in docs.items():
        (gold_dir / name).write_text(gold)
        (test_dir / name).write_text(test)
    (gold_dir / ".notes").write_text("not an alignment")
    (test_dir / "extra.align").write_text("[5]:[5]\n")
    expected = score([beads(g) for g, _ in docs.values()], [beads(t) for _, t in docs.values()])
    assert evaluate_paths(gold_dir, test_dir) == expected
    assert evaluate_paths(gold_dir / "b.align", test_dir / "b.align").strict_f1 == 1.0

    (gold_dir / "c.align").write_text("[0]:[0]\n")
    with pytest.raises(AlignerError, match=r"c\.align"):
        evaluate_paths(gold_dir, test_dir)
    with pytest.raises(AlignerError, match="must be one too"):
        evaluate_paths(gold_dir, test_dir / "a.align")
    with pytest.raises(AlignerError, match="does not exist"):
        evaluate_paths(tmp_path / "nowhere", test_dir)
    (tmp_path / "empty").mkdir()
    with pytest.raises(AlignerError, match="no gold alignment files"):
        evaluate_paths(tmp_path / "empty", test_dir)


def textberg_gold() -> list[list[Bead]]:
    return [read_alignment(TEXTBERG / f"test{i}.defr") for i in range(7)]


@needs_textberg
def test_textberg_gold_against_itself_is_perfect(tmp_path: Path) -> None:
    for i in range(7):
        (tmp_path / f"test{i}.defr").write_text((TEXTBERG / f"test{i}.defr").read_text())
    s = evaluate_paths(tmp_path, tmp_path)
    assert (s.test_beads, s.gold_beads) == (916, 858)  # 58 of the 916 gold beads are null beads
    rates = {s.strict_precision, s.strict_recall, s.strict_f1, s.lax_precision, s.lax_recall, s.lax_f1}
    assert rates == {1.0}


@needs_textberg
def test_textberg_gold_with_two_beads_merged() -> None:
    gold = textberg_gold()
    assert gold[4][:2] == [((0,), (0,)), ((1,), (1,))]
    test = [list(doc) for doc in gold]
    test[4][:2] = [((0, 1), (0, 1))]
    s = score(gold, test)
    # 916 beads become 915, of which all but the merged one are exact: precision 914/915; it shares
    # links with both gold beads, so lax precision 915/915. Of the 858 non-null gold beads the two merged
    # ones are no longer exact: recall 856/858; both share a link with the merged bead: lax recall 1.
    # Strict F1 = 2 * 914/915 * 856/858 / (914/915 + 856/858) = 2*914*856 / (914*858 + 856*915)
    #           = 1564768 / 1567452 = 0.99829.
    assert s == Scores.from_counts(915, 858, 914, 915, 856, 858)
    assert s.strict_f1 == pytest.approx(1564768 / 1567452)
    assert (s.lax_precision, s.lax_recall, s.lax_f1) == (1.0, 1.0, 1.0)


def test_numbering_that_cannot_match_the_gold_is_warned_about(tmp_path):
    gold, test = tmp_path / "gold.align", tmp_path / "test.align"
    gold.write_text("[0]:[0]\n[1]:[1]\n")
    test.write_text("[0]:[0]\n[1]:[1]\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        evaluate_paths(gold, test)
    test.write_text("[0]:[0]\n[1]:[1, 5]\n")
    with pytest.warns(UserWarning, match=r"target sentence id 5 is beyond the last of .*gold.align \(1\)"):
        evaluate_paths(gold, test)
    test.write_text("[0]:[0]\n[0, 1]:[1]\n")
    with pytest.warns(UserWarning, match=r"test.align: source sentence 0 is in two beads"):
        evaluate_paths(gold, test)
    # aligned from a version cut short: its last ids fall short of the gold's
    gold.write_text("[0]:[0]\n[1]:[1]\n[2]:[2]\n")
    test.write_text("[0]:[0]\n[1]:[1]\n")
    with pytest.warns(UserWarning, match=r"source sentence id 1 is short of the last matched in .*\(2\)"):
        evaluate_paths(gold, test)
    test.write_text("")
    with pytest.warns(UserWarning, match=r"test.align: no alignment lines, against 3 in .*gold.align"):
        evaluate_paths(gold, test)
    # matches alone (aligner align --only-linked) end before the gold's last null beads
    gold.write_text("[0]:[0]\n[1]:[1]\n[]:[2]\n[2]:[]\n")
    test.write_text("[0]:[0]\n[1]:[1]\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        evaluate_paths(gold, test)
