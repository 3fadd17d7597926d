"""Alignment benchmarks: strict and lax P/R/F1, time and peak memory of the default pipeline.

    .venv/bin/python bench/alignment.py textberg-test [--model e5-small] [--no-cache] [--memory]
    .venv/bin/python bench/alignment.py textberg-dev | bible-001 | bible-006 | seeds-id-fr
    .venv/bin/python bench/alignment.py textberg-test-moved   # any dataset, a passage moved
    .venv/bin/python bench/alignment.py bible-001-first600-moved50   # 50 gold beads moved (default 6)
    .venv/bin/python bench/alignment.py textberg-test-partial50   # half the target side's matches dropped
    .venv/bin/python bench/alignment.py bible-001-offset30   # the sides share a passage at an offset
    .venv/bin/python bench/alignment.py textberg-test --pool  # one lexicon for all documents

Data come from ``../shared/bench`` or ``$ALIGNER_BENCH_DATA`` (pre-split sentences with
Vecalign-format gold). Every document is aligned with ``aligner.merge.align_versions``, exactly
as ``aligner align --presplit`` does (a first pass, a lexicon learned from it, the lexical
pass); alignments go to ``outputs/bench/<dataset>/`` and the scores are pooled over documents.
Time is split into encoding, learning lexicons and aligning (both passes). With ``--memory``,
the peak memory of learning and aligning alone (tracemalloc, which sees numpy's buffers, so the
encoder's weights do not hide it; it slows them). With ``--calibration`` it also prints the
precision of beads by score bucket.

Fitting (each writes into the model's fitted values, ``aligner/fitted/<model>.json``; the
dataset argument is then only what is scored first): ``--fit-bead-model`` fits the bead models
of both passes on the training sets (Text+Berg dev, Tatoeba's tuning half, Bible beads outside
001), with ``--with-test-documents`` then refits them with the Text+Berg test documents too
and prints their leave-one-document-out F1; ``--fit-shares`` chooses a combined model's
shares; ``--fit-excerpt-null-slope`` chooses how far the null gain rises in partial
translations, on partial versions of the training sets; ``--fit-chance-run`` chooses how many
weak matches in a row are taken for text each version has alone (``BeadModel.chance_run``), on
the training sets and their partial, offset, own-text and news-sized versions;
``--fit-calibration`` fits the row scores on the training sets.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import numpy as np
from paths import BENCH, OUTPUTS, ROOT

from aligner import fitted
from aligner.encode import DEFAULT_MODEL, encode, load_encoder, open_cache
from aligner.encode.combined import CombinedEncoder
from aligner.evaluate import Bead, format_alignment, read_alignment, score
from aligner.fitted import FEATURES, ROW_KINDS, BeadModel
from aligner.lexical import Lexicon, lexical_vectors_by_language, lexicon_for
from aligner.merge import align_versions, lexical_pass, pooled_lexicons, version_units
from aligner.pairwise import align_units
from aligner.pairwise.dp import many_bead_features
from aligner.pairwise.gains import refined_path
from aligner.scoring import merge_gains, row_evidence
from aligner.settings import Settings, resolve
from aligner.table import Version

Value = TypeVar("Value", int, float)

Document = tuple[str, Path, Path, Path, tuple[str, str]]
"""Name, source sentences, target sentences, gold alignment, languages."""


def documents(dataset: str) -> Iterator[Document]:
    base, _, keep = dataset.rpartition("-partial")
    if base and keep.isdigit() and 0 < int(keep) <= 100:
        for name, src, tgt, gold, langs in documents(base):
            if not gold.is_file():
                raise SystemExit(f"{dataset}: no gold alignment to renumber")
            partial = partial_translation(tgt, gold, int(keep) / 100, OUTPUTS / dataset / "input")
            yield name, src, *partial, langs
    elif (offset := dataset.rpartition("-offset"))[0] and offset[2].isdigit() and 0 < int(offset[2]) < 50:
        for name, src, tgt, gold, langs in documents(offset[0]):
            if not gold.is_file():
                raise SystemExit(f"{dataset}: no gold alignment to renumber")
            cut = offset_passage(src, tgt, gold, int(offset[2]) / 100, OUTPUTS / dataset / "input")
            yield name, *cut, langs
    elif (first := dataset.rpartition("-first"))[0] and first[2].isdigit() and int(first[2]) > 0:
        for name, src, tgt, gold, langs in documents(first[0]):
            if not gold.is_file():
                raise SystemExit(f"{dataset}: no gold alignment to renumber")
            yield name, *first_beads(src, tgt, gold, int(first[2]), OUTPUTS / dataset / "input"), langs
    elif (moved := dataset.rpartition("-moved"))[0] and (moved[2] == "" or moved[2].isdigit()):
        for name, src, tgt, gold, langs in documents(moved[0]):
            if not gold.is_file():
                raise SystemExit(f"{dataset}: no gold alignment to renumber")
            count = int(moved[2] or MOVED_BEADS)
            yield name, src, *moved_block(tgt, gold, OUTPUTS / dataset / "input", count), langs
    elif dataset.startswith("textberg-"):
        names = ["dev"] if dataset == "textberg-dev" else [f"test{i}" for i in range(7)]
        data = BENCH / "textberg"
        for name in names:
            yield name, data / f"{name}.de", data / f"{name}.fr", data / f"{name}.defr", ("de", "fr")
    elif dataset.startswith("bible-"):
        name, data = dataset.split("-")[1], BENCH / "bible_en_zh"
        yield name, data / f"{name}.en", data / f"{name}.zh", data / f"{name}.align", ("en", "zh")
    elif dataset == "seeds-id-fr":
        # The pre-split Indonesian and French seeds translate each other sentence by sentence.
        data = ROOT / "tests" / "data"
        yield "seeds", data / "seed000.id", data / "seed001.fr", Path(), ("id", "fr")
    else:
        raise SystemExit(f"unknown dataset {dataset!r}")


MOVED_BEADS = 6
MOVED_FROM = 0.4


def moved_block(tgt: Path, gold: Path, out_dir: Path, count: int = MOVED_BEADS) -> tuple[Path, Path]:
    """The target side with the sentences of ``count`` consecutive gold beads that have target
    sentences, from the first match ``MOVED_FROM`` of the way through, moved to the end, and the
    gold renumbered to match: a passage one version puts elsewhere, which a monotone alignment
    cannot follow."""
    lines = tgt.read_text(encoding="utf-8").splitlines()
    beads = read_alignment(gold)
    matches = [k for k, (s, t) in enumerate(beads) if s and t]
    first = matches[int(len(matches) * MOVED_FROM)]
    block = {j for _, t in [bead for bead in beads[first:] if bead[1]][:count] for j in t}
    order = [j for j in range(len(lines)) if j not in block] + sorted(block)
    new_id = {old: new for new, old in enumerate(order)}
    out_dir.mkdir(parents=True, exist_ok=True)
    moved_tgt, moved_gold = out_dir / tgt.name, out_dir / gold.name
    moved_tgt.write_text("".join(lines[j] + "\n" for j in order), encoding="utf-8")
    moved_gold.write_text(
        format_alignment([(s, tuple(new_id[j] for j in t)) for s, t in beads]), encoding="utf-8"
    )
    return moved_tgt, moved_gold


def first_beads(src: Path, tgt: Path, gold: Path, count: int, out_dir: Path) -> tuple[Path, Path, Path]:
    """The sentences of the first ``count`` gold beads of each side, and those beads renumbered."""
    beads = read_alignment(gold)[:count]
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = out_dir / src.name, out_dir / tgt.name, out_dir / gold.name
    renumbered: list[list[tuple[int, ...]]] = [[], []]
    for side, (source, path) in enumerate(zip((src, tgt), paths[:2], strict=True)):
        lines = source.read_text(encoding="utf-8").splitlines()
        kept = [k for bead in beads for k in bead[side]]
        path.write_text("".join(lines[k] + "\n" for k in kept), encoding="utf-8")
        new_id = {old: new for new, old in enumerate(kept)}
        renumbered[side] = [tuple(new_id[k] for k in bead[side]) for bead in beads]
    paths[2].write_text(format_alignment(list(zip(*renumbered, strict=True))), encoding="utf-8")
    return paths


def offset_passage(src: Path, tgt: Path, gold: Path, share: float, out_dir: Path) -> tuple[Path, Path, Path]:
    """Both sides cut so that they share a passage at an offset: the source without the
    sentences of the last ``share`` of the gold beads, the target without those of the first
    ``share``, and the gold renumbered to match, each side's own sentences as insertions or
    deletions (two pages that quote one text, each with material of its own around it)."""
    beads = read_alignment(gold)
    first, last = round(len(beads) * share), round(len(beads) * (1 - share))
    src_lines, tgt_lines = (path.read_text(encoding="utf-8").splitlines() for path in (src, tgt))
    src_kept = [i for s, _ in beads[:last] for i in s]
    tgt_kept = [j for _, t in beads[first:] for j in t]
    src_id = {old: new for new, old in enumerate(src_kept)}
    tgt_id = {old: new for new, old in enumerate(tgt_kept)}
    renumbered: list[Bead] = []
    for k, (s, t) in enumerate(beads):
        s = tuple(src_id[i] for i in s) if k < last else ()
        t = tuple(tgt_id[j] for j in t) if k >= first else ()
        renumbered += [(s, t)] if s and t else [((i,), ()) for i in s] + [((), (j,)) for j in t]
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = out_dir / src.name, out_dir / tgt.name, out_dir / gold.name
    paths[0].write_text("".join(src_lines[i] + "\n" for i in src_kept), encoding="utf-8")
    paths[1].write_text("".join(tgt_lines[j] + "\n" for j in tgt_kept), encoding="utf-8")
    paths[2].write_text(format_alignment(renumbered), encoding="utf-8")
    return paths


def partial_translation(tgt: Path, gold: Path, keep: float, out_dir: Path) -> tuple[Path, Path]:
    """The target side with each gold match's sentences kept with chance ``keep`` (drawn the
    same way on every run), and the gold renumbered to match, the source sentences of the
    dropped matches as deletions: a version that translates only part of the other, with one
    side about ``1 / keep`` times as long (an excerpt, a summary, a translation left unfinished
    in places)."""
    lines = tgt.read_text(encoding="utf-8").splitlines()
    kept, beads = dropped_matches(read_alignment(gold), keep, np.random.default_rng(list(tgt.name.encode())))
    out_dir.mkdir(parents=True, exist_ok=True)
    partial_tgt, partial_gold = out_dir / tgt.name, out_dir / gold.name
    partial_tgt.write_text("".join(lines[j] + "\n" for j in kept), encoding="utf-8")
    partial_gold.write_text(format_alignment(beads), encoding="utf-8")
    return partial_tgt, partial_gold


def dropped_matches(gold: list[Bead], keep: float, rng: np.random.Generator) -> tuple[list[int], list[Bead]]:
    """The target sentences kept when each match of ``gold`` keeps its target side with chance
    ``keep``, and the gold renumbered to them, the source sentences of the others deletions."""
    beads: list[Bead] = []
    kept: list[int] = []
    for src_ids, tgt_ids in gold:
        if src_ids and tgt_ids and rng.random() >= keep:
            beads += [((i,), ()) for i in src_ids]
            continue
        new_ids = tuple(range(len(kept), len(kept) + len(tgt_ids)))
        kept += tgt_ids
        beads += [(src_ids, new_ids)] if src_ids else [((), (j,)) for j in new_ids]
    return kept, beads


TATOEBA_TUNE_LANGS = {"ind": "id", "fra": "fr", "cmn": "zh", "jpn": "ja"}


def tatoeba_tune() -> Iterator[tuple[list[tuple[str, list[str]]], list[Bead]]]:
    """Pseudo-documents of 50 English sentences and their translations from the tuning half of
    each Tatoeba set (the first 500 pairs), with the edits of ``bench/nway.py`` on both sides:
    sentences left out, consecutive ones joined, others inserted. They teach the bead model
    and its null gains what omissions and insertions look like, which Text+Berg dev has few of."""
    from nway import Edits, join_on_shared_keys, render

    edits = Edits()
    for number, (lang, code) in enumerate(TATOEBA_TUNE_LANGS.items()):
        english, own = (
            (BENCH / "tatoeba" / f"tatoeba.{lang}-eng.{side}").read_text(encoding="utf-8").splitlines()[:500]
            for side in ("eng", lang)
        )
        rng = np.random.default_rng(number)
        for part in np.array_split(rng.permutation(500), 10):
            meanings = [int(k) for k in part]
            rest = sorted(set(range(500)) - set(meanings))
            sides = [
                render(c, meanings, texts, [texts[k] for k in rest], edits, rng)
                for c, texts in (("en", english), (code, own))
            ]
            units = [[((k,), set(m)) for k, m in enumerate(side.meanings)] for side in sides]
            gold = join_on_shared_keys(*units)
            yield [(side.lang, side.lines) for side in sides], gold


def calibration(gold_docs: list[list[Bead]], test_docs: list[list[Bead]], scores: list[np.ndarray]) -> str:
    """Share of test beads that are exactly right, per score bucket, and the expected
    calibration error (bead-weighted mean gap between a bucket's mean score and its precision)."""
    edges = [0.0, 0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 1.01]
    right: list[list[bool]] = [[] for _ in edges[:-1]]
    given: list[list[float]] = [[] for _ in edges[:-1]]
    for gold, test, values in zip(gold_docs, test_docs, scores, strict=True):
        gold_set = set(gold)
        for bead, value in zip(test, values, strict=True):
            bucket = min(int(np.searchsorted(edges, value, side="right")) - 1, len(right) - 1)
            right[bucket].append(bead in gold_set)
            given[bucket].append(float(value))
    lines = ["score bucket   beads  mean score  precision"]
    gaps = 0.0
    for low, high, hits, values in zip(edges, edges[1:], right, given, strict=False):
        bucket = f"[{low:.1f}, {min(high, 1.0):.1f})  {len(hits):6d}"
        if hits:
            gaps += len(hits) * abs(np.mean(values) - np.mean(hits))
            lines.append(f"{bucket}  {np.mean(values):10.3f}  {np.mean(hits):9.3f}")
        else:
            lines.append(f"{bucket}  {'-':>10}  {'-':>9}")
    lines.append(f"expected calibration error {gaps / max(sum(map(len, right)), 1):.3f}")
    alone = [
        (float(value), bead in set(gold))
        for gold, test, values in zip(gold_docs, test_docs, scores, strict=True)
        for bead, value in zip(test, values, strict=True)
        if not (bead[0] and bead[1])
    ]
    if alone:
        given, hits = np.array(alone).T
        confident = given >= 0.5
        right_when_confident = f"{hits[confident].mean():.3f}" if confident.any() else "-"
        lines.append(
            f"rows with one language: {len(alone)}, mean score {given.mean():.3f}, right {hits.mean():.3f}; "
            f"scored 0.5 or more: {int(confident.sum())}, right {right_when_confident}"
        )
    return "\n".join(lines)


def fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float = 1e-3, weights: np.ndarray | None = None
) -> np.ndarray:
    """Intercept, then one coefficient per column of ``x`` (or the slope of a 1-D ``x``), of a
    logistic regression of ``y`` (Newton steps on standardised columns, light L2), each row
    counted ``weights`` times (default once)."""
    x = x.reshape(len(x), -1)
    counts = np.ones(len(x)) if weights is None else weights * len(x) / weights.sum()
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std < 1e-9] = 1.0  # a constant column: its slope stays 0 (the intercept carries it)
    design = np.c_[np.ones(len(x)), (x - mean) / std]
    coefficients = np.zeros(design.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-design @ coefficients))
        gradient = design.T @ (counts * (y - p)) - l2 * coefficients
        hessian = design.T @ (design * (counts * p * (1 - p))[:, None]) + l2 * np.eye(len(coefficients))
        step = np.linalg.solve(hessian, gradient)
        coefficients += step
        if np.abs(step).max() < 1e-9:
            break
    slopes = coefficients[1:] / std
    return np.r_[coefficients[0] - slopes @ mean, slopes]


