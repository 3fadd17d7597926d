"""Mining benchmarks: precision, recall and F1 of ``aligner mine`` on documents sharing some sentences.

    .venv/bin/python bench/mining.py tatoeba-tune | tatoeba-test | textberg-dev | textberg-test | seeds
        [--threshold T] [--k 4] [--overlap 0.5] [--sweep] [--model e5-small] [--no-cache]
    .venv/bin/python bench/mining.py tune     # how the default threshold was chosen

How each test is built (every random choice is seeded, so a run is repeatable):

- ``tatoeba-*``: the Tatoeba test sets of ``../shared/bench/tatoeba`` (1,000 English-X pairs
  for X = ind, fra, cmn, jpn). Pairs 0-499 are the tuning half, 500-999 the test half. Each
  half is shuffled and cut into documents of ``--size`` sentences a side: a share
  ``--overlap`` of them are pairs whose English is in document A and translation in document
  B; the rest of A is English of other pairs (whose translation is nowhere in B) and the rest
  of B translations of yet other pairs (whose English is nowhere in A). Both sides are
  shuffled. Gold: the shared pairs.
- ``textberg-*``: Text+Berg German-French (``../shared/bench/textberg``, Vecalign gold; dev is
  one document, test seven). The gold beads with both sides (1-1, 1-2, 2-1, ...) are kept in
  both documents with probability ``--overlap``, else in only one of them (German or French,
  evenly); then the French beads are shuffled, each bead's sentences kept together. The
  unrelated sentences are thus from the same text, which makes them harder to tell apart than
  Tatoeba's. Gold: the shared beads; a pair is right exactly (strict) or when it shares a
  sentence with the same gold bead on both sides (lax).
- ``seeds``: hand-checked gold in ``bench/gold/mining/`` (see its README): a pair is right when
  the gold lists it (kind ``same`` or ``partial``); recall is over the ``same`` facts, a fact
  counting as found when any of its ``same`` pairs is mined.

Every document pair is mined once with no threshold; the pairs mined at threshold T are
exactly those scored at least T (pairs are taken best first), so ``--sweep`` prints the whole
precision/recall curve from one run. Mined pairs go to
``outputs/bench/mining/<dataset>-<overlap>.tsv``, judged.

``tune`` runs the tuning material only (Tatoeba's tuning half at overlaps 0.2, 0.5 and 0.8,
Text+Berg dev at 0.2 and 0.5) and writes the threshold with the best mean F1 over the five into
the model's fitted values (``aligner/fitted/<model>.json``). Test halves, Text+Berg test and the seeds are
never looked at for it.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from paths import BENCH, OUTPUTS, ROOT

from aligner import fitted
from aligner.encode import DEFAULT_MODEL, Encoder, encode, load_encoder, open_cache
from aligner.encode.cache import EmbeddingCache
from aligner.evaluate import read_alignment
from aligner.mine import mine
from aligner.segment import split_sentences
from aligner.settings import MiningSettings
from aligner.table import Version

TATOEBA_LANGS = ("ind", "fra", "cmn", "jpn")
SEEDS = {
    "000": ("id", "000_af736beb5cc60a9b.txt"),
    "001": ("fr", "001_8a577d695bc7522b.txt"),
    "002": ("zh", "002_b23cc098f190fb18.txt"),
    "003": ("zh", "003_35f4e80f8e795006.txt"),
}
TUNE_COMMAND = ".venv/bin/python bench/mining.py tune"

SWEEP = np.round(np.arange(0.99, 1.101, 0.005), 3)


@dataclass(frozen=True)
class GoldPair:
    a_ids: tuple[int, ...]
    b_ids: tuple[int, ...]
    fact: str
    """Pairs that carry the same fact count once for recall."""
    counts_for_recall: bool


@dataclass(frozen=True)
class Task:
    name: str
    group: str
    """What results are pooled by (a language pair, or the dataset)."""
    a: tuple[str, list[str]]
    b: tuple[str, list[str]]
    gold: list[GoldPair]


def tatoeba(split: str, size: int, overlap: float) -> Iterator[Task]:
    data = BENCH / "tatoeba"
    shared = round(size * overlap)
    for lang in TATOEBA_LANGS:
        english = (data / f"tatoeba.{lang}-eng.eng").read_text(encoding="utf-8").splitlines()
        other = (data / f"tatoeba.{lang}-eng.{lang}").read_text(encoding="utf-8").splitlines()
        pairs = list(range(0, 500) if split == "tune" else range(500, 1000))
        rng = random.Random(f"{lang}-{split}")
        rng.shuffle(pairs)
        per_document = shared + 2 * (size - shared)
        for d in range(len(pairs) // per_document):
            chunk = pairs[d * per_document : (d + 1) * per_document]
            common, only_a, only_b = chunk[:shared], chunk[shared:size], chunk[size:]
            a_pairs, b_pairs = common + only_a, common + only_b
            rng.shuffle(a_pairs)
            rng.shuffle(b_pairs)
            gold = [
                GoldPair((a_pairs.index(p),), (b_pairs.index(p),), str(p), counts_for_recall=True)
                for p in common
            ]
            yield Task(
                f"{lang}-{split}-{d}",
                f"eng-{lang}",
                ("en", [english[p] for p in a_pairs]),
                (lang, [other[p] for p in b_pairs]),
                gold,
            )


def textberg(split: str, overlap: float) -> Iterator[Task]:
    data = BENCH / "textberg"
    for name in ["dev"] if split == "dev" else [f"test{i}" for i in range(7)]:
        german = (data / f"{name}.de").read_text(encoding="utf-8").splitlines()
        french = (data / f"{name}.fr").read_text(encoding="utf-8").splitlines()
        rng = random.Random(name)
        a_beads, b_beads, common = [], [], []
        for src, tgt in read_alignment(data / f"{name}.defr"):
            keep = "both" if not (src and tgt) or rng.random() < overlap else rng.choice(["a", "b"])
            if src and keep != "b":
                a_beads.append(src)
            if tgt and keep != "a":
                b_beads.append(tgt)
            if src and tgt and keep == "both":
                common.append((src, tgt))
        rng.shuffle(b_beads)
        a_order = [i for bead in a_beads for i in bead]
        b_order = [j for bead in b_beads for j in bead]
        a_new = {old: new for new, old in enumerate(a_order)}
        b_new = {old: new for new, old in enumerate(b_order)}
        gold = [
            GoldPair(
                tuple(a_new[i] for i in src), tuple(b_new[j] for j in tgt), f"{src}", counts_for_recall=True
            )
            for src, tgt in common
        ]
        yield Task(
            name,
            "de-fr",
            ("de", [german[i] for i in a_order]),
            ("fr", [french[j] for j in b_order]),
            gold,
        )


def seeds() -> Iterator[Task]:
    for path in sorted((ROOT / "bench" / "gold" / "mining").glob("*.tsv")):
        a_name, b_name = path.stem.split("-")
        gold_rows = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        gold = [
            GoldPair(_ids(row.a_ids), _ids(row.b_ids), row.fact, counts_for_recall=row.kind == "same")
            for row in gold_rows.itertuples()
        ]
        sides = []
        for name in (a_name, b_name):
            lang, file = SEEDS[name]
            text = (ROOT / "seeds" / file).read_text(encoding="utf-8")
            sides.append((lang, split_sentences(text, lang)))
        yield Task(path.stem, path.stem, sides[0], sides[1], gold)


def _ids(cell: str) -> tuple[int, ...]:
    return tuple(int(i) for i in cell.split(","))


def judge(mined: pd.DataFrame, gold: list[GoldPair]) -> pd.DataFrame:
    """Per mined pair: ``strict`` (a gold pair) and ``lax`` (shares a sentence with one gold pair on
    each side), and the gold fact it matches (strictly, else laxly) for recall."""
    strict_facts = {(g.a_ids, g.b_ids): g for g in gold}
    strict, lax, facts = [], [], []
    for a_ids, b_ids in zip(mined.a_ids, mined.b_ids, strict=True):
        exact = strict_facts.get((a_ids, b_ids))
        overlapping = exact or next(
            (g for g in gold if set(g.a_ids) & set(a_ids) and set(g.b_ids) & set(b_ids)), None
        )
        strict.append(exact is not None)
        lax.append(overlapping is not None)
        facts.append(overlapping.fact if overlapping and overlapping.counts_for_recall else None)
    return mined.assign(strict=strict, lax=lax, fact=facts)


def precision_recall(judged: pd.DataFrame, recall_facts: int, threshold: float, column: str) -> tuple:
    kept = judged[judged.score >= threshold]
    right = int(kept[column].sum())
    precision = right / len(kept) if len(kept) else 1.0
    found = kept[kept[column] & kept.fact.notna()].groupby("task").fact.nunique().sum()
    recall = found / recall_facts if recall_facts else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return len(kept), right, precision, recall, f1


@dataclass
class Run:
    """Every pair mined with no threshold, judged; gold counts per group; seconds spent."""

    pairs: pd.DataFrame
    recall_facts: dict[str, int]
    encode_seconds: float
    mine_seconds: float

    def scores(self, threshold: float, column: str, group: str = "all") -> tuple:
        subset = self.pairs if group == "all" else self.pairs[self.pairs.group == group]
        facts = sum(self.recall_facts.values()) if group == "all" else self.recall_facts[group]
        return precision_recall(subset, facts, threshold, column)


def run_tasks(tasks: list[Task], encoder: Encoder, cache: EmbeddingCache | None, k: int) -> Run:
    encode_seconds = mine_seconds = 0.0
    judged, recall_facts = [], {}
    for task in tasks:
        versions = []
        for lang, sentences in (task.a, task.b):
            started = time.perf_counter()
            versions.append(Version(lang, sentences, encode(sentences, encoder, cache)))
            encode_seconds += time.perf_counter() - started
        started = time.perf_counter()
        mined = mine(*versions, threshold=-np.inf, k=k)
        mine_seconds += time.perf_counter() - started
        frame = pd.DataFrame(
            {
                "task": task.name,
                "group": task.group,
                "a_ids": [(p.a_id,) for p in mined.pairs],
                "b_ids": [(p.b_id,) for p in mined.pairs],
                "score": [p.score for p in mined.pairs],
                "a": [task.a[1][p.a_id] for p in mined.pairs],
                "b": [task.b[1][p.b_id] for p in mined.pairs],
            }
        )
        judged.append(judge(frame, task.gold))
        facts = {g.fact for g in task.gold if g.counts_for_recall}
        recall_facts[task.group] = recall_facts.get(task.group, 0) + len(facts)
    return Run(pd.concat(judged, ignore_index=True), recall_facts, encode_seconds, mine_seconds)


def tasks_for(dataset: str, size: int, overlap: float) -> list[Task]:
    family, _, split = dataset.partition("-")
    if family == "tatoeba":
        return list(tatoeba(split, size, overlap))
    if family == "textberg":
        return list(textberg(split, overlap))
    return list(seeds())


def match_columns(dataset: str) -> list[str]:
    """Text+Berg has m-n gold beads, which single-sentence pairs can only match laxly."""
    return ["strict", "lax"] if dataset.startswith("textberg") else ["strict"]


def tune(encoder: Encoder, cache: EmbeddingCache | None, k: int) -> None:
    """F1 per tuning condition over thresholds, and the threshold with the best mean F1."""
    runs = {
        f"{dataset} {overlap}": (run_tasks(tasks_for(dataset, 30, overlap), encoder, cache, k), column)
        for dataset, column, overlaps in (
            ("tatoeba-tune", "strict", (0.2, 0.5, 0.8)),
            ("textberg-dev", "lax", (0.2, 0.5)),
        )
        for overlap in overlaps
    }
    print("F1 (Tatoeba exact pairs, Text+Berg lax) by threshold and overlap")
    print("threshold " + " ".join(f"{name:>16}" for name in runs) + "      mean")
    means = {}
    for threshold in SWEEP:
        f1s = [run.scores(threshold, column)[4] for run, column in runs.values()]
        means[threshold] = float(np.mean(f1s))
        print(f"{threshold:9.3f} " + " ".join(f"{f1:16.3f}" for f1 in f1s) + f"  {means[threshold]:8.3f}")
    best = max(means, key=means.get)
    print(f"best mean F1 {means[best]:.3f} at threshold {best:.3f} (k {k})")
    command = TUNE_COMMAND + ("" if encoder.fitted == fitted.DEFAULT_FITTED else f" --model {encoder.fitted}")
    path = fitted.update(encoder.fitted, command, mining_threshold=float(best))
    print(f"mining threshold written to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "dataset", choices=["tatoeba-tune", "tatoeba-test", "textberg-dev", "textberg-test", "seeds", "tune"]
    )
    parser.add_argument("--threshold", type=float, help="default: fitted for the model")
    parser.add_argument("--k", type=int, default=MiningSettings.neighbours)
    parser.add_argument("--size", type=int, default=30, help="Tatoeba: sentences per document side")
    parser.add_argument("--overlap", type=float, default=0.5, help="share of each side that is shared")
    parser.add_argument("--sweep", action="store_true", help="precision and recall over thresholds")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--no-cache", action="store_true", help="embed from scratch (for timing)")
    args = parser.parse_args()

    started = time.perf_counter()
    encoder = load_encoder(args.model)
    load_seconds = time.perf_counter() - started
    cache = open_cache(use_cache=not args.no_cache)
    if args.dataset == "tune":
        tune(encoder, cache, args.k)
        return
    if args.threshold is None:
        args.threshold = fitted.load(encoder.fitted).mining_threshold
    tasks = tasks_for(args.dataset, args.size, args.overlap)
    run = run_tasks(tasks, encoder, cache, args.k)
    out = OUTPUTS / "mining" / f"{args.dataset}-{args.overlap}.tsv"
    out.parent.mkdir(parents=True, exist_ok=True)
    run.pairs.to_csv(out, sep="\t", index=False, lineterminator="\n")

    sentences = sum(len(t.a[1]) + len(t.b[1]) for t in tasks)
    overlap = "" if args.dataset == "seeds" else f", overlap {args.overlap}"
    print(
        f"{args.dataset}{overlap}: {len(tasks)} document pairs, {sentences} sentences, "
        f"{sum(run.recall_facts.values())} gold pairs to find; model {encoder.name}, k {args.k}, "
        f"threshold {args.threshold}"
    )
    columns = match_columns(args.dataset)
    groups = [*run.recall_facts, "all"] if len(run.recall_facts) > 1 else ["all"]
    print(f"{'group':<10} {'match':<6} {'mined':>6} {'right':>6} {'P':>6} {'R':>6} {'F1':>6}")
    for group in groups:
        for column in columns:
            mined, right, p, r, f1 = run.scores(args.threshold, column, group)
            print(f"{group:<10} {column:<6} {mined:6d} {right:6d} {p:6.3f} {r:6.3f} {f1:6.3f}")
    print(
        f"model load {load_seconds:.1f} s, encoding {run.encode_seconds:.1f} s"
        f"{' (cache)' if cache else ''}, mining {run.mine_seconds:.2f} s"
    )
    if args.sweep:
        print("\nall groups: threshold, mined, then P R F1 per match (" + ", ".join(columns) + ")")
        for threshold in SWEEP:
            cells = [f"{threshold:.3f}", f"{(run.pairs.score >= threshold).sum():6d}"]
            for column in columns:
                _, _, p, r, f1 = run.scores(threshold, column)
                cells.append(f"  {p:6.3f} {r:6.3f} {f1:6.3f}")
            print(" ".join(cells))


if __name__ == "__main__":
    main()
