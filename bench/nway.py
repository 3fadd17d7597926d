"""N-way consistency benchmark: one N-way table against naive pivoting, on built multi-way documents.

    .venv/bin/python bench/nway.py tatoeba-3 [--seeds 0 1 2 3 4] [--drop 0.1] [--merge 0.1]
                                   [--insert 0.05] [--complete en] [--model e5-small]
    .venv/bin/python bench/nway.py tatoeba-4 --seeds 0 1 2 3 4 5 6 7 8 9

How the test is built. The Tatoeba test sets in ``../shared/bench/tatoeba`` pair 1,000
English sentences with their translations, one file per language. An English sentence found
in several of them gives a tuple of real translations of one meaning: 197 tuples eng-fra-jpn
(``tatoeba-3``) and 33 eng-fra-jpn-cmn (``tatoeba-4``). For every seed the tuples are shuffled
and cut into pseudo-documents of about 45 meanings in one shared order (four of 49-50 meanings
for ``tatoeba-3``, one of 33 for ``tatoeba-4``). Each language then renders the document on
its own, with independent random edits (numpy's generator, seeded by the seed):

* it drops each meaning with probability ``--drop`` (omissions; the pivot language too);
* it joins a line with the next one with probability ``--merge`` when both render consecutive
  meanings (1-2 and 2-1 beads; Chinese and Japanese are joined without a space);
* after each line it inserts, with probability ``--insert``, a sentence of its own language
  taken from the Tatoeba sentences outside the tuples (text with no counterpart).

``--complete L`` leaves language L untouched (a complete source that every translation
follows). The gold of a language pair follows from the construction: lines of the two
languages that share a meaning, directly or through a merged line, form one bead; a line
whose meanings the other language lacks is a null bead of its own. The built lines and the
gold are written under ``outputs/bench/nway/<dataset>/``.

Systems, all on the same embeddings (default cache):

* **N-way rows**: ``aligner.merge.align_versions`` over all languages, the table that
  ``aligner align`` writes; a pair is read off its rows (a row with both languages is a bead,
  the other lines of either are null beads, one per line).
* **N-way pair**: ``Alignment.pair(a, b)`` of the same table: the rows, each split by the
  pair's own alignment where that lies inside the row and covers it (a row must hold both
  sentences of French and Japanese when English joins their two meanings into one line; the
  French-Japanese pair need not).
* **pivot P** (the baseline, not part of the library): every other language aligned with P
  alone (two-version ``align_versions``, as ``aligner align`` does); X-Y beads are composed
  through P's sentences, so lines of X and Y whose meaning P lacks stay unaligned. Pairs with
  P are the direct alignments themselves.
* **direct pairs** (reference): every pair aligned on its own; the best each pair can do
  alone, but the pairs need not agree with one another, so they make no single table.

Scores are Vecalign's strict and lax P/R/F1 (``aligner.evaluate.score``), counts pooled over
documents and seeds, and over pairs where a line names several. Consistency: for every chain
x-p-y of two one-to-one beads through a third language (x and y both translate p alone), the
share whose ends the system's own X-Y alignment links. A consistent set of pairwise alignments
closes every chain; the table's rows do by construction.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
from paths import BENCH, OUTPUTS

from aligner.encode import DEFAULT_MODEL, encode, load_encoder, open_cache
from aligner.evaluate import Bead, Scores, format_alignment, score
from aligner.languages import is_cjk
from aligner.merge import align_versions
from aligner.table import Row, Version

TATOEBA = BENCH / "tatoeba"
DATASETS = {"tatoeba-3": ("eng", "fra", "jpn"), "tatoeba-4": ("eng", "fra", "jpn", "cmn")}
CODES = {"eng": "en", "fra": "fr", "jpn": "ja", "cmn": "zh"}
"""Tatoeba's language codes and the ones the aligner uses (which join Chinese and Japanese
sentences without a space)."""
DOCUMENT_MEANINGS = 45
"""Meanings per pseudo-document (about: the tuples are split into equal parts)."""


@dataclass(frozen=True)
class Edits:
    """Per-language edit rates of a built document."""

    drop: float = 0.1
    merge: float = 0.1
    insert: float = 0.05
    complete: str | None = None
    """A language left untouched, or None."""


@dataclass(frozen=True)
class Rendering:
    """One language's lines of a built document and, per line, the shared meanings it renders
    (none for an inserted sentence)."""

    lang: str
    lines: list[str]
    meanings: list[tuple[int, ...]]


@dataclass(frozen=True)
class BuiltDocument:
    name: str
    renderings: list[Rendering]

    @property
    def langs(self) -> list[str]:
        return [r.lang for r in self.renderings]

    def gold(self, a: int, b: int) -> list[Bead]:
        """Lines of languages ``a`` and ``b`` joined where they share a meaning."""
        return join_on_shared_keys(self._units(a), self._units(b))

    def gold_rows(self) -> list[Row]:
        """The finest table of all languages: lines joined where any two share a meaning."""
        return linked_rows([self._units(c) for c in range(len(self.renderings))])

    def _units(self, column: int) -> list[Unit]:
        return [((k,), set(m)) for k, m in enumerate(self.renderings[column].meanings)]


Unit = tuple[tuple[int, ...], set[int]]
"""Sentence ids of one side and the keys (meanings, or pivot sentences) that link them."""


def linked_rows(sides: Sequence[Sequence[Unit]]) -> list[Row]:
    """Rows of the connected components of the units of all sides, linked by shared keys; each
    side in document order, its keys too. A unit linked to nothing is a row of its own."""
    nodes = [(side, ids, keys) for side, units in enumerate(sides) for ids, keys in units]
    parent = list(range(len(nodes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[int, int] = {}
    for node, (_, _, keys) in enumerate(nodes):
        for key in keys:
            if key in owner:
                parent[root(node)] = root(owner[key])
            else:
                owner[key] = node
    components: dict[int, list[list[int]]] = {}
    for node, (side, ids, _) in enumerate(nodes):
        components.setdefault(root(node), [[] for _ in sides])[side].extend(ids)
    linked = [c for c in components.values() if sum(map(bool, c)) > 1]
    # An alignment is monotone, so a unit that falls between units of one component joins it
    # (an inserted line between two halves of a merge, or a line the pivot left out).
    rows: list[Row] = [
        tuple(tuple(range(min(ids), max(ids) + 1)) if ids else () for ids in c) for c in linked
    ]
    covered = [{i for row in rows for i in row[side]} for side in range(len(sides))]
    for side, units in enumerate(sides):
        for ids, _ in units:
            if not set(ids) & covered[side]:
                rows.append(tuple(ids if s == side else () for s in range(len(sides))))
    return rows


def join_on_shared_keys(left: Sequence[Unit], right: Sequence[Unit]) -> list[Bead]:
    """Beads of left and right units linked by shared keys, in document order; every id of a
    unit with no partner is a null bead of its own."""
    return in_document_order(pair_beads(linked_rows([left, right]), 0, 1))


def in_document_order(beads: Sequence[Bead]) -> list[Bead]:
    """Beads of a monotone alignment sorted, each null bead before the first match after it."""
    matched = sorted(bead for bead in beads if bead[0] and bead[1])
    alone_src = sorted(i for src, tgt in beads if not tgt for i in src)
    alone_tgt = sorted(j for src, tgt in beads if not src for j in tgt)
    out: list[Bead] = []
    for src, tgt in [*matched, ((np.inf,), (np.inf,))]:
        out += [((i,), ()) for i in alone_src if i < src[0]] + [((), (j,)) for j in alone_tgt if j < tgt[0]]
        alone_src = [i for i in alone_src if i > src[0]]
        alone_tgt = [j for j in alone_tgt if j > tgt[0]]
        if src[0] != np.inf:
            out.append((src, tgt))
    return out


def pair_beads(rows: Sequence[Row], a: int, b: int) -> list[Bead]:
    """Languages ``a`` and ``b`` read off table rows; their lines alone in a row are null beads."""
    beads: list[Bead] = []
    for row in rows:
        if row[a] and row[b]:
            beads.append((row[a], row[b]))
        else:
            beads += [((i,), ()) for i in row[a]] + [((), (j,)) for j in row[b]]
    return beads


def compose(pivot_x: Sequence[Bead], pivot_y: Sequence[Bead]) -> list[Bead]:
    """X-Y beads through the pivot: X and Y units joined where they share pivot sentences."""
    return join_on_shared_keys([(x, set(p)) for p, x in pivot_x if x], [(y, set(p)) for p, y in pivot_y if y])


def links(beads: Sequence[Bead]) -> set[tuple[int, int]]:
    return {(s, t) for src, tgt in beads for s in src for t in tgt}


def mirror(beads: Sequence[Bead]) -> list[Bead]:
    return [(tgt, src) for src, tgt in beads]


# --- building the documents


def tatoeba_tuples(langs: Sequence[str]) -> tuple[list[tuple[str, ...]], dict[str, list[str]]]:
    """Translations of the English sentences found in every language's test set, in ``langs``
    order, sorted by the English; and per language the sentences outside them (for insertions)."""
    translations = {}
    for lang in langs:
        if lang == "eng":
            continue
        english = (TATOEBA / f"tatoeba.{lang}-eng.eng").read_text(encoding="utf-8").splitlines()
        own = (TATOEBA / f"tatoeba.{lang}-eng.{lang}").read_text(encoding="utf-8").splitlines()
        translations[lang] = dict(zip(english, own, strict=True))
    shared = sorted(set.intersection(*(set(t) for t in translations.values())))
    tuples = [tuple(s if lang == "eng" else translations[lang][s] for lang in langs) for s in shared]
    used = {sentence for t in tuples for sentence in t}
    others = {
        lang: sorted(
            {s for t in translations.values() for s in t if s not in used}
            if lang == "eng"
            else {s for s in translations[lang].values() if s not in used}
        )
        for lang in langs
    }
    return tuples, others


def render(
    lang: str,
    meanings: list[int],
    texts: list[str],
    others: list[str],
    edits: Edits,
    rng: np.random.Generator,
) -> Rendering:
    """``lang``'s lines for a document of ``meanings`` (indices into ``texts``), with random
    drops, merges of consecutive meanings, and inserted sentences from ``others``."""
    if lang == edits.complete:
        return Rendering(lang, [texts[m] for m in meanings], [(k,) for k in range(len(meanings))])
    kept = [k for k in range(len(meanings)) if rng.random() >= edits.drop]
    groups: list[list[int]] = []
    for k in kept:
        if groups and len(groups[-1]) == 1 and groups[-1][-1] == k - 1 and rng.random() < edits.merge:
            groups[-1].append(k)
        else:
            groups.append([k])
    joiner = "" if is_cjk(lang) else " "
    lines, rendered = [], []
    for group in groups:
        lines.append(joiner.join(texts[meanings[k]] for k in group))
        rendered.append(tuple(group))
        if rng.random() < edits.insert:
            lines.append(others[int(rng.integers(len(others)))])
            rendered.append(())
    return Rendering(lang, lines, rendered)


def build_documents(dataset: str, seeds: Sequence[int], edits: Edits) -> list[BuiltDocument]:
    langs = DATASETS[dataset]
    tuples, others = tatoeba_tuples(langs)
    documents = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(tuples))
        parts = np.array_split(order, max(1, round(len(tuples) / DOCUMENT_MEANINGS)))
        for number, part in enumerate(parts):
            meanings = [int(i) for i in part]
            renderings = [
                render(CODES[lang], meanings, [t[c] for t in tuples], others[lang], edits, rng)
                for c, lang in enumerate(langs)
            ]
            documents.append(BuiltDocument(f"s{seed}d{number}", renderings))
    return documents


# --- aligning and scoring

Pair = tuple[int, int]
"""Two languages by column, the first before the second."""


@dataclass(frozen=True)
class DocumentResult:
    """One document's gold and system beads for every pair."""

    gold: dict[Pair, list[Bead]]
    gold_rows: dict[Pair, list[Bead]]
    """The finest table's rows: the most any table's rows can score."""
    rows: dict[Pair, list[Bead]]
    """The N-way table's rows (what the TSV shows)."""
    pairs: dict[Pair, list[Bead]]
    """``Alignment.pair``: the rows, split where the pair itself is finer."""
    direct: dict[Pair, list[Bead]]
    nway_seconds: float
    direct_seconds: float

    def pivoted(self, pivot: int) -> dict[Pair, list[Bead]]:
        """Every pair as pivoting through ``pivot`` gives it."""
        return {
            (a, b): beads
            if pivot in (a, b)
            else compose(oriented(self.direct, pivot, a), oriented(self.direct, pivot, b))
            for (a, b), beads in self.direct.items()
        }


