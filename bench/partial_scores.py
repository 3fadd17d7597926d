"""How far the scores can be trusted where two versions share only a passage: Tatoeba lines
translated on both sides, between lines that each version has alone.

    .venv/bin/python bench/partial_scores.py [--seeds 3]

Each document takes English against French, Chinese, Japanese or Indonesian from the test half
of ``../shared/bench/tatoeba`` (pairs 500-999, which no bead model or calibration saw): a
shared passage of 5-40 translated lines, and before and after it 0-40 lines on each side that
are not translations of anything on the other (each side draws its own). The gold links the
shared lines one to one and leaves every other line unaligned. Full translations (no lines
of their own) are the control.

Per kind of document it prints the links the table makes (right: a shared line with its
translation; wrong: any other), the mean score of each, how many wrong links score 0.5 or more
and 0.85 or more, and how many documents were warned about as not translations.
"""

from __future__ import annotations

import argparse
import random
import warnings
from dataclasses import dataclass

import numpy as np
from paths import BENCH

from aligner.api import align

LANGS = {"fr": "fra", "zh": "cmn", "ja": "jpn", "id": "ind"}
TEST_PAIRS = range(500, 1000)
SHARED = (5, 10, 20, 40)
OWN_LINES = ((0, 20), (10, 10), (20, 20), (40, 20), (10, 40))
"""Lines each version has alone, before and after the shared passage."""


@dataclass
class Links:
    right: list[float]
    wrong: list[float]
    shared: int
    warned: bool


def tatoeba(lang: str) -> tuple[list[str], list[str]]:
    stem = f"tatoeba.{LANGS[lang]}-eng"
    english = (BENCH / "tatoeba" / f"{stem}.eng").read_text(encoding="utf-8").splitlines()
    other = (BENCH / "tatoeba" / f"{stem}.{LANGS[lang]}").read_text(encoding="utf-8").splitlines()
    return english, other


def document_links(
    english: list[str], other: list[str], lang: str, shared: int, before: int, after: int, rng: random.Random
) -> Links:
    drawn = rng.sample(list(TEST_PAIRS), shared + 2 * (before + after))
    passage, own = drawn[:shared], drawn[shared:]
    own_en, own_other = own[: before + after], own[before + after :]
    source = [english[i] for i in own_en[:before] + passage + own_en[before:]]
    target = [other[i] for i in own_other[:before] + passage + own_other[before:]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = align({"en": source, lang: target})
    right, wrong = [], []
    for row, score in zip(table.rows, table.scores, strict=True):
        a, b = row[table.langs.index("en")], row[table.langs.index(lang)]
        if a and b:
            true = len(a) == len(b) == 1 and a[0] == b[0] and before <= a[0] < before + shared
            (right if true else wrong).append(float(score))
    warned = any("translations of each other" in str(w.message) for w in caught)
    return Links(right, wrong, shared, warned)


def summary(name: str, links: list[Links]) -> str:
    right = [s for d in links for s in d.right]
    wrong = [s for d in links for s in d.wrong]
    shared = sum(d.shared for d in links)
    precision = len(right) / max(len(right) + len(wrong), 1)
    recall = len(right) / max(shared, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    wrong_mean = f"{np.mean(wrong):.3f}" if wrong else "-"
    return (
        f"| {name} | {len(links)} | {precision:.3f} / {recall:.3f} / {f1:.3f} | {len(right)}, "
        f"{np.mean(right) if right else float('nan'):.3f} | {len(wrong)}, {wrong_mean} | "
        f"{sum(s >= 0.5 for s in wrong)} | {sum(s >= 0.85 for s in wrong)} | {sum(d.warned for d in links)} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="documents per language and kind")
    args = parser.parse_args()
    print(
        "| documents | count | links P / R / F1 | right links, mean score | wrong links, mean score "
        "| wrong scored >= 0.5 | wrong scored >= 0.85 | warned |"
    )
    print("|---|---|---|---|---|---|---|---|")
    partial: list[Links] = []
    full: list[Links] = []
    for lang in LANGS:
        english, other = tatoeba(lang)
        rng = random.Random(f"partial-scores-{lang}")
        of_lang = []
        for _ in range(args.seeds):
            for shared in SHARED:
                full.append(document_links(english, other, lang, shared, 0, 0, rng))
                for before, after in OWN_LINES:
                    of_lang.append(document_links(english, other, lang, shared, before, after, rng))
        print(summary(f"en-{lang}, a shared passage", of_lang))
        partial += of_lang
    print(summary("all, a shared passage", partial))
    print(summary("all, full translations (control)", full))


if __name__ == "__main__":
    main()
