import re

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from aligner import view
from aligner.merge import align_versions
from aligner.table import Alignment, Version

matplotlib.use("Agg")  # pyplot picks its backend at the first figure: none is ever shown


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def diagonal(n: int, m: int, dim: int = 16, seed: int = 0) -> Alignment:
    """Two versions whose sentences match one to one up to ``min(n, m)``; the rest is unaligned."""
    rng = np.random.default_rng(seed)
    content = unit(rng.normal(size=(max(n, m), dim)))
    noise = 0.5 / np.sqrt(dim)  # cosine of a sentence and its counterpart about 0.8
    a = Version("a", [f"a{i}." for i in range(n)], unit(content[:n] + noise * rng.normal(size=(n, dim))))
    b = Version("b", [f"b{j}." for j in range(m)], unit(content[:m] + noise * rng.normal(size=(m, dim))))
    rows = [((i,), (i,)) for i in range(min(n, m))]
    rows += [((i,), ()) for i in range(m, n)] + [((), (j,)) for j in range(n, m)]
    scores = np.linspace(0.0, 1.0, len(rows))
    pair = np.array([0.5 if x and y else np.nan for x, y in rows])
    return Alignment([a, b], rows, scores, {("a", "b"): pair}, [["a", "b"]])


@pytest.fixture
def four_way() -> Alignment:
    """id, fr and zh, ja: two groups of noisy copies, with gaps and a hostile sentence."""
    rng = np.random.default_rng(3)
    versions = []
    for langs, size in ((("id", "fr"), 12), (("zh", "ja"), 10)):
        content = unit(rng.normal(size=(size, 64)))
        for lang in langs:
            keep = [i for i in range(size) if not (lang == "ja" and i in (2, 3))]
            vectors = unit(content[keep] + 0.05 * rng.normal(size=(len(keep), 64)))
            versions.append(Version(lang, [f"{lang} {i} <b>&amp;</b>" for i in keep], vectors))
    versions[0].sentences[0] = '<script>alert("x")</script> & co'
    return align_versions(versions)


def body_rows(html: str) -> int:
    return html.split("<tbody>")[1].count("<tr")


def test_table_has_a_column_per_language_and_escapes_text(four_way):
    html = four_way._repr_html_()
    assert re.findall(r"<th[^>]*>(\w+) <small>", html) == ["id", "fr", "zh", "ja"]
    assert body_rows(html) == len(four_way.rows)
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html
    assert "&lt;b&gt;&amp;amp;&lt;/b&gt;" in html
    assert html.count(">no ja</td>") == 2  # ja drops two zh sentences: amber gap cells
    assert ">no id</td>" not in html  # zh rows leave the other group's columns blank, unmarked
    assert "aligned apart: id, fr | zh, ja" in html and "Showing" not in html


def test_low_score_rows_are_marked_and_scores_drawn_as_bars():
    alignment = diagonal(6, 4)
    html = view.to_html(alignment)
    assert html.count('title="score below 0.5"') == int((alignment.scores < 0.5).sum()) == 3
    assert "width:100%;height:100%" in html and "hsl(120," in html and "hsl(0," in html
    assert html.count("<small>unaligned</small>") == 2 and html.count("<small>1-1</small>") == 4
    assert view.to_html(alignment, min_score=0.1).count("score below") == 1


def test_an_unscored_table_shows_its_rows_unscored():
    # an unmatched document of a collection: its rows have no score
    alone = Version("zh", ["一。", "二。"], unit(np.eye(2, 4)))
    alignment = Alignment([alone], [((0,),), ((1,),)], np.full(2, np.nan), {}, [["zh"]])
    html = alignment._repr_html_()
    assert body_rows(html) == 2 and html.count(">not scored<br>") == 2 and "nan" not in html
    assert "not scored (a document matched with no other)" in html


def test_long_documents_are_paginated():
    alignment = diagonal(450, 450)
    html = alignment._repr_html_()
    assert body_rows(html) == view.PAGE_ROWS
    assert "Showing 200 of 450 rows" in html and "page 1 of 3" in html
    last = view.to_html(alignment, page=3)
    assert body_rows(last) == 50 and "<small>449</small>" in last
    with pytest.raises(ValueError, match="page 4 does not exist: there are 3"):
        view.to_html(alignment, page=4)
    picked = view.show(alignment, rows=[5, 7])
    assert body_rows(picked._repr_html_()) == 2 and "Showing 2 of 2 selected rows" in str(picked)


def test_long_cells_are_clipped_with_the_full_text_in_a_tooltip():
    alignment = diagonal(3, 3)
    alignment.versions[0].sentences[1] = "word " * 400
    html = view.to_html(alignment)
    cell = re.search(r'<td lang="a" dir="auto" style="[^"]*" title="([^"]*)"><sup>1</sup>([^<]*)</td>', html)
    assert cell and cell.group(1) == "word " * 400 and len(cell.group(2)) == view.CELL_CHARS + 1


def test_plot_path_draws_the_matrix_the_path_and_the_gaps():
    alignment = diagonal(8, 6)
    ax = alignment.plot_path("a", "b")
    (image,) = ax.get_images()
    matrix = image.get_array()
    assert matrix.shape == (8, 6) and matrix.min() >= 0.0 and matrix.max() <= 1.0
    assert np.argmax(matrix[:6], axis=1).tolist() == list(range(6))  # the translation diagonal
    boxes = ax.collections[0]
    assert len(boxes.get_paths()) == 6
    assert len(ax.patches) == 1  # one amber band: a 6-7, which b does not have
    assert "no counterpart (2 a, 0 b)" in [t.get_text() for t in ax.get_legend().get_texts()]
    with pytest.raises(ValueError, match="no 'ja'"):
        alignment.plot_path("a", "ja")


def test_long_documents_are_pooled_and_drawn_as_a_line():
    alignment = diagonal(2500, 1200, dim=64)
    matrix, step_a, step_b = view.similarity_matrix(alignment, "a", "b")
    assert (step_a, step_b) == (3, 2) and matrix.shape == (834, 600)
    # max-pooling keeps the diagonal: block (k, k * 3 // 2) holds a matching pair
    assert np.median([matrix[k, (k * 3) // 2] for k in range(400)]) > 0.5
    ax = view.plot_path(alignment, "a", "b")
    assert ax.get_images()[0].get_array().shape == (834, 600)
    assert len(ax.get_lines()) == 1 and len(ax.get_lines()[0].get_xdata()) == 1200


def test_scores_and_coverage_plots(four_way):
    ax = four_way.plot_scores()
    assert [t.get_text().split(" ")[0] for t in ax.get_legend().get_texts()] == ["id-fr", "zh-ja"]
    ax = four_way.plot_coverage()
    labels = [t.get_text() for t in ax.texts]
    assert labels[0] == "12/12 (100%)" and labels[3] == "8/8 (100%)" and labels[2] == "8/10 (80%)"


def test_save_plots_writes_a_png_per_aligned_pair_and_summaries(four_way, tmp_path):
    paths = view.save_plots(four_way, tmp_path / "plots")
    assert [p.name for p in paths] == ["path_id_fr.png", "path_zh_ja.png", "scores.png", "coverage.png"]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    assert plt.get_fignums() == []  # no pyplot figures left open by a CLI run


def test_every_cell_is_aligned_to_the_start_without_the_style_block(four_way):
    # JupyterLab drops an untrusted output's <style> and right-aligns table cells by its own rule
    html = view.to_html(four_way).split("</style>", 1)[1]
    cells = re.findall(r"<t[dh](?=[ >])[^>]*>", html)
    assert cells and all("text-align:start" in cell for cell in cells)