def oriented(beads: dict[Pair, list[Bead]], a: int, b: int) -> list[Bead]:
    return beads[a, b] if a < b else mirror(beads[b, a])


def align_document(document: BuiltDocument, vectors: list[np.ndarray]) -> DocumentResult:
    versions = [Version(r.lang, r.lines, v) for r, v in zip(document.renderings, vectors, strict=True)]
    pairs = list(combinations(range(len(versions)), 2))
    started = time.perf_counter()
    table = align_versions(versions)
    nway_seconds = time.perf_counter() - started
    started = time.perf_counter()
    direct = {(a, b): pair_beads(align_versions([versions[a], versions[b]]).rows, 0, 1) for a, b in pairs}
    direct_seconds = time.perf_counter() - started
    return DocumentResult(
        gold={(a, b): document.gold(a, b) for a, b in pairs},
        gold_rows={(a, b): pair_beads(document.gold_rows(), a, b) for a, b in pairs},
        rows={(a, b): pair_beads(table.rows, a, b) for a, b in pairs},
        pairs={(a, b): table.pair(versions[a].lang, versions[b].lang) for a, b in pairs},
        direct=direct,
        nway_seconds=nway_seconds,
        direct_seconds=direct_seconds,
    )


def one_to_one_chains(beads: dict[Pair, list[Bead]], languages: int) -> tuple[int, int]:
    """Chains x-p-y of two one-to-one beads through a third language, and how many of them the
    X-Y alignment closes (links x with y): a consistent set of pairwise alignments closes all."""
    chains = closed = 0
    for p in range(languages):
        for a, b in combinations([k for k in range(languages) if k != p], 2):
            # pivot sentence -> its one-to-one partner
            partner_a = {pa[0]: xa[0] for pa, xa in oriented(beads, p, a) if len(pa) == len(xa) == 1}
            partner_b = {pb[0]: xb[0] for pb, xb in oriented(beads, p, b) if len(pb) == len(xb) == 1}
            linked = links(beads[a, b])
            for q in partner_a.keys() & partner_b.keys():
                chains += 1
                closed += (partner_a[q], partner_b[q]) in linked
    return chains, closed