Example = tuple[list[Version], list[Bead]]
"""A document's embedded versions and its gold alignment."""


def embedded(sides: list[tuple[str, list[str]]], encoder, cache) -> list[Version]:
    return [Version(lang, lines, encode(lines, encoder, cache)) for lang, lines in sides]


def dataset_examples(dataset: str, encoder, cache) -> list[Example]:
    out = []
    for _, src, tgt, gold, langs in documents(dataset):
        paths = zip(langs, (src, tgt), strict=True)
        sides = [(lang, path.read_text(encoding="utf-8").splitlines()) for lang, path in paths]
        out.append((embedded(sides, encoder, cache), read_alignment(gold)))
    return out


BIBLE_TRAIN_BEADS = (12_000, 15_000)
"""The gold beads of Bible 006 that the bead models learn from: past the end of Bible 001, so
that its test never sees them (006 holds them, a tenth of its beads)."""


def bible_train(encoder, cache) -> list[Example]:
    """The gold beads ``BIBLE_TRAIN_BEADS`` of Bible 006 as a document of their own, in pieces
    of 500 beads (as long as a chapter or two), renumbered from 0."""
    data = BENCH / "bible_en_zh"
    en, zh = ((data / f"006.{side}").read_text(encoding="utf-8").splitlines() for side in ("en", "zh"))
    gold = read_alignment(data / "006.align")
    out = []
    for first in range(*BIBLE_TRAIN_BEADS, 500):
        beads = gold[first : first + 500]
        src0 = min(i for s, _ in beads for i in s)
        tgt0 = min(j for _, t in beads for j in t)
        src1 = max(i for s, _ in beads for i in s) + 1
        tgt1 = max(j for _, t in beads for j in t) + 1
        renumbered = [(tuple(i - src0 for i in s), tuple(j - tgt0 for j in t)) for s, t in beads]
        out.append((embedded([("en", en[src0:src1]), ("zh", zh[tgt0:tgt1])], encoder, cache), renumbered))
    return out


