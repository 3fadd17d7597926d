"""The package's structure: no import loops, every module importable alone, light start-up."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "aligner"

HEAVY = ("numpy", "pandas", "numba", "torch", "sentence_transformers", "lingua", "sentencex", "lxml", "tqdm")
"""Libraries that ``--help``, ``--version`` and ``evaluate`` must not pay for."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(path: Path, in_functions: bool = True) -> set[str]:
    """The modules of the package that ``path`` imports, inside functions too unless told
    otherwise, but not under ``if TYPE_CHECKING:``."""
    here = module_name(path)
    package = here.split(".") if path.name == "__init__.py" else here.split(".")[:-1]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if not in_functions and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {name for name in found if name in MODULES and name != here}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            connect(node)
    return found


def test_no_module_imports_a_module_that_imports_it_back():
    graph = {name: imported(path) for name, path in MODULES.items()}
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_loop():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_table_types_import_no_stage():
    # its convenience methods (to_tsv, the Jupyter view, plots) load theirs when called
    assert imported(MODULES["aligner.table"], in_functions=False) <= {"aligner.languages"}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_imports_alone(name):
    result = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", f"import {name}"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def loaded_after(code: str) -> list[str]:
    """The heavy libraries loaded once ``code`` has run in a fresh interpreter."""
    script = f"import sys\n{code}\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return [m for m in result.stdout.strip().split(",") if m]


def test_help_version_and_evaluate_load_no_heavy_library():
    show_help = (
        "import contextlib, io, aligner.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert aligner.cli.main(['--help']) == 0 and aligner.cli.main(['align', '--help']) == 0"
    )
    assert loaded_after(show_help) == []
    gold = ROOT / "tests" / "data" / "gold.align"
    evaluate = (
        "import contextlib, io, aligner.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert aligner.cli.main(['evaluate', {str(gold)!r}, {str(gold)!r}]) == 0"
    )
    assert loaded_after(evaluate) == []


def test_the_api_loads_its_stages_when_first_used():
    assert loaded_after("import aligner") == []
    assert "numba" in loaded_after("import aligner; aligner.align")
