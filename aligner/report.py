"""Quality signals of an alignment, per unit and per document, for translation-quality studies.

``quality`` gives, for every language pair that was aligned (languages of one group) and every
row holding either of its languages, the pair's bead type, similarity, margin, the row's
calibrated score, the length ratio and how unusual it is for this pair, and the reasons to
distrust the unit. ``summary`` condenses it per language and per pair into a JSON-ready dict,
``format_summary`` prints that, and ``omissions`` lists the stretches one version leaves out.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from aligner.languages import joiner
from aligner.settings import ReportSettings
from aligner.similarity import nearest_neighbour_similarity, unit_rows

if TYPE_CHECKING:
    from aligner.table import Alignment, Version


def limits(
    alignment: Alignment, min_score: float | None = None, max_length_z: float | None = None
) -> ReportSettings:
    """What to flag: the thresholds given, else the alignment's settings', else the defaults."""
    settings = getattr(alignment, "settings", None)
    default = settings.report if settings is not None else ReportSettings()
    return replace(
        default,
        min_score=default.min_score if min_score is None else min_score,
        max_length_z=default.max_length_z if max_length_z is None else max_length_z,
    )


MIN_MARGIN_SCALE = 1e-6
"""Floor on ``1 - neighbour similarity``, so that a margin stays finite for identical neighbours."""

MIN_LENGTH_SAMPLE = 5
"""One-to-one units needed to tell what length ratio is usual for a pair."""

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)

LOW_SCORE, LENGTH, MERGE = "low score", "length ratio", "weak merge"
"""Flag reasons (``ReportSettings``): row score below ``min_score``, extreme length ratio, an m-n
unit weaker than most one-to-one units of the pair."""

COLUMNS = [
    "row",
    "lang_a",
    "lang_b",
    "bead",
    "similarity",
    "margin",
    "score",
    "chars_a",
    "chars_b",
    "length_ratio",
    "length_z",
    "flags",
    "flagged",
    "text_a",
    "text_b",
]


def aligned_pairs(alignment: Alignment) -> list[tuple[str, str]]:
    """Language pairs in column order whose versions were aligned with each other (same group)."""
    groups = alignment.groups or [alignment.langs]
    together = {frozenset(pair) for group in groups for pair in combinations(group, 2)}
    return [pair for pair in combinations(alignment.langs, 2) if frozenset(pair) in together]


def column(alignment: Alignment, lang: str) -> int:
    try:
        return alignment.langs.index(lang)
    except ValueError:
        raise ValueError(f"no {lang!r} in this alignment: it has {', '.join(alignment.langs)}") from None


def linked(alignment: Alignment) -> np.ndarray:
    """Per row, whether it holds two or more languages (its sentences are aligned)."""
    return np.array([sum(bool(ids) for ids in row) > 1 for row in alignment.rows], dtype=bool)


def aligned_counts(alignment: Alignment) -> list[int]:
    """Per language, in column order, how many of its sentences share a row with another language."""
    is_linked = linked(alignment)
    return [
        sum(len(row[c]) for row, on in zip(alignment.rows, is_linked, strict=True) if on)
        for c in range(len(alignment.versions))
    ]


def _chars(version: Version, ids: tuple[int, ...]) -> int:
    return sum(len(version.sentences[i]) for i in ids)


def _margins(a: Version, b: Version, spans: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> np.ndarray:
    """How far each matched pair stands out from its two sides' nearest neighbours, as in bitext
    mining: 0 is no more alike than a sentence's usual near neighbours."""
    if not spans:
        return np.empty(0)
    va = unit_rows(np.stack([a.span(x) for x, _ in spans]))
    vb = unit_rows(np.stack([b.span(y) for _, y in spans]))
    floor = (
        nearest_neighbour_similarity(va, unit_rows(b.vectors))
        + nearest_neighbour_similarity(vb, unit_rows(a.vectors))
    ) / 2
    cos = np.einsum("ij,ij->i", va, vb)
    return (cos - floor) / np.maximum(1.0 - floor, MIN_MARGIN_SCALE)


