"""A probe of headroom (issue #14): the DP's merged units embedded exactly, as the joined text of
their sentences, instead of as the length-weighted sum of their sentences' vectors.

    .venv/bin/python bench/exact_spans.py [textberg-test bible-001 ...]

Every span of 2 to ``max_bead - 1`` consecutive sentences of each side is embedded with the
default model (through the embedding cache, so a second run is quick) and takes the place of the
summed span in the DP's gains, wherever the span vectors of a document's own sentences are
computed (the lexical vectors, the coarse passes' halved units and the stretches searched again
for long merges keep the sums). The bead models
stay as fitted on summed spans, so this measures what exact spans give before any refit: strict
and lax F1, each dataset with and without them, and the texts embedded.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
from alignment import align_all, dataset_examples

from aligner.encode import DEFAULT_MODEL, encode, load_encoder, open_cache
from aligner.evaluate import score
from aligner.languages import joiner
from aligner.pairwise import gains
from aligner.settings import resolve
from aligner.similarity import unit_rows

summed_spans = gains.span_vectors


def exact_spans(examples, encoder, cache, largest: int) -> tuple[dict[bytes, np.ndarray], int]:
    """For each side of each example, keyed by its unit vectors' bytes: the embeddings of its
    spans by size (row ``i`` of size ``k`` is sentences ``i-k .. i-1`` joined)."""
    spans, texts = {}, 0
    for versions, _ in examples:
        for version in versions:
            sentences, glue = version.sentences, joiner(version.lang)
            by_size = {}
            for size in range(2, largest):
                joined = [glue.join(sentences[end - size : end]) for end in range(size, len(sentences) + 1)]
                by_size[size] = encode(joined, encoder, cache)
                texts += len(joined)
            spans[unit_rows(version.vectors).tobytes()] = by_size
    return spans, texts


def main() -> None:
    warnings.simplefilter("ignore")
    datasets = sys.argv[1:] or ["textberg-test", "bible-001"]
    encoder = load_encoder(DEFAULT_MODEL)
    cache = open_cache(use_cache=True)
    settings = resolve(None, encoder.fitted)[0]
    for dataset in datasets:
        examples = dataset_examples(dataset, encoder, cache)
        gold = [g for _, g in examples]
        summed = score(gold, align_all(examples, settings))
        started = time.perf_counter()
        spans, texts = exact_spans(examples, encoder, cache, settings.alignment.max_bead)
        seconds = time.perf_counter() - started

        hits = [0, 0]

        def span_vectors(vectors, size, weights=None, out=None, spans=spans, hits=hits):
            exact = spans.get(vectors.tobytes(), {}).get(size)
            hits[exact is None] += 1
            if exact is None:
                return summed_spans(vectors, size, weights, out)
            result = np.zeros((len(vectors) + 1, vectors.shape[1]), dtype=np.float32) if out is None else out
            result[:size] = 0.0
            result[size:] = exact
            return result

        gains.span_vectors = span_vectors
        try:
            exact = score(gold, align_all(examples, settings))
        finally:
            gains.span_vectors = summed_spans
        sentences = sum(len(v.sentences) for versions, _ in examples for v in versions)
        print(f"{dataset}: {texts:,} span texts for {sentences:,} sentences, embedded in {seconds:.1f} s")
        print(f"  summed spans: strict {summed.strict_f1:.3f}, lax {summed.lax_f1:.3f}")
        print(f"  exact spans:  strict {exact.strict_f1:.3f}, lax {exact.lax_f1:.3f}")
        print(f"  span arrays exact {hits[0]}, summed {hits[1]} (single units, lexical, halved, long merges)")


if __name__ == "__main__":
    main()
