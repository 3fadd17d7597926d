"""Alignment benchmarks: strict and lax P/R/F1, time and peak memory of the default pipeline.

    .venv/bin/python bench/alignment.py textberg-test [--model e5-small] [--no-cache]
    .venv/bin/python bench/alignment.py textberg-dev | bible-001 | bible-006 | seeds-id-fr
    .venv/bin/python bench/alignment.py textberg-test-moved   # any dataset, a passage moved

Data come from ``../shared/bench`` or ``$ALIGNER_BENCH_DATA`` (pre-split sentences with
Vecalign-format gold). Every document is aligned with ``aligner.merge.align_versions``, exactly
as ``aligner align --presplit`` does; alignments go to ``outputs/bench/<dataset>/`` and the scores are pooled
over documents. Time is split into encoding and aligning; peak memory is that of the
aligning step alone (tracemalloc, which sees numpy's buffers), so the encoder's weights do
not hide it. With ``--calibration`` it also prints the precision of beads by score bucket.
``--fit-calibration`` and ``--fit-bead-model`` write what they fit into the model's fitted
values, ``aligner/fitted/<model>.json``.
"""

from __future__ import annotations

import argparse
import itertools
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
from paths import BENCH, OUTPUTS, ROOT

from aligner import fitted
from aligner.encode import DEFAULT_MODEL, encode, load_encoder, open_cache
from aligner.evaluate import Bead, format_alignment, read_alignment, score
from aligner.fitted import ROW_KINDS, BeadModel
from aligner.merge import align_versions
from aligner.pairwise.dp import bead_features
from aligner.pairwise.gains import Units, refined_gains
from aligner.scoring import row_evidence
from aligner.settings import Settings, resolve
from aligner.table import Version

Document = tuple[str, Path, Path, Path, tuple[str, str]]
"""Name, source sentences, target sentences, gold alignment, languages."""


def documents(dataset: str) -> Iterator[Document]:
    if dataset.endswith("-moved"):
        for name, src, tgt, gold, langs in documents(dataset.removesuffix("-moved")):
            if not gold.is_file():
                raise SystemExit(f"{dataset}: no gold alignment to renumber")
            yield name, src, *moved_block(tgt, gold, OUTPUTS / dataset / "input"), langs
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


def moved_block(tgt: Path, gold: Path, out_dir: Path) -> tuple[Path, Path]:
    """The target side with the sentences of ``MOVED_BEADS`` consecutive gold beads, from the
    first match ``MOVED_FROM`` of the way through, moved to the end, and the gold renumbered to
    match: a passage one version puts elsewhere, which a monotone alignment cannot follow."""
    lines = tgt.read_text(encoding="utf-8").splitlines()
    beads = read_alignment(gold)
    matches = [k for k, (s, t) in enumerate(beads) if s and t]
    first = matches[int(len(matches) * MOVED_FROM)]
    block = {j for _, t in [bead for bead in beads[first:] if bead[1]][:MOVED_BEADS] for j in t}
    order = [j for j in range(len(lines)) if j not in block] + sorted(block)
    new_id = {old: new for new, old in enumerate(order)}
    out_dir.mkdir(parents=True, exist_ok=True)
    moved_tgt, moved_gold = out_dir / tgt.name, out_dir / gold.name
    moved_tgt.write_text("".join(lines[j] + "\n" for j in order), encoding="utf-8")
    moved_gold.write_text(
        format_alignment([(s, tuple(new_id[j] for j in t)) for s, t in beads]), encoding="utf-8"
    )
    return moved_tgt, moved_gold


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


