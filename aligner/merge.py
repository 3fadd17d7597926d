"""Merge stage: N embedded versions of a document in, one table of aligned rows out.

Versions are merged progressively, most parallel first (as in progressive multiple sequence
alignment): two groups of already aligned versions are aligned row against row, each row
represented by the mean of its languages' vectors. Every row is therefore consistent across
all language pairs, and languages that translate each other closely meet before the ones
that share little. Groups that are not translations of each other at all are not forced
together: their rows follow one another, each marked as having no counterpart. Moved passages
are then joined (``aligner.moved``) and the rows scored (``aligner.scoring``).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations, zip_longest

import numpy as np

from aligner.fitted import DEFAULT_FITTED, load
from aligner.languages import joiner
from aligner.lexical import Lexicon, learn_lexicons, lexical_vectors_by_language, lexicon_for
from aligner.linkage import average_linkage
from aligner.moved import join_moved, order_gaps
from aligner.pairwise import PairAlignment, Units, align_units
from aligner.progress import Progress, report
from aligner.provenance import Provenance
from aligner.scoring import calibrated, chance_pairings, merge_gains, pair_scores, row_evidence
from aligner.settings import Settings, resolve
from aligner.similarity import Baseline, best_match, unit_rows, version_baselines
from aligner.table import Alignment, Bead, Row, Version, row_beads

SURE_SAMPLE = 1000
"""Most sentences of a version whose counterparts ``_sure_share`` and ``_chained_share`` check."""

CHANCE_HELD_FACTOR = 4.0
"""Times the square root of the sentences checked that more of them than hold their best match
in their row before ``_chained_share`` counts them: of n matches in random order, the longest
forward chain is about 2 sqrt(n) long, and the path, which seeks alike sentences, picks which
are checked, so unrelated texts come nearer that than chance alone would."""

MIN_MEASURABLE_SENTENCES = 5
"""Two versions that both have fewer sentences than this are too short to tell a translation
from two texts: no warning, and their rows are scored as translations."""


def parallelism(a: Version, b: Version, pair: PairAlignment, clear_match: float) -> float:
    """How much two versions translate each other: the share of their sentences that have a
    clear counterpart (similarity above unrelated over ``clear_match``) in the pairwise
    alignment ``pair``. Translations come close to 1, different articles on one topic low."""
    total = len(a.sentences) + len(b.sentences)
    clear = sum(len(x) + len(y) for x, y in _clear_beads(pair, clear_match))
    return clear / total if total else 0.0


def _clear_beads(pair: PairAlignment, clear_match: float) -> list[Bead]:
    """The matches of ``pair`` whose similarity above unrelated is over ``clear_match``."""
    scored = zip(pair.beads, pair.scores, strict=True)
    return [bead for bead, score in scored if bead[0] and bead[1] and score > clear_match]


def version_units(version: Version) -> Units:
    return Units(version.vectors, version.relative_lengths)


def align_versions(
    versions: list[Version],
    settings: Settings | None = None,
    *,
    progress: Progress | None = None,
    pairs: Mapping[tuple[int, int], PairAlignment] | None = None,
    baselines: Mapping[tuple[int, int], Baseline] | None = None,
    lexicons: Mapping[tuple[str, str], Lexicon] | None = None,
    dictionaries: Mapping[tuple[str, str], Sequence[tuple[str, str]]] | None = None,
    provenance: Provenance | None = None,
) -> Alignment:
    """Align N versions into one table whose rows agree for every pair of languages.

    ``pairs`` may hold pairwise alignments made already with the same settings, and
    ``baselines`` the versions' baselines, each keyed by ``(a, b)`` with ``a < b``:
    ``align_units`` of version ``a`` (source) with version ``b`` (target); the others are made
    here. Where the settings have a lexical pass (``LexicalSettings``), every pairwise alignment
    is then made again with lexical evidence: ``lexicons``, keyed by language pair, are those
    learned over a whole run (``pooled_lexicons``); a language pair without one learns it from
    these versions' own first pass and from its entry of ``dictionaries`` (per language pair,
    the (source, target) entries of a bilingual dictionary: ``aligner.lexical.read_dictionary``).
    ``progress`` hears of each step as it starts: each pairwise alignment still to make, each
    merge of two groups (the first ones reuse a pairwise alignment), and the scoring of the
    rows; and once more when all are done.
    """
    n = len(versions)
    settings = resolve(settings)[0]
    given = dict(pairs or {})
    if not set(given) <= set(combinations(range(n), 2)):
        raise ValueError(f"pairs are keyed by (a, b) with a < b < {n}, got {sorted(given)}")
    lexical = lexical_pass(settings)
    steps = n * (n - 1) // 2 * (2 if lexical else 1) - len(given) + n
    done = 0
    report(progress, "aligning", done, steps)
    made: dict[tuple[int, int], PairAlignment] = {}
    for a, b in combinations(range(n), 2):
        if (a, b) in given:
            made[a, b] = given[a, b]
            continue
        report(progress, "aligning", done, steps, f"{versions[a].lang}-{versions[b].lang}")
        made[a, b] = align_units(version_units(versions[a]), version_units(versions[b]), settings.alignment)
        done += 1
    if lexical:
        examples, vocabulary = lexical_examples(versions, made, settings)
        learned = learn_lexicons(
            {langs: pairs for langs, pairs in examples.items() if not _has_lexicon(lexicons or {}, *langs)},
            vocabulary,
            settings.lexical.max_examples,
            dictionaries,
        )
        known = {**learned, **(lexicons or {})}
        for a, b in combinations(range(n), 2):
            report(progress, "aligning", done, steps, f"{versions[a].lang}-{versions[b].lang} with a lexicon")
            lexicon = lexicon_for(known, versions[a].lang, versions[b].lang)
            if lexicon is not None:
                made[a, b] = _align_with_lexicon(versions[a], versions[b], lexicon, made[a, b], settings)
            done += 1
    closeness = np.zeros((n, n))
    for (a, b), pair in made.items():
        share = parallelism(versions[a], versions[b], pair, settings.merging.clear_match)
        closeness[a, b] = closeness[b, a] = share
    # Two inputs are versions of one text by the user's word; among more, some may not be,
    # and one that is mostly found in another (a summary, an excerpt) is one.
    threshold = settings.merging.min_parallelism if n > 2 else -np.inf
    translated = settings.merging.translation_parallelism
    found = _found_shares(versions, made, closeness, settings.merging.clear_match, max(threshold, translated))
    joins, clusters = _linkage_by_language(versions, found, threshold)
    steps -= n - 1 - len(joins)  # merges not made: groups left apart
    langs = [v.lang for v in versions]
    groups: dict[tuple[int, ...], list[Row]] = {
        (k,): [((i,),) for i in range(len(v.sentences))] for k, v in enumerate(versions)
    }
    for members_x, members_y in joins:
        names = " + ".join(",".join(versions[k].lang for k in m) for m in (members_x, members_y))
        report(progress, "aligning", done, steps, names)
        rows_x, rows_y = groups.pop(tuple(members_x)), groups.pop(tuple(members_y))
        if len(members_x) == len(members_y) == 1:
            # two single versions: aligned already, keyed by input order, which the linkage's
            # order of language codes may reverse
            x, y = members_x[0], members_y[0]
            pair = made[x, y] if x < y else _flipped(made[y, x])
        else:
            # the gaps of a group in an order that does not depend on the order of the inputs:
            # a pairwise alignment may put an insertion and a deletion either way round
            rows_x = order_gaps(rows_x, [langs[k] for k in members_x])
            rows_y = order_gaps(rows_y, [langs[k] for k in members_y])
            pair = align_units(
                _group_units(versions, members_x, rows_x),
                _group_units(versions, members_y, rows_y),
                settings.alignment,
                unlink_chance_runs=False,
            )
        groups[(*members_x, *members_y)] = [
            _concat_rows([rows_x[i] for i in src], len(members_x))
            + _concat_rows([rows_y[j] for j in tgt], len(members_y))
            for src, tgt in pair.beads
        ]
        done += 1
    report(progress, "aligning", done, steps, "scoring")
    pair_baselines = version_baselines(versions, settings.alignment, baselines)
    # Orders that do not depend on the order of the inputs, so that A with B mirrors B with A.
    ordered = [(members, groups[tuple(members)]) for members in clusters]
    if settings.merging.join_moved:
        ordered = [
            (
                members,
                join_moved(versions, members, rows, pair_baselines, settings.merging, settings.alignment),
            )
            for members, rows in ordered
        ]
    ordered.sort(key=lambda group: min(langs[k] for k in group[0]))
    rows = [
        row
        for members, group_rows in ordered
        for row in order_gaps([_widen(r, members, n) for r in group_rows], langs)
    ]
    lang_baselines = {(langs[a], langs[b]): baseline for (a, b), baseline in pair_baselines.items()}
    scores = pair_scores(versions, rows, lang_baselines)
    kinds, evidence = row_evidence(versions, rows, scores, lang_baselines, settings.merging)
    measured = _measurable(versions, found)
    if n == 2 and measured[0, 1] < translated:
        warnings.warn(_not_translations(versions, measured[0, 1], translated), stacklevel=2)
    apart = [",".join(versions[k].lang for k in sorted(members)) for members, kept in ordered if kept]
    if len(apart) > 1:  # an empty version is apart by nature, and warned about as empty
        warnings.warn(f"aligned apart, as not translations of each other: {' | '.join(apart)}", stacklevel=2)
    gains = merge_gains(versions, rows, kinds, lang_baselines)
    chances = calibrated(kinds, evidence, gains, settings.calibration)
    chances *= chance_pairings(rows, measured, translated)
    alignment = Alignment(
        versions,
        rows,
        chances,
        scores,
        [[versions[k].lang for k in sorted(members)] for members, _ in ordered],
        {(langs[a], langs[b]): _split_rows(rows, a, b, pair.beads) for (a, b), pair in made.items()},
        lang_baselines,
        {(langs[a], langs[b]): float(closeness[a, b]) for a, b in combinations(range(n), 2)},
        settings,
        provenance or Provenance.of(settings, load(DEFAULT_FITTED)),
    )
    report(progress, "aligning", steps, steps, "scoring")
    return alignment


def lexical_pass(settings: Settings) -> bool:
    """Whether ``settings`` (completed with the fitted values) ask for a lexical pass."""
    return settings.lexical.enabled and settings.alignment.lexical_bead_model is not None


def lexical_examples(
    versions: list[Version], pairs: Mapping[tuple[int, int], PairAlignment], settings: Settings
) -> tuple[dict[tuple[str, str], list[tuple[str, str]]], dict[tuple[str, str], list[tuple[str, str]]]]:
    """Per language pair, the confident matches of the pairwise alignments ``pairs`` as text
    pairs (what a lexicon learns from), and every sentence of both versions (its vocabulary)."""
    examples: dict[tuple[str, str], list[tuple[str, str]]] = {}
    vocabulary: dict[tuple[str, str], list[tuple[str, str]]] = {}
    lexical = settings.lexical
    for (a, b), pair in pairs.items():
        x, y = versions[a], versions[b]
        langs = (x.lang, y.lang)
        join_x, join_y = joiner(x.lang), joiner(y.lang)
        matches = [
            (src, tgt, score)
            for (src, tgt), score in zip(pair.beads, pair.scores, strict=True)
            if src and tgt and len(src) + len(tgt) <= lexical.max_bead
        ]
        found = examples.setdefault(langs, [])
        vocabulary.setdefault(langs, []).extend(zip_longest(x.sentences, y.sentences, fillvalue=""))
        if not matches:
            continue
        lowest = np.quantile([score for _, _, score in matches], 1.0 - lexical.confident_share)
        found.extend(
            (join_x.join(x.sentences[i] for i in src), join_y.join(y.sentences[j] for j in tgt))
            for src, tgt, score in matches
            if score >= lowest
        )
    return examples, vocabulary


def pooled_lexicons(
    tables: Iterable[tuple[list[Version], Mapping[tuple[int, int], PairAlignment]]],
    settings: Settings,
    dictionaries: Mapping[tuple[str, str], Sequence[tuple[str, str]]] | None = None,
) -> dict[tuple[str, str], Lexicon]:
    """One lexicon per language pair, learned from the first-pass alignments of every table of a
    run (each its versions and their pairwise alignments): a collection's documents, a batch,
    a benchmark. Pooled, the rarer words of each document are met often enough to learn.
    ``dictionaries`` as in ``align_versions``."""
    examples: dict[tuple[str, str], list[tuple[str, str]]] = {}
    vocabulary: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for versions, pairs in tables:
        table_examples, table_vocabulary = lexical_examples(versions, pairs, settings)
        for (src_lang, tgt_lang), found in table_examples.items():
            # one table per unordered language pair, read in the order it was first met
            key = (tgt_lang, src_lang) if (tgt_lang, src_lang) in examples else (src_lang, tgt_lang)
            flip = key != (src_lang, tgt_lang)
            examples.setdefault(key, []).extend((y, x) if flip else (x, y) for x, y in found)
            vocabulary.setdefault(key, []).extend(
                (y, x) if flip else (x, y) for x, y in table_vocabulary[src_lang, tgt_lang]
            )
    return learn_lexicons(examples, vocabulary, settings.lexical.max_examples, dictionaries)


def _has_lexicon(lexicons: Mapping[tuple[str, str], Lexicon], src_lang: str, tgt_lang: str) -> bool:
    return lexicon_for(lexicons, src_lang, tgt_lang) is not None


def _align_with_lexicon(
    x: Version, y: Version, lexicon: Lexicon, first: PairAlignment, settings: Settings
) -> PairAlignment:
    src_lexical, tgt_lexical = lexical_vectors_by_language(
        lexicon, (x.lang, y.lang), x.sentences, y.sentences, settings.lexical.dims
    )
    src = Units(x.vectors, x.relative_lengths, src_lexical)
    tgt = Units(y.vectors, y.relative_lengths, tgt_lexical)
    return align_units(src, tgt, settings.alignment, guide=first)


def _found_shares(
    versions: list[Version],
    pairs: Mapping[tuple[int, int], PairAlignment],
    closeness: np.ndarray,
    clear_match: float,
    below: float,
) -> np.ndarray:
    """How far each two versions translate each other: their parallelism (``closeness``), and
    where it is below ``below``, the larger of it and each version's own share found in the
    other (``_found_share``), up to ``below``, since a summary, an excerpt or a partial
    translation is mostly found in the other version while the share of both is low."""
    found = closeness.copy()
    np.fill_diagonal(found, 1.0)
    for (a, b), pair in pairs.items():
        if closeness[a, b] < below and len(versions[a].sentences) and len(versions[b].sentences):
            clear = _clear_beads(pair, clear_match)
            matched = [(x, y) for x, y in pair.beads if x and y]
            shares = _found_share(versions[a], versions[b], clear, matched), _found_share(
                versions[b], versions[a], [(y, x) for x, y in clear], [(y, x) for x, y in matched]
            )
            # up to the line, not past it: a version found in another ranks with the pairs at it
            found[a, b] = found[b, a] = max(closeness[a, b], min(max(shares), below))
    return found


def _flipped(pair: PairAlignment) -> PairAlignment:
    """``pair`` read from its target to its source."""
    return dataclasses.replace(pair, beads=[(tgt, src) for src, tgt in pair.beads])


def _linkage_by_language(
    versions: list[Version], found: np.ndarray, threshold: float
) -> tuple[list[tuple[list[int], list[int]]], list[list[int]]]:
    """The joins and clusters of ``average_linkage`` with excerpts attached (``_attach_excerpts``),
    worked out over the versions in the order of their language codes, so that the order of
    the inputs decides neither a tie nor which side of a join is which (where the codes are
    distinct, as ``aligner.align`` and the CLI have them)."""
    by_lang = sorted(range(len(versions)), key=lambda k: versions[k].lang)
    ordered = found[np.ix_(by_lang, by_lang)]
    joins, clusters = _attach_excerpts(ordered, threshold, *average_linkage(ordered, threshold))

    def inputs(members: list[int]) -> list[int]:
        return [by_lang[k] for k in members]

    return [(inputs(x), inputs(y)) for x, y in joins], [inputs(c) for c in clusters]


def _attach_excerpts(
    found: np.ndarray, threshold: float, joins: list[tuple[list[int], list[int]]], clusters: list[list[int]]
) -> tuple[list[tuple[list[int], list[int]]], list[list[int]]]:
    """``joins`` and ``clusters`` with each version left alone that is found in a member of
    another cluster (``found`` at ``threshold`` or more) joined to that cluster, the one where
    it is found most: average linkage averages in what it lacks of the other members, and two
    excerpts of one text find little of each other."""
    for single in [cluster for cluster in clusters if len(cluster) == 1]:
        k = single[0]
        others = [cluster for cluster in clusters if k not in cluster]
        best = max(others, key=lambda cluster: found[k, cluster].max(), default=None)
        if best is None or found[k, best].max() < threshold:
            continue
        joins = [*joins, (best, single)]
        clusters = [cluster for cluster in clusters if cluster is not best and cluster is not single]
        clusters.append(best + single)
    return joins, clusters


def _measurable(versions: list[Version], found: np.ndarray) -> np.ndarray:
    """``found`` where it can tell a translation from two texts; 1 where both versions have
    fewer than ``MIN_MEASURABLE_SENTENCES`` sentences (the unrelated similarity of so few
    sentence pairs is mostly that of the matches themselves) or one has none (it is warned
    about as empty)."""
    measured = found.copy()
    for a, b in combinations(range(len(versions)), 2):
        sizes = len(versions[a].sentences), len(versions[b].sentences)
        if max(sizes) < MIN_MEASURABLE_SENTENCES or min(sizes) == 0:
            measured[a, b] = measured[b, a] = 1.0
    return measured


def _sure_share(own_rows: np.ndarray, other_rows: np.ndarray, clear: list[Bead]) -> float:
    """The share of one version's sentences (``own_rows``, its vectors as unit rows) in a
    ``clear`` bead (own ids, other ids) whose best match in the other (``other_rows``) is in the
    bead, and whose best match's best match in the first is too: of a
    short text against a long one, a few clear matches are likely by chance alone (each
    sentence has many to choose from), but seldom each other's best. Up to
    ``SURE_SAMPLE`` such sentences, evenly spaced, are checked."""
    bead_of, sample = _sampled(clear)
    if not bead_of:
        return 0.0
    there = best_match(own_rows[sample], other_rows)
    back = best_match(other_rows[there], own_rows)
    sure = [
        j in bead_of[i][1] and k in bead_of[i][0] for i, j, k in zip(sample, there, back, strict=True)
    ]
    return float(np.mean(sure)) * len(bead_of) / len(own_rows)


def _sampled(beads: list[Bead]) -> tuple[dict[int, Bead], np.ndarray]:
    """The bead of each source sentence of ``beads``, and up to ``SURE_SAMPLE`` of those
    sentences, evenly spaced."""
    bead_of = {i: bead for bead in beads for i in bead[0]}
    candidates = np.array(sorted(bead_of), dtype=np.int64)
    spaced = np.linspace(0, len(candidates) - 1, min(len(candidates), SURE_SAMPLE)).astype(int)
    return bead_of, candidates[np.unique(spaced)]


def _found_share(own: Version, other: Version, clear: list[Bead], matched: list[Bead]) -> float:
    """How much of ``own`` is found in ``other``: the larger of ``_sure_share`` over the
    ``clear`` beads and ``_chained_share`` over all the ``matched`` ones (own ids, other ids)."""
    own_rows, other_rows = unit_rows(own.vectors), unit_rows(other.vectors)
    return max(_sure_share(own_rows, other_rows, clear), _chained_share(own_rows, other_rows, matched))


def _chained_share(own_rows: np.ndarray, other_rows: np.ndarray, matched: list[Bead]) -> float:
    """The share of one version's sentences (``own_rows``, as in ``_sure_share``) in a
    ``matched`` bead (own ids, other ids) that hold their best match in the other, where more
    of them do than a chain of chance matches could (``CHANCE_HELD_FACTOR`` times the square
    root of the sentences checked), else 0: the beads run forward, so those best matches form
    a chain. Where sentences are much alike (verses of the Bible), a true match is often only
    a little above unrelated ones and not its partner's best, and ``_sure_share`` misses it.
    Up to ``SURE_SAMPLE`` sentences of the beads, evenly spaced, are checked."""
    bead_of, sample = _sampled(matched)
    if not bead_of:
        return 0.0
    there = best_match(own_rows[sample], other_rows)
    held = sum(j in bead_of[i][1] for i, j in zip(sample.tolist(), there.tolist(), strict=True))
    if held <= CHANCE_HELD_FACTOR * np.sqrt(len(sample)):
        return 0.0
    return held / len(sample) * len(bead_of) / len(own_rows)


def _not_translations(versions: list[Version], measured: float, translated: float) -> str:
    """The warning that two versions (whose ``_measurable`` share is ``measured``) are not translations."""
    a, b = versions
    return (
        f"{a.lang} and {b.lang} do not look like translations of each other, even in part: at most "
        f"{measured:.0%} of either's sentences have a sure counterpart in the other (translations: "
        f"{translated:.0%} or more), so their rows are scored as chance pairings"
    )


def _group_units(versions: list[Version], members: list[int], rows: list[Row]) -> Units:
    """A group's rows as units: the mean of its languages' unit span vectors, and the mean of
    their relative lengths."""
    dim = versions[0].vectors.shape[1]
    vectors = np.zeros((len(rows), dim), dtype=np.float32)
    lengths = np.zeros(len(rows))
    lengths_by_member = [versions[k].relative_lengths for k in members]
    for r, row in enumerate(rows):
        present = [(k, ids) for k, ids in zip(members, row, strict=True) if ids]
        vectors[r] = sum(unit_rows(versions[k].span(ids)[None])[0] for k, ids in present) / len(present)
        lengths[r] = np.mean([lengths_by_member[members.index(k)][list(ids)].sum() for k, ids in present])
    return Units(vectors, lengths)


def _split_rows(rows: list[Row], a: int, b: int, own: list[Bead]) -> list[Bead]:
    """Languages ``a`` and ``b`` read off the rows, each row split by the pair's own beads where
    those lie inside it, cover it and link something in it (a row that joins two sentences
    moved apart holds only null beads of the pair's own alignment)."""
    bead_of = {(0, i): k for k, (src, _) in enumerate(own) for i in src}
    bead_of |= {(1, j): k for k, (_, tgt) in enumerate(own) for j in tgt}
    out: list[Bead] = []
    for row in rows:
        ids_a, ids_b = row[a], row[b]
        inside = sorted({bead_of[0, i] for i in ids_a} | {bead_of[1, j] for j in ids_b})
        covered = all(set(own[k][0]) <= set(ids_a) and set(own[k][1]) <= set(ids_b) for k in inside)
        links = any(own[k][0] and own[k][1] for k in inside)
        if ids_a and ids_b and covered and links:
            out += [bead for k in inside for bead in row_beads(*own[k])]
        else:
            out += row_beads(ids_a, ids_b)
    return out


def _widen(row: Row, members: list[int], width: int) -> Row:
    """A group's row in the column order of all versions, empty for non-members."""
    ids: list[tuple[int, ...]] = [()] * width
    for k, member_ids in zip(members, row, strict=True):
        ids[k] = member_ids
    return tuple(ids)


def _concat_rows(rows: list[Row], width: int) -> Row:
    return tuple(tuple(i for row in rows for i in row[c]) for c in range(width))