def _robust_z(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``values`` in robust standard deviations (1.4826 MAD) from the median of ``reference``."""
    reference = reference[np.isfinite(reference)]
    if len(reference) < MIN_LENGTH_SAMPLE:
        return np.full(len(values), np.nan)
    centre = np.median(reference)
    spread = 1.4826 * np.median(np.abs(reference - centre))
    if spread == 0:
        return np.full(len(values), np.nan)
    return (values - centre) / spread


def _pair_quality(alignment: Alignment, lang_a: str, lang_b: str, flag: ReportSettings) -> pd.DataFrame:
    ca, cb = column(alignment, lang_a), column(alignment, lang_b)
    a, b = alignment.versions[ca], alignment.versions[cb]
    rows = [r for r, row in enumerate(alignment.rows) if row[ca] or row[cb]]
    spans = [(alignment.rows[r][ca], alignment.rows[r][cb]) for r in rows]
    matched = np.array([bool(x and y) for x, y in spans], dtype=bool)
    one_to_one = np.array([len(x) == 1 and len(y) == 1 for x, y in spans], dtype=bool)
    chars_a = np.array([_chars(a, x) for x, _ in spans], dtype=np.int64)
    chars_b = np.array([_chars(b, y) for _, y in spans], dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(matched, chars_b / np.maximum(chars_a, 1), np.nan)
        log_ratio = np.log(ratio)
    length_z = _robust_z(log_ratio, log_ratio[one_to_one])
    margin = np.full(len(rows), np.nan)
    margin[matched] = _margins(a, b, [s for s, m in zip(spans, matched, strict=True) if m])
    similarity = alignment.pair_scores.get((lang_a, lang_b), np.full(len(alignment.rows), np.nan))[rows]
    score = alignment.scores[rows]
    usual = similarity[one_to_one & np.isfinite(similarity)]
    weak = np.quantile(usual, flag.weak_merge_quantile) if len(usual) >= MIN_LENGTH_SAMPLE else -np.inf
    flags = []
    for k, (x, y) in enumerate(spans):
        reasons = []
        if score[k] < flag.min_score:
            reasons.append(LOW_SCORE)
        if abs(length_z[k]) > flag.max_length_z:  # NaN compares False: unmatched units have no ratio
            reasons.append(LENGTH)
        if x and y and (len(x) > 1 or len(y) > 1) and similarity[k] < weak:
            reasons.append(MERGE)
        flags.append(", ".join(reasons))
    return pd.DataFrame(
        {
            "row": rows,
            "lang_a": lang_a,
            "lang_b": lang_b,
            "bead": [f"{len(x)}-{len(y)}" for x, y in spans],
            "similarity": similarity,
            "margin": margin,
            "score": score,
            "chars_a": chars_a,
            "chars_b": chars_b,
            "length_ratio": ratio,
            "length_z": length_z,
            "flags": flags,
            "flagged": [bool(f) for f in flags],
            "text_a": [alignment.text(r, ca) for r in rows],
            "text_b": [alignment.text(r, cb) for r in rows],
        },
        columns=COLUMNS,
    )


def quality(
    alignment: Alignment, *, min_score: float | None = None, max_length_z: float | None = None
) -> pd.DataFrame:
    """Per unit and aligned language pair, the signals a translation-quality study needs.

    One row per (alignment row, language pair) where the row holds either language of a pair
    whose versions were aligned with each other; columns:

    - ``row``: the alignment row (``alignment.to_pandas()`` index); ``lang_a``, ``lang_b``: the pair
    - ``bead``: sentences of a and of b in the unit, e.g. ``1-1``, ``2-1``, ``1-0`` (b leaves it out)
    - ``similarity``: normalised similarity of the two texts (``score_A_B`` of the TSV)
    - ``margin``: how far the pair stands out from both sides' nearest neighbours (0: not at all)
    - ``score``: the row's calibrated chance of being right (the TSV's ``score``)
    - ``chars_a``, ``chars_b``, ``length_ratio`` (b over a), ``length_z``: the log ratio in robust
      standard deviations from the median of the pair's one-to-one units
    - ``flags``: reasons for suspicion (``low score``, ``length ratio``, ``weak merge``), ``flagged``
    - ``text_a``, ``text_b``
    """
    flag = limits(alignment, min_score, max_length_z)
    frames = [_pair_quality(alignment, a, b, flag) for a, b in aligned_pairs(alignment)]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)


def _stats(values: np.ndarray) -> dict[str, float | None]:
    values = values[np.isfinite(values)]
    if not len(values):
        return {"mean": None, **{f"q{round(q * 100)}": None for q in QUANTILES}}
    quantiles = np.quantile(values, QUANTILES)
    return {
        "mean": round(float(values.mean()), 4),
        **{f"q{round(q * 100)}": round(float(v), 4) for q, v in zip(QUANTILES, quantiles, strict=True)},
    }


def summary(
    alignment: Alignment,
    *,
    min_score: float | None = None,
    max_length_z: float | None = None,
    units: pd.DataFrame | None = None,
) -> dict:
    """Per language and per aligned pair: coverage, score statistics and flagged units (JSON-ready).

    A sentence is aligned (for a language) when its row holds another language, and aligned
    to b (for a pair) when its row holds b. ``units`` is ``quality(alignment)`` if already at hand.
    """
    if units is None:
        units = quality(alignment, min_score=min_score, max_length_z=max_length_z)
    flag = limits(alignment, min_score, max_length_z)
    languages = {}
    for version, aligned in zip(alignment.versions, aligned_counts(alignment), strict=True):
        total = len(version.sentences)
        languages[version.lang] = {
            "sentences": total,
            "aligned": aligned,
            "coverage": round(aligned / total, 4) if total else None,
        }
    pairs = {}
    for a, b in aligned_pairs(alignment):
        pair = units[(units["lang_a"] == a) & (units["lang_b"] == b)]
        ca, cb = column(alignment, a), column(alignment, b)
        matched = pair[pair["similarity"].notna()]
        coverage = {}
        for lang, mine, other in ((a, ca, cb), (b, cb, ca)):
            total = len(alignment.versions[mine].sentences)
            aligned = sum(len(row[mine]) for row in alignment.rows if row[other])
            coverage[lang] = {
                "sentences": total,
                "aligned": aligned,
                "coverage": round(aligned / total, 4) if total else None,
            }
        reasons = pair["flags"].str.split(", ").explode()
        pairs[f"{a}-{b}"] = {
            "units": len(pair),
            "matched": len(matched),
            "beads": {k: int(v) for k, v in pair["bead"].value_counts().sort_index().items()},
            "coverage": coverage,
            "similarity": _stats(matched["similarity"].to_numpy(dtype=float)),
            "margin": _stats(matched["margin"].to_numpy(dtype=float)),
            "score": _stats(matched["score"].to_numpy(dtype=float)),
            "flagged": int(pair["flagged"].sum()),
            "flags": {reason: int((reasons == reason).sum()) for reason in (LOW_SCORE, LENGTH, MERGE)},
        }
    return {
        "rows": len(alignment.rows),
        "languages": languages,
        "groups": [list(group) for group in alignment.groups],
        "mean_score": round(float(alignment.scores.mean()), 4) if len(alignment.scores) else None,
        "flagged_rows": int(units.loc[units["flagged"], "row"].nunique()),
        "thresholds": asdict(flag),
        "pairs": pairs,
    }


def counted(count: int, noun: str) -> str:
    """``count`` ``noun``s, in the singular for one (``1 row``, ``2 rows``)."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def format_summary(report: dict) -> str:
    """``summary``'s dict as a few aligned lines of text for a terminal."""

    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    lines = [
        f"{counted(report['rows'], 'row')}, mean score {number(report['mean_score'])}, "
        f"{counted(report['flagged_rows'], 'row')} flagged (score < {report['thresholds']['min_score']}, "
        f"|length z| > {report['thresholds']['max_length_z']}, or merges weaker than most one-to-one units)"
    ]
    if len(report["groups"]) > 1:
        lines.append(
            "aligned apart (not translations of each other): " + " | ".join(map(",".join, report["groups"]))
        )
    lines += ["", f"{'language':<10}{'sentences':>10}{'aligned':>9}{'coverage':>10}"]
    for lang, info in report["languages"].items():
        coverage = "-" if info["coverage"] is None else f"{info['coverage']:.0%}"
        lines.append(f"{lang:<10}{info['sentences']:>10}{info['aligned']:>9}{coverage:>10}")
    lines += [
        "",
        f"{'pair':<10}{'units':>6}{'1-1':>5}{'m-n':>5}{'gaps':>6}  {'coverage a / b':<16}"
        f"{'similarity mean [q10 median q90]':<34}{'flagged':>7}",
    ]
    for name, pair in report["pairs"].items():
        beads = pair["beads"]
        gaps = sum(n for bead, n in beads.items() if "0" in bead.split("-"))
        merges = pair["matched"] - beads.get("1-1", 0)
        coverage = " / ".join(
            "-" if c["coverage"] is None else f"{c['coverage']:.0%}" for c in pair["coverage"].values()
        )
        s = pair["similarity"]
        similarity = f"{number(s['mean'])} [{number(s['q10'])} {number(s['q50'])} {number(s['q90'])}]"
        lines.append(
            f"{name:<10}{pair['units']:>6}{beads.get('1-1', 0):>5}{merges:>5}{gaps:>6}  {coverage:<16}"
            f"{similarity:<34}{pair['flagged']:>7}"
        )
    return "\n".join(lines)


def omissions(alignment: Alignment, lang: str, other: str) -> pd.DataFrame:
    """Stretches of ``lang`` that ``other`` leaves out: runs of consecutive ``lang`` sentences whose
    rows hold no ``other`` text, with ``first`` and ``last`` sentence id, ``sentences``, ``rows``
    (first and last alignment row) and the ``text``, in document order."""
    c, o = column(alignment, lang), column(alignment, other)
    version = alignment.versions[c]
    missing = sorted((i, r) for r, row in enumerate(alignment.rows) if row[c] and not row[o] for i in row[c])
    runs: list[list[tuple[int, int]]] = []
    for i, r in missing:
        if runs and runs[-1][-1][0] == i - 1:
            runs[-1].append((i, r))
        else:
            runs.append([(i, r)])
    glue = joiner(lang)
    return pd.DataFrame(
        [
            {
                "first": run[0][0],
                "last": run[-1][0],
                "sentences": len(run),
                "rows": f"{run[0][1]}-{run[-1][1]}" if len(run) > 1 else str(run[0][1]),
                "text": glue.join(version.sentences[i] for i, _ in run),
            }
            for run in runs
        ],
        columns=["first", "last", "sentences", "rows", "text"],
    )
