"""Viewing an alignment: an HTML table for Jupyter and matplotlib plots.

``to_html`` renders one page of rows (``Alignment._repr_html_`` shows the first), so a long
document never produces an output a browser chokes on. ``plot_path`` draws a language pair's
similarity matrix with the chosen path over it, where omissions and reorderings show at a
glance; ``plot_scores`` and ``plot_coverage`` summarise the pairs and languages, and
``save_plots`` writes them all as PNG files. matplotlib is imported only when plotting.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import partial
from html import escape
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from aligner.report import aligned_counts, aligned_pairs, column, limits, linked
from aligner.similarity import Baseline, unit_rows, unrelated_similarity

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from aligner.table import Alignment, Corpus

PAGE_ROWS = 200
"""Rows per HTML page: a few hundred table rows render at once in any notebook front end."""

CELL_CHARS = 400
"""Text shown per cell; the whole text is in the cell's tooltip."""

HEATMAP_SIDE = 1000
"""Most cells per side of a heatmap. Longer documents are max-pooled, which keeps the
translation diagonal visible where averaging would wash it out."""

PATH_COLOUR, GAP_COLOUR, ALIGNED_COLOUR = "#d62728", "#ff9f1c", "#2ca25f"
SCORES_FIGSIZE = (6.4, 3.6)

BOXED_UNITS = 400
"""Up to this many units the path is drawn as boxes; beyond, boxes are too small to see, and
the path is a line through the units' centres."""

# Layout comes from one scoped style block; what carries meaning (bars, tints, gaps) is inline,
# so it survives viewers that drop <style>. Translucent colours read on light and dark themes.
_STYLE = (
    "<style>"
    ".aligner-table{border-collapse:collapse;table-layout:fixed;width:100%;font-size:90%}"
    ".aligner-table td,.aligner-table th{padding:3px 6px;vertical-align:top;text-align:left;"
    "overflow-wrap:anywhere;border-bottom:1px solid rgba(128,128,128,0.25)}"
    ".aligner-table th{position:sticky;top:0;z-index:1;background:var(--jp-layout-color0,#fff)}"
    ".aligner-table sup,.aligner-table small{opacity:0.6}"
    "</style>"
)
_CELL = "text-align:start;vertical-align:top"
"""On every cell, inline: JupyterLab drops the style block of an untrusted output, and its own
rule right-aligns table cells; ``start`` is the right side for right-to-left text."""
_LOW_ROW = "background:rgba(214,39,40,0.13)"
_GAP = "background:rgba(255,159,28,0.2);font-style:italic"


class HTML:
    """An HTML fragment that Jupyter displays as such."""

    def __init__(self, html: str) -> None:
        self.html = html

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


def _cell(alignment: Alignment, r: int, c: int) -> str:
    version = alignment.versions[c]
    parts, room = [], CELL_CHARS
    for i in alignment.rows[r][c]:
        if room <= 0:
            parts.append("…")
            break
        sentence = version.sentences[i]
        parts.append(f"<sup>{i}</sup>{escape(sentence[:room])}{'…' if len(sentence) > room else ''}")
        room -= len(sentence)
    clipped = parts[-1] == "…" or room < 0
    title = f' title="{escape(alignment.text(r, c))}"' if clipped else ""
    return f'<td lang="{escape(version.lang)}" dir="auto" style="{_CELL}"{title}>{" ".join(parts)}</td>'


def _score(score: float, bead: str) -> str:
    if math.isnan(score):  # an unmatched document's rows: nothing to compare it with
        return f'<td style="{_CELL}">not scored<br><small>{bead}</small></td>'
    hue = round(120 * min(max(score, 0.0), 1.0))  # red, amber, green
    bar = (
        '<span style="display:inline-block;width:50px;height:9px;vertical-align:middle;'
        f'background:rgba(128,128,128,0.2)"><span style="display:block;width:{score:.0%};height:100%;'
        f'background:hsl({hue},70%,45%)"></span></span>'
    )
    return f'<td style="{_CELL}">{bar} {score:.2f}<br><small>{bead}</small></td>'