def training_sets(encoder, cache) -> dict[str, list[Example]]:
    """What the bead models learn from: Text+Berg dev, pseudo-documents built from the tuning
    half of Tatoeba, and a part of the Bible that Bible 001 does not hold. No test document."""
    return {
        "textberg-dev": dataset_examples("textberg-dev", encoder, cache),
        "tatoeba-tune": [(embedded(sides, encoder, cache), gold) for sides, gold in tatoeba_tune()],
        "bible-train": bible_train(encoder, cache),
    }


PARTIAL_KEEPS = (0.5, 0.2)
"""Shares of matches kept in the partial translations that ``excerpt_null_slope`` is chosen on."""

EXCERPT_NULL_SLOPES = (0.0, 0.25, 0.5, 1.0, 2.0)
"""The values of ``BeadModel.excerpt_null_slope`` that ``--fit-excerpt-null-slope`` tries."""


def partial_training_sets(training: dict[str, list[Example]]) -> dict[str, list[Example]]:
    """Text+Berg dev and the Bible training pieces of ``training`` (``training_sets``) as partial
    translations: their target sides keep each match with chance ``PARTIAL_KEEPS``
    (``dropped_matches``). No test document."""
    rng = np.random.default_rng(0)
    sets = {}
    for name in ("textberg-dev", "bible-train"):
        examples = training[name]
        for keep in PARTIAL_KEEPS:
            sets[f"{name}-partial{round(keep * 100)}"] = [
                ([src, Version(tgt.lang, [tgt.sentences[j] for j in kept], tgt.vectors[kept])], beads)
                for (src, tgt), gold in examples
                for kept, beads in [dropped_matches(gold, keep, rng)]
            ]
    return sets