def candidate_beads(
    versions: list[Version], gold: list[Bead], reach: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """Features of every bead type ending within ``reach`` cells of a gold match, as the
    aligner's final pass computes them, and whether the bead is a gold one: the bead model's
    training set."""
    src, tgt = (Units(v.vectors, v.relative_lengths) for v in versions)
    settings = resolve(None)[0]
    gains = refined_gains(src, tgt, settings.alignment, settings.bead_model)
    n, m = len(src), len(tgt)
    ends = {(s[-1] + 1, t[-1] + 1) for s, t in gold if s and t}
    cells = {
        (i + di, j + dj)
        for i, j in ends
        for di in range(-reach, reach + 1)
        for dj in range(-reach, reach + 1)
    }
    right = {(tuple(s), tuple(t)) for s, t in gold}
    rows, labels = [], []
    for i, j in sorted(cells):
        for a, b in gains.bead_types:
            if a <= i <= n and b <= j <= m:
                rows.append(bead_features(gains, int(a), int(b), i, j))
                labels.append((tuple(range(i - a, i)), tuple(range(j - b, j))) in right)
    return np.array(rows), np.array(labels, dtype=float)


TIE = 0.002
"""Mean strict F1 differences below this are not told apart when the bead model is tuned."""


def fit_bead_model(
    sets: dict[str, list[tuple[list[Version], list[Bead]]]],
    offsets: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0),
    null_gains: tuple[float, ...] = (-3.0, -4.0, -5.0, -6.0),
    null_slopes: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0),
) -> BeadModel:
    """Fit the bead model on the candidate beads of every document of ``sets``, then choose the
    offset added to every bead, the gain of a null bead and how far that gain falls in close
    translations (``BeadModel.null_slope``) by the mean over the sets of their pooled strict
    F1. Dev is one document, so settings within ``TIE`` of the best are a tie;
    of those, the one that leaves fewest units unaligned (the lowest null gain, then the
    steepest slope; then the best mean) is taken: the
    omission-rich Tatoeba set pulls the null gain up, which cost the Bible (whose gold has no
    null beads) 5 points strict F1. Each set weighs the same in the fit, however many
    candidates it has."""
    parts = [[candidate_beads(v, g) for v, g in group] for group in sets.values()]
    features = np.concatenate([x for part in parts for x, _ in part])
    labels = np.concatenate([y for part in parts for _, y in part])
    sizes = [sum(len(y) for _, y in part) for part in parts]
    weights = np.concatenate([np.full(size, 1.0 / size) for size in sizes])
    coefficients = fit_logistic(features, labels, weights=weights)
    print(f"bead model: {len(labels)} candidate beads, {int(labels.sum())} right")
    results: list[tuple[float, BeadModel]] = []
    for offset, null_gain, null_slope in itertools.product(offsets, null_gains, null_slopes):
        model = BeadModel(tuple(coefficients[1:]), coefficients[0] + offset, null_gain, null_slope=null_slope)
        settings = Settings(alignment=replace(Settings().alignment, bead_model=model))
        f1s = []
        for group in sets.values():
            test = [[(r[0], r[1]) for r in align_versions(v, settings).rows] for v, _ in group]
            f1s.append(score([g for _, g in group], test).strict_f1)
        print(
            f"  offset {offset:g}, null gain {null_gain:g}, slope {null_slope:g}: strict F1 "
            + ", ".join(f"{name} {x:.3f}" for name, x in zip(sets, f1s, strict=True))
        )
        results.append((float(np.mean(f1s)), model))
    best = max(f1 for f1, _ in results)
    tied = [(f1, model) for f1, model in results if f1 >= best - TIE]
    return min(tied, key=lambda tie: (tie[1].null_gain, -tie[1].null_slope, -tie[0]))[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "dataset",
        help="textberg-test, textberg-dev, bible-001, bible-006 or seeds-id-fr; "
        "with -moved, a passage of the target side moved to its end",
    )
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--no-cache", action="store_true", help="embed from scratch (for timing)")
    parser.add_argument("--calibration", action="store_true", help="precision of beads by score bucket")
    parser.add_argument(
        "--fit-calibration", action="store_true", help="fit the row-score calibration (on dev) and write it"
    )
    parser.add_argument(
        "--fit-bead-model", action="store_true", help="fit the DP's bead model (on dev) and write it"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    encoder = load_encoder(args.model)
    load_seconds = time.perf_counter() - started
    cache = open_cache(use_cache=not args.no_cache)
    out_dir = OUTPUTS / args.dataset
    out_dir.mkdir(parents=True, exist_ok=True)
    gold_docs, test_docs, scores = [], [], []
    training: list[tuple[list[Version], list[Bead]]] = []
    evidence: dict[str, list[tuple[float, bool]]] = {kind: [] for kind in ROW_KINDS}
    encode_seconds = align_seconds = 0.0
    peak = sentences = 0
    for name, src, tgt, gold, langs in documents(args.dataset):
        versions = []
        for lang, path in zip(langs, (src, tgt), strict=True):
            lines = path.read_text(encoding="utf-8").splitlines()
            sentences += len(lines)
            started = time.perf_counter()
            versions.append(Version(lang, lines, encode(lines, encoder, cache)))
            encode_seconds += time.perf_counter() - started
        tracemalloc.start()
        started = time.perf_counter()
        alignment = align_versions(versions)
        align_seconds += time.perf_counter() - started
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        beads = [(row[0], row[1]) for row in alignment.rows]
        (out_dir / f"{name}.align").write_text(
            format_alignment(beads, list(alignment.scores)), encoding="utf-8"
        )
        test_docs.append(beads)
        scores.append(alignment.scores)
        n = len(versions[0].sentences)
        gold_docs.append(read_alignment(gold) if gold.is_file() else [((k,), (k,)) for k in range(n)])
        training.append((versions, gold_docs[-1]))
        right = set(gold_docs[-1])
        kinds, values = row_evidence(
            versions, alignment.rows, alignment.pair_scores, alignment.baselines, alignment.settings.merging
        )
        for bead, kind, value in zip(beads, kinds, values, strict=True):
            evidence[kind].append((value, bead in right))
    print(f"{args.dataset}: {len(test_docs)} documents, {sentences} sentences, model {encoder.name}")
    print(score(gold_docs, test_docs))
    print(
        f"model load {load_seconds:.1f} s, encoding {encode_seconds:.1f} s"
        f"{' (cache)' if cache else ''}, aligning {align_seconds:.1f} s, "
        f"aligning peak memory {peak / 2**20:.0f} MiB"
    )
    if args.calibration:
        print(calibration(gold_docs, test_docs, scores))
    if args.fit_calibration:
        row_calibration = {}
        for kind, pairs in evidence.items():
            x, y = (np.array(column, dtype=float) for column in zip(*pairs, strict=True))
            row_calibration[kind] = tuple(round(float(w), 3) for w in fit_logistic(x, y))
            print(f"{kind}: {len(pairs)} rows, {y.mean():.3f} right: {row_calibration[kind]}")
        command = f".venv/bin/python bench/alignment.py {args.dataset} --fit-calibration"
        print(f"written to {fitted.update(encoder.fitted, command, calibration=row_calibration)}")
    if args.fit_bead_model:
        tuning = [
            ([Version(lang, lines, encode(lines, encoder, cache)) for lang, lines in sides], gold)
            for sides, gold in tatoeba_tune()
        ]
        model = fit_bead_model({args.dataset: training, "tatoeba-tune": tuning})
        weights = tuple(round(float(w), 3) for w in model.weights)
        rounded = replace(model, weights=weights, intercept=round(float(model.intercept), 3))
        print(f"bead model: {rounded}")
        command = f".venv/bin/python bench/alignment.py {args.dataset} --fit-bead-model"
        print(f"written to {fitted.update(encoder.fitted, command, bead_model=rounded)}")


if __name__ == "__main__":
    main()
