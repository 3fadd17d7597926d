"""The DP of another revision against this one's, side by side in one process.

    .venv/bin/python bench/dp_speed.py [--against b502ed6] [--rounds 2] [--dataset textberg-test]

Loads ``aligner/pairwise/dp.py`` as it was at ``--against`` as a second module, points the
search at either DP in turn (``search_space``, or a revision's ``best_path`` where it has
none, and ``best_path`` for long merges), and times ``align_versions`` alternating, ``--rounds``
times, over 200 of the document sets of ``bench/batch.py`` (its first 120 Bible pieces and 80
Tatoeba documents; run it first, with the embedding cache, so that the vectors are cached), or
over the documents of a dataset of ``bench/alignment.py``. It also says whether both give the
same tables, byte for byte.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import types
import warnings

from alignment import documents
from paths import OUTPUTS, ROOT

from aligner.batch import read_sets
from aligner.batch.steps import Reading, prepare
from aligner.encode import encode, load_encoder, open_cache
from aligner.merge import align_versions
from aligner.pairwise import dp, gains, long_merges
from aligner.prepare import embed_versions
from aligner.provenance import settled
from aligner.table import Version

SETS = OUTPUTS / "batch" / "sets"


def revision_dp(revision: str) -> types.ModuleType:
    command = ["git", "show", f"{revision}:aligner/pairwise/dp.py"]
    source = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    module = types.ModuleType(f"dp_{revision}")
    module.__file__ = f"dp_{revision}.py"
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source.replace("cache=True, ", ""), module.__file__, "exec"), module.__dict__)
    return module


class _WholeSearch:
    """A revision's ``best_path`` as a search space, for revisions before ``search_space``:
    each search computes its span cosines anew, as they did."""

    def __init__(self, module: types.ModuleType, windows: object) -> None:
        self.module, self.windows = module, windows

    def best_path(self, g: object) -> object:
        return self.module.best_path(g, self.windows)


def use(module: types.ModuleType) -> None:
    long_merges.best_path = module.best_path
    if hasattr(module, "search_space"):
        gains.search_space = module.search_space
    else:
        gains.search_space = lambda g, windows=None: _WholeSearch(module, windows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="b502ed6")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dataset", help="a dataset of bench/alignment.py instead of the batch sets")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # pieces that do not look like translations say so
    embedded = []
    if args.dataset:
        encoder, cache = load_encoder("e5-small"), open_cache()
        for _, src, tgt, _, langs in documents(args.dataset):
            texts = [path.read_text(encoding="utf-8").splitlines() for path in (src, tgt)]
            embedded.append(
                [Version(lang, t, encode(t, encoder, cache)) for lang, t in zip(langs, texts, strict=True)]
            )
    else:
        listing = read_sets(SETS / "corpus.tsv").sets
        for document_set in listing[:120] + listing[300:380]:
            versions, encoder = embed_versions(prepare(document_set, Reading(presplit=True)).documents)
            embedded.append(versions)
    settings, provenance = settled(None, encoder)

    def tables() -> list[str]:
        return [
            align_versions(versions, settings, provenance=provenance).to_pandas().to_csv(sep="\t")
            for versions in embedded
        ]

    variants = {args.against: revision_dp(args.against), "this": dp}
    times: dict[str, list[float]] = {name: [] for name in variants}
    outputs = {}
    for module in variants.values():  # compiles both before timing
        use(module)
        tables()
    for _ in range(args.rounds):
        for name, module in variants.items():
            use(module)
            started = time.perf_counter()
            outputs[name] = tables()
            times[name].append(time.perf_counter() - started)
    use(dp)
    for name, seconds in times.items():
        print(f"{name}: {' / '.join(f'{s:.1f} s' for s in seconds)}")
    ratio = sum(times[args.against]) / sum(times["this"])
    print(f"{args.against} / this: {ratio:.2f}x; the same tables: {outputs[args.against] == outputs['this']}")


if __name__ == "__main__":
    main()