OWN_TEXT_SHARES = (0.2, 0.4, 0.6)
"""Shares of gold beads that the versions of ``own_text_training_sets`` share."""

OFFSET_SHARE = 0.3
"""Share of the gold beads at each end that only one version of ``offset_training_sets`` holds."""

CHANCE_RUNS = (0, 6, 4, 3, 2)
"""The values of ``BeadModel.chance_run`` that ``--fit-chance-run`` tries, the most cautious first."""


def cut_example(example: Example, src_beads: list[int], tgt_beads: list[int]) -> Example:
    """A document made of the source sentences of the gold beads ``src_beads`` and the target
    sentences of ``tgt_beads``, each in the order given, with its gold: the beads both lists
    hold as they were, every other sentence alone."""
    (src, tgt), gold = example
    in_src, in_tgt = set(src_beads), set(tgt_beads)
    src_ids = [i for k in src_beads for i in gold[k][0]]
    tgt_ids = [j for k in tgt_beads for j in gold[k][1]]
    src_new = {old: new for new, old in enumerate(src_ids)}
    tgt_new = {old: new for new, old in enumerate(tgt_ids)}
    beads: list[Bead] = []
    for k in dict.fromkeys([*src_beads, *tgt_beads]):
        s = tuple(src_new[i] for i in gold[k][0]) if k in in_src else ()
        t = tuple(tgt_new[j] for j in gold[k][1]) if k in in_tgt else ()
        beads += [(s, t)] if s and t else [((i,), ()) for i in s] + [((), (j,)) for j in t]
    versions = [
        Version(v.lang, [v.sentences[i] for i in ids], v.vectors[ids])
        for v, ids in ((src, src_ids), (tgt, tgt_ids))
    ]
    return versions, beads


