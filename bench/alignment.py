"""Alignment benchmarks: strict and lax P/R/F1, time and peak memory of the default pipeline.

    .venv/bin/python bench/alignment.py textberg-test [--model e5-small] [--no-cache]
    .venv/bin/python bench/alignment.py textberg-dev | bible-001 | bible-006 | seeds-id-fr

Data come from ``../shared/bench`` (pre-split sentences with Vecalign-format gold). Every
document is aligned with ``aligner.multiway.align_versions``, exactly as ``aligner align
--presplit`` does; alignments go to ``outputs/bench/<dataset>/`` and the scores are pooled
over documents. Time is split into encoding and aligning; peak memory is that of the
aligning step alone (tracemalloc, which sees numpy's buffers), so the encoder's weights do
not hide it. With ``--calibration`` it also prints the precision of beads by score bucket.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from aligner.encode import DEFAULT_MODEL, default_cache_dir, encode, load_encoder
from aligner.encode.cache import EmbeddingCache
from aligner.evaluate import Bead, format_alignment, read_alignment, score
from aligner.multiway import ROW_KINDS, Version, align_versions, row_evidence

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "bench"

Document = tuple[str, Path, Path, Path, tuple[str, str]]
"""Name, source sentences, target sentences, gold alignment, languages."""


def documents(dataset: str) -> Iterator[Document]:
    if dataset.startswith("textberg-"):
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


def fit_logistic(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Intercept and slope of a logistic regression of ``y`` on ``x`` (Newton steps, light L2)."""
    design = np.stack([np.ones_like(x), x], axis=1)
    weights = np.zeros(2)
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-design @ weights))
        gradient = design.T @ (y - p) - 1e-3 * weights
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + 1e-3 * np.eye(2)
        weights += np.linalg.solve(hessian, gradient)
    return float(weights[0]), float(weights[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", help="textberg-test, textberg-dev, bible-001, bible-006 or seeds-id-fr")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--no-cache", action="store_true", help="embed from scratch (for timing)")
    parser.add_argument("--calibration", action="store_true", help="precision of beads by score bucket")
    parser.add_argument(
        "--fit-calibration", action="store_true", help="fit and print the row-score calibration (on dev)"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    encoder = load_encoder(args.model)
    load_seconds = time.perf_counter() - started
    cache = None if args.no_cache else EmbeddingCache(default_cache_dir() / "embeddings")
    out_dir = ROOT / "outputs" / "bench" / args.dataset
    out_dir.mkdir(parents=True, exist_ok=True)
    gold_docs, test_docs, scores = [], [], []
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
        right = set(gold_docs[-1])
        kinds, values = row_evidence(versions, alignment.rows, alignment.pair_scores)
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
        fitted = {}
        for kind, pairs in evidence.items():
            x, y = (np.array(column, dtype=float) for column in zip(*pairs, strict=True))
            fitted[kind] = tuple(round(w, 3) for w in fit_logistic(x, y))
            print(f"{kind}: {len(pairs)} rows, {y.mean():.3f} right")
        print(f"CALIBRATION = {fitted}")


if __name__ == "__main__":
    main()