@dataclass(frozen=True)
class System:
    label: str
    beads: Callable[[DocumentResult], dict[Pair, list[Bead]]]


def systems(langs: list[str]) -> list[System]:
    return [
        System("N-way table, rows", lambda r: r.rows),
        System("N-way table, `Alignment.pair`", lambda r: r.pairs),
        *[System(f"pivot {lang}", lambda r, p=p: r.pivoted(p)) for p, lang in enumerate(langs)],
        System("direct pairs (reference)", lambda r: r.direct),
        System("finest table's rows (ceiling of rows)", lambda r: r.gold_rows),
    ]


def pooled(results: list[DocumentResult], system: System, pairs: list[Pair]) -> Scores:
    outputs = [system.beads(r) for r in results]
    return score([r.gold[p] for p in pairs for r in results], [o[p] for p in pairs for o in outputs])


def f1s(scores: Scores) -> str:
    return f"{scores.strict_f1:.3f} / {scores.lax_f1:.3f}"


def report(langs: list[str], results: list[DocumentResult]) -> str:
    """Markdown tables: pooled F1 per pivot, P/R/F1 per pair, and consistency per system."""
    every = list(combinations(range(len(langs)), 2))
    nway_rows, nway_pairs, *pivots, direct, ceiling = systems(langs)
    lines = [
        "strict F1 / lax F1, pooled over the pairs",
        "| pivot | pairs | N-way rows | N-way `pair` | pivoting | direct pairs | ceiling of rows |",
        "|---|---|---|---|---|---|---|",
    ]
    for p, pivot in enumerate(pivots):
        for kind, pairs in (
            ("without", [q for q in every if p not in q]),
            ("with", [q for q in every if p in q]),
        ):
            cells = [
                f1s(pooled(results, system, pairs))
                for system in (nway_rows, nway_pairs, pivot, direct, ceiling)
            ]
            lines.append(
                f"| {langs[p]} | {kind} {langs[p]}: {', '.join(name(langs, q) for q in pairs)} | "
                + " | ".join(cells)
                + " |"
            )
    lines += ["", "| pair | system | strict P | strict R | strict F1 | lax F1 |", "|---|---|---|---|---|---|"]
    for pair in every:
        for system in (
            nway_rows,
            nway_pairs,
            *(pivots[p] for p in range(len(langs)) if p not in pair),
            direct,
            ceiling,
        ):
            s = pooled(results, system, [pair])
            lines.append(
                f"| {name(langs, pair)} | {system.label} | {s.strict_precision:.3f} | {s.strict_recall:.3f} "
                f"| {s.strict_f1:.3f} | {s.lax_f1:.3f} |"
            )
    lines += ["", "| system | one-to-one chains x-p-y closed by x-y |", "|---|---|"]
    for system in [*systems(langs)[:-1], System("gold", lambda r: r.gold)]:
        chains, closed = map(
            sum, zip(*(one_to_one_chains(system.beads(r), len(langs)) for r in results), strict=True)
        )
        lines.append(f"| {system.label} | {closed}/{chains} ({closed / max(chains, 1):.1%}) |")
    return "\n".join(lines)


