"""notebooks/inspect_alignment.ipynb runs top to bottom on the default model and shows what it says."""

import base64
import json
import re
import sys

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

NOTEBOOK = ROOT / "notebooks" / "inspect_alignment.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict[str, list]:
    """The notebook, executed by this interpreter's kernel: its outputs by cell tag."""
    # A kernel spec of our own, first on the Jupyter path, so that "python3" is this venv's Python
    # whatever other kernels the machine has.
    kernels = tmp_path_factory.mktemp("jupyter")
    spec = kernels / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "aligner", "language": "python"})
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(kernels))
        notebook = nbformat.read(NOTEBOOK, as_version=4)
        client = NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOK.parent)}},
        )
        client.execute()
    return {
        tag: cell.outputs
        for cell in notebook.cells
        if cell.cell_type == "code"
        for tag in cell.metadata.get("tags", [])
    }


def text(outputs: list) -> str:
    return "".join(o.get("text", "") for o in outputs if o.output_type == "stream" and o.name == "stdout")


def data(outputs: list, mime: str) -> list:
    return [o.data[mime] for o in outputs if mime in o.get("data", {})]


def test_committed_notebook_has_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_verdict_names_both_pairs(executed):
    verdict = text(executed["summary"])
    assert "aligned apart (not translations of each other): id,fr | zh,ja" in verdict
    assert verdict.count("100% / 100%") == 1 and "zh-ja" in verdict


def test_table_shows_four_language_columns(executed):
    (html,) = data(executed["table"], "text/html")
    for lang in ("id", "fr", "zh", "ja"):
        assert re.search(rf"<th[^>]*>{lang} <small>", html)
    assert "no ja</td>" in html and "score below 0.5" in html


@pytest.mark.parametrize("tag", ["heatmaps", "coverage"])
def test_plots_are_images(executed, tag):
    (png,) = data(executed[tag], "image/png")
    assert base64.b64decode(png)[:8] == b"\x89PNG\r\n\x1a\n"


def test_weakest_units_are_listed(executed):
    (html,) = data(executed["weakest"], "text/html")
    assert "low score" in html
    # the flagged units, lowest score first, at most twelve, one row each
    assert 3 <= html.count("<tr>") <= 12


def test_omissions_list_what_the_japanese_leaves_out(executed):
    omitted = text(executed["omissions"])
    assert "fr leaves out 0 of id's sentences" in omitted
    assert "怜星夜思" in omitted  # the reader questions heading, and the questions
    assert "2、Radford 选择离开如火如荼的 OpenAI" in omitted
    assert "Radford 完美诠释了这一点" in omitted  # a reader comment