def _group_columns(alignment: Alignment) -> dict[int, list[int]]:
    """For each column, the columns of its group (a row never spans two groups)."""
    groups = alignment.groups or [alignment.langs]
    return {
        column(alignment, lang): [column(alignment, x) for x in group] for group in groups for lang in group
    }


def _row(alignment: Alignment, r: int, group: dict[int, list[int]], min_score: float) -> str:
    row = alignment.rows[r]
    present = [c for c, ids in enumerate(row) if ids]
    mates = group[present[0]]
    bead = "unaligned" if len(present) == 1 else "-".join(str(len(row[c])) for c in mates)
    cells = [f'<td style="{_CELL}"><small>{r}</small></td>']
    for c, ids in enumerate(row):
        if ids:
            cells.append(_cell(alignment, r, c))
        elif c in mates:  # a language of this row's group with nothing here: a gap
            cells.append(f'<td style="{_GAP};{_CELL}">no {escape(alignment.langs[c])}</td>')
        else:
            cells.append(f'<td style="{_CELL}"></td>')
    score = float(alignment.scores[r])
    cells.append(_score(score, bead))
    low = f' style="{_LOW_ROW}" title="score below {min_score}"' if score < min_score else ""
    return f"<tr{low}>{''.join(cells)}</tr>"


def to_html(
    alignment: Alignment,
    page: int = 1,
    *,
    rows: Sequence[int] | None = None,
    page_rows: int = PAGE_ROWS,
    min_score: float | None = None,
) -> str:
    """Page ``page`` (from 1) of the table, or of the selected ``rows`` only, as HTML.

    One row per unit, a column per language and the score as a coloured bar; rows scored below
    ``min_score`` (default: the alignment's ``ReportSettings``) are tinted red, and a language
    of the row's group with no text is an amber "no L" cell. Superscripts are sentence ids.
    """
    min_score = limits(alignment, min_score).min_score
    selected = list(range(len(alignment.rows))) if rows is None else list(rows)
    pages = max(1, math.ceil(len(selected) / page_rows))
    if not 1 <= page <= pages:
        raise ValueError(f"page {page} does not exist: there {'is' if pages == 1 else 'are'} {pages}")
    first = (page - 1) * page_rows
    shown = selected[first : first + page_rows]
    head = ['<col style="width:3em">']
    head += ["<col>"] * len(alignment.versions)
    head += ['<col style="width:7em">', f'<thead><tr><th style="{_CELL}">#</th>']
    for version, aligned in zip(alignment.versions, aligned_counts(alignment), strict=True):
        head.append(
            f'<th style="{_CELL}">{escape(version.lang)} <small>{aligned}/{len(version.sentences)} '
            "aligned</small></th>"
        )
    head.append(f'<th style="{_CELL}">score</th></tr></thead>')
    facts = [f"{len(alignment.rows):,} rows"]
    if np.isfinite(alignment.scores).any():
        facts.append(f"mean score {np.nanmean(alignment.scores):.2f}")
    elif len(alignment.scores):
        facts.append("not scored (a document matched with no other)")
    facts.append(f"{int((alignment.scores < min_score).sum()):,} scored below {min_score} (red)")
    if len(alignment.groups) > 1:
        facts.append("aligned apart: " + " | ".join(escape(", ".join(g)) for g in alignment.groups))
    caption = (
        " · ".join(facts) + '<br><small>amber "no L": L has no counterpart in this row · superscripts: '
        "sentence ids · under each bar: sentences per language of the row's group</small>"
    )
    if len(shown) < len(alignment.rows):
        what = "rows" if rows is None else "selected rows"
        caption += f"<br><b>Showing {len(shown):,} of {len(selected):,} {what}</b>"
        if pages > 1:
            code = "<code>aligner.view.show(alignment, page=N)</code>"
            caption += f" (page {page} of {pages}: {code} shows page N)"
    group = _group_columns(alignment)
    body = "".join(_row(alignment, r, group, min_score) for r in shown)
    return (
        f'{_STYLE}<div class="aligner-alignment"><div style="margin:4px 0">{caption}</div>'
        f'<div style="max-height:640px;overflow:auto"><table class="aligner-table">{"".join(head)}'
        f"<tbody>{body}</tbody></table></div></div>"
    )


