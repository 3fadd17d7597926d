"""The lexical pass with eflomal's word links in place of our IBM Model 1 (a measurement, not
part of the library).

    .venv/bin/pip install eflomal
    .venv/bin/python bench/eflomal_table.py textberg-test bible-001 [--model e5-small+use]

For each dataset, every document is aligned as ``aligner align`` would, once with the lexicon's
translation table from Model 1 (``aligner.lexical``) and once with one read off eflomal's
links on the same confident first-pass matches (the share of a source word's links that go to
each target word). Prints strict and lax F1 and the time spent learning tables.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from alignment import align_all, dataset_examples

from aligner import lexical
from aligner.encode import DEFAULT_MODEL, load_encoder, open_cache
from aligner.evaluate import score
from aligner.settings import resolve

_own_model1 = lexical._model1
seconds = {"model1": 0.0, "eflomal": 0.0}


def timed_model1(pairs, n_src, n_tgt):
    started = time.perf_counter()
    out = _own_model1(pairs, n_src, n_tgt)
    seconds["model1"] += time.perf_counter() - started
    return out


def eflomal_table(
    pairs: Sequence[tuple[np.ndarray, np.ndarray]], n_src: int, n_tgt: int
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """``t(target | source)`` as the share of a source word's eflomal links to each target word."""
    import eflomal

    started = time.perf_counter()
    kept = [(src, tgt) for src, tgt in pairs if len(src) and len(tgt)]
    with tempfile.TemporaryDirectory() as directory:
        links = Path(directory) / "links"
        eflomal.Aligner().align(
            [" ".join(map(str, src)) for src, _ in kept],
            [" ".join(map(str, tgt)) for _, tgt in kept],
            links_filename_fwd=str(links),
        )
        lines = links.read_text().splitlines()
    counts: Counter[tuple[int, int]] = Counter()
    for (src, tgt), line in zip(kept, lines, strict=True):
        for link in line.split():
            i, j = map(int, link.split("-"))
            counts[int(src[i]), int(tgt[j])] += 1
    totals: Counter[int] = Counter()
    for (s, _), c in counts.items():
        totals[s] += c
    table: dict[int, tuple[list[int], list[float]]] = {}
    for (s, t), c in counts.items():
        p = c / totals[s]
        if p >= lexical.MIN_TRANSLATION:
            ids, probs = table.setdefault(s, ([], []))
            ids.append(t)
            probs.append(p)
    seconds["eflomal"] += time.perf_counter() - started
    return {s: (np.array(ids), np.array(probs)) for s, (ids, probs) in table.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    encoder = load_encoder(args.model)
    cache = open_cache()
    settings = resolve(None, encoder.fitted)[0]
    for dataset in args.datasets:
        examples = dataset_examples(dataset, encoder, cache)
        gold = [g for _, g in examples]
        for name, table in (("model1", timed_model1), ("eflomal", eflomal_table)):
            lexical._model1 = table
            result = score(gold, align_all(examples, settings))
            print(
                f"{dataset} {name}: strict F1 {result.strict_f1:.3f}, lax F1 {result.lax_f1:.3f}, "
                f"tables {seconds[name]:.1f} s",
                flush=True,
            )
            seconds[name] = 0.0
    lexical._model1 = _own_model1


if __name__ == "__main__":
    main()
