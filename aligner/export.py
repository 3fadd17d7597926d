"""Export stage: an ``Alignment`` out as TSV, JSONL, TMX 1.4 or Vecalign ``.align`` lines.

Every writer renders to a string first and the file is replaced atomically, so a failed or
interrupted run never leaves half a corpus behind.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from aligner import __version__
from aligner.errors import AlignerError
from aligner.evaluate import format_alignment
from aligner.multiway import Alignment

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def to_tsv(alignment: Alignment) -> str:
    """Tab-separated, header first; fields holding tabs, quotes or line breaks are quoted
    (the csv module's excel-tab dialect, which pandas and spreadsheets read back as is)."""
    buffer = io.StringIO()
    alignment.to_pandas().to_csv(buffer, sep="\t", index=False, lineterminator="\n")
    return buffer.getvalue()


def to_jsonl(alignment: Alignment) -> str:
    """One JSON object per row, the TSV's columns as keys; ids as integer lists."""
    frame = alignment.to_pandas()
    lines = []
    for r, record in enumerate(frame.to_dict(orient="records")):
        for column, lang in enumerate(alignment.langs):
            record[f"{lang}_ids"] = list(alignment.rows[r][column])
        lines.append(json.dumps(record, ensure_ascii=False))
    return "".join(line + "\n" for line in lines)


def to_tmx(alignment: Alignment) -> str:
    """TMX 1.4: one ``tu`` per row with a ``tuv`` per language present; the score as a prop."""
    root = etree.Element("tmx", version="1.4")
    etree.SubElement(
        root,
        "header",
        creationtool="aligner",
        creationtoolversion=__version__,
        segtype="sentence",
        datatype="plaintext",
        adminlang="en",
        srclang=alignment.langs[0],
        **{"o-tmf": "aligner"},
    )
    body = etree.SubElement(root, "body")
    for r, row in enumerate(alignment.rows):
        unit = etree.SubElement(body, "tu", tuid=str(r + 1))
        etree.SubElement(unit, "prop", type="x-score").text = f"{alignment.scores[r]:.4f}"
        for column, lang in enumerate(alignment.langs):
            if row[column]:
                variant = etree.SubElement(unit, "tuv", {XML_LANG: lang})
                etree.SubElement(variant, "seg").text = alignment.text(r, column)
    return etree.tostring(
        root,
        xml_declaration=True,
        encoding="UTF-8",
        pretty_print=True,
        doctype='<!DOCTYPE tmx SYSTEM "tmx14.dtd">',
    ).decode("utf-8")


def to_vecalign(alignment: Alignment) -> str:
    """``[i, j]:[k]:score`` per row, 0-based: the benchmark format, for exactly two languages."""
    if len(alignment.langs) != 2:
        raise AlignerError(f".align output needs exactly two inputs, got {len(alignment.langs)}")
    return format_alignment([(row[0], row[1]) for row in alignment.rows], list(alignment.scores))


FORMATS: dict[str, Callable[[Alignment], str]] = {
    "tsv": to_tsv,
    "jsonl": to_jsonl,
    "tmx": to_tmx,
    "align": to_vecalign,
}


def format_for(path: str | Path) -> str:
    """The format named by a path's suffix."""
    suffix = Path(path).suffix.lstrip(".").lower()
    if suffix not in FORMATS:
        raise AlignerError(
            f"unknown output suffix {Path(path).suffix!r}: use one of {', '.join('.' + f for f in FORMATS)}"
        )
    return suffix


def render(alignment: Alignment, fmt: str) -> str:
    return FORMATS[fmt](alignment)


def write_atomic(path: str | Path, content: str) -> None:
    """Write ``content`` to ``path`` through a temporary file in the same directory."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise AlignerError(f"cannot write {path}: directory {directory} does not exist")
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise AlignerError(f"cannot write {path}: {err.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException as err:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise AlignerError(f"cannot write {path}: {err.strerror}") from None
        raise


def write(alignment: Alignment, path: str | Path, fmt: str | None = None) -> None:
    """Write ``alignment`` to ``path`` in ``fmt`` (default: from the suffix)."""
    write_atomic(path, render(alignment, fmt or format_for(path)))