def corpus_html(corpus: Corpus) -> str:
    """A collection at a glance: a line per group and per unmatched document, with its
    languages, rows and mean score (an unmatched one's closest document instead); each is
    shown whole by ``corpus.table(name)``."""
    lines = []
    for name, alignment in corpus.parts:
        scored = np.isfinite(alignment.scores)
        if scored.any():
            how = f"mean score {np.nanmean(alignment.scores):.2f}"
        else:
            closest = corpus.grouping.closest(name)
            other = None if closest is None else (closest.b if closest.a == name else closest.a)
            how = "not scored: matched with no other document" + (
                f" (closest {escape(other)} at {closest.parallelism:.2f})" if closest is not None else ""
            )
        lines.append(
            f'<tr><td style="{_CELL}"><code>{escape(name)}</code></td>'
            f'<td style="{_CELL}">{escape(", ".join(alignment.langs))}</td>'
            f'<td style="{_CELL}">{len(alignment.rows):,}</td><td style="{_CELL}">{how}</td></tr>'
        )
    caption = (
        f"{len(corpus.rows):,} rows · {len(corpus.grouping.groups)} "
        f"group{'s' if len(corpus.grouping.groups) != 1 else ''}, {len(corpus.grouping.unmatched)} "
        "unmatched · <code>corpus.table(name)</code> shows one"
    )
    head = "".join(f'<th style="{_CELL}">{title}</th>' for title in ("doc", "languages", "rows", "score"))
    return (
        f'<div><table class="aligner-corpus"><caption style="text-align:start">{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table></div>"
    )


def show(
    alignment: Alignment,
    page: int = 1,
    *,
    rows: Sequence[int] | None = None,
    page_rows: int = PAGE_ROWS,
    min_score: float | None = None,
) -> HTML:
    """``to_html`` for display in Jupyter: ``show(alignment, page=3)``, ``show(alignment, rows=[...])``."""
    return HTML(to_html(alignment, page, rows=rows, page_rows=page_rows, min_score=min_score))


def similarity_matrix(
    alignment: Alignment, lang_a: str, lang_b: str, side: int = HEATMAP_SIDE
) -> tuple[np.ndarray, int, int]:
    """Similarity above unrelated of every sentence of a with every sentence of b (0 as alike
    as unrelated sentences of the two documents, 1 identical; clipped to [0, 1]), max-pooled
    into blocks of ``step_a`` x ``step_b`` sentences so that no side exceeds ``side``."""
    a = alignment.versions[column(alignment, lang_a)].vectors
    b = alignment.versions[column(alignment, lang_b)].vectors
    baseline = alignment.baselines.get((lang_a, lang_b)) or alignment.baselines.get((lang_b, lang_a))
    baseline = baseline or Baseline(unrelated_similarity(a, b))
    step_a, step_b = max(1, math.ceil(len(a) / side)), max(1, math.ceil(len(b) / side))
    va, vb = unit_rows(a), unit_rows(b)
    cols = math.ceil(len(b) / step_b)
    out = np.zeros((math.ceil(len(a) / step_a), cols), dtype=np.float32)
    for k, start in enumerate(range(0, len(a), step_a)):
        block = va[start : start + step_a] @ vb.T  # a few rows at a time: never the full matrix
        padded = np.full((len(block), cols * step_b), -np.inf, dtype=np.float32)
        padded[:, : len(b)] = block
        out[k] = padded.reshape(len(block), cols, step_b).max(axis=(0, 2))
    return np.clip(baseline.above_unrelated(out), 0.0, 1.0), step_a, step_b


