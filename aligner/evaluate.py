"""Score sentence alignments against a gold standard, exactly as Vecalign's ``score.py`` does.

Vecalign (Thompson & Koehn 2019) and Bertalign (whose ``eval.py`` is a copy of it) define, per document:

* Beads empty on both sides are dropped, and each side is a *set*: a bead repeated in a file counts once.
* Precision is over **all** test beads, null beads (``[]:[5]``, ``[6]:[]``) included. A test bead is
  strictly correct when it is exactly a gold bead (so a null bead can only be correct this way), and laxly
  correct when it is strictly correct or shares at least one source id *and* one target id with some gold
  bead. A null bead shares no pair of ids with anything, so it is never laxly correct unless strictly so.
* Recall is over **non-null** gold beads only, and is precision with the roles swapped after null beads are
  removed from both sides: a gold bead is found strictly when it is exactly a non-null test bead, laxly
  when it shares a source and a target id with some non-null test bead.

Counts are summed over all documents before dividing (pooled, not averaged per document); a ratio with a
zero denominator is 0.0, and F1 is the harmonic mean of the pooled precision and recall.

It was checked against Vecalign's ``score.py`` on Bertalign's stored Text+Berg output (see the README).
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aligner.errors import AlignerError

Bead = tuple[tuple[int, ...], tuple[int, ...]]

_SIDE = r"\[\s*((?:\d+\s*(?:,\s*\d+\s*)*)?)\]"
_LINE = re.compile(rf"\s*{_SIDE}\s*:\s*{_SIDE}\s*(?::\s*(\S+)\s*)?")


def _parse_line(line: str) -> Bead | None:
    m = _LINE.fullmatch(line)
    if m is None:
        return None
    if m[3] is not None:
        try:
            float(m[3])  # the score is validated but not kept: scoring only needs the beads
        except ValueError:
            return None
    src, tgt = (tuple(int(i) for i in side.split(",")) if side else () for side in (m[1], m[2]))
    return src, tgt


def parse_alignment(text: str, name: str = "<alignment>") -> list[Bead]:
    """Parse Vecalign-format lines (``[0]:[0, 1]``, optionally ``:score``); blank lines are skipped.

    ``name`` only labels error messages (``read_alignment`` passes the file path).
    """
    beads: list[Bead] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        bead = _parse_line(line)
        if bead is None:
            raise AlignerError(
                f"{name}:{lineno}: malformed alignment line {line.strip()!r} "
                "(expected e.g. '[0]:[0, 1]' or '[1, 2]:[3]:0.87')"
            )
        beads.append(bead)
    return beads


def read_alignment(path: Path) -> list[Bead]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AlignerError(f"cannot read alignment file {path}: no such file") from None
    except OSError as e:
        raise AlignerError(f"cannot read alignment file {path}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise AlignerError(f"cannot read alignment file {path}: {e}") from None
    return parse_alignment(text, str(path))


def format_alignment(beads: Sequence[Bead], scores: Sequence[float] | None = None) -> str:
    """Vecalign format, one bead a line (``[1, 2]:[3]:0.8731``), with a trailing newline."""

    def side(ids: Iterable[int]) -> str:
        return "[" + ", ".join(map(str, ids)) + "]"

    if scores is None:
        lines = [f"{side(s)}:{side(t)}" for s, t in beads]
    else:
        lines = [f"{side(s)}:{side(t)}:{x:.4f}" for (s, t), x in zip(beads, scores, strict=True)]
    return "".join(line + "\n" for line in lines)


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Scores:
    strict_precision: float
    strict_recall: float
    strict_f1: float
    lax_precision: float
    lax_recall: float
    lax_f1: float
    test_beads: int  # precision denominator: distinct test beads, null beads included
    gold_beads: int  # recall denominator: distinct non-null gold beads
    strict_correct: int  # test beads that are exactly a gold bead
    lax_correct: int
    strict_found: int  # non-null gold beads that are exactly a test bead
    lax_found: int

    @classmethod
    def from_counts(
        cls,
        test_beads: int,
        gold_beads: int,
        strict_correct: int,
        lax_correct: int,
        strict_found: int,
        lax_found: int,
    ) -> Scores:
        sp, lp = _ratio(strict_correct, test_beads), _ratio(lax_correct, test_beads)
        sr, lr = _ratio(strict_found, gold_beads), _ratio(lax_found, gold_beads)
        return cls(
            sp,
            sr,
            _f1(sp, sr),
            lp,
            lr,
            _f1(lp, lr),
            test_beads,
            gold_beads,
            strict_correct,
            lax_correct,
            strict_found,
            lax_found,
        )

    def __str__(self) -> str:
        return (
            f"{'':10} {'strict':>7} {'lax':>7}\n"
            f"{'precision':10} {self.strict_precision:7.3f} {self.lax_precision:7.3f}\n"
            f"{'recall':10} {self.strict_recall:7.3f} {self.lax_recall:7.3f}\n"
            f"{'F1':10} {self.strict_f1:7.3f} {self.lax_f1:7.3f}\n"
            f"({self.test_beads} test beads, {self.gold_beads} non-null gold beads)"
        )


def _bead_set(beads: Iterable[Bead], *, nulls: bool) -> set[Bead]:
    # Tuples, so that beads given with list sides still hash and compare like parsed ones.
    return {(tuple(s), tuple(t)) for s, t in beads if (s and t) or (nulls and (s or t))}


def _matches(reference: set[Bead], candidates: set[Bead]) -> tuple[int, int]:
    """How many candidates are exactly in reference, and how many also or instead share a link with it."""
    links = {(s, t) for src, tgt in reference for s in src for t in tgt}
    strict = lax = 0
    for bead in candidates:
        if bead in reference:
            strict += 1
            lax += 1
        elif any((s, t) in links for s in bead[0] for t in bead[1]):
            lax += 1
    return strict, lax


def score(gold_docs: Sequence[Sequence[Bead]], test_docs: Sequence[Sequence[Bead]]) -> Scores:
    """Strict and lax precision, recall and F1 of test against gold, counts pooled over the documents."""
    if len(gold_docs) != len(test_docs):
        raise ValueError(f"{len(gold_docs)} gold documents but {len(test_docs)} test documents")
    totals = [0] * 6
    for gold, test in zip(gold_docs, test_docs, strict=True):
        test_all, gold_nonnull = _bead_set(test, nulls=True), _bead_set(gold, nulls=False)
        strict_correct, lax_correct = _matches(_bead_set(gold, nulls=True), test_all)
        strict_found, lax_found = _matches(_bead_set(test, nulls=False), gold_nonnull)
        counts = (len(test_all), len(gold_nonnull), strict_correct, lax_correct, strict_found, lax_found)
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    return Scores.from_counts(*totals)


def evaluate_paths(gold: Path, test: Path) -> Scores:
    """Score a test alignment file against a gold one, or each gold file in a directory against the
    same-named file in a test directory (hidden files ignored, extra test files ignored)."""
    gold, test = Path(gold), Path(test)
    if not gold.exists():
        raise AlignerError(f"gold alignment {gold} does not exist")
    if not gold.is_dir():
        return _score_files([gold], [test])
    if not test.is_dir():
        raise AlignerError(f"gold {gold} is a directory, so test {test} must be one too")
    names = sorted(p.name for p in gold.iterdir() if p.is_file() and not p.name.startswith("."))
    if not names:
        raise AlignerError(f"no gold alignment files in {gold}")
    missing = [n for n in names if not (test / n).is_file()]
    if missing:
        raise AlignerError(
            f"no test alignment for gold {gold / missing[0]} (expected {test / missing[0]})"
            + (f" and {len(missing) - 1} more" if len(missing) > 1 else "")
        )
    return _score_files([gold / n for n in names], [test / n for n in names])


def _score_files(gold: Sequence[Path], test: Sequence[Path]) -> Scores:
    gold_docs, test_docs = [read_alignment(p) for p in gold], [read_alignment(p) for p in test]
    for gold_path, test_path, gold_beads, test_beads in zip(gold, test, gold_docs, test_docs, strict=True):
        check_numbering(gold_beads, test_beads, str(gold_path), str(test_path))
    return score(gold_docs, test_docs)


def check_numbering(gold: Sequence[Bead], test: Sequence[Bead], gold_name: str, test_name: str) -> None:
    """Warn where the test cannot be numbered as the gold is: it is empty, its last sentence id
    on a side is beyond the gold's last, or short of the gold's last match (one of them was
    aligned from other or fewer sentences), or a sentence is in two beads of one file (the
    scores would then be meaningless)."""
    if gold and not test:
        warnings.warn(f"{test_name}: no alignment lines, against {len(gold)} in {gold_name}", stacklevel=3)
    for side, label in ((0, "source"), (1, "target")):
        gold_ids = [i for bead in gold for i in bead[side]]
        test_ids = [i for bead in test for i in bead[side]]
        # a test of matches alone may end before the gold's last null beads, not before its last match
        matched = [i for bead in gold if bead[0] and bead[1] for i in bead[side]]
        if gold_ids and test_ids and max(test_ids) > max(gold_ids):
            shown = f"is beyond the last of {gold_name} ({max(gold_ids)})"
        elif matched and test_ids and max(test_ids) < max(matched):
            shown = f"is short of the last matched in {gold_name} ({max(matched)})"
        else:
            shown = ""
        if shown:
            warnings.warn(
                f"{test_name}: {label} sentence id {max(test_ids)} {shown}: are they numbered alike "
                "(from 0, the same sentences)?",
                stacklevel=3,
            )
        for name, ids in ((gold_name, gold_ids), (test_name, test_ids)):
            twice = next((i for i, count in Counter(ids).items() if count > 1), None)
            if twice is not None:
                warnings.warn(f"{name}: {label} sentence {twice} is in two beads", stacklevel=3)
