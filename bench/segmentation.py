"""Sentence segmentation benchmark: exact-match P/R/F1 of aligner and three libraries against gold.

    .venv/bin/python bench/segmentation.py [--speed]

Gold (bench/SEGMENTATION.md says why it is built this way):

- seeds: ``bench/gold/seeds/NNN.LANG.txt``, made by hand, one sentence a line, over the cleaned text;
- Text+Berg (de, fr; dev and test0-6): the pre-split lines, lightly detokenised (spaces only); a line
  that ends without a full stop, question or exclamation mark runs on into the next when it ends in
  , ; : or the next starts in lower case, and is otherwise a title, a paragraph by itself; the other
  lines are joined into paragraphs of at most 10 sentences;
- Bible (en, zh; ``001``: Genesis to Numbers 33:5): the lines, one that ends without a full stop,
  question or exclamation mark (a verse that ends mid-sentence) joined to the next; one document per
  chapter, paragraphs of at most 10 sentences.

aligner runs its whole pipeline (``split_sentences`` on the raw seed, or on the paragraphs joined by
blank lines); the libraries get the paragraphs (for the seeds, ``clean_text``'s blocks) one by one, so
they are measured on splitting alone. A predicted sentence is right when its span equals a gold span,
offsets counted in the text with all whitespace removed, so a sentence that occurs twice is matched
where it is; a system that changes characters is mapped onto the gold text by difflib. Counts are
pooled over a corpus's documents.
"""

# ruff: noqa: RUF001  (full-width CJK punctuation in patterns is deliberate)

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable, Iterator
from difflib import SequenceMatcher
from itertools import accumulate, groupby
from pathlib import Path

import blingfire
import pysbd
import sentencex

from aligner.clean import clean_text
from aligner.segment import is_cjk, split_sentences

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "bench"
GOLD = ROOT / "bench" / "gold"
SEEDS = {"000": "id", "001": "fr", "002": "zh", "003": "zh", "004": "ja"}
PARAGRAPH = 10  # gold sentences per paragraph in the corpora built from pre-split lines

_ENDS = re.compile(r"""[.!?。！？…]["'”’」』）)»]*$""")
_RUNS_ON = re.compile(r"[,;:]$")
# Text+Berg is tokenised ("mot , mot ."); these only remove spaces, so the gold spans do not change.
_DETOK = {
    "de": [(re.compile(r" ([,.;:!?)])"), r"\1"), (re.compile(r"\( "), "(")],
    "fr": [(re.compile(r" ([,.)])"), r"\1"), (re.compile(r"\( "), "("), (re.compile(r"(\w['’]) "), r"\1")],
}

Document = tuple[str, list[str], list[str]]  # (text for aligner, paragraphs for the libraries, gold)


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _ends(sentence: str) -> bool:
    return bool(_ENDS.search(sentence))


def _chunks(sentences: list[str], joiner: str) -> list[str]:
    return [joiner.join(sentences[i : i + PARAGRAPH]) for i in range(0, len(sentences), PARAGRAPH)]


# --- gold ------------------------------------------------------------------------------------------


def seed_documents(name: str) -> list[Document]:
    raw = next((ROOT / "seeds").glob(f"{name}_*.txt")).read_text(encoding="utf-8")
    gold = (GOLD / "seeds" / f"{name}.{SEEDS[name]}.txt").read_text(encoding="utf-8").splitlines()
    return [(raw, clean_text(raw), gold)]


def textberg_documents(lang: str) -> Iterator[Document]:
    for name in ["dev", *(f"test{i}" for i in range(7))]:
        text = (DATA / "textberg" / f"{name}.{lang}").read_text(encoding="utf-8")
        lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
        for pattern, repl in _DETOK[lang]:
            lines = [pattern.sub(repl, line) for line in lines]
        sentences: list[str] = []
        for line in lines:
            if (
                sentences
                and not _ends(sentences[-1])
                and (line[:1].islower() or _RUNS_ON.search(sentences[-1]))
            ):
                sentences[-1] += " " + line
            else:
                sentences.append(line)
        # A title (no final stop) is a paragraph of its own, as it is in the printed text.
        paragraphs = []
        for is_title, group in groupby(sentences, key=lambda s: not _ends(s)):
            run = list(group)
            paragraphs += run if is_title else _chunks(run, " ")
        yield "\n\n".join(paragraphs), paragraphs, sentences


def bible_documents(lang: str) -> Iterator[Document]:
    lines = (DATA / "bible_en_zh" / f"001.{lang}").read_text(encoding="utf-8").splitlines()
    # The verse ids cover the whole Bible; 001 is its first lines.
    verses = (DATA / "bible_en_zh" / f"{lang}.verse").read_text(encoding="utf-8").splitlines()[: len(lines)]
    joiner = "" if is_cjk(lang) else " "
    for _, chapter in groupby(zip(verses, lines, strict=True), key=lambda pair: pair[0].rsplit(":", 1)[0]):
        sentences: list[str] = []
        for _, line in chapter:
            if sentences and not _ends(sentences[-1]):
                sentences[-1] += joiner + line.strip()
            elif line.strip():
                sentences.append(line.strip())
        paragraphs = _chunks(sentences, joiner)
        yield "\n\n".join(paragraphs), paragraphs, sentences


def corpora() -> list[tuple[str, str, list[Document]]]:
    out = [(f"seed {name}", lang, seed_documents(name)) for name, lang in SEEDS.items()]
    out += [("Text+Berg", lang, list(textberg_documents(lang))) for lang in ("de", "fr")]
    out += [("Bible 001", lang, list(bible_documents(lang))) for lang in ("en", "zh")]
    return out