def _runs(ids: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive integers as (first, last) runs."""
    runs: list[tuple[int, int]] = []
    for i in sorted(ids):
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _new_axes(figsize: tuple[float, float]) -> Axes:
    import matplotlib.pyplot as plt

    return plt.figure(figsize=figsize, layout="constrained").subplots()


def _path_figsize(alignment: Alignment, lang_a: str, lang_b: str) -> tuple[float, float]:
    n = len(alignment.versions[column(alignment, lang_a)].sentences)
    m = len(alignment.versions[column(alignment, lang_b)].sentences)
    aspect = min(max(n / max(m, 1), 0.5), 1.6)
    return 6.4, 1.0 + 5.0 * aspect


def _coverage_figsize(alignment: Alignment) -> tuple[float, float]:
    return 6.4, 0.9 + 0.5 * len(alignment.versions)


def plot_path(alignment: Alignment, lang_a: str, lang_b: str, ax: Axes | None = None) -> Axes:
    """Heatmap of the 1-1 similarities of a's sentences (rows) and b's (columns), with the
    alignment path (rows holding both) drawn over it; an m-n bead is a box, and sentences with
    no counterpart in the other language are amber bands. A translation shows as a diagonal
    ridge followed by the path; an omission is a band the path jumps over."""
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.patches import Patch, Rectangle
    from matplotlib.ticker import MaxNLocator
    from matplotlib.transforms import offset_copy

    ca, cb = column(alignment, lang_a), column(alignment, lang_b)
    ax = ax if ax is not None else _new_axes(_path_figsize(alignment, lang_a, lang_b))
    matrix, step_a, step_b = similarity_matrix(alignment, lang_a, lang_b)
    n, m = (len(alignment.versions[c].sentences) for c in (ca, cb))
    image = ax.imshow(
        matrix,
        cmap="Blues",
        vmin=0.0,
        vmax=1.0,
        aspect="auto",
        interpolation="nearest",
        extent=(-0.5, matrix.shape[1] * step_b - 0.5, matrix.shape[0] * step_a - 0.5, -0.5),
    )
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="normalised similarity")
    both = [(row[ca], row[cb]) for row in alignment.rows if row[ca] and row[cb]]
    gaps_a = [i for row in alignment.rows if row[ca] and not row[cb] for i in row[ca]]
    gaps_b = [j for row in alignment.rows if row[cb] and not row[ca] for j in row[cb]]
    for first, last in _runs(gaps_a):
        ax.axhspan(first - 0.5, last + 0.5, color=GAP_COLOUR, alpha=0.25, lw=0)
    for first, last in _runs(gaps_b):
        ax.axvspan(first - 0.5, last + 0.5, color=GAP_COLOUR, alpha=0.25, lw=0)
    if both and len(both) <= BOXED_UNITS and step_a == step_b == 1:
        # Each unit a box, so the similarity of its cells stays visible; the box of one unit
        # joins the next corner to corner, so a jump over an omission is a line across its band.
        boxes = [Rectangle((ib[0] - 0.5, ia[0] - 0.5), len(ib), len(ia)) for ia, ib in both]
        ax.add_collection(PatchCollection(boxes, facecolor="none", edgecolor=PATH_COLOUR, lw=1.0))
        corners = [((ib[0] - 0.5, ia[0] - 0.5), (ib[-1] + 0.5, ia[-1] + 0.5)) for ia, ib in both]
        jumps = [(end, start) for (_, end), (start, _) in pairwise(corners) if end != start]
        ax.add_collection(LineCollection(jumps, colors=PATH_COLOUR, lw=1.0))
    elif both:
        ax.plot([np.mean(y) for _, y in both], [np.mean(x) for x, _ in both], color=PATH_COLOUR, lw=0.8)
    ax.set_xlim(-0.5, m - 0.5)
    ax.set_ylim(n - 0.5, -0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"{lang_b} sentence ({m})")
    ax.set_ylabel(f"{lang_a} sentence ({n})")
    title = f"{lang_a}-{lang_b}: similarity and alignment path"
    if (lang_a, lang_b) not in aligned_pairs(alignment) and (lang_b, lang_a) not in aligned_pairs(alignment):
        title += "\n(not aligned with each other: different groups)"
    ax.set_title(title)
    handles = [Patch(facecolor="none", edgecolor=PATH_COLOUR, label=f"aligned units ({len(both)})")]
    if gaps_a or gaps_b:
        handles.append(
            Patch(
                color=GAP_COLOUR,
                alpha=0.4,
                label=f"no counterpart ({len(gaps_a)} {lang_a}, {len(gaps_b)} {lang_b})",
            )
        )
    # Below the axis label, whatever the figure's size: tick labels and label are sized in points.
    below = offset_copy(ax.transAxes, fig=ax.figure, y=-34, units="points")
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=below,
        ncols=2,
        fontsize="small",
        frameon=False,
    )
    return ax


def plot_scores(alignment: Alignment, ax: Axes | None = None) -> Axes:
    """Histogram of the normalised similarity of matched units, one outline per aligned pair."""
    ax = ax if ax is not None else _new_axes(SCORES_FIGSIZE)
    bins = np.linspace(0.0, 1.0, 21)
    for a, b in aligned_pairs(alignment):
        values = alignment.pair_scores.get((a, b), np.empty(0))
        values = values[np.isfinite(values)]
        if len(values):
            label = f"{a}-{b} ({len(values)} units, median {np.median(values):.2f})"
            ax.hist(values, bins=bins, histtype="step", lw=1.8, label=label)
    ax.set_xlim(0, 1)
    ax.set_xlabel("normalised similarity of the pair in a unit")
    ax.set_ylabel("units")
    ax.set_title("Similarity per language pair")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
    return ax


def plot_coverage(alignment: Alignment, ax: Axes | None = None) -> Axes:
    """Each language's sentences in document order, green where aligned with another language and
    amber where not, with the count aligned: how much of each version is covered, and where not."""
    from matplotlib.patches import Patch

    ax = ax if ax is not None else _new_axes(_coverage_figsize(alignment))
    is_linked = linked(alignment)
    longest = max((len(v.sentences) for v in alignment.versions), default=0)
    for k, version in enumerate(alignment.versions):
        c = column(alignment, version.lang)
        aligned = [i for row, on in zip(alignment.rows, is_linked, strict=True) if on for i in row[c]]
        alone = [i for row, on in zip(alignment.rows, is_linked, strict=True) if not on for i in row[c]]
        for ids, colour in ((aligned, ALIGNED_COLOUR), (alone, GAP_COLOUR)):
            spans = [(first, last - first + 1) for first, last in _runs(ids)]
            ax.broken_barh(spans, (k - 0.35, 0.7), color=colour, lw=0)
        total = len(version.sentences)
        share = f" ({len(aligned) / total:.0%})" if total else ""
        ax.text(total + longest * 0.01, k, f"{len(aligned)}/{total}{share}", va="center", fontsize="small")
    ax.set_yticks(range(len(alignment.versions)), alignment.langs)
    ax.set_ylim(len(alignment.versions) - 0.5, -0.5)
    ax.set_xlim(0, max(longest, 1) * 1.18)
    ax.set_xlabel("sentence")
    ax.set_title("Coverage: sentences aligned with another language")
    ax.legend(
        handles=[
            Patch(color=ALIGNED_COLOUR, label="aligned"),
            Patch(color=GAP_COLOUR, label="no counterpart"),
        ],
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        fontsize="small",
        frameon=False,
    )
    return ax


def save_plots(alignment: Alignment, directory: str | Path) -> list[Path]:
    """Write ``path_A_B.png`` for every aligned pair, ``scores.png`` and ``coverage.png`` into
    ``directory`` (created if needed); return their paths."""
    from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)

    def safe(lang: str) -> str:
        return re.sub(r"[^\w.-]", "_", lang)

    jobs = [
        (f"path_{safe(a)}_{safe(b)}.png", _path_figsize(alignment, a, b), partial(plot_path, alignment, a, b))
        for a, b in aligned_pairs(alignment)
    ]
    jobs.append(("scores.png", SCORES_FIGSIZE, partial(plot_scores, alignment)))
    jobs.append(("coverage.png", _coverage_figsize(alignment), partial(plot_coverage, alignment)))
    paths = []
    for name, figsize, draw in jobs:
        figure = Figure(figsize=figsize, layout="constrained")
        draw(figure.subplots())
        path = directory / name
        figure.savefig(path, dpi=120)
        paths.append(path)
    return paths
