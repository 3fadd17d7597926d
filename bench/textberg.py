"""Text+Berg German-French benchmark: strict and lax P/R/F1 of the default pipeline.

    .venv/bin/python bench/textberg.py [--split test|dev] [--model e5-small]

Reads ``../shared/bench/textberg`` (pre-split sentences, Vecalign-format gold), aligns every
document, writes the alignments to ``outputs/bench/textberg/<split>/`` and prints the scores
(counts pooled over documents) with the time spent encoding and aligning.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from aligner.encode import DEFAULT_MODEL, default_cache_dir, encode, load_encoder
from aligner.encode.cache import EmbeddingCache
from aligner.evaluate import format_alignment, read_alignment, score
from aligner.multiway import Version, align_versions

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "bench" / "textberg"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["test", "dev"], default="test")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--no-cache", action="store_true", help="embed from scratch (for timing)")
    args = parser.parse_args()

    names = ["dev"] if args.split == "dev" else [f"test{i}" for i in range(7)]
    encoder = load_encoder(args.model)
    cache = None if args.no_cache else EmbeddingCache(default_cache_dir() / "embeddings")
    out_dir = ROOT / "outputs" / "bench" / "textberg" / args.split
    out_dir.mkdir(parents=True, exist_ok=True)
    gold_docs, test_docs = [], []
    encode_seconds = align_seconds = 0.0
    for name in names:
        versions = []
        for lang in ("de", "fr"):
            sentences = (DATA / f"{name}.{lang}").read_text(encoding="utf-8").splitlines()
            started = time.perf_counter()
            versions.append(Version(lang, sentences, encode(sentences, encoder, cache)))
            encode_seconds += time.perf_counter() - started
        started = time.perf_counter()
        alignment = align_versions(versions)
        align_seconds += time.perf_counter() - started
        beads = [(row[0], row[1]) for row in alignment.rows]
        (out_dir / f"{name}.align").write_text(
            format_alignment(beads, list(alignment.scores)), encoding="utf-8"
        )
        test_docs.append(beads)
        gold_docs.append(read_alignment(DATA / f"{name}.defr"))
    print(f"Text+Berg {args.split} ({len(names)} documents), model {encoder.name}")
    print(score(gold_docs, test_docs))
    print(f"encoding {encode_seconds:.1f} s, aligning {align_seconds:.1f} s")


if __name__ == "__main__":
    main()