def name(langs: list[str], pair: Pair) -> str:
    return f"{langs[pair[0]]}-{langs[pair[1]]}"


def write_outputs(out_dir: Path, document: BuiltDocument, result: DocumentResult) -> None:
    folder = out_dir / document.name
    folder.mkdir(parents=True, exist_ok=True)
    for rendering in document.renderings:
        text = "".join(line + "\n" for line in rendering.lines)
        (folder / f"{rendering.lang}.txt").write_text(text, encoding="utf-8")
    for pair, gold in result.gold.items():
        prefix = folder / name(document.langs, pair)
        for kind, beads in (("gold", gold), ("rows", result.rows[pair]), ("pair", result.pairs[pair])):
            Path(f"{prefix}.{kind}.align").write_text(format_alignment(beads), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=sorted(DATASETS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument(
        "--drop", type=float, default=Edits.drop, help="chance that a language drops a meaning"
    )
    parser.add_argument(
        "--merge", type=float, default=Edits.merge, help="chance of joining a line with the next"
    )
    parser.add_argument(
        "--insert", type=float, default=Edits.insert, help="chance of an inserted sentence per line"
    )
    parser.add_argument("--complete", help="a language left untouched (e.g. en)")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    langs = [CODES[lang] for lang in DATASETS[args.dataset]]
    if args.complete is not None and args.complete not in langs:
        parser.error(f"--complete must be one of {', '.join(langs)}")

    edits = Edits(args.drop, args.merge, args.insert, args.complete)
    documents = build_documents(args.dataset, args.seeds, edits)
    encoder = load_encoder(args.model)
    cache = open_cache()
    out_dir = OUTPUTS / "nway" / args.dataset
    started = time.perf_counter()
    vectors = [[encode(r.lines, encoder, cache) for r in d.renderings] for d in documents]
    encode_seconds = time.perf_counter() - started
    results = [align_document(d, v) for d, v in zip(documents, vectors, strict=True)]
    for document, result in zip(documents, results, strict=True):
        write_outputs(out_dir, document, result)
    counts = ", ".join(
        f"{lang} {sum(len(d.renderings[c].lines) for d in documents)}" for c, lang in enumerate(langs)
    )
    print(
        f"{args.dataset}: {len(documents)} documents from seeds {' '.join(map(str, args.seeds))}; "
        f"lines {counts}; drop {edits.drop}, merge {edits.merge}, insert {edits.insert}"
        + (f", {edits.complete} complete" if edits.complete else "")
        + f"; model {encoder.name}\n"
    )
    print(report(langs, results))
    nway_seconds = sum(r.nway_seconds for r in results)
    direct_seconds = sum(r.direct_seconds for r in results)
    print(
        f"\nencoding {encode_seconds:.1f} s (cache); aligning: N-way tables {nway_seconds:.1f} s, "
        f"every pair on its own {direct_seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