# --- systems ---------------------------------------------------------------------------------------

_SEGMENTERS: dict[str, pysbd.Segmenter] = {}


def _pysbd(text: str, lang: str) -> list[str]:
    # pysbd has no Indonesian; its English rules are the nearest it has.
    lang = lang if lang in pysbd.languages.LANGUAGE_CODES else "en"
    if lang not in _SEGMENTERS:
        _SEGMENTERS[lang] = pysbd.Segmenter(language=lang, clean=False)
    return _SEGMENTERS[lang].segment(text)


LIBRARIES: dict[str, Callable[[str, str], list[str]]] = {
    "pysbd": _pysbd,
    "sentencex": lambda text, lang: list(sentencex.segment(lang, text)),
    "blingfire": lambda text, _: blingfire.text_to_sentences(text).split("\n"),
}
SYSTEMS = ["aligner", *LIBRARIES]


def run(system: str, document: Document, lang: str) -> list[str]:
    text, paragraphs, _ = document
    if system == "aligner":
        return split_sentences(text, lang)
    return [s for paragraph in paragraphs for s in LIBRARIES[system](paragraph, lang)]


# --- scoring ---------------------------------------------------------------------------------------


def spans(sentences: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """The squeezed text and each sentence's (start, end) in it; empty sentences are dropped."""
    ends = list(accumulate(n for n in map(len, map(_squeeze, sentences)) if n))
    return "".join(map(_squeeze, sentences)), list(zip([0, *ends], ends, strict=False))


def _offset_map(source: str, target: str) -> dict[int, int]:
    """Offsets of `source` that have a counterpart in `target`: those inside or at the edge of a match."""
    # difflib is quadratic, so it only sees what lies between the common prefix and suffix.
    shorter = min(len(source), len(target))
    prefix = next((i for i in range(shorter) if source[i] != target[i]), shorter)
    suffix = next((k for k in range(shorter - prefix) if source[-1 - k] != target[-1 - k]), shorter - prefix)
    mapping = {i: i for i in range(prefix + 1)}
    mapping.update({len(source) - k: len(target) - k for k in range(suffix + 1)})
    a_mid, b_mid = source[prefix : len(source) - suffix], target[prefix : len(target) - suffix]
    for a, b, size in SequenceMatcher(None, a_mid, b_mid, autojunk=False).get_matching_blocks():
        mapping.update({prefix + a + k: prefix + b + k for k in range(size + 1)})
    return mapping


def count(gold: list[str], predicted: list[str]) -> tuple[int, int, int]:
    """(right, predicted, gold) sentence counts for one document."""
    gold_text, gold_spans = spans(gold)
    text, predicted_spans = spans(predicted)
    if text != gold_text:
        mapping = _offset_map(text, gold_text)
        predicted_spans = [(mapping.get(a, -1), mapping.get(b, -1)) for a, b in predicted_spans]
    return len(set(gold_spans) & set(predicted_spans)), len(predicted_spans), len(gold_spans)


def prf(right: int, predicted: int, gold: int) -> tuple[float, float, float]:
    p, r = right / max(predicted, 1), right / max(gold, 1)
    return p, r, 2 * p * r / max(p + r, 1e-9)


def evaluate() -> None:
    print("| corpus | lang | gold sentences | " + " | ".join(f"{s} F1 (P / R)" for s in SYSTEMS) + " |")
    print("|---|---|---|" + "---|" * len(SYSTEMS))
    for corpus, lang, documents in corpora():
        cells = []
        for system in SYSTEMS:
            counts = [count(document[2], run(system, document, lang)) for document in documents]
            p, r, f = prf(*map(sum, zip(*counts, strict=True)))
            cell = f"{f:.3f} ({p:.3f} / {r:.3f})"
            cells.append(f"**{cell}**" if system == "aligner" else cell)
        n_gold = sum(len(document[2]) for document in documents)
        print(f"| {corpus} | {lang} | {n_gold} | " + " | ".join(cells) + " |")


def speed(megabytes: int = 10) -> None:
    """Time aligner's split_sentences (cleaning included) on 10 MB of Bible text, in paragraphs and as one
    line, and the libraries on the first MB of the paragraphs."""
    for lang in ("en", "zh"):
        joiner = "" if is_cjk(lang) else " "
        lines = (DATA / "bible_en_zh" / f"006.{lang}").read_text(encoding="utf-8").splitlines()
        text = "\n\n".join(_chunks(lines, joiner))
        size = megabytes * 1_000_000
        text = (text * (size // len(text.encode()) + 1)).encode()[:size].decode(errors="ignore")
        for layout, document in (("paragraphs", text), ("one line", text.replace("\n\n", joiner))):
            started = time.perf_counter()
            n = len(split_sentences(document, lang))
            seconds = time.perf_counter() - started
            print(f"aligner {lang}, {layout}: {megabytes} MB, {n} sentences, {seconds:.1f} s")
        sample = text.encode()[:1_000_000].decode(errors="ignore").split("\n\n")
        for name, split in LIBRARIES.items():
            started = time.perf_counter()
            for paragraph in sample:
                split(paragraph, lang)
            print(f"{name} {lang}: 1 MB, {time.perf_counter() - started:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", action="store_true", help="also time splitting 10 MB of text")
    evaluate()
    if parser.parse_args().speed:
        speed()


if __name__ == "__main__":
    main()