def own_text_training_sets(training: dict[str, list[Example]]) -> dict[str, list[Example]]:
    """The documents of ``training`` (``training_sets``) cut so that each version has text of
    its own around a shared passage: the gold beads in five runs, the middle one (a share
    ``OWN_TEXT_SHARES`` of them) shared, the source's own text before and after it from the
    first two runs, the target's from the last two. No test document."""
    sets = {}
    for name, examples in training.items():
        sets[f"{name}-own-text"] = []
        for example in examples:
            count = len(example[1])
            for share in OWN_TEXT_SHARES:
                shared = round(count * share)
                rest = count - shared
                edges = np.cumsum([0, rest // 4, rest // 2 - rest // 4, shared, (rest - rest // 2) // 2])
                runs = [list(range(a, b)) for a, b in itertools.pairwise([*edges.tolist(), count])]
                sets[f"{name}-own-text"].append(
                    cut_example(example, runs[0] + runs[2] + runs[1], runs[3] + runs[2] + runs[4])
                )
    return sets


SHORT_PIECE_BEADS = 40
"""Gold beads of the news-sized pieces of ``short_training_sets``."""


def short_training_sets(training: dict[str, list[Example]]) -> dict[str, list[Example]]:
    """The Bible training pieces of ``training`` (``training_sets``) cut into documents of
    ``SHORT_PIECE_BEADS`` gold beads, the size of a news article: alike verses and long merges
    leave many of a short document's beads null in its first pass, as text of its own would. No
    test document."""
    pieces = []
    for example in training["bible-train"]:
        count = len(example[1])
        for first in range(0, count - SHORT_PIECE_BEADS + 1, SHORT_PIECE_BEADS):
            beads = list(range(first, first + SHORT_PIECE_BEADS))
            pieces.append(cut_example(example, beads, beads))
    return {"bible-train-short": pieces}


def offset_training_sets(training: dict[str, list[Example]]) -> dict[str, list[Example]]:
    """The documents of ``training`` (``training_sets``) cut as ``offset_passage`` cuts files:
    the source without its last ``OFFSET_SHARE`` of the gold beads, the target without its
    first. No test document."""
    sets = {}
    for name, examples in training.items():
        sets[f"{name}-offset"] = []
        for example in examples:
            count = len(example[1])
            first, last = round(count * OFFSET_SHARE), round(count * (1 - OFFSET_SHARE))
            sets[f"{name}-offset"].append(cut_example(example, list(range(last)), list(range(first, count))))
    return sets


def choose_model_value(
    sets: dict[str, list[Example]], settings: Settings, field: str, values: Sequence[Value]
) -> Value:
    """The value of both bead models' ``field``, of ``values`` (the most cautious first), with the
    best mean strict F1 over ``sets`` aligned as ``aligner align`` aligns them (the first within
    ``TIE`` of it)."""
    results = []
    for value in values:
        lexical = settings.alignment.lexical_bead_model
        alignment = replace(
            settings.alignment,
            bead_model=replace(settings.alignment.bead_model, **{field: value}),
            lexical_bead_model=lexical and replace(lexical, **{field: value}),
        )
        trial = replace(settings, alignment=alignment)
        f1s = [
            score(
                [gold for _, gold in examples],
                [[(row[0], row[1]) for row in align_versions(v, trial).rows] for v, _ in examples],
            ).strict_f1
            for examples in sets.values()
        ]
        print(f"  {field.replace('_', ' ')} {value:g}: mean strict F1 {np.mean(f1s):.3f}; " + ", ".join(
            f"{name} {f1:.3f}" for name, f1 in zip(sets, f1s, strict=True)
        ), flush=True)
        results.append(float(np.mean(f1s)))
    return next(value for value, f1 in zip(values, results, strict=True) if f1 >= max(results) - TIE)


def record_model_value(encoder, settings: Settings, field: str, value: Value, command: str) -> Path:
    """Both bead models of ``settings`` with ``field`` set to ``value``, written into the
    encoder's fitted values with the ``command`` that chose it."""
    models = {
        name: replace(model, **{field: value})
        for name in ("bead_model", "lexical_bead_model")
        if (model := getattr(settings.alignment, name)) is not None
    }
    return fitted.update(encoder.fitted, command, recorded_as=field, **models)


def run_lexicons(examples: list[Example], settings: Settings) -> dict[tuple[str, str], Lexicon]:
    """The lexicons of a run over ``examples``' documents, learned from their first passes."""
    firsts = []
    for versions, _ in examples:
        src, tgt = (version_units(v) for v in versions)
        firsts.append((versions, {(0, 1): align_units(src, tgt, settings.alignment)}))
    return pooled_lexicons(firsts, settings)


def candidate_beads(
    versions: list[Version],
    gold: list[Bead],
    settings: Settings,
    lexicons: dict[tuple[str, str], Lexicon] | None = None,
    reach: int = 4,
) -> tuple[np.ndarray, np.ndarray]:
    """Features of every bead type ending within ``reach`` cells of a gold match, as the
    aligner's final pass computes them (with lexical vectors from ``lexicons`` if given),
    and whether the bead is a gold one: the bead model's training set."""
    src, tgt = (version_units(v) for v in versions)
    model = settings.alignment.bead_model
    if lexicons is not None:
        lexicon = lexicon_for(lexicons, versions[0].lang, versions[1].lang)
        langs = versions[0].lang, versions[1].lang
        src_lexical, tgt_lexical = lexical_vectors_by_language(
            lexicon, langs, versions[0].sentences, versions[1].sentences, settings.lexical.dims
        )
        src, tgt = replace(src, lexical=src_lexical), replace(tgt, lexical=tgt_lexical)
        model = settings.alignment.lexical_bead_model or model
    _, gains = refined_path(src, tgt, settings.alignment, model)
    n, m = len(src), len(tgt)
    ends = {(s[-1] + 1, t[-1] + 1) for s, t in gold if s and t}
    cells = {
        (i + di, j + dj)
        for i, j in ends
        for di in range(-reach, reach + 1)
        for dj in range(-reach, reach + 1)
    }
    right = {(tuple(s), tuple(t)) for s, t in gold}
    beads, labels = [], []
    for i, j in sorted(cells):
        for a, b in gains.bead_types.tolist():
            if a <= i <= n and b <= j <= m:
                beads.append((a, b, i, j))
                labels.append((tuple(range(i - a, i)), tuple(range(j - b, j))) in right)
    return many_bead_features(gains, beads).reshape(len(beads), -1), np.array(labels, dtype=float)


TIE = 0.002
"""Mean strict F1 differences below this are not told apart when the bead model is tuned."""


def fit_bead_model(
    sets: dict[str, list[Example]],
    settings: Settings,
    lexical: bool = False,
    offsets: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0),
    null_gains: tuple[float, ...] = (-3.0, -4.0, -5.0),
    null_slopes: tuple[float, ...] = (1.0, 2.0),
) -> BeadModel:
    """Fit a bead model on the candidate beads of every document of ``sets``, then choose the
    offset added to every bead, the gain of a null bead and how far that gain falls in close
    translations (``BeadModel.null_slope``) by the mean over the sets of their pooled strict
    F1. With ``lexical``, the model of the lexical pass: each set is one run, whose lexicons
    its documents' first passes (``settings``' bead model) teach. Settings within ``TIE`` of the
    best are a tie; of those, the one that leaves fewest units unaligned (the lowest null gain,
    then the steepest slope; then the best mean) is taken: the omission-rich Tatoeba set pulls
    the null gain up, which cost the Bible (whose gold has no null beads) 5 points strict F1.
    Each set weighs the same in the fit, however many candidates it has."""
    lexicons = {name: run_lexicons(group, settings) if lexical else None for name, group in sets.items()}
    parts = [[candidate_beads(v, g, settings, lexicons[name]) for v, g in sets[name]] for name in sets]
    coefficients = _regression(parts, lexical)
    labels = np.concatenate([y for part in parts for _, y in part])
    print(f"bead model: {len(labels)} candidate beads, {int(labels.sum())} right", flush=True)
    results: list[tuple[float, BeadModel]] = []
    for offset, null_gain, null_slope in itertools.product(offsets, null_gains, null_slopes):
        model = BeadModel(tuple(coefficients[1:]), coefficients[0] + offset, null_gain, null_slope=null_slope)
        field = "lexical_bead_model" if lexical else "bead_model"
        trial = replace(settings, alignment=replace(settings.alignment, **{field: model}))
        if not lexical:
            trial = replace(trial, lexical=replace(trial.lexical, enabled=False))
        f1s = [
            score([g for _, g in group], align_all(group, trial, lexicons[name])).strict_f1
            for name, group in sets.items()
        ]
        print(
            f"  offset {offset:g}, null gain {null_gain:g}, slope {null_slope:g}: strict F1 "
            + ", ".join(f"{name} {x:.3f}" for name, x in zip(sets, f1s, strict=True)),
            flush=True,
        )
        results.append((float(np.mean(f1s)), model))
    best = max(f1 for f1, _ in results)
    tied = [(f1, model) for f1, model in results if f1 >= best - TIE]
    chosen = min(tied, key=lambda tie: (tie[1].null_gain, -tie[1].null_slope, -tie[0]))[1]
    weights = tuple(round(float(w), 3) for w in chosen.weights)
    return replace(chosen, weights=weights, intercept=round(float(chosen.intercept), 3))


def fit_calibration(sets: dict[str, list[Example]], settings: Settings) -> dict[str, tuple[float, ...]]:
    """Per row kind, the logistic regression of whether a row is right on its evidence (and, for
    rows with one language, its merge gain), over every document of ``sets`` aligned as
    ``aligner align`` aligns it: Text+Berg dev, Tatoeba documents with known omissions and
    insertions, and Bible pieces with long merges, so that a row with one language is scored on
    data where such rows are often right, and often not. Each set weighs the same."""
    rows: dict[str, list[tuple[list[float], bool, float]]] = {kind: [] for kind in ROW_KINDS}
    for group in sets.values():
        found: dict[str, list[tuple[list[float], bool]]] = {kind: [] for kind in ROW_KINDS}
        for versions, gold in group:
            table = align_versions(versions, settings)
            right = set(gold)
            kinds, values = row_evidence(
                versions, table.rows, table.pair_scores, table.baselines, settings.merging
            )
            gains = merge_gains(versions, table.rows, kinds, table.baselines)
            for row, kind, value, gain in zip(table.rows, kinds, values, gains, strict=True):
                x = [float(value), float(gain)] if kind == "unaligned" else [float(value)]
                found[kind].append((x, (row[0], row[1]) in right))
        for kind, pairs in found.items():
            rows[kind] += [(x, ok, 1.0 / len(pairs)) for x, ok in pairs]
    out = {}
    for kind, triples in rows.items():
        x = np.array([features for features, _, _ in triples])
        y = np.array([ok for _, ok, _ in triples], dtype=float)
        weight = np.array([w for _, _, w in triples])
        out[kind] = tuple(round(float(w), 3) for w in fit_logistic(x, y, weights=weight))
        print(f"{kind}: {len(triples)} rows, {np.average(y, weights=weight):.3f} right: {out[kind]}")
    return out


def cross_validate(encoder, cache, settings: Settings) -> tuple[BeadModel, BeadModel]:
    """Both bead models refit on the training sets plus the seven Text+Berg test documents, and
    their leave-one-document-out F1 on Text+Berg test: each fold refits both models'
    regressions on the training sets plus the other six test documents (the offsets, null gains
    and slopes stay as fitted without any test document), and aligns the document left out as
    ``aligner align`` would. Prints the pooled F1 of the seven folds next to that of the models
    of ``settings``, which saw no test document; returns the models refit on all seven."""
    sets = training_sets(encoder, cache)
    test = dataset_examples("textberg-test", encoder, cache)
    plain = replace(settings, lexical=replace(settings.lexical, enabled=False))
    fitted_models = {False: settings.alignment.bead_model, True: settings.alignment.lexical_bead_model}
    folds: list[dict[bool, BeadModel]] = [{} for _ in range(len(test) + 1)]  # the last: all seven
    for lexical in (False, True):
        first = plain if not lexical else settings
        lexicons = {name: run_lexicons(group, first) if lexical else None for name, group in sets.items()}
        own = [run_lexicons([example], first) if lexical else None for example in test]
        parts = {
            name: [candidate_beads(v, g, first, lexicons[name]) for v, g in group]
            for name, group in sets.items()
        }
        test_parts = [candidate_beads(v, g, first, own[k]) for k, (v, g) in enumerate(test)]
        # the fitted model's offset over its own regression, kept in every fold
        offset = fitted_models[lexical].intercept - _regression(list(parts.values()), lexical)[0]
        for k in range(len(test) + 1):
            others = [part for j, part in enumerate(test_parts) if j != k]
            coefficients = _regression([*parts.values(), others], lexical)
            folds[k][lexical] = replace(
                fitted_models[lexical],
                weights=tuple(round(float(w), 3) for w in coefficients[1:]),
                intercept=round(float(coefficients[0] + offset), 3),
            )
    held_out = []
    for (versions, _), models in zip(test, folds, strict=False):
        alignment = replace(settings.alignment, bead_model=models[False], lexical_bead_model=models[True])
        table = align_versions(versions, replace(settings, alignment=alignment))
        held_out.append([(row[0], row[1]) for row in table.rows])
    print("textberg-test, leave one document out (training sets + the other six test documents):")
    print(score([g for _, g in test], held_out))
    print("textberg-test, the models fitted without test documents:")
    print(score([g for _, g in test], align_all(test, settings)))
    return folds[-1][False], folds[-1][True]


def _regression(parts: list[list[tuple[np.ndarray, np.ndarray]]], lexical: bool) -> np.ndarray:
    """``fit_logistic`` over the candidate beads of several sets, each set weighing the same."""
    features = np.concatenate([x for part in parts for x, _ in part])
    labels = np.concatenate([y for part in parts for _, y in part])
    sizes = [sum(len(y) for _, y in part) for part in parts]
    weights = np.concatenate([np.full(size, 1.0 / size) for size in sizes])
    if not lexical:
        features[:, FEATURES.index("lexical")] = 0.0
    return fit_logistic(features, labels, weights=weights)


SHARES = (1.0, 0.9, 0.8, 0.7)
"""The first member's share of a two-member model's mixed cosine that ``choose_shares`` tries."""


def choose_shares(model: str, cache, settings: Settings) -> dict[str, float]:
    """The members' shares of a two-member combination (``e5-small+use``) with the best mean
    strict F1 over the training sets, each document aligned with ``settings`` (no lexical pass:
    the shares set what the first pass sees)."""
    combined = load_encoder(model)
    names = [member.fitted for member in combined.members]
    if len(names) != 2:
        raise SystemExit("--fit-shares takes a model of two members")
    plain = replace(settings, lexical=replace(settings.lexical, enabled=False))
    results = []
    for share in SHARES:
        encoder = (
            combined.members[0] if share == 1.0 else CombinedEncoder(combined.members, [share, 1.0 - share])
        )
        sets = training_sets(encoder, cache)
        f1s = [score([g for _, g in group], align_all(group, plain)).strict_f1 for group in sets.values()]
        print(
            f"  {names[0]} share {share:g}: strict F1 "
            + ", ".join(f"{name} {x:.3f}" for name, x in zip(sets, f1s, strict=True)),
            flush=True,
        )
        results.append((float(np.mean(f1s)), share))
    best = max(results)[1]
    return {names[0]: best, names[1]: round(1.0 - best, 3)}


def align_all(
    examples: list[Example], settings: Settings, lexicons: dict[tuple[str, str], Lexicon] | None = None
) -> list[list[Bead]]:
    """Each document aligned as ``aligner align --presplit`` would, with a run's ``lexicons``."""
    tables = (align_versions(versions, settings, lexicons=lexicons) for versions, _ in examples)
    return [[(row[0], row[1]) for row in table.rows] for table in tables]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "dataset",
        help="textberg-test, textberg-dev, bible-001, bible-006 or seeds-id-fr; "
        "with -moved, a passage of the target side moved to its end; with -partialNN, each "
        "match of the target side kept with chance NN%%; with -offsetNN, the source without its "
        "last NN%% of the gold beads and the target without its first NN%%; with -firstNNN, the "
        "first NNN gold beads",
    )
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--no-cache", action="store_true", help="embed from scratch (for timing)")
    parser.add_argument(
        "--pool",
        action="store_true",
        help="learn one lexicon over all the dataset's documents, as a batch or collection does "
        "(default: each document its own, as aligner align does)",
    )
    parser.add_argument("--no-lexical", action="store_true", help="no lexical pass")
    parser.add_argument(
        "--memory",
        action="store_true",
        help="trace the peak memory of learning lexicons and aligning (tracemalloc, which sees numpy's "
        "buffers; it slows them, so the times are then longer than a plain run's)",
    )
    parser.add_argument("--calibration", action="store_true", help="precision of beads by score bucket")
    parser.add_argument(
        "--fit-calibration",
        action="store_true",
        help="fit the row-score calibration on the training sets (no test document) and write it",
    )
    parser.add_argument(
        "--fit-chance-run",
        action="store_true",
        help="choose the bead models' chance run (weak matches in a row taken for text each version has "
        "alone) on the training sets and their partial, offset, own-text and news-sized versions",
    )
    parser.add_argument(
        "--fit-excerpt-null-slope",
        action="store_true",
        help="choose the bead models' null slope for partial translations on partial versions of the "
        "training sets (no test document) and write it",
    )
    parser.add_argument(
        "--with-test-documents",
        action="store_true",
        help="then refit the bead models' regressions with the Text+Berg test documents too, print "
        "their leave-one-document-out F1 and write them",
    )
    parser.add_argument(
        "--leave-one-out",
        type=Path,
        metavar="FITTED",
        help="score Text+Berg test leaving one document out, as --with-test-documents does, from "
        "the bead models in FITTED that no test document trained (bench/fitted/), writing nothing",
    )
    parser.add_argument(
        "--fit-shares",
        action="store_true",
        help="choose the members' shares of a two-member model on the training sets and write them",
    )
    parser.add_argument(
        "--fit-bead-model",
        action="store_true",
        help="fit the bead models of both passes on the training sets (no test document) and write them",
    )
    args = parser.parse_args()
    if args.with_test_documents and not args.fit_bead_model:
        # the refit keeps the offsets of the models fitted without test documents, which it can
        # only read off models that are still those
        parser.error("--with-test-documents refits the models that --fit-bead-model fits: give both")

    started = time.perf_counter()
    encoder = load_encoder(args.model)
    load_seconds = time.perf_counter() - started
    cache = open_cache(use_cache=not args.no_cache)
    settings = resolve(None, encoder.fitted)[0]
    if args.no_lexical:
        settings = replace(settings, lexical=replace(settings.lexical, enabled=False))
    if args.leave_one_out:
        models = json.loads(args.leave_one_out.read_text(encoding="utf-8"))
        without_test = replace(
            settings.alignment,
            bead_model=BeadModel.from_json(models["bead_model"]),
            lexical_bead_model=BeadModel.from_json(models["lexical_bead_model"]),
        )
        cross_validate(encoder, cache, replace(settings, alignment=without_test))
        return
    out_dir = OUTPUTS / args.dataset
    out_dir.mkdir(parents=True, exist_ok=True)
    gold_docs, test_docs, scores = [], [], []
    encode_seconds = align_seconds = lexical_seconds = 0.0
    peak = sentences = 0
    examples: list[Example] = []
    names = []
    for name, src, tgt, gold, langs in documents(args.dataset):
        versions = []
        for lang, path in zip(langs, (src, tgt), strict=True):
            lines = path.read_text(encoding="utf-8").splitlines()
            sentences += len(lines)
            started = time.perf_counter()
            versions.append(Version(lang, lines, encode(lines, encoder, cache)))
            encode_seconds += time.perf_counter() - started
        n = len(versions[0].sentences)
        examples.append(
            (versions, read_alignment(gold) if gold.is_file() else [((k,), (k,)) for k in range(n)])
        )
        names.append(name)
    if args.memory:
        tracemalloc.start()
    started = time.perf_counter()
    firsts = [
        {(0, 1): align_units(*(version_units(v) for v in versions), settings.alignment)}
        for versions, _ in examples
    ]
    align_seconds += time.perf_counter() - started
    lexicons: list[dict[tuple[str, str], Lexicon] | None] = [None] * len(examples)
    if lexical_pass(settings):
        started = time.perf_counter()
        if args.pool:
            pooled = pooled_lexicons(
                [(v, first) for (v, _), first in zip(examples, firsts, strict=True)], settings
            )
            lexicons = [pooled] * len(examples)
        else:
            lexicons = [
                pooled_lexicons([(v, first)], settings)
                for (v, _), first in zip(examples, firsts, strict=True)
            ]
        lexical_seconds = time.perf_counter() - started
    for name, (versions, gold), first, lexicon in zip(names, examples, firsts, lexicons, strict=True):
        started = time.perf_counter()
        alignment = align_versions(versions, settings, pairs=first, lexicons=lexicon)
        align_seconds += time.perf_counter() - started
        beads = [(row[0], row[1]) for row in alignment.rows]
        (out_dir / f"{name}.align").write_text(
            format_alignment(beads, list(alignment.scores)), encoding="utf-8"
        )
        test_docs.append(beads)
        scores.append(alignment.scores)
        gold_docs.append(gold)
    if args.memory:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(f"{args.dataset}: {len(test_docs)} documents, {sentences} sentences, model {encoder.name}")
    print(score(gold_docs, test_docs))
    print(
        f"model load {load_seconds:.1f} s, encoding {encode_seconds:.1f} s"
        f"{' (cache)' if cache else ''}, lexicon {lexical_seconds:.1f} s"
        f"{' (pooled)' if args.pool else ''}, aligning {align_seconds:.1f} s"
        + (f" (traced), aligning peak memory {peak / 2**20:.0f} MiB" if args.memory else "")
    )
    if args.calibration:
        print(calibration(gold_docs, test_docs, scores))
    if args.fit_shares:
        shares = choose_shares(args.model, cache, settings)
        command = f".venv/bin/python bench/alignment.py {args.dataset} --model {args.model} --fit-shares"
        print(f"written to {fitted.update(encoder.fitted, command, member_shares=shares)}")
    if args.fit_bead_model:
        encoder = load_encoder(args.model)  # with the shares just chosen, if any
        sets = training_sets(encoder, cache)
        command = f".venv/bin/python bench/alignment.py {args.dataset} --model {args.model} --fit-bead-model"
        plain = fit_bead_model(sets, settings)
        print(f"bead model: {plain}")
        settings = replace(settings, alignment=replace(settings.alignment, bead_model=plain))
        lexical = fit_bead_model(sets, settings, lexical=True)
        print(f"lexical bead model: {lexical}")
        path = fitted.update(encoder.fitted, command, bead_model=plain, lexical_bead_model=lexical)
        print(f"written to {path}")
    if args.with_test_documents:
        plain, lexical = cross_validate(encoder, cache, resolve(None, encoder.fitted)[0])
        command = (
            f".venv/bin/python bench/alignment.py {args.dataset} --model {args.model} "
            "--fit-bead-model --with-test-documents"
        )
        path = fitted.update(encoder.fitted, command, bead_model=plain, lexical_bead_model=lexical)
        print(f"refit with the test documents, written to {path}")
    if args.fit_excerpt_null_slope:
        settings = resolve(None, encoder.fitted)[0]  # with the bead models just fitted, if any
        sets = partial_training_sets(training_sets(encoder, cache))
        slope = choose_model_value(sets, settings, "excerpt_null_slope", EXCERPT_NULL_SLOPES)
        flag = "--fit-excerpt-null-slope"
        command = f".venv/bin/python bench/alignment.py {args.dataset} --model {args.model} {flag}"
        path = record_model_value(encoder, settings, "excerpt_null_slope", slope, command)
        print(f"excerpt null slope {slope:g}, written to {path}")
    if args.fit_chance_run:
        settings = resolve(None, encoder.fitted)[0]  # with the bead models just fitted, if any
        training = training_sets(encoder, cache)
        sets = {
            **training,
            **partial_training_sets(training),
            **offset_training_sets(training),
            **own_text_training_sets(training),
            **short_training_sets(training),
        }
        run = choose_model_value(sets, settings, "chance_run", CHANCE_RUNS)
        command = f".venv/bin/python bench/alignment.py {args.dataset} --model {args.model} --fit-chance-run"
        path = record_model_value(encoder, settings, "chance_run", run, command)
        print(f"chance run {run}, written to {path}")
    if args.fit_calibration:
        settings = resolve(None, encoder.fitted)[0]  # with the bead models just fitted, if any
        row_calibration = fit_calibration(training_sets(encoder, cache), settings)
        command = f".venv/bin/python bench/alignment.py {args.dataset} --model {args.model} --fit-calibration"
        print(f"written to {fitted.update(encoder.fitted, command, calibration=row_calibration)}")


if __name__ == "__main__":
    main()
